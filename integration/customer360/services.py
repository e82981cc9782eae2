"""Writes of the customer 360: timeline entries, one per event, idempotent on the event id."""

from datetime import datetime

from django.db import transaction

from integration.customer360.models import TimelineEntry


@transaction.atomic
def timeline_record(
    *,
    event_uuid: str,
    event_name: str,
    organization_id: int,
    office: str,
    occurred_at: datetime,
    title: str,
    url: str = "",
    required_permission: str = "",
) -> TimelineEntry:
    """Put an event on the customer's timeline once, however often it is delivered."""
    entry, _created = TimelineEntry.objects.get_or_create(
        event_uuid=event_uuid,
        defaults={
            "event_name": event_name,
            "organization_id": organization_id,
            "office": office,
            "occurred_at": occurred_at,
            "title": title[:300],
            "url": url,
            "required_permission": required_permission,
        },
    )
    return entry


@transaction.atomic
def timeline_merge(*, survivor_id: int, merged_id: int) -> int:
    """Move a merged duplicate's timeline to the organization that stays; safe to run twice."""
    return TimelineEntry.objects.filter(organization_id=merged_id).update(organization_id=survivor_id)
