"""With production settings, Django's deployment checklist finds nothing to complain about."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x8Jq2-production-like-secret-key-with-enough-entropy-4Hf9sLm0Zq7Tb3",
    "ALLOWED_HOSTS": "kontor.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://kontor.example.com",
    "EMAIL_URL": "smtp+tls://kontor:secret@smtp.example.com:587",
    "SITE_URL": "https://kontor.example.com",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    skip = {"DEBUG", "SECRET_KEY", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests set the last one
    clean = {k: v for k, v in os.environ.items() if k not in skip}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    without_secret = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=without_secret)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
