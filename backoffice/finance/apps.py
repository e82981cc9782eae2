from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "backoffice.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from backoffice.finance.reference import ensure_after_migrate
        from core.navigation import NavItem, register

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="finance.reference")

        entries, accounts = "finance.view_journalentry", "finance.view_account"
        register(
            NavItem(_("Journal entries"), "finance:entry-list", "journal-text", "back", entries, order=20),
            NavItem(_("Chart of accounts"), "finance:account-list", "list-ol", "back", accounts, order=21),
            NavItem(_("Trial balance"), "finance:trial-balance", "table", "back", entries, order=28),
            NavItem(_("Reports"), "finance:reports", "bar-chart-line", "back", entries, order=27),
            NavItem(_("Invoices"), "finance:invoice-list", "receipt", "back", "finance.view_invoice", order=22),
            NavItem(
                _("Payments"),
                "finance:payment-list",
                "cash-coin",
                "back",
                "finance.view_payment",
                order=23,
                match="/app/finance/payments/",
            ),
            NavItem(
                _("Bank files"), "finance:bank-statement-list", "bank", "back", "finance.view_bankstatement", order=24
            ),
            NavItem(
                _("Overdue & dunning"),
                "finance:dunning",
                "envelope-exclamation",
                "back",
                "finance.view_dunningletter",
                order=25,
                match="/app/finance/dunning/",
            ),
            NavItem(
                _("Supplier bills"),
                "finance:bill-list",
                "receipt-cutoff",
                "back",
                "finance.view_supplierbill",
                order=26,
            ),
            NavItem(
                _("Ledger settings"), "finance:settings", "sliders", "back", "finance.view_ledgersettings", order=29
            ),
        )

        from backoffice.finance import demo

        demo.register()
