"""Celery tasks of the shared kernel (thin: each calls one function)."""

from typing import Any

from celery import shared_task

from core import health, mail


@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def send_templated_mail(
    *,
    template: str,
    context: dict[str, Any],
    to: list[str],
    language: str = "",
    headers: dict[str, str] | None = None,
    reply_to: list[str] | None = None,
    from_email: str = "",
) -> None:
    """Send one e-mail; SMTP hiccups are retried with backoff."""
    mail.render_and_send_mail(
        template=template,
        context=context,
        to=to,
        language=language,
        headers=headers,
        reply_to=reply_to or (),
        from_email=from_email,
    )


@shared_task(ignore_result=True)
def beat_heartbeat() -> None:
    """Scheduled by beat; running it proves that beat schedules and a worker consumes."""
    health.beat_heartbeat()
