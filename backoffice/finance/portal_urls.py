"""The finance pages of the customer portal, under /portal/ (no namespace, like the portal's own URLs)."""

from django.urls import path

from backoffice.finance import portal_views

urlpatterns = [
    path("invoices/", portal_views.invoice_list, name="portal-invoices"),
    path("invoices/<int:pk>/pdf/", portal_views.invoice_pdf, name="portal-invoice-pdf"),
]
