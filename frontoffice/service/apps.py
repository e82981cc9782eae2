from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "frontoffice.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from core import demo
        from core.navigation import NavItem, register
        from core.notifications.kinds import KINDS

        register(
            NavItem(
                _("Support"),
                "service:dashboard",
                "headset",
                "front",
                "service.view_ticket",
                order=1,
                match="/app/service/$",
            ),
            NavItem(
                _("Tickets"),
                "service:ticket-list",
                "inbox",
                "front",
                "service.view_ticket",
                order=1,
                match="/app/service/tickets/",
            ),
            NavItem(_("SLA report"), "service:sla-report", "stopwatch", "front", "service.view_ticket", order=2),
            NavItem(
                _("Inbound e-mail"),
                "service:inbound-list",
                "envelope-arrow-down",
                "front",
                "service.view_inboundmail",
                order=2,
            ),
        )
        KINDS["service.ticket_assigned"] = _("A ticket was assigned to you")
        KINDS["service.customer_replied"] = _("A customer answered or reopened your ticket")
        KINDS["service.sla_breached"] = _("A ticket you lead or hold missed its SLA target")
        demo.register("service", _seed_demo)
        _forget_cached_on_change()


def _forget_cached_on_change() -> None:
    """The portal's cached categories follow every change of a category or a queue, the cached SLA policies every
    change of a policy (selectors)."""
    from django.db.models.signals import post_delete, post_save

    from frontoffice.service.models import Category, Queue, SlaPolicy
    from frontoffice.service.selectors import forget_portal_categories, forget_sla_policies

    for model, forget in (
        (Category, forget_portal_categories),
        (Queue, forget_portal_categories),
        (SlaPolicy, forget_sla_policies),
    ):
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=model, dispatch_uid=f"service.cached.{model.__name__}")


def _seed_demo(admin) -> str:
    from frontoffice.service.demo import seed

    return seed(admin)
