from dataclasses import dataclass

from integration.bus import EventSpec, declare


@dataclass(frozen=True)
class ProbePayload:
    number: int
    fail_times: int = 0  # fail this many attempts, then succeed
    switch: str = ""  # fail while the Switch of this name is broken
    sleep_ms: int = 0  # take this long (to be killed in the middle)


declare(
    EventSpec(
        name="probe.pinged",
        version=1,
        schema=ProbePayload,
        producer="tests",
        description="Test event with two subscribers whose faults the payload controls.",
        consumers=("tests.bus_probe (two subscribers)",),
        documented=False,
    )
)
declare(
    EventSpec(
        name="probe.measured",
        version=1,
        schema=ProbePayload,
        producer="bench/bus.py",
        description="Benchmark event with three subscribers.",
        consumers=("tests.bus_probe (three subscribers)",),
        documented=False,
    )
)
