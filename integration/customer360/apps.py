from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Customer360Config(AppConfig):
    name = "integration.customer360"
    label = "customer360"
    verbose_name = _("Customer 360")
