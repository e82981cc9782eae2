from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "backoffice.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from backoffice.finance.reference import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="finance.reference")
