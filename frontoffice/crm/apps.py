from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "frontoffice.crm"
    label = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from core import demo
        from core.navigation import NavItem, register
        from core.notifications.kinds import KINDS

        register(
            NavItem(_("Accounts"), "crm:account-list", "briefcase", "front", "crm.view_account", order=5),
            NavItem(
                _("Contacts"), "crm:contact-list", "person-lines-fill", "front", "crm.view_contactprofile", order=5
            ),
            NavItem(_("My activities"), "crm:my-activities", "check2-square", "front", "crm.view_activity", order=6),
        )
        KINDS["crm.activity_due"] = _("An activity assigned to you is due")
        demo.register("crm", _seed_demo)


def _seed_demo(admin) -> str:
    from frontoffice.crm.demo import seed

    return seed(admin)
