from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "frontoffice.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from frontoffice.service import events  # noqa: F401  (declares the events service publishes)
