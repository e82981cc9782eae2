"""The bus under faults, with the real worker and beat processes, real PostgreSQL and real Redis."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from core.health import redis_client
from integration.bus import services
from integration.bus.models import Delivery, OutboxEvent
from tests.bus_probe.models import Effect, Switch
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("celery"), pytest.mark.django_db(transaction=True)]


def _publish(number: int, aggregate: str = "A", **payload) -> OutboxEvent:
    with transaction.atomic():
        return services.publish("probe.pinged", {"number": number, **payload}, aggregate=("probe", aggregate))


def _all_done(expected: int):
    def check():
        return Delivery.objects.filter(status=Delivery.Status.DONE).count() == expected

    return check


def _assert_each_effect_once(events: int) -> None:
    assert Effect.objects.count() == events * 2
    duplicates = Effect.objects.values("event_id", "subscriber").order_by().distinct().count()
    assert duplicates == events * 2


def test_thousand_events_two_subscribers_every_effect_exactly_once(celery_worker):
    for number in range(1000):
        _publish(number, aggregate=str(number % 50))
    wait_for(_all_done(2000), timeout=180, message=f"2000 deliveries\n{celery_worker.logs()[-3000:]}")
    _assert_each_effect_once(1000)


def test_worker_killed_mid_stream_then_restarted(celery_worker):
    for number in range(150):
        _publish(number, aggregate=str(number % 10), sleep_ms=20)
    wait_for(lambda: Effect.objects.count() > 20, timeout=60, message="the stream to start")
    celery_worker.kill("worker")
    done_at_kill = Delivery.objects.filter(status=Delivery.Status.DONE).count()
    assert done_at_kill < 300
    celery_worker.start_process("worker")
    wait_for(_all_done(300), timeout=180, message=f"all deliveries after restart\n{celery_worker.logs()[-3000:]}")
    _assert_each_effect_once(150)


def test_dropped_broker_messages_are_resent_by_the_sweep(celery_worker):
    celery_worker.kill("worker")  # nobody consumes while we throw the queue away
    for number in range(40):
        _publish(number, aggregate=str(number % 4))
    redis_client().delete("celery")  # every queued message is lost
    celery_worker.start_process("worker")
    wait_for(_all_done(80), timeout=90, message=f"the sweep to deliver\n{celery_worker.logs()[-3000:]}")
    _assert_each_effect_once(40)


def test_publisher_that_cannot_reach_the_broker_still_gets_its_event_delivered(celery_worker, monkeypatch):
    # The web process dies (or loses Redis) right after commit: the on-commit relay request never leaves.
    monkeypatch.setattr(services, "_request_relay", lambda: None)
    for number in range(10):
        _publish(number)
    assert OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count() == 10
    wait_for(_all_done(20), timeout=60, message="the sweep to relay")
    _assert_each_effect_once(10)


def test_lower_outbox_id_committing_last_is_still_delivered(celery_worker):
    first_has_id = threading.Event()
    second_committed = threading.Event()

    def slow_publisher() -> None:
        with transaction.atomic():
            services.publish("probe.pinged", {"number": 1}, aggregate=("probe", "slow"))
            first_has_id.set()
            second_committed.wait(timeout=30)
            time.sleep(2)  # the relay runs meanwhile and sees only the later id
        connection.close()

    thread = threading.Thread(target=slow_publisher)
    thread.start()
    first_has_id.wait(timeout=30)
    later = _publish(2, aggregate="fast")
    second_committed.set()
    wait_for(lambda: Delivery.objects.filter(event=later, status=Delivery.Status.DONE).count() == 2, timeout=30)
    thread.join()
    wait_for(_all_done(4), timeout=30, message="the earlier id, committed later")
    early = OutboxEvent.objects.get(aggregate_id="slow")
    assert early.pk < later.pk
    _assert_each_effect_once(2)


def test_handler_failing_twice_then_succeeding_has_one_effect_and_three_attempts(celery_worker):
    event = _publish(1, fail_times=2)
    wait_for(_all_done(2), timeout=60, message="the retries")
    assert sorted(event.deliveries.values_list("attempts", flat=True)) == [3, 3]
    _assert_each_effect_once(1)


def test_dead_letter_retried_from_admin_after_the_fix(celery_worker, admin_user):
    Switch.objects.create(name="bug")
    event = _publish(1, switch="bug")
    wait_for(
        lambda: Delivery.objects.filter(event=event, status=Delivery.Status.DEAD).count() == 2,
        timeout=60,
        message="dead letters",
    )
    dead = list(event.deliveries.all())
    assert all(delivery.attempts == 3 and "switch 'bug' is broken" in delivery.last_error for delivery in dead)
    assert not Effect.objects.exists()
    Switch.objects.filter(name="bug").update(is_broken=False)  # the bug is fixed
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/bus/delivery/",
        {"action": "retry_dead_letters", "_selected_action": [delivery.pk for delivery in dead]},
    )
    assert response.status_code == 302
    wait_for(_all_done(2), timeout=60, message="the retried deliveries")
    _assert_each_effect_once(1)
    assert set(Delivery.objects.values_list("resolved_by", flat=True)) == {admin_user.pk}


def test_burst_on_one_aggregate_reaches_each_subscriber_in_order(celery_worker):
    for number in range(1, 61):
        _publish(number, aggregate="burst")
    wait_for(_all_done(120), timeout=120, message="the burst")
    for subscriber in ("first", "second"):
        numbers = list(Effect.objects.filter(subscriber=subscriber).order_by("pk").values_list("number", flat=True))
        assert numbers == list(range(1, 61))


def test_health_reports_bus_lag_and_goes_503_past_the_threshold(celery_worker, settings):
    client = Client()
    body = client.get("/health/").json()
    assert body["checks"]["bus"]["ok"] is True
    settings.BUS_LAG_THRESHOLD_SECONDS = 1
    celery_worker.kill("worker")
    celery_worker.kill("beat")
    try:
        _publish(1)
        time.sleep(2.5)
        response = client.get("/health/")
        assert response.status_code == 503
        assert "bus" in response.json()["down"]
        assert response.json()["checks"]["bus"]["lag_seconds"] >= 2
    finally:
        celery_worker.start_process("worker")
        celery_worker.start_process("beat")
    wait_for(_all_done(2), timeout=60, message="recovery")


def test_redis_stopped_and_started_during_a_stream(celery_worker, tmp_path, monkeypatch):
    """A broker outage in the middle of a stream: once Redis is back, the sweep delivers everything, once."""
    from tests.conftest import CeleryProcesses, RedisServer, free_port

    # This test runs its own worker and beat on a Redis of its own, which it stops and starts.
    celery_worker.kill("worker")
    celery_worker.kill("beat")
    redis_server = RedisServer(free_port(), tmp_path)
    redis_server.start()
    processes = CeleryProcesses(tmp_path, tmp_path)
    processes.start(redis_url=redis_server.url)
    # The publisher cannot reach that broker either: only the sweep tells the relay.
    monkeypatch.setattr(services, "_request_relay", lambda: None)
    try:
        for number in range(100):
            if number == 40:
                wait_for(lambda: Effect.objects.exists(), timeout=30, message=f"the stream\n{processes.logs()[-2000:]}")
                redis_server.stop()
                time.sleep(2)  # a real outage, longer than a sweep interval
            if number == 70:
                redis_server.start()
            _publish(number, aggregate=str(number % 5))
            time.sleep(0.03)

        def recovered() -> bool:
            # Like a supervisor (bin/respawn, compose's restart policy): a worker or beat that
            # died during the outage is started again. Nothing it held is lost: that is the point.
            for name, process in processes.processes.items():
                if process.poll() is not None:
                    processes.start_process(name)
            return _all_done(200)()

        wait_for(recovered, timeout=120, message=f"recovery after the outage\n{processes.logs()[-4000:]}")
        _assert_each_effect_once(100)
    finally:
        processes.stop()
        redis_server.stop()
        celery_worker.start_process("worker")
        celery_worker.start_process("beat")
