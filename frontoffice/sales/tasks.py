"""Celery tasks of sales (thin: each calls one function)."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def send_quote(*, quote_id: int, to: str, token: str, message: str = "") -> None:
    """E-mail a sent quote with its PDF and the link to answer it; SMTP hiccups are retried with backoff."""
    from frontoffice.sales.mail import send_quote_mail

    send_quote_mail(quote_id=quote_id, to=to, token=token, message=message)
