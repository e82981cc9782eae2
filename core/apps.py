from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide pieces: health, the UI shell, demo data, shared services."""

    name = "core"
    verbose_name = "Kontor"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core import checks  # noqa: F401 - registers the system checks
        from core.navigation import NavItem, register

        register(
            NavItem(_("Home"), "dashboard", "house", "overview", order=0, match="/app/$"),
            NavItem(
                _("Organizations"),
                "parties:organization-list",
                "building",
                "front",
                "parties.view_organization",
                order=10,
            ),
            NavItem(_("People"), "parties:person-list", "people", "front", "parties.view_person", order=11),
            NavItem(_("Products"), "catalog:product-list", "box-seam", "back", "catalog.view_product", order=10),
            NavItem(_("Notifications"), "notifications", "bell", "system", order=10),
            NavItem(_("API documentation"), "api-docs", "braces", "system", order=20),
            NavItem(_("Administration"), "admin:index", "gear", "system", allowed=lambda user: user.is_staff, order=30),
        )
