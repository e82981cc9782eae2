"""The finance API under /api/v1/finance/: accounts, journal entries, invoices and the trial balance."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from backoffice.finance import report_api
from backoffice.finance.api import AccountViewSet, InvoiceViewSet, JournalEntryViewSet, TrialBalanceView
from backoffice.finance.bill_api import BillViewSet, PaymentRunViewSet
from backoffice.finance.payment_api import BankLineViewSet, BankStatementViewSet, PaymentViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="finance-account")
router.register("entries", JournalEntryViewSet, basename="finance-entry")
router.register("invoices", InvoiceViewSet, basename="finance-invoice")
router.register("payments", PaymentViewSet, basename="finance-payment")
router.register("bank-statements", BankStatementViewSet, basename="finance-bank-statement")
router.register("bank-lines", BankLineViewSet, basename="finance-bank-line")
router.register("bills", BillViewSet, basename="finance-bill")
router.register("payment-runs", PaymentRunViewSet, basename="finance-payment-run")

urlpatterns = [
    path("reports/trial-balance/", TrialBalanceView.as_view(), name="finance-trial-balance"),
    path("reports/profit-and-loss/", report_api.ProfitAndLossView.as_view(), name="finance-profit-and-loss"),
    path("reports/balance-sheet/", report_api.BalanceSheetView.as_view(), name="finance-balance-sheet"),
    path("reports/aged-receivables/", report_api.AgedReceivablesView.as_view(), name="finance-aged-receivables"),
    path("reports/aged-payables/", report_api.AgedPayablesView.as_view(), name="finance-aged-payables"),
    path("reports/vat/", report_api.VatReturnView.as_view(), name="finance-vat"),
    path(
        "reports/customer-statement/<int:organization_id>/",
        report_api.CustomerStatementView.as_view(),
        name="finance-customer-statement",
    ),
    *router.urls,
]
