from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "core.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from core.catalog.reference import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="catalog.reference_data")
