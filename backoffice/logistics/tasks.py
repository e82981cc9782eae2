"""Celery tasks of logistics (thin: each calls one function)."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def send_purchase_order(*, order_id: int) -> None:
    """E-mail a request for quotation or purchase order with its PDF; SMTP hiccups are retried with backoff."""
    from backoffice.logistics.mail import send_purchase_order_mail

    send_purchase_order_mail(order_id=order_id)


@shared_task
def check_reorder_rules() -> int:
    """Beat: draft purchase orders for products below their minimum; returns how many orders were touched."""
    from backoffice.logistics.purchase_services import reorder_check

    return len(reorder_check(actor=None))
