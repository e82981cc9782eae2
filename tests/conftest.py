"""Fixtures for cross-app tests: a real Celery worker and beat against the test database."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


class CeleryProcesses:
    """A worker and beat running as separate processes, as in production."""

    def __init__(self, mail_dir: Path, log_dir: Path) -> None:
        self.mail_dir = mail_dir
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.log_dir / "beat-schedule"),
            "DATABASE_POOL_MAX": "4",
        }
        # REDIS_URL above already names this test process's Redis database; settings must not move it again.
        env.pop("PYTEST_XDIST_WORKER", None)
        env.pop("PYTEST_VERSION", None)
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        commands = {
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=1", f"--hostname=test-{os.getpid()}@%h"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }
        for name, command in commands.items():
            log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
            self.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("*.log")))


def _database_url() -> str:
    database = connection.settings_dict
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


def wait_for(condition, *, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):
    """Poll until `condition()` is truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="session")
def celery_processes(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[CeleryProcesses]:
    """One worker and one beat for the whole session, on this test process's database and Redis."""
    with django_db_blocker.unblock():
        processes = CeleryProcesses(tmp_path_factory.mktemp("mail"), tmp_path_factory.mktemp("celery"))
        processes.start()
    yield processes
    processes.stop()


@pytest.fixture
def celery_worker(celery_processes, transactional_db) -> Iterator[CeleryProcesses]:
    """Tasks go through Redis to the real worker process (not in-process) for this test."""
    celery_app.conf.task_always_eager = False
    for path in celery_processes.mail_dir.glob("*"):
        path.unlink()
    yield celery_processes
    celery_app.conf.task_always_eager = True
