"""The finance API under /api/v1/finance/: accounts, journal entries, invoices and the trial balance."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from backoffice.finance.api import AccountViewSet, InvoiceViewSet, JournalEntryViewSet, TrialBalanceView
from backoffice.finance.bill_api import BillViewSet, PaymentRunViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="finance-account")
router.register("entries", JournalEntryViewSet, basename="finance-entry")
router.register("invoices", InvoiceViewSet, basename="finance-invoice")
router.register("bills", BillViewSet, basename="finance-bill")
router.register("payment-runs", PaymentRunViewSet, basename="finance-payment-run")

urlpatterns = [
    path("reports/trial-balance/", TrialBalanceView.as_view(), name="finance-trial-balance"),
    *router.urls,
]
