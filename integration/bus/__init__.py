"""The integration bus: a transactional outbox, a Celery relay, and idempotent subscribers.

Apps declare their events in `events.py` (`declare(EventSpec(...))`), publish with
`publish(...)` inside their own transaction, and subscribe with
`@subscribe("name")` in their `handlers.py`.
"""

from typing import Any

from integration.bus.catalogue import EventSpec, IsoDate, IsoDateTime, Money, declare
from integration.bus.registry import subscribe


def publish(name: str, payload: dict[str, Any], *, aggregate) -> Any:
    """See integration.bus.services.publish (imported late: this package loads before the models)."""
    from integration.bus.services import publish as publish_event

    return publish_event(name, payload, aggregate=aggregate)


__all__ = ["EventSpec", "IsoDate", "IsoDateTime", "Money", "declare", "publish", "subscribe"]
