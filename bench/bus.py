"""Benchmark of the integration bus: publish at a fixed offered rate, measure delivery end to end.

Runs its own Celery worker (one process per core) and beat against a separate
database (`kontor_bench`) and Redis database 9, publishes `probe.measured`
events (three subscribers each) at 100 and 500 events/s for a fixed time, and
prints what came out: events and deliveries per second, and the lag from the
publishing commit to each handler's commit, at p50/p95/p99.

    .venv/bin/python bench/bus.py [--seconds 10] [--rates 100,500]
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor_bench")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE,
    "REDIS_URL": REDIS,
    "KONTOR_EXTRA_APPS": "tests.bus_probe",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdefghij",
    "EMAIL_URL": "consolemail://",
    "LOG_LEVEL": "WARNING",
    "DATABASE_POOL_MAX": "8",
    "CELERY_BEAT_SCHEDULE_FILENAME": "/tmp/kontor-bench-beat",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


def create_database() -> None:
    import psycopg

    name = DATABASE.rsplit("/", 1)[1]
    server = DATABASE.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)


def start_celery(cores: int) -> list[subprocess.Popen]:
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    log = open("/tmp/kontor-bench-celery.log", "w")  # noqa: SIM115 - lives as long as the processes
    worker = [*celery, "worker", f"--concurrency={cores}", "--loglevel=WARNING", "--without-mingle"]
    return [
        subprocess.Popen(worker, cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True),
        subprocess.Popen(
            [*celery, "beat", "--loglevel=WARNING"], cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT
        ),
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(rate: int, seconds: int, publishers: int) -> dict:
    from django.db import connection, transaction

    from integration.bus.models import Delivery, OutboxEvent
    from integration.bus.services import publish

    total = rate * seconds
    per_publisher = total // publishers
    interval = publishers / rate
    start = time.monotonic() + 0.5

    def publisher(index: int) -> None:
        for number in range(per_publisher):
            due = start + number * interval + index * interval / publishers
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with transaction.atomic():
                publish("probe.measured", {"number": number}, aggregate=("bench", f"{index}-{number % 50}"))
        connection.close()

    threads = [threading.Thread(target=publisher, args=(index,)) for index in range(publishers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    published_in = time.monotonic() - start
    expected = per_publisher * publishers * 3
    deadline = time.monotonic() + 120
    while Delivery.objects.filter(status=Delivery.Status.DONE).count() < expected and time.monotonic() < deadline:
        time.sleep(0.25)
    rows = list(
        Delivery.objects.filter(status=Delivery.Status.DONE).values_list(
            "done_at", "event__occurred_at", "event__relayed_at", "started_at"
        )
    )
    lags = [(row[0] - row[1]).total_seconds() for row in rows]
    relay_lags = [(row[2] - row[1]).total_seconds() for row in rows]
    start_lags = [(row[3] - row[2]).total_seconds() for row in rows]
    run_lags = [(row[0] - row[3]).total_seconds() for row in rows]
    first = min(row[1] for row in rows)
    last = max(row[0] for row in rows)
    span = (last - first).total_seconds()
    result = {
        "offered": rate,
        "events": per_publisher * publishers,
        "published_per_second": per_publisher * publishers / published_in,
        "deliveries": len(rows),
        "missing": expected - len(rows),
        "events_per_second": len(rows) / 3 / span,
        "deliveries_per_second": len(rows) / span,
        "p50": statistics.median(lags),
        "p95": percentile(lags, 0.95),
        "p99": percentile(lags, 0.99),
        # Where the time goes: commit → relayed, relayed → claimed by a worker, claimed → handler committed.
        "relay_p50": statistics.median(relay_lags),
        "queue_p50": statistics.median(start_lags),
        "run_p50": statistics.median(run_lags),
    }
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rates", default="100,500")
    arguments = parser.parse_args()
    cores = os.cpu_count() or 1
    create_database()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from core.health import redis_client
    from integration.bus.models import Delivery, OutboxEvent
    from tests.bus_probe.models import Effect

    redis_client().flushdb()
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    Effect.objects.all().delete()
    processes = start_celery(cores)
    time.sleep(4)
    try:
        print(f"bench/bus.py · {time.strftime('%Y-%m-%d %H:%M')} · {arguments.seconds} s per rate")
        print(f"machine: {cores} cores; worker: 1 process per core ({cores}); 3 subscribers per event")
        print(
            f"{'offered ev/s':>12} {'published':>9} {'events':>7} {'delivered ev/s':>14} {'deliveries/s':>12} "
            f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'missing':>7}   p50 ms of: relay queue run"
        )
        for rate in [int(value) for value in arguments.rates.split(",")]:
            result = run(rate, arguments.seconds, publishers=max(1, rate // 100))
            print(
                f"{result['offered']:>12} {result['published_per_second']:>9.0f} {result['events']:>7} "
                f"{result['events_per_second']:>14.0f} {result['deliveries_per_second']:>12.0f} "
                f"{result['p50'] * 1000:>7.0f} {result['p95'] * 1000:>7.0f} {result['p99'] * 1000:>7.0f} "
                f"{result['missing']:>7}              {result['relay_p50'] * 1000:>5.0f} "
                f"{result['queue_p50'] * 1000:>5.0f} {result['run_p50'] * 1000:>3.0f}"
            )
            Effect.objects.all().delete()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
