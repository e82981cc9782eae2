from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class BusConfig(AppConfig):
    name = "integration.bus"
    label = "bus"
    verbose_name = _("Integration bus")

    def ready(self) -> None:
        from core import health
        from core.navigation import NavItem, register
        from integration.bus import selectors

        # Every app declares its events in events.py and its subscribers in handlers.py.
        autodiscover_modules("events")
        autodiscover_modules("handlers")
        health.register_check("bus", selectors.bus_health)
        register(
            NavItem(_("Integration"), "bus:overview", "diagram-3", "system", "bus.view_outboxevent", order=15),
        )
