"""Celery tasks of customer service (thin: each calls one service)."""

from celery import shared_task

from frontoffice.service import services


@shared_task(ignore_result=True)
def check_sla_breaches() -> int:
    """Scheduled by beat every minute: mark missed SLA targets, escalate, publish service.sla_breached."""
    return services.sla_check_breaches()
