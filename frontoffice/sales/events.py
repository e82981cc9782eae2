"""Events sales publishes: an order confirmed or cancelled, for finance, logistics and the customer's 360."""

from dataclasses import dataclass, field

from integration.bus import EventSpec, IsoDate, IsoDateTime, Money, declare


@dataclass(frozen=True)
class OrderLinePayload:
    line_id: int
    position: int
    product_id: int | None
    sku: str
    description: str
    quantity: str  # a decimal string, like money: quantities may have fractions
    unit_price: Money
    discount_percent: str
    tax_rate: str
    net_amount: Money
    tax_amount: Money


@dataclass(frozen=True)
class AddressPayload:
    line1: str
    line2: str
    postal_code: str
    city: str
    country: str


@dataclass(frozen=True)
class OrderConfirmedPayload:
    order_id: int
    order_number: str
    organization_id: int
    account_id: int
    customer_name: str
    contact_id: int | None
    currency: str
    payment_terms_days: int
    tax_rounding: str
    subtotal: Money
    tax_total: Money
    total: Money
    confirmed_at: IsoDateTime
    order_date: IsoDate
    lines: list[OrderLinePayload]
    delivery_address: AddressPayload | None = None
    customer_reference: str = ""
    quote_reference: str = ""
    vat_number: str = ""


@dataclass(frozen=True)
class OrderCancelledPayload:
    order_id: int
    order_number: str
    organization_id: int
    account_id: int
    customer_name: str
    reason: str
    cancelled_at: IsoDateTime
    line_ids: list[int] = field(default_factory=list)


declare(
    EventSpec(
        name="sales.order_confirmed",
        version=1,
        schema=OrderConfirmedPayload,
        producer="frontoffice.sales (a salesperson or the API confirms a sales order)",
        description="A customer's order is binding: finance invoices it (on order or on delivery, per policy), "
        "logistics reserves stock and plans the delivery. Lines carry product, quantity, price, discount, VAT and "
        "the rounded amounts, so no subscriber recomputes money.",
        consumers=("finance: invoice (issue 6)", "logistics: reservation and delivery (issue 7)", "customer360"),
    )
)
declare(
    EventSpec(
        name="sales.order_cancelled",
        version=1,
        schema=OrderCancelledPayload,
        producer="frontoffice.sales (a confirmed order is cancelled)",
        description="A confirmed order no longer stands: finance cancels its draft invoice or credits an issued "
        "one, logistics releases the reservation.",
        consumers=("finance: credit note (issue 6)", "logistics: release reservation (issue 7)", "customer360"),
    )
)
