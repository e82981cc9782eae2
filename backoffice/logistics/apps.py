from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    """Logistics: warehouses and stock moves, reservations and deliveries of sales orders (issue 7)."""

    name = "backoffice.logistics"
    label = "logistics"
    verbose_name = _("Logistics")

    def ready(self) -> None:
        from backoffice.logistics import handlers  # noqa: F401 - subscribes to the bus
        from backoffice.logistics.reference import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="logistics.reference")
