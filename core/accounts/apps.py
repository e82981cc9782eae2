from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "core.accounts"
    label = "accounts"
    verbose_name = _("Accounts and departments")

    def ready(self) -> None:
        from core.accounts import backends, receivers, roles

        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts.sync_department_permissions")
        receivers.connect()
        backends.connect()
