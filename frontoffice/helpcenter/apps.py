from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    name = "frontoffice.helpcenter"
    label = "helpcenter"
    verbose_name = _("Help center")

    def ready(self) -> None:
        from core import demo
        from core.navigation import NavItem, register

        demo.register("helpcenter", _seed_demo)

        register(
            NavItem(
                _("Help articles"),
                "helpcenter:article-list",
                "journal-text",
                "front",
                "helpcenter.view_article",
                order=8,
                match="/app/help/",
            ),
            NavItem(
                _("Deflection report"),
                "helpcenter:deflection-report",
                "emoji-smile",
                "front",
                "helpcenter.view_articledeflection",
                order=9,
            ),
        )


def _seed_demo(admin) -> str:
    from frontoffice.helpcenter.demo import seed

    return seed(admin)
