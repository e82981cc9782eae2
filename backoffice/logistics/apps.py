from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    """Logistics (issue 7). For now it only declares the events other apps already subscribe to."""

    name = "backoffice.logistics"
    label = "logistics"
    verbose_name = _("Logistics")
