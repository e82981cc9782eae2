"""The bus's services, called directly: publishing, relaying, delivering, retrying, dead letters."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from integration.bus import catalogue, services
from integration.bus.catalogue import CatalogueError
from integration.bus.models import Delivery, OutboxEvent
from tests.bus_probe.models import Effect, Switch

pytestmark = pytest.mark.django_db


def _publish(number: int = 1, aggregate=("probe", "A"), **payload) -> OutboxEvent:
    return services.publish("probe.pinged", {"number": number, **payload}, aggregate=aggregate)


def test_publish_stores_event_with_id_time_aggregate_and_sequence():
    first = _publish(1)
    second = _publish(2)
    other = _publish(3, aggregate=("probe", "B"))
    assert (first.sequence, second.sequence, other.sequence) == (1, 2, 1)
    assert first.uuid != second.uuid
    assert first.version == 1
    assert (first.aggregate_type, first.aggregate_id) == ("probe", "A")
    assert first.occurred_at <= timezone.now()
    assert first.status == OutboxEvent.Status.PENDING


def test_publish_uses_the_model_as_aggregate(make_staff):
    user = make_staff()
    event = _publish(aggregate=user)
    assert (event.aggregate_type, event.aggregate_id) == ("accounts.user", str(user.pk))


def test_rollback_after_publish_leaves_no_event_and_no_delivery():
    with pytest.raises(RuntimeError), transaction.atomic():
        _publish()
        raise RuntimeError("the caller's transaction fails")
    services.relay_pending()
    assert OutboxEvent.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_unknown_event_name_is_refused():
    with pytest.raises(CatalogueError, match="Unknown event"):
        services.publish("probe.nonexistent", {"number": 1}, aggregate=("probe", "A"))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "'number' is missing"),
        ({"number": "1"}, "'number' must be an integer"),
        ({"number": 1, "colour": "red"}, "unknown fields"),
        ({"number": True}, "'number' must be an integer"),
    ],
)
def test_malformed_payload_is_refused(payload, message):
    with pytest.raises(CatalogueError, match=message):
        services.publish("probe.pinged", payload, aggregate=("probe", "A"))
    assert OutboxEvent.objects.count() == 0


def test_payloads_are_made_json_safe():
    assert catalogue.to_json_safe({"amount": Decimal("12.50"), "on": timezone.datetime(2026, 1, 2).date()}) == {
        "amount": "12.50",
        "on": "2026-01-02",
    }


def test_money_fields_refuse_floats():
    from dataclasses import dataclass

    @dataclass
    class Priced:
        amount: catalogue.Money

    spec = catalogue.EventSpec(name="x.y", version=1, schema=Priced, producer="t", description="t")
    with pytest.raises(CatalogueError, match="decimal string"):
        catalogue.validate(spec, {"amount": 12.5})
    assert catalogue.validate(spec, {"amount": "12.50"}) == {"amount": "12.50"}


def test_relay_fans_out_one_delivery_per_subscriber():
    event = _publish()
    assert services.relay_pending() == 1
    event.refresh_from_db()
    assert event.status == OutboxEvent.Status.RELAYED
    assert sorted(event.deliveries.values_list("subscriber", flat=True)) == [
        "tests.bus_probe.handlers.first",
        "tests.bus_probe.handlers.second",
    ]
    assert services.relay_pending() == 0  # nothing twice


def test_delivery_runs_handler_once_even_when_run_again():
    _publish(7)
    services.relay_pending()
    delivery = Delivery.objects.get(subscriber__endswith=".first")
    assert services.deliver(delivery.pk) == "done"
    assert services.deliver(delivery.pk) == "already-done"
    assert Effect.objects.filter(subscriber="first").count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DONE, 1)


def test_handler_failing_twice_then_succeeding(settings):
    settings.BUS_MAX_ATTEMPTS = 5
    _publish(fail_times=2)
    services.relay_pending()
    delivery = Delivery.objects.get(subscriber__endswith=".first")
    assert services.deliver(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert "planned failure 1 of 2" in delivery.last_error
    assert "Traceback" in delivery.traceback
    assert delivery.next_attempt_at > timezone.now()
    assert services.deliver(delivery.pk) == "retrying"
    assert services.deliver(delivery.pk) == "done"
    delivery.refresh_from_db()
    assert delivery.attempts == 3
    assert Effect.objects.filter(subscriber="first").count() == 1


def test_always_failing_handler_is_dead_lettered_then_retried_after_fix(settings, make_staff):
    settings.BUS_MAX_ATTEMPTS = 3
    Switch.objects.create(name="bug")
    _publish(switch="bug")
    services.relay_pending()
    delivery = Delivery.objects.get(subscriber__endswith=".first")
    assert [services.deliver(delivery.pk) for _ in range(3)] == ["retrying", "retrying", "dead"]
    assert services.deliver(delivery.pk) == "already-dead"
    assert not Effect.objects.exists()
    Switch.objects.filter(name="bug").update(is_broken=False)  # the fix is deployed
    admin = make_staff("IT")
    services.delivery_retry(delivery=delivery, actor=admin)
    assert services.deliver(delivery.pk) == "done"
    delivery.refresh_from_db()
    assert (delivery.resolved_by, delivery.status) == (admin, Delivery.Status.DONE)
    assert Effect.objects.filter(subscriber="first").count() == 1


def test_discarding_a_dead_letter_unblocks_later_events(settings, make_staff):
    settings.BUS_MAX_ATTEMPTS = 1
    Switch.objects.create(name="bug")
    _publish(1, switch="bug")
    _publish(2)
    services.relay_pending()
    first, second = Delivery.objects.filter(subscriber__endswith=".first").order_by("sequence")
    assert services.deliver(first.pk) == "dead"
    assert services.deliver(second.pk) == "waiting-for-earlier"
    services.delivery_discard(delivery=first, actor=make_staff("IT"))
    assert services.deliver(second.pk) == "done"


def test_events_of_one_aggregate_are_delivered_in_sequence_order():
    for number in range(1, 6):
        _publish(number)
    services.relay_pending()
    deliveries = list(Delivery.objects.filter(subscriber__endswith=".first").order_by("-sequence"))
    results = [services.deliver(delivery.pk) for delivery in deliveries]  # newest first: all must wait
    assert results == ["waiting-for-earlier"] * 4 + ["done"]
    for delivery in reversed(deliveries[:-1]):
        assert services.deliver(delivery.pk) == "done"
    assert list(Effect.objects.filter(subscriber="first").order_by("pk").values_list("number", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_sweep_relays_pending_and_resends_lost_deliveries(settings):
    settings.BUS_RESEND_AFTER_SECONDS = 0
    _publish()
    result = services.sweep()
    assert result["relayed"] == 1
    # Messages for both deliveries were "lost": the sweep sends them again once they are stale.
    Delivery.objects.update(enqueued_at=timezone.now() - timezone.timedelta(seconds=5))
    assert services.sweep()["resent"] == 2


def test_unsent_deliveries_are_sent_by_the_next_sweep():
    _publish()
    services.relay_pending()
    Delivery.objects.update(enqueued_at=None)  # the broker was down when they were made
    assert services.sweep()["resent"] == 2


def test_purge_deletes_only_old_finished_events(settings):
    settings.BUS_RETENTION_DAYS = 1
    old, recent = _publish(1), _publish(2, aggregate=("probe", "B"))
    services.relay_pending()
    for delivery in Delivery.objects.all():
        services.deliver(delivery.pk)
    OutboxEvent.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timezone.timedelta(days=2))
    assert services.purge_old() == {"events": 1, "deliveries": 2}
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_purge_keeps_old_events_with_open_or_dead_deliveries(settings):
    settings.BUS_RETENTION_DAYS = 1
    event = _publish()
    services.relay_pending()
    OutboxEvent.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - timezone.timedelta(days=2))
    assert services.purge_old() == {"events": 0, "deliveries": 0}


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_never_relay_the_same_event():
    for number in range(200):
        _publish(number, aggregate=("probe", str(number % 7)))
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        counts.append(services.relay_pending(batch_size=20))
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 200
    assert Delivery.objects.count() == 400
    assert OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count() == 0


@pytest.mark.django_db(transaction=True)
def test_same_delivery_run_by_two_workers_at_once_has_one_effect():
    _publish(sleep_ms=300)
    services.relay_pending()
    delivery = Delivery.objects.get(subscriber__endswith=".first")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(services.deliver(delivery.pk))
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Effect.objects.filter(subscriber="first").count() == 1
    assert "done" in results
    assert set(results) <= {"done", "busy", "already-done"}


def test_a_subscriber_added_later_is_given_the_deliveries_it_missed_once(sent_to_broker):
    from datetime import timedelta

    from django.core.management import call_command

    from core.exceptions import ServiceError

    old, newer = _publish(1, aggregate=("probe", "A")), _publish(2, aggregate=("probe", "A"))
    services.relay_pending()
    OutboxEvent.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=10))
    # "second" did not exist when they were relayed: its deliveries were never made.
    Delivery.objects.filter(subscriber="tests.bus_probe.handlers.second").delete()
    sent_to_broker.clear()

    since = timezone.now() - timedelta(days=1)
    assert services.replay_for_subscriber(subscriber="tests.bus_probe.handlers.second", since=since) == 1
    assert services.replay_for_subscriber(subscriber="tests.bus_probe.handlers.second") == 1  # the older one
    assert services.replay_for_subscriber(subscriber="tests.bus_probe.handlers.second") == 0  # nothing twice
    replayed = Delivery.objects.filter(subscriber="tests.bus_probe.handlers.second").order_by("sequence")
    assert [(row.event_id, row.status, row.sequence) for row in replayed] == [
        (old.pk, Delivery.Status.PENDING, old.sequence),
        (newer.pk, Delivery.Status.PENDING, newer.sequence),
    ]
    assert Delivery.objects.filter(subscriber="tests.bus_probe.handlers.first").count() == 2  # untouched
    # In the aggregate's order: the older event runs first, the newer waits for it.
    assert services.deliver(replayed[1].pk) != "done"
    assert services.deliver(replayed[0].pk) == "done" and services.deliver(replayed[1].pk) == "done"
    assert list(Effect.objects.filter(subscriber="second").values_list("number", flat=True).order_by("pk")) == [1, 2]

    with pytest.raises(ServiceError):
        services.replay_for_subscriber(subscriber="tests.bus_probe.handlers.nobody")
    with pytest.raises(Exception, match="not an ISO date"):
        call_command("bus_replay", "tests.bus_probe.handlers.second", "--since", "yesterday")
