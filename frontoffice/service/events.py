"""Events customer service publishes: tickets opened and resolved, SLA breaches and customer ratings."""

from dataclasses import dataclass

from integration.bus import EventSpec, IsoDateTime, declare


@dataclass(frozen=True)
class TicketCreatedPayload:
    ticket_id: int
    reference: str
    subject: str
    organization_id: int | None
    requester_id: int
    queue: str
    category: str
    priority: str
    source: str
    created_at: IsoDateTime


@dataclass(frozen=True)
class TicketResolvedPayload:
    ticket_id: int
    reference: str
    subject: str
    organization_id: int | None
    requester_id: int
    queue: str
    resolved_at: IsoDateTime
    first_response_at: IsoDateTime | None
    resolution_breached: bool
    billable_minutes: int


@dataclass(frozen=True)
class SlaBreachedPayload:
    ticket_id: int
    reference: str
    subject: str
    organization_id: int | None
    queue: str
    target: str  # "first_response" or "resolution"
    due_at: IsoDateTime
    breached_at: IsoDateTime
    priority: str


@dataclass(frozen=True)
class CsatReceivedPayload:
    ticket_id: int
    reference: str
    organization_id: int | None
    requester_id: int
    rating: int
    comment: str
    rated_at: IsoDateTime


declare(
    EventSpec(
        name="service.ticket_created",
        version=1,
        schema=TicketCreatedPayload,
        producer="frontoffice.service (a customer writes on the portal, by e-mail or the API; an agent logs one)",
        description="A customer asked for help. The 360 view shows it; CRM may log an activity.",
        consumers=("customer360", "crm: activity (later)"),
    )
)
declare(
    EventSpec(
        name="service.ticket_resolved",
        version=1,
        schema=TicketResolvedPayload,
        producer="frontoffice.service (an agent resolves a ticket)",
        description="A ticket's problem is solved; billable minutes logged on it travel along for finance.",
        consumers=("customer360", "finance: billable support time (later)"),
    )
)
declare(
    EventSpec(
        name="service.sla_breached",
        version=1,
        schema=SlaBreachedPayload,
        producer="frontoffice.service (the SLA beat job finds a target missed)",
        description="A first-response or resolution target of a ticket's SLA policy was missed.",
        consumers=("customer360", "legal: SLA credit per contract (later)"),
    )
)
declare(
    EventSpec(
        name="service.csat_received",
        version=1,
        schema=CsatReceivedPayload,
        producer="frontoffice.service (a customer rates a resolved ticket)",
        description="A customer's satisfaction rating (1–5) with an optional comment.",
        consumers=("customer360",),
    )
)
