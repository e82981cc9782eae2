"""Events finance publishes. Declared ahead of the ledger (issue 6) because sales already follows them."""

from dataclasses import dataclass

from integration.bus import EventSpec, IsoDateTime, Money, declare


@dataclass(frozen=True)
class CreditHoldPayload:
    organization_id: int
    on_hold: bool
    reason: str = ""
    overdue_amount: Money | None = None
    currency: str = "SEK"
    changed_at: IsoDateTime | None = None


declare(
    EventSpec(
        name="finance.credit_hold_changed",
        version=1,
        schema=CreditHoldPayload,
        producer="backoffice.finance (dunning policy: overdue amount or days; released when paid)",
        description="A customer was put on credit hold (`on_hold` true) or released from it. "
        "Sales refuses to confirm new orders for a customer on hold.",
        consumers=("sales: blocks order confirmation", "service: agents see the flag (issue 5)", "customer360"),
    )
)
