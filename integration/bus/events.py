"""Events the bus itself publishes."""

from dataclasses import dataclass

from integration.bus.catalogue import EventSpec, declare


@dataclass(frozen=True)
class ProbePayload:
    note: str
    sent_by: int | None = None


declare(
    EventSpec(
        name="bus.probe",
        version=1,
        schema=ProbePayload,
        producer="integration.bus (the integration page's “Send a test event”, and demo data)",
        description="An operator's test event. Its only subscriber records when it arrived, which shows the "
        "round trip from commit to handler.",
    )
)
