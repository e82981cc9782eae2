"""Publishing, relaying and delivering events: every write of the bus."""

import logging
import random
import traceback as traceback_module
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from integration.bus import catalogue, registry
from integration.bus.models import AggregateSequence, Delivery, OutboxEvent, Probe

logger = logging.getLogger(__name__)

OPEN = [Delivery.Status.PENDING, Delivery.Status.RUNNING, Delivery.Status.RETRYING]


@dataclass(frozen=True)
class ReceivedEvent:
    """What a handler is given: the event as published, and which attempt this is."""

    id: str  # the event's UUID: handlers use it to stay idempotent
    name: str
    version: int
    payload: dict[str, Any]
    aggregate_type: str
    aggregate_id: str
    sequence: int
    occurred_at: datetime
    attempt: int


# --- publishing ------------------------------------------------------------------


def _aggregate_key(aggregate: models.Model | tuple[str, object]) -> tuple[str, str]:
    if isinstance(aggregate, tuple):
        aggregate_type, aggregate_id = aggregate
        return str(aggregate_type), str(aggregate_id)
    if aggregate.pk is None:
        raise ValueError("Publish after saving: the aggregate has no primary key yet.")
    return aggregate._meta.label_lower, str(aggregate.pk)


def _next_sequence(aggregate_type: str, aggregate_id: str) -> int:
    """Hand out the aggregate's next sequence number; the row lock orders concurrent publishers."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {AggregateSequence._meta.db_table} (aggregate_type, aggregate_id, last)
            VALUES (%s, %s, 1)
            ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last = {AggregateSequence._meta.db_table}.last + 1
            RETURNING last
            """,
            [aggregate_type, aggregate_id],
        )
        return cursor.fetchone()[0]


def publish(name: str, payload: dict[str, Any], *, aggregate: models.Model | tuple[str, object]) -> OutboxEvent:
    """Record that something happened, inside the caller's transaction.

    If the caller's transaction rolls back, the event never existed. After
    commit the relay is asked to hand it to the subscribers; if that request
    is lost, the beat sweep finds the event anyway.
    """
    spec = catalogue.get(name)
    payload = catalogue.validate(spec, catalogue.to_json_safe(payload))
    aggregate_type, aggregate_id = _aggregate_key(aggregate)
    with transaction.atomic():
        event = OutboxEvent.objects.create(
            name=name,
            version=spec.version,
            payload=payload,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            sequence=_next_sequence(aggregate_type, aggregate_id),
            occurred_at=timezone.now(),
        )
    transaction.on_commit(_request_relay, robust=True)
    return event


RELAY_QUEUED_KEY = "kontor:bus:relay-queued"


def _request_relay() -> None:
    """Queue one relay task, unless one is already queued and not yet started (a burst needs only one)."""
    from core.health import redis_client
    from integration.bus.tasks import relay

    if redis_client().set(RELAY_QUEUED_KEY, "1", nx=True, ex=30):
        relay.delay()


# --- relaying --------------------------------------------------------------------


def relay_pending(*, batch_size: int = 500) -> int:
    """Fan pending events out to one delivery per subscriber; returns how many events were relayed.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays share the
    work and never take the same event. Work is found by status, never by "id
    greater than the last one seen", so an event whose transaction committed
    late is not skipped.
    """
    relayed = 0
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(status=OutboxEvent.Status.PENDING)
                .order_by("id")[:batch_size]
            )
            if not events:
                return relayed
            now = timezone.now()
            deliveries = [
                Delivery(
                    event=event,
                    subscriber=subscriber.name,
                    aggregate_type=event.aggregate_type,
                    aggregate_id=event.aggregate_id,
                    sequence=event.sequence,
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for event in events
                for subscriber in registry.subscribers_for(event.name)
            ]
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
            OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
                status=OutboxEvent.Status.RELAYED, relayed_at=now
            )
            # Only the first open delivery of each aggregate goes to the broker now; the others are
            # sent as their predecessor finishes (_release_next_in_order), the sweep being the fallback.
            heads = list(
                Delivery.objects.filter(event__in=events, status=Delivery.Status.PENDING)
                .annotate(
                    blocked=Exists(
                        _earlier_open(
                            OuterRef("subscriber"),
                            OuterRef("aggregate_type"),
                            OuterRef("aggregate_id"),
                            OuterRef("sequence"),
                        )
                    )
                )
                .filter(blocked=False)
                .values_list("pk", flat=True)
            )
            transaction.on_commit(lambda ids=heads: enqueue_deliveries(ids), robust=True)
            relayed += len(events)


def enqueue_deliveries(delivery_ids: Iterable[int], *, countdown: float = 0) -> None:
    """Send delivery tasks to the broker. If the broker is down, mark them unsent so the sweep sends them later."""
    from integration.bus.tasks import deliver

    ids = list(delivery_ids)
    for position, delivery_id in enumerate(ids):
        try:
            deliver.apply_async(args=[delivery_id], countdown=countdown)
        except Exception:  # the broker is unreachable: the database keeps the work
            logger.warning("Broker unreachable; %s deliveries left for the sweep.", len(ids) - position, exc_info=True)
            Delivery.objects.filter(pk__in=ids[position:]).update(enqueued_at=None)
            return


# --- delivering ------------------------------------------------------------------


def _backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter: base * 2^(n-1), capped, randomised."""
    base = settings.BUS_RETRY_BASE_SECONDS
    ceiling = min(settings.BUS_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def _earlier_open(subscriber, aggregate_type, aggregate_id, sequence) -> QuerySet[Delivery]:
    """Deliveries of earlier events of the same aggregate to the same subscriber that have not finished."""
    return Delivery.objects.filter(
        subscriber=subscriber,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        sequence__lt=sequence,
        status__in=[*OPEN, Delivery.Status.DEAD],
    )


def _earlier_open_delivery_exists(delivery: Delivery) -> bool:
    """True while an earlier event of the same aggregate has not reached this subscriber."""
    return _earlier_open(
        delivery.subscriber, delivery.aggregate_type, delivery.aggregate_id, delivery.sequence
    ).exists()


def _release_next_in_order(delivery: Delivery) -> None:
    """Send the aggregate's next waiting delivery for this subscriber now, instead of after its wait."""
    following = (
        Delivery.objects.filter(
            subscriber=delivery.subscriber,
            aggregate_type=delivery.aggregate_type,
            aggregate_id=delivery.aggregate_id,
            sequence__gt=delivery.sequence,
            status__in=OPEN,
        )
        .order_by("sequence")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        transaction.on_commit(lambda: enqueue_deliveries([following]), robust=True)


def _schedule(delivery_id: int, *, at: datetime) -> None:
    """Ask the broker to run the delivery at `at` when that is soon; later waits are kept in the database."""
    wait = (at - timezone.now()).total_seconds()
    if wait <= settings.CELERY_MAX_COUNTDOWN:
        # enqueued_at = at: "a message is on its way for that time", so the sweep does not send another.
        Delivery.objects.filter(pk=delivery_id).update(enqueued_at=at)
        transaction.on_commit(lambda: enqueue_deliveries([delivery_id], countdown=max(wait, 0)), robust=True)


def deliver(delivery_id: int) -> str:
    """Run one delivery: at most one effect, however often the broker hands the task out.

    1. A short transaction counts the attempt (kept even if the worker dies).
    2. The handler runs in a second transaction that also marks the delivery
       done, under a row lock: a concurrent or repeated run waits, then finds
       it done. A failure rolls the effect back and schedules a retry, or
       dead-letters the delivery after BUS_MAX_ATTEMPTS.
    Returns what happened, for logs and tests.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update(skip_locked=True).filter(pk=delivery_id).first()
        if delivery is None:
            return "busy"  # another worker holds it right now; it will finish or fail it
        if not delivery.is_open:
            return "already-" + delivery.status
        if _earlier_open_delivery_exists(delivery):
            # The predecessor sends this one when it finishes; the sweep re-sends it if that is lost.
            return "waiting-for-earlier"
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now()
        )
    attempt = delivery.attempts + 1
    subscriber = registry.get(delivery.subscriber)
    try:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().select_related("event").get(pk=delivery_id)
            if not delivery.is_open:
                return "already-" + delivery.status
            if subscriber is None:
                raise LookupError(f"No subscriber called {delivery.subscriber!r} is registered in this process.")
            event = delivery.event
            subscriber.function(
                ReceivedEvent(
                    id=str(event.uuid),
                    name=event.name,
                    version=event.version,
                    payload=event.payload,
                    aggregate_type=event.aggregate_type,
                    aggregate_id=event.aggregate_id,
                    sequence=event.sequence,
                    occurred_at=event.occurred_at,
                    attempt=attempt,
                )
            )
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.DONE, done_at=timezone.now(), next_attempt_at=None, last_error=""
            )
            _release_next_in_order(delivery)
        return "done"
    except Exception as error:  # noqa: BLE001 - any handler failure is recorded and retried, never lost
        return _record_failure(delivery_id, error, attempt)


def _record_failure(delivery_id: int, error: Exception, attempt: int) -> str:
    text = f"{type(error).__name__}: {error}"[:2000]
    trace = traceback_module.format_exc()[-20000:]
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if not delivery.is_open:
            return "already-" + delivery.status
        delivery.last_error = text
        delivery.traceback = trace
        if delivery.attempts >= settings.BUS_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.DEAD
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at", "last_error", "traceback"])
            logger.error("Dead letter: delivery %s (%s) after %s attempts: %s", delivery_id, delivery, attempt, text)
            return "dead"
        delivery.status = Delivery.Status.RETRYING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=_backoff_seconds(delivery.attempts))
        delivery.save(update_fields=["status", "next_attempt_at", "last_error", "traceback"])
        _schedule(delivery_id, at=delivery.next_attempt_at)
    logger.warning("Delivery %s failed (attempt %s), retrying: %s", delivery_id, attempt, text)
    return "retrying"


# --- the sweep, and dead letters ---------------------------------------------------


def sweep(*, limit: int = 2000) -> dict[str, int]:
    """Beat's safety net: relay what is pending, and re-send deliveries whose broker message may be lost.

    A delivery is re-sent when its retry time has come and it has not been
    sent since, or when it has been open longer than a task can run without
    finishing (its worker died and the broker did not hand the task back).
    """
    relayed = relay_pending()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.BUS_RESEND_AFTER_SECONDS)
    due = (
        Delivery.objects.filter(status__in=OPEN)
        .filter(
            Q(next_attempt_at__lte=now, enqueued_at__lt=F("next_attempt_at"))
            | Q(next_attempt_at__lte=now, enqueued_at__isnull=True)
            | Q(enqueued_at__lt=stale, next_attempt_at__lte=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    if ids:
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
        enqueue_deliveries(ids)
    return {"relayed": relayed, "resent": len(ids)}


@transaction.atomic
def delivery_retry(*, delivery: Delivery, actor) -> Delivery:
    """Give a dead letter another try (after the bug behind it is fixed); who and when are kept."""
    from core.audit.models import AuditEntry
    from core.audit.services import audit_record
    from core.exceptions import ServiceError

    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != Delivery.Status.DEAD:
        raise ServiceError("Only a dead letter can be retried.")
    now = timezone.now()
    delivery.status = Delivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.enqueued_at = now
    delivery.resolved_by = actor
    delivery.resolved_at = now
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "enqueued_at", "resolved_by", "resolved_at"])
    audit_record(actor=actor, instance=delivery, action=AuditEntry.Action.ACTION, message="Dead letter retried")
    transaction.on_commit(lambda: enqueue_deliveries([delivery.pk]), robust=True)
    return delivery


@transaction.atomic
def delivery_discard(*, delivery: Delivery, actor) -> Delivery:
    """Give up on a dead letter on purpose: it stops blocking later events of its aggregate."""
    from core.audit.models import AuditEntry
    from core.audit.services import audit_record
    from core.exceptions import ServiceError

    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != Delivery.Status.DEAD:
        raise ServiceError("Only a dead letter can be discarded.")
    delivery.status = Delivery.Status.DISCARDED
    delivery.resolved_by = actor
    delivery.resolved_at = timezone.now()
    delivery.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit_record(actor=actor, instance=delivery, action=AuditEntry.Action.ACTION, message="Dead letter discarded")
    _release_next_in_order(delivery)
    return delivery


def purge_old(*, batch_size: int = 1000, max_batches: int = 100) -> dict[str, int]:
    """Delete finished events (and their deliveries) older than the retention period, in small batches.

    Each batch is its own short transaction touching only old, finished rows,
    so publishers and deliveries of new events are never blocked.
    """
    cutoff = timezone.now() - timedelta(days=settings.BUS_RETENTION_DAYS)
    deleted_events = deleted_deliveries = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            ids = list(
                OutboxEvent.objects.filter(status=OutboxEvent.Status.RELAYED, occurred_at__lt=cutoff)
                .exclude(deliveries__status__in=[*OPEN, Delivery.Status.DEAD])
                .order_by("id")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            deleted_deliveries += Delivery.objects.filter(event_id__in=ids).delete()[0]
            deleted_events += OutboxEvent.objects.filter(pk__in=ids).delete()[0]
    return {"events": deleted_events, "deliveries": deleted_deliveries}


# --- test events -----------------------------------------------------------------


@transaction.atomic
def probe_send(*, actor, note: str = "") -> Probe:
    """Publish a test event now; its round trip shows on the integration page."""
    now = timezone.now()
    probe = Probe(sent_by=actor if getattr(actor, "is_authenticated", False) else None, note=note[:200], sent_at=now)
    event = publish("bus.probe", {"note": probe.note, "sent_by": probe.sent_by_id}, aggregate=("bus.probe", "probe"))
    probe.event_uuid = event.uuid
    probe.sent_at = event.occurred_at
    probe.save()
    return probe


def probe_received(*, event_uuid: str) -> None:
    Probe.objects.filter(event_uuid=event_uuid, received_at__isnull=True).update(received_at=timezone.now())
