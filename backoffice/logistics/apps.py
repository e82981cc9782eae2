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

        from core.navigation import NavItem, register

        stock, counts = "logistics.view_stockquant", "logistics.view_stockcount"
        moves, warehouses = "logistics.view_stockmove", "logistics.view_warehouse"
        register(
            NavItem(_("Stock"), "logistics:stock", "boxes", "back", stock, order=30),
            NavItem(
                _("Deliveries"),
                "logistics:delivery-list",
                "truck",
                "back",
                "logistics.view_deliveryorder",
                order=31,
                match="/app/logistics/deliveries/",
            ),
            NavItem(_("Stock moves"), "logistics:move-list", "arrow-left-right", "back", moves, order=32),
            NavItem(_("Stock counts"), "logistics:count-list", "clipboard-check", "back", counts, order=33),
            NavItem(_("Serial numbers"), "logistics:serial-lookup", "upc-scan", "back", "logistics.view_lot", order=34),
            NavItem(_("Warehouses"), "logistics:warehouse-list", "building", "back", warehouses, order=35),
            NavItem(
                _("Purchasing"),
                "logistics:purchase-list",
                "cart",
                "back",
                "logistics.view_purchaseorder",
                order=36,
                match="/app/logistics/purchases/",
            ),
            NavItem(
                _("Production"),
                "logistics:production-list",
                "gear",
                "back",
                "logistics.view_productionorder",
                order=37,
                match="/app/logistics/production/",
            ),
            NavItem(
                _("Returns"),
                "logistics:return-list",
                "arrow-return-left",
                "back",
                "logistics.view_returnorder",
                order=38,
            ),
        )

        from backoffice.logistics.demo import seed
        from core import demo

        demo.register("logistics", seed)

        from backoffice.logistics import purchase_demo

        demo.register("logistics-purchasing", purchase_demo.seed)
