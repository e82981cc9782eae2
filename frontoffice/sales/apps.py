from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "frontoffice.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from core import demo
        from core.navigation import NavItem, register
        from frontoffice.sales.reference import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="sales.pipeline_stages")
        demo.register("sales", _seed_demo)

        register(
            NavItem(_("Leads"), "sales:lead-list", "funnel", "front", "sales.view_lead", order=3),
            NavItem(_("Pipeline"), "sales:pipeline", "kanban", "front", "sales.view_opportunity", order=4),
            NavItem(_("Forecast"), "sales:forecast", "bar-chart-line", "front", "sales.view_opportunity", order=4),
            NavItem(
                _("Opportunities"),
                "sales:opportunity-list",
                "graph-up-arrow",
                "front",
                "sales.view_opportunity",
                order=4,
                match="/app/sales/opportunities/",
            ),
            NavItem(_("Quotes"), "sales:quote-list", "file-earmark-text", "front", "sales.view_quote", order=5),
            NavItem(_("Orders"), "sales:order-list", "cart-check", "front", "sales.view_salesorder", order=5),
        )


def _seed_demo(admin) -> str:
    from frontoffice.sales.demo import seed

    return seed(admin)
