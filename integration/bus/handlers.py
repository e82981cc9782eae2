"""The bus's own subscriber: stamps test events as they arrive."""

from typing import TYPE_CHECKING

from integration.bus import subscribe

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


@subscribe("bus.probe")
def record_probe(event: "ReceivedEvent") -> None:
    """Idempotent: only the first arrival is stamped."""
    from integration.bus.services import probe_received

    probe_received(event_uuid=event.id)
