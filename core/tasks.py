"""Celery tasks of the shared kernel (thin: each calls one function)."""

from typing import Any

from celery import Task, shared_task

from core import health, mail


class MailTask(Task):
    """A mail task that, when it finally fails (retries used up, or an error no retry mends), keeps the mail
    as a FailedMail an admin sees and can send again: e-mail never fails silently."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        from core.notifications.services import mail_failure_record

        mail_failure_record(kwargs=dict(kwargs), error=f"{type(exc).__name__}: {exc}")


@shared_task(base=MailTask, autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
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


@shared_task(ignore_result=True)
def purge_idempotency_keys(days: int = 30) -> int:
    """Forget Idempotency-Keys older than `days`: a client retries within minutes, not months."""
    from datetime import timedelta

    from django.utils import timezone

    from core.models import IdempotentRequest

    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted


@shared_task
def analyze_stale_small_tables() -> list[str]:
    """Statistics for the small tables autovacuum never analyzes (core.database)."""
    from core.database import analyze_stale_small_tables as analyze

    return analyze()
