"""Publishing, relaying and delivering events: every write of the bus."""

import json
import logging
import random
import time
import traceback as traceback_module
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from core.database import mark_saved
from integration.bus import catalogue, registry
from integration.bus.models import AggregateSequence, Delivery, OutboxEvent, Probe

logger = logging.getLogger(__name__)

OPEN = list(Delivery.OPEN_STATES)


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


def _insert_event(
    spec: catalogue.EventSpec, payload: dict[str, Any], aggregate_type: str, aggregate_id: str
) -> OutboxEvent:
    """Hand out the aggregate's next sequence number and insert the event with it, in one statement.

    The sequence row's upsert locks it until the caller's transaction ends, which orders concurrent publishers of
    one aggregate. One statement instead of an upsert and an ORM insert: every write that publishes saves a round
    trip and the ORM's work (the portal's ticket submission measured it).
    """
    event = OutboxEvent(
        uuid=uuid.uuid4(),
        name=spec.name,
        version=spec.version,
        payload=payload,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        occurred_at=timezone.now(),
        status=OutboxEvent.Status.PENDING,
    )
    sequences, events = AggregateSequence._meta.db_table, OutboxEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH next AS (
                INSERT INTO {sequences} (aggregate_type, aggregate_id, last) VALUES (%(type)s, %(id)s, 1)
                ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last = {sequences}.last + 1
                RETURNING last
            )
            INSERT INTO {events}
                (uuid, name, version, payload, aggregate_type, aggregate_id, sequence, occurred_at, status)
            SELECT %(uuid)s, %(name)s, %(version)s, %(payload)s::jsonb, %(type)s, %(id)s, next.last, %(at)s, %(status)s
            FROM next
            RETURNING id, sequence
            """,
            {
                "type": aggregate_type,
                "id": aggregate_id,
                "uuid": event.uuid,
                "name": event.name,
                "version": event.version,
                "payload": json.dumps(payload),
                "at": event.occurred_at,
                "status": event.status,
            },
        )
        pk, event.sequence = cursor.fetchone()
    return mark_saved(event, pk)


def publish(name: str, payload: dict[str, Any], *, aggregate: models.Model | tuple[str, object]) -> OutboxEvent:
    """Record that something happened, inside the caller's transaction.

    If the caller's transaction rolls back, the event never existed. After
    commit the relay is asked to hand it to the subscribers; if that request
    is lost, the beat sweep finds the event anyway.
    """
    spec = catalogue.get(name)
    payload = catalogue.validate(spec, catalogue.to_json_safe(payload))
    aggregate_type, aggregate_id = _aggregate_key(aggregate)
    # One statement, and no savepoint inside the caller's transaction: if it fails, the caller's transaction
    # fails with it, so no sequence number is handed out without its event.
    event = _insert_event(spec, payload, aggregate_type, aggregate_id)
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


def relay_pending(*, batch_size: int = 500, deliver_now: bool = False) -> int:
    """Fan pending events out to one delivery per subscriber; returns how many events were relayed.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays share the
    work and never take the same event. Work is found by status, never by "id
    greater than the last one seen", so an event whose transaction committed
    late is not skipped. With `deliver_now` (the relay task) the first
    deliveries run right here instead of waiting in the broker's queue.
    """
    relayed = 0
    ready: list[int] = []
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(status=OutboxEvent.Status.PENDING)
                .order_by("id")[:batch_size]
            )
            if not events:
                break
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
            # Only the first open delivery of each aggregate and subscriber may run now; the others
            # follow as their predecessor finishes, the sweep being the fallback.
            heads = list(
                _heads(Delivery.objects.filter(event__in=events, status=Delivery.Status.PENDING)).values_list(
                    "pk", flat=True
                )
            )
            if deliver_now:
                ready.extend(heads)
            else:
                transaction.on_commit(lambda ids=heads: enqueue_deliveries(ids), robust=True)
            # A predecessor that finished while this transaction was open could not see these
            # deliveries to release them: look again once they are visible.
            relayed_ids = [event.pk for event in events]
            transaction.on_commit(lambda ids=relayed_ids, sent=set(heads): _send_new_heads(ids, sent), robust=True)
            relayed += len(events)
    if ready:
        deliver_many(ready)
    return relayed


def replay_for_subscriber(*, subscriber: str, since: datetime | None = None, enqueue: bool = True) -> int:
    """Give a subscriber the deliveries the relay would have made for it had it existed then: for every relayed
    event of its name (occurred at or after `since`) that it has none of, oldest first. Returns how many.

    For a subscriber added to a running system (an app installed later, a database seeded before it existed).
    Its handler must, like every handler, be idempotent; the deliveries keep the aggregates' order as any do.
    With `enqueue` (the default) the first of each aggregate go to the broker after commit; without, the caller
    runs them (`deliver`).
    """
    from core.exceptions import ServiceError

    found = registry.get(subscriber)
    if found is None:
        raise ServiceError({"subscriber": f"No subscriber is called {subscriber!r}."})
    with transaction.atomic(), connection.cursor() as cursor:
        now = timezone.now()
        cursor.execute(  # one statement; a replay running at the same time makes none of the same rows twice
            f"""
            INSERT INTO {Delivery._meta.db_table}
                (event_id, subscriber, aggregate_type, aggregate_id, sequence, status, attempts, next_attempt_at,
                 enqueued_at, last_error, traceback, created_at)
            SELECT e.id, %(subscriber)s, e.aggregate_type, e.aggregate_id, e.sequence, %(pending)s, 0, %(now)s,
                   %(enqueued)s, '', '', %(now)s
            FROM {OutboxEvent._meta.db_table} e
            WHERE e.name = %(name)s AND e.status = %(relayed)s
              AND (%(since)s::timestamptz IS NULL OR e.occurred_at >= %(since)s)
              AND NOT EXISTS (
                  SELECT 1 FROM {Delivery._meta.db_table} d WHERE d.event_id = e.id AND d.subscriber = %(subscriber)s
              )
            ORDER BY e.id
            ON CONFLICT (event_id, subscriber) DO NOTHING
            RETURNING event_id
            """,
            {
                "subscriber": found.name,
                "name": found.event_name,
                "pending": Delivery.Status.PENDING,
                "relayed": OutboxEvent.Status.RELAYED,
                "now": now,
                "enqueued": now if enqueue else None,
                "since": since,
            },
        )
        made = [row[0] for row in cursor.fetchall()]
        if enqueue and made:
            transaction.on_commit(lambda: _send_new_heads(made, set()), robust=True)
    return len(made)


def _heads(queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """The open deliveries with no unfinished earlier event of their aggregate for their subscriber."""
    earlier = _earlier_open(
        OuterRef("subscriber"), OuterRef("aggregate_type"), OuterRef("aggregate_id"), OuterRef("sequence")
    )
    return queryset.annotate(blocked=Exists(earlier)).filter(blocked=False)


def _send_new_heads(event_ids: list[int], already_sent: set[int]) -> None:
    pending = Delivery.objects.filter(event_id__in=event_ids, status=Delivery.Status.PENDING)
    enqueue_deliveries([pk for pk in _heads(pending).values_list("pk", flat=True) if pk not in already_sent])


BATCH_SIZE = 100  # deliveries per broker message


def enqueue_deliveries(delivery_ids: Iterable[int], *, countdown: float = 0) -> None:
    """Send deliveries to the broker in batches. If it is down, mark them unsent so the sweep sends them later."""
    from integration.bus.tasks import deliver_batch

    ids = list(delivery_ids)
    for position in range(0, len(ids), BATCH_SIZE):
        try:
            deliver_batch.apply_async(args=[ids[position : position + BATCH_SIZE]], countdown=countdown)
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


def _following_heads(finished: list[Delivery]) -> list[int]:
    """The deliveries that may run now because these finished: the next open one of each of their chains."""
    if not finished:
        return []
    chains = Q()
    for delivery in finished:
        chains |= Q(
            subscriber=delivery.subscriber,
            aggregate_type=delivery.aggregate_type,
            aggregate_id=delivery.aggregate_id,
            sequence__gt=delivery.sequence,
        )
    return list(_heads(Delivery.objects.filter(chains, status__in=OPEN)).values_list("pk", flat=True))


def _release_next_in_order(delivery: Delivery) -> None:
    """After a dead letter is discarded, send the next delivery of its chain."""
    following = _following_heads([delivery])
    if following:
        transaction.on_commit(lambda: enqueue_deliveries(following), robust=True)


def _schedule(delivery_id: int, *, at: datetime) -> None:
    """Ask the broker to run the delivery at `at` when that is soon; later waits are kept in the database."""
    wait = (at - timezone.now()).total_seconds()
    if wait <= settings.CELERY_MAX_COUNTDOWN:
        # enqueued_at = at: "a message is on its way for that time", so the sweep does not send another.
        Delivery.objects.filter(pk=delivery_id).update(enqueued_at=at)
        transaction.on_commit(lambda: enqueue_deliveries([delivery_id], countdown=max(wait, 0)), robust=True)


def _claim(delivery_ids: list[int]) -> dict[int, int]:
    """Count an attempt for each delivery that may run now, in one statement committed at once.

    A delivery may run when it is open, no other worker holds its row, and no
    earlier event of its aggregate is still unfinished for its subscriber. The
    count is committed before any handler runs, so it holds even if the worker
    is killed. Returns {delivery id: attempt number}.
    """
    table = Delivery._meta.db_table
    open_states = [str(state) for state in OPEN]
    with transaction.atomic(), connection.cursor() as cursor:
        # The count need not survive a database crash (a lost increment only allows one more try),
        # so this commit does not wait for the disk.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            f"""
            UPDATE {table} AS d SET status = %s, attempts = d.attempts + 1, started_at = now()
            WHERE d.id IN (
                SELECT id FROM {table} WHERE id = ANY(%s) AND status = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED
            )
              AND NOT EXISTS (
                SELECT 1 FROM {table} AS e
                WHERE e.subscriber = d.subscriber AND e.aggregate_type = d.aggregate_type
                  AND e.aggregate_id = d.aggregate_id AND e.sequence < d.sequence AND e.status = ANY(%s))
            RETURNING d.id, d.attempts
            """,
            [str(Delivery.Status.RUNNING), delivery_ids, open_states, [*open_states, str(Delivery.Status.DEAD)]],
        )
        return dict(cursor.fetchall())


class _BatchFailed(Exception):
    """One handler of an optimistic batch failed: run the batch again with a savepoint per handler."""


def _run(claimed: dict[int, int]) -> tuple[list[Delivery], list[tuple[int, str, str]]]:
    """Run the handlers of claimed deliveries in one transaction; effects and `done` commit together.

    First optimistically without savepoints (most batches succeed whole); if a
    handler fails, everything is rolled back and the batch runs again with a
    savepoint per handler, so that only the failing delivery is retried.
    Rows stay locked until commit, so a duplicate run waits and then finds them done.
    """
    try:
        return _run_batch(claimed, isolated=False)
    except _BatchFailed:
        return _run_batch(claimed, isolated=True)


def _run_batch(claimed: dict[int, int], *, isolated: bool) -> tuple[list[Delivery], list[tuple[int, str, str]]]:
    finished: list[Delivery] = []
    failures: list[tuple[int, str, str]] = []
    with transaction.atomic():
        deliveries = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk__in=list(claimed))
            .order_by("pk")
        )
        for delivery in deliveries:
            if not delivery.is_open:
                continue
            subscriber = registry.get(delivery.subscriber)
            event = delivery.event
            try:
                if subscriber is None:
                    raise LookupError(f"No subscriber called {delivery.subscriber!r} is registered in this process.")
                with transaction.atomic(savepoint=isolated):
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
                            attempt=claimed[delivery.pk],
                        )
                    )
            except Exception as error:
                if not isolated:
                    raise _BatchFailed from error
                text = f"{type(error).__name__}: {error}"[:2000]
                failures.append((delivery.pk, text, traceback_module.format_exc()[-20000:]))
            else:
                finished.append(delivery)
        if finished:
            Delivery.objects.filter(pk__in=[delivery.pk for delivery in finished]).update(
                status=Delivery.Status.DONE, done_at=timezone.now(), next_attempt_at=None, last_error=""
            )
    return finished, failures


def deliver_many(delivery_ids: list[int], *, budget_seconds: float = 1.0) -> dict[str, int]:
    """Run a batch of deliveries, then the chains they unblock, for up to `budget_seconds`.

    Effects happen at most once per delivery however often the broker hands
    the batch out; what is left when the budget runs out goes back to the broker.
    A short budget keeps worker processes free for the relay and for other work.
    """
    deadline = time.monotonic() + budget_seconds
    counts = {"done": 0, "retrying": 0, "dead": 0, "skipped": 0}
    queue = list(dict.fromkeys(delivery_ids))
    first = True  # the batch asked for always runs, however short the budget; only the chains it unblocks wait
    while queue and (first or time.monotonic() < deadline):
        first = False
        claimed = _claim(queue)
        counts["skipped"] += len(queue) - len(claimed)
        if not claimed:
            queue = []
            break
        finished, failures = _run(claimed)
        counts["done"] += len(finished)
        for delivery_id, text, trace in failures:
            counts[_record_failure(delivery_id, text, trace)] += 1
        queue = _following_heads(finished)
    if queue:
        enqueue_deliveries(queue)
    return counts


def deliver(delivery_id: int) -> str:
    """Run one delivery and say what happened: done, retrying, dead, or why it did not run."""
    counts = deliver_many([delivery_id], budget_seconds=0.001)
    for outcome in ("done", "retrying", "dead"):
        if counts[outcome]:
            return outcome
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    if not delivery.is_open:
        return "already-" + delivery.status
    if _earlier_open(delivery.subscriber, delivery.aggregate_type, delivery.aggregate_id, delivery.sequence).exists():
        return "waiting-for-earlier"  # its predecessor sends it when it finishes
    return "busy"  # another worker holds it right now


def _record_failure(delivery_id: int, text: str, trace: str) -> str:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if not delivery.is_open:
            return "skipped"
        delivery.last_error = text
        delivery.traceback = trace
        if delivery.attempts >= settings.BUS_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.DEAD
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at", "last_error", "traceback"])
            logger.error(
                "Dead letter: delivery %s (%s) after %s attempts: %s",
                delivery_id,
                delivery.subscriber,
                delivery.attempts,
                text,
            )
            return "dead"
        delivery.status = Delivery.Status.RETRYING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=_backoff_seconds(delivery.attempts))
        delivery.save(update_fields=["status", "next_attempt_at", "last_error", "traceback"])
        _schedule(delivery_id, at=delivery.next_attempt_at)
    logger.warning("Delivery %s failed (attempt %s), retrying: %s", delivery_id, delivery.attempts, text)
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
        _heads(Delivery.objects.filter(status__in=OPEN))
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
