"""Staff pages of the general ledger, under /app/finance/."""

from django.urls import path

from backoffice.finance import bill_views, dunning_views, payment_views, report_views, views

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
    path("invoices/<int:pk>/send/", views.invoice_send, name="invoice-send"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel, name="invoice-cancel"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("payments/", payment_views.payment_list, name="payment-list"),
    path("payments/new/", payment_views.payment_create, name="payment-create"),
    path("payments/<int:pk>/", payment_views.payment_detail, name="payment-detail"),
    path("payments/<int:pk>/allocate/", payment_views.payment_allocate, name="payment-allocate"),
    path("bank/", payment_views.bank_statement_list, name="bank-statement-list"),
    path("bank/<int:pk>/", payment_views.bank_statement_detail, name="bank-statement"),
    path("bank/exceptions/", payment_views.bank_exceptions, name="bank-exceptions"),
    path("bank/lines/<int:pk>/match/", payment_views.bank_line_match, name="bank-line-match"),
    path("bank/lines/<int:pk>/ignore/", payment_views.bank_line_ignore, name="bank-line-ignore"),
    path("bills/", bill_views.bill_list, name="bill-list"),
    path("bills/new/", bill_views.bill_create, name="bill-create"),
    path("bills/exceptions/", bill_views.bill_exceptions, name="bill-exceptions"),
    path("bills/<int:pk>/", bill_views.bill_detail, name="bill-detail"),
    path("bills/<int:pk>/edit/", bill_views.bill_edit, name="bill-edit"),
    path("bills/<int:pk>/approve/", bill_views.bill_approve, name="bill-approve"),
    path("bills/<int:pk>/cancel/", bill_views.bill_cancel, name="bill-cancel"),
    path("payment-runs/", bill_views.payment_run_list, name="payment-run-list"),
    path("payment-runs/new/", bill_views.payment_run_create, name="payment-run-create"),
    path("payment-runs/<int:pk>/", bill_views.payment_run_detail, name="payment-run-detail"),
    path("payment-runs/<int:pk>/confirm/", bill_views.payment_run_confirm, name="payment-run-confirm"),
    path("payment-runs/<int:pk>/items/add/", bill_views.payment_run_add_item, name="payment-run-add-item"),
    path("payment-runs/<int:pk>/file/", bill_views.payment_run_file, name="payment-run-file"),
    path(
        "payment-runs/<int:pk>/items/<int:item_pk>/remove/",
        bill_views.payment_run_remove_item,
        name="payment-run-remove-item",
    ),
    path("reports/trial-balance/", views.trial_balance, name="trial-balance"),
    path("reports/", report_views.report_index, name="reports"),
    path("reports/profit-and-loss/", report_views.profit_and_loss, name="report-profit-and-loss"),
    path("reports/balance-sheet/", report_views.balance_sheet, name="report-balance-sheet"),
    path("reports/aged-receivables/", report_views.aged_receivables, name="report-aged-receivables"),
    path("reports/aged-payables/", report_views.aged_payables, name="report-aged-payables"),
    path("reports/vat/", report_views.vat_report, name="report-vat"),
    path("reports/customer-statement/", report_views.customer_statement_pick, name="report-customer-statement-pick"),
    path(
        "reports/customer-statement/<int:organization_id>/",
        report_views.customer_statement,
        name="report-customer-statement",
    ),
    path("dunning/", dunning_views.dunning_overview, name="dunning"),
    path("dunning/run/", dunning_views.dunning_run_now, name="dunning-run"),
    path("dunning/letters/", dunning_views.dunning_letter_list, name="dunning-letters"),
    path("dunning/holds/", dunning_views.credit_hold_list, name="dunning-holds"),
    path(
        "dunning/holds/<int:organization_id>/release/", dunning_views.credit_hold_release, name="dunning-hold-release"
    ),
    path("dunning/policy/", dunning_views.dunning_policy_edit, name="dunning-policy"),
    path("settings/", views.ledger_settings, name="settings"),
]
