"""Events finance publishes. Declared ahead of the ledger (issue 6) because sales already follows them."""

from dataclasses import dataclass

from integration.bus import EventSpec, IsoDate, IsoDateTime, Money, declare


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


@dataclass(frozen=True)
class InvoiceIssuedPayload:
    invoice_id: int
    invoice_number: str
    organization_id: int
    currency: str
    total: Money
    due_date: IsoDate
    order_id: int | None = None
    order_number: str = ""


declare(
    EventSpec(
        name="finance.invoice_issued",
        version=1,
        schema=InvoiceIssuedPayload,
        producer="backoffice.finance (an invoice gets its number and is sent)",
        description="A customer invoice was issued; `order_id` names the sales order it bills, if any.",
        consumers=("sales: the order shows it is invoiced", "customer360"),
    )
)


@dataclass(frozen=True)
class PaymentReceivedPayload:
    payment_id: int
    organization_id: int
    amount: Money
    currency: str
    invoice_id: int | None = None
    order_id: int | None = None
    invoice_settled: bool = False


declare(
    EventSpec(
        name="finance.payment_received",
        version=1,
        schema=PaymentReceivedPayload,
        producer="backoffice.finance (a payment is registered or matched from a bank file)",
        description="Money came in from a customer; `invoice_settled` is true when it paid the invoice in full.",
        consumers=("sales: the order shows it is paid", "customer360"),
    )
)


@dataclass(frozen=True)
class CreditNoteIssuedPayload:
    credit_note_id: int
    credit_note_number: str
    invoice_id: int
    invoice_number: str
    organization_id: int
    currency: str
    total: Money
    order_id: int | None = None
    order_number: str = ""
    reason: str = ""


declare(
    EventSpec(
        name="finance.credit_note_issued",
        version=1,
        schema=CreditNoteIssuedPayload,
        producer="backoffice.finance (an issued invoice is credited, e.g. because its order was cancelled)",
        description="A credit note cancels an issued invoice in full (`total` is the credited amount, positive); "
        "`order_id` names the sales order of the credited invoice, if any.",
        consumers=("sales: the order shows it is credited", "customer360"),
    )
)


@dataclass(frozen=True)
class InvoiceOverduePayload:
    invoice_id: int
    invoice_number: str
    organization_id: int
    level: int
    days_overdue: int
    amount_due: Money
    currency: str
    due_date: IsoDate


declare(
    EventSpec(
        name="finance.invoice_overdue",
        version=1,
        schema=InvoiceOverduePayload,
        producer="backoffice.finance (the dunning run sends a reminder letter)",
        description="A reminder letter went out about an overdue invoice: `level` 1 reminder, 2 second reminder, "
        "3 final notice; `amount_due` is what is still owed, in the invoice's `currency`.",
        consumers=("customer360",),
    )
)
