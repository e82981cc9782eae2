"""Events the CRM publishes."""

from dataclasses import dataclass, field

from integration.bus import EventSpec, declare


@dataclass(frozen=True)
class CustomerPayload:
    account_id: int
    organization_id: int
    name: str
    org_number: str
    vat_number: str
    country: str
    lifecycle_stage: str
    owner_id: int | None = None
    changed_fields: list[str] = field(default_factory=list)


declare(
    EventSpec(
        name="crm.customer_created",
        version=1,
        schema=CustomerPayload,
        producer="frontoffice.crm (an account is opened for an organization)",
        description="The company has a new customer relationship: an organization got a CRM account.",
        consumers=("finance: customer ledger account (issue 6)", "customer360: timeline (issue 4)"),
    )
)
declare(
    EventSpec(
        name="crm.customer_updated",
        version=1,
        schema=CustomerPayload,
        producer="frontoffice.crm (account or its organization changed)",
        description="Facts about a customer changed; `changed_fields` names them.",
        consumers=("finance: customer ledger account (issue 6)", "customer360: timeline (issue 4)"),
    )
)


@dataclass(frozen=True)
class MergePayload:
    survivor_id: int
    merged_id: int
    survivor_name: str
    merged_name: str


declare(
    EventSpec(
        name="crm.customers_merged",
        version=1,
        schema=MergePayload,
        producer="frontoffice.crm (a duplicate organization was merged into another)",
        description="Everything that belonged to organization `merged_id` now belongs to `survivor_id`; "
        "apps that keep their own records about customers move them.",
        consumers=("customer360: moves the timeline", "finance, service, logistics: their own records (later)"),
    )
)
