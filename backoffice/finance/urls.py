"""Staff pages of the general ledger, under /app/finance/."""

from django.urls import path

from backoffice.finance import views

app_name = "finance"

urlpatterns = [
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/<int:pk>/ledger/", views.account_ledger, name="account-ledger"),
    path("entries/", views.entry_list, name="entry-list"),
    path("entries/new/", views.entry_create, name="entry-create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:pk>/post/", views.entry_post, name="entry-post"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry-reverse"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry-delete"),
    path("invoices/", views.invoice_list, name="invoice-list"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice-issue"),
    path("invoices/<int:pk>/credit/", views.invoice_credit, name="invoice-credit"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("reports/trial-balance/", views.trial_balance, name="trial-balance"),
    path("settings/", views.ledger_settings, name="settings"),
]
