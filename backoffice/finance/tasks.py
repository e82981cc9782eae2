"""Celery tasks of finance (thin: each calls one function)."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def send_invoice(*, invoice_id: int) -> None:
    """E-mail an issued invoice or credit note with its PDF; SMTP hiccups are retried with backoff."""
    from backoffice.finance.mail import send_invoice_mail

    send_invoice_mail(invoice_id=invoice_id)
