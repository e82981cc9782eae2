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
