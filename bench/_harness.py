"""What the page benchmarks share (bench/crm.py, bench/service.py): a bench database, gunicorn, wrk, CPU accounting.

A helper, not a benchmark (`make bench` skips bench/_*.py). Importing it changes nothing: the scripts build their
environment with `environment(...)` and put it in os.environ themselves, before Django is set up.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent

# wrk's summary as one line the scripts parse: requests, p50 ms, p95 ms, errors (non-2xx/3xx, connect, timeout).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %.3f %.3f %d\\n", summary.requests, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
"""


def environment(database: str, redis: str, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) on the bench database and Redis database, mail to the console."""
    return {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdefghij",
        "EMAIL_URL": "consolemail://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_POOL_MAX": "4",
        **extra,
    }


def prepare_database(database: str, env: dict[str, str]) -> None:
    """Create the bench database if missing, migrate it and collect static files (both quick when done before)."""
    import psycopg

    name = database.rsplit("/", 1)[1]
    with psycopg.connect(database.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def session_cookie(user) -> str:
    """A signed-in session for the user, in whichever store the server uses, as a Cookie header value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "core.accounts.auth_backends.SignInBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def queries_per_request(user, path: str) -> int:
    """The SQL queries one GET of the page makes, signed in as the user (the second of two: caches warm)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def wrk(
    url: str,
    seconds: int,
    *,
    cookie: str = "",
    script: str = WRK_SCRIPT,
    arguments: tuple[str, ...] = (),
    headers: tuple[str, ...] = (),
) -> tuple[int, float, float, int, str]:
    """8 connections on 2 threads for `seconds`; returns requests, p50 ms, p95 ms, errors and wrk's whole output."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", file.name]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    if arguments:
        command += ["--", *arguments]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    finally:
        os.unlink(file.name)
    if result.returncode:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    requests, p50, p95, errors = re.search(r"BENCH (\d+) ([\d.]+) ([\d.]+) (\d+)", result.stdout).groups()
    return int(requests), float(p50), float(p95), int(errors), result.stdout


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc), 0 for one that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_processes(master: int) -> list[tuple[str, int]]:
    """The gunicorn workers (children of the master) and the PostgreSQL backends connected to this database."""
    from django.db import connection

    processes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                processes.append(("app", int(stat.parent.name)))
        except (OSError, ValueError, IndexError):
            continue
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        processes += [("db", pid) for (pid,) in cursor.fetchall()]
    return processes


class CpuMeter:
    """CPU milliseconds the gunicorn workers (app) and PostgreSQL backends (db) spend between start() and stop()."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.used: dict[int, float] = {}

    def start(self) -> None:
        self.used = {pid: cpu_seconds(pid) for _kind, pid in server_processes(self.master)}

    def stop(self) -> dict[str, float]:
        cpu = {"app": 0.0, "db": 0.0}
        for kind, pid in server_processes(self.master):
            cpu[kind] += cpu_seconds(pid) - self.used.get(pid, 0.0)
        return {kind: seconds * 1000 for kind, seconds in cpu.items()}


@contextmanager
def gunicorn(port: int, env: dict[str, str], *, workers: int = 2) -> Iterator[subprocess.Popen]:
    """Kontor under gunicorn (sync workers) on 127.0.0.1:port, stopped on leaving; waits until it answers."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _attempt in range(50):
            try:
                urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)
