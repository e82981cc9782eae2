"""The default pipeline, created by a migration and ensured after every migrate or flush."""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

STAGES = [("Qualification", 10, 10), ("Needs analysis", 20, 25), ("Proposal", 30, 50), ("Negotiation", 40, 75)]


def ensure_stages(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the default stages when there are none (an edited pipeline is left alone)."""
    stage = apps.get_model("sales", "PipelineStage")
    if stage.objects.using(using).exists():
        return
    for name, position, probability in STAGES:
        stage.objects.using(using).create(name=name, position=position, probability=probability)


def ensure_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    ensure_stages(apps=apps, using=using)
