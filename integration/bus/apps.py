from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class BusConfig(AppConfig):
    name = "integration.bus"
    label = "bus"
    verbose_name = _("Integration bus")

    def ready(self) -> None:
        from core import demo, health
        from core.navigation import NavItem, register
        from integration.bus import selectors

        # Every app declares its events in events.py and its subscribers in handlers.py.
        autodiscover_modules("events")
        autodiscover_modules("handlers")
        health.register_check("bus", selectors.bus_health)
        demo.register("integration bus", _seed_demo)
        register(
            NavItem(_("Integration"), "bus:overview", "diagram-3", "system", "bus.view_outboxevent", order=15),
        )


def _seed_demo(admin) -> str:
    """Three test events, once: the integration page then has traffic to show."""
    from integration.bus.models import Probe
    from integration.bus.services import probe_send

    if Probe.objects.exists():
        return "test events already sent"
    for note in ("Demo: first test event", "Demo: second test event", "Demo: third test event"):
        probe_send(actor=admin, note=note)
    return "3 test events published"
