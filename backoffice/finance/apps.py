from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    """Finance (issue 6). For now it only declares the events other apps already subscribe to."""

    name = "backoffice.finance"
    label = "finance"
    verbose_name = _("Finance")
