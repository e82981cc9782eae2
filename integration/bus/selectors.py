"""Reads of the bus: health, the integration page's figures, and lists for the API."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncMinute
from django.utils import timezone

from core.notifications.models import FailedMail
from integration.bus.models import Delivery, OutboxEvent, Probe

OPEN = list(Delivery.OPEN_STATES)


def bus_lag_seconds() -> float:
    """Age of the oldest work not done: an event not relayed, or a delivery not finished and due."""
    now = timezone.now()
    oldest_event = OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).aggregate(at=Min("occurred_at"))["at"]
    oldest_delivery = Delivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now).aggregate(
        at=Min("next_attempt_at")
    )["at"]
    oldest = min((at for at in (oldest_event, oldest_delivery) if at is not None), default=None)
    return round((now - oldest).total_seconds(), 1) if oldest else 0.0


def bus_health() -> dict[str, Any]:
    """For /health/: the lag, and down when it passes BUS_LAG_THRESHOLD_SECONDS."""
    lag = bus_lag_seconds()
    dead = Delivery.objects.filter(status=Delivery.Status.DEAD).count()
    state: dict[str, Any] = {"ok": lag <= settings.BUS_LAG_THRESHOLD_SECONDS, "lag_seconds": lag, "dead_letters": dead}
    if not state["ok"]:
        state["error"] = f"Events wait {lag:.0f}s, more than {settings.BUS_LAG_THRESHOLD_SECONDS}s."
    return state


def bus_overview(*, minutes: int = 30) -> dict[str, Any]:
    """The integration page: throughput, backlog, lag, states, failures, per-subscriber figures."""
    now = timezone.now()
    since = now - timedelta(minutes=minutes)
    per_minute = {
        row["minute"]: row["count"]
        for row in OutboxEvent.objects.filter(occurred_at__gte=since)
        .annotate(minute=TruncMinute("occurred_at"))
        .values("minute")
        .annotate(count=Count("pk"))
    }
    first_minute = since.replace(second=0, microsecond=0)
    series = []
    for offset in range(minutes + 1):
        minute = first_minute + timedelta(minutes=offset)
        series.append({"minute": minute, "count": per_minute.get(minute, 0)})
    states = dict(Delivery.objects.values_list("status").annotate(count=Count("pk")).order_by())
    subscribers = list(
        Delivery.objects.values("subscriber")
        .annotate(
            done_last_hour=Count("pk", filter=Q(status=Delivery.Status.DONE, done_at__gte=now - timedelta(hours=1))),
            open=Count("pk", filter=Q(status__in=OPEN)),
            dead=Count("pk", filter=Q(status=Delivery.Status.DEAD)),
        )
        .order_by("subscriber")
    )
    return {
        "events_per_minute": series,
        "events_last_minute": per_minute.get(now.replace(second=0, microsecond=0), 0),
        "pending_events": OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count(),
        "lag_seconds": bus_lag_seconds(),
        "lag_threshold": settings.BUS_LAG_THRESHOLD_SECONDS,
        "states": [
            {"status": value, "label": label, "count": states.get(value, 0)} for value, label in Delivery.Status.choices
        ],
        "recent_failures": list(
            Delivery.objects.filter(status__in=[Delivery.Status.RETRYING, Delivery.Status.DEAD])
            .select_related("event")
            .order_by("-started_at", "-pk")[:10]
        ),
        "subscribers": subscribers,
        "probes": list(Probe.objects.select_related("sent_by")[:5]),
        # Background work other than the bus that gave up: e-mail that could not be sent after every retry.
        "failed_mails": FailedMail.objects.filter(resent_at__isnull=True).count(),
    }


def dead_letters() -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.DEAD).select_related("event").order_by("-started_at", "-pk")


def event_list() -> QuerySet[OutboxEvent]:
    return OutboxEvent.objects.annotate(delivery_count=Count("deliveries")).order_by("-id")


def delivery_list() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("event").order_by("-id")
