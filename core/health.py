"""Liveness of what Kontor needs: the database, Redis, Celery workers and beat.

Workers write a heartbeat key to Redis every 10 s (a bootstep in
config/celery.py); beat schedules a task that writes another. /health/
reads them, so answering takes milliseconds and never waits on the broker.
"""

import time
from collections.abc import Callable
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.db import connection

_WORKER_PREFIX = "kontor:health:worker:"
_BEAT_KEY = "kontor:health:beat"


@cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def redis_client() -> redis.Redis:
    return _redis_client(settings.REDIS_URL)


def worker_heartbeat(hostname: str) -> None:
    redis_client().set(f"{_WORKER_PREFIX}{hostname}", str(time.time()), ex=settings.HEALTH_WORKER_MAX_AGE)


def beat_heartbeat() -> None:
    redis_client().set(_BEAT_KEY, str(time.time()), ex=settings.HEALTH_BEAT_MAX_AGE)


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down", and we say why
        return {"ok": False, "error": str(error)[:200]}
    return {"ok": True}


def _check_redis() -> dict[str, Any]:
    try:
        redis_client().ping()
    except Exception as error:  # noqa: BLE001
        return {"ok": False, "error": str(error)[:200]}
    return {"ok": True}


def _check_celery(redis_ok: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    if not redis_ok:
        unknown = {"ok": False, "error": "Redis is down, so heartbeats cannot be read."}
        return unknown, unknown
    client = redis_client()
    now = time.time()
    workers = []
    for key in client.scan_iter(match=f"{_WORKER_PREFIX}*", count=100):
        value = client.get(key)
        if value is not None:
            workers.append({"name": key.decode()[len(_WORKER_PREFIX) :], "age_seconds": round(now - float(value), 1)})
    beat_value = client.get(_BEAT_KEY)
    worker_state: dict[str, Any] = {"ok": bool(workers), "workers": sorted(workers, key=lambda w: w["name"])}
    if not workers:
        worker_state["error"] = "No Celery worker has reported in the last minute."
    beat_state: dict[str, Any] = {"ok": beat_value is not None}
    if beat_value is None:
        beat_state["error"] = "Celery beat has not scheduled its heartbeat recently."
    else:
        beat_state["age_seconds"] = round(now - float(beat_value), 1)
    return worker_state, beat_state


_EXTRA_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {}


def register_check(name: str, check: Callable[[], dict[str, Any]]) -> None:
    """Let an app add its own check (the bus adds its lag) without the kernel importing it."""
    _EXTRA_CHECKS[name] = check


def health_report() -> dict[str, Any]:
    """Every check with its state; `ok` is true only when all are up."""
    checks: dict[str, dict[str, Any]] = {"database": _check_database(), "redis": _check_redis()}
    checks["workers"], checks["beat"] = _check_celery(checks["redis"]["ok"])
    for name, check in _EXTRA_CHECKS.items():
        if checks["database"]["ok"]:
            try:
                checks[name] = check()
            except Exception as error:  # noqa: BLE001 - a failing check reports itself as down
                checks[name] = {"ok": False, "error": str(error)[:200]}
    down = [name for name, state in checks.items() if not state["ok"]]
    return {"ok": not down, "down": down, "checks": checks}
