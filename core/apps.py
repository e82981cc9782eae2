from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide pieces: health, the UI shell, demo data, shared services."""

    name = "core"
    verbose_name = "Kontor"
