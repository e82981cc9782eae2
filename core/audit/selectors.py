from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from core.audit.models import AuditEntry


def audit_entries_for(*, instance: models.Model, limit: int = 50) -> QuerySet[AuditEntry]:
    """The newest changes to one record, with who made them."""
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=True)
    return (
        AuditEntry.objects.filter(content_type=content_type, object_id=str(instance.pk))
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


def audit_entries_recent(*, limit: int = 10) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-created_at", "-pk")[:limit]
