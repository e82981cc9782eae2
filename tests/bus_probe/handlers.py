import time
from typing import TYPE_CHECKING

from integration.bus import subscribe
from tests.bus_probe.models import Effect, Switch

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


def _apply(event: "ReceivedEvent", subscriber: str) -> None:
    payload = event.payload
    if payload.get("sleep_ms"):
        time.sleep(payload["sleep_ms"] / 1000)
    if event.attempt <= payload.get("fail_times", 0):
        raise RuntimeError(f"planned failure {event.attempt} of {payload['fail_times']}")
    if payload.get("switch") and Switch.objects.filter(name=payload["switch"], is_broken=True).exists():
        raise RuntimeError(f"switch {payload['switch']!r} is broken")
    Effect.objects.create(
        event_id=event.id,
        subscriber=subscriber,
        aggregate_id=event.aggregate_id,
        sequence=event.sequence,
        number=payload["number"],
        occurred_at=event.occurred_at,
    )


@subscribe("probe.pinged")
def first(event: "ReceivedEvent") -> None:
    _apply(event, "first")


@subscribe("probe.pinged")
def second(event: "ReceivedEvent") -> None:
    _apply(event, "second")


@subscribe("probe.measured")
def measure_a(event: "ReceivedEvent") -> None:
    _apply(event, "a")


@subscribe("probe.measured")
def measure_b(event: "ReceivedEvent") -> None:
    _apply(event, "b")


@subscribe("probe.measured")
def measure_c(event: "ReceivedEvent") -> None:
    _apply(event, "c")
