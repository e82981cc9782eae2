"""Fixtures for cross-app tests: a real Celery worker and beat against the test database."""

import os
import signal
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
        self.processes: dict[str, subprocess.Popen] = {}
        self.env: dict[str, str] = {}

    def start(self, *, redis_url: str | None = None) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis_url or settings.REDIS_URL,
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.log_dir / "beat-schedule"),
            "DATABASE_POOL_MAX": "4",
            "KONTOR_EXTRA_APPS": "tests.bus_probe",
            # Tests drop broker messages on purpose; the sweep re-sends after this many seconds.
            "BUS_RESEND_AFTER_SECONDS": "5",
            "BUS_SWEEP_SECONDS": "1",
            "BUS_RETRY_BASE_SECONDS": "0.2",
            "BUS_MAX_ATTEMPTS": "3",
        }
        # REDIS_URL above already names this test process's Redis database; settings must not move it again.
        env.pop("PYTEST_XDIST_WORKER", None)
        env.pop("PYTEST_VERSION", None)
        self.env = env
        self.processes = {}
        self.start_process("worker")
        self.start_process("beat")

    def start_process(self, name: str) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        commands = {
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", f"--hostname=test-{os.getpid()}@%h"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }
        log = open(self.log_dir / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        # Own process group, so that a test can kill the worker and its pool children at once.
        self.processes[name] = subprocess.Popen(
            commands[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children: no clean shutdown, no acknowledgements."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

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


class RedisServer:
    """A private Redis server that a test may stop and start, like an outage of the broker."""

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = open(self.log_dir / f"redis-{self.port}.log", "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.log_dir)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(client), timeout=10, message=f"redis on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
