"""Celery tasks of the bus (thin: each calls one service)."""

from celery import shared_task

from integration.bus import services


@shared_task(ignore_result=True)
def relay() -> int:
    """Hand pending events to their subscribers (queued after each commit that published)."""
    from core.health import redis_client

    redis_client().delete(services.RELAY_QUEUED_KEY)  # publishers from now on queue a new relay
    return services.relay_pending(deliver_now=True)


@shared_task(ignore_result=True)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    """Run a batch of deliveries and the chains they unblock; failures are recorded and rescheduled, not raised."""
    return services.deliver_many(delivery_ids)


@shared_task(ignore_result=True)
def sweep() -> dict[str, int]:
    """Beat, every few seconds: relay anything still pending and re-send deliveries whose message was lost."""
    return services.sweep()


@shared_task(ignore_result=True)
def purge() -> dict[str, int]:
    """Beat, hourly: delete finished events older than the retention period, in small batches."""
    return services.purge_old()
