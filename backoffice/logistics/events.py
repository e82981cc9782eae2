"""Events logistics publishes: shipments (followed by sales, finance and the customer's 360) and the value of
every stock move (for finance to post)."""

from dataclasses import dataclass, field

from integration.bus import EventSpec, IsoDate, IsoDateTime, Money, declare


@dataclass(frozen=True)
class ShipmentPayload:
    shipment_id: int
    organization_id: int
    order_id: int | None = None
    order_number: str = ""
    carrier: str = ""
    tracking_number: str = ""
    completes_order: bool = True  # false while a backorder is still to follow
    occurred_at: IsoDateTime | None = None


declare(
    EventSpec(
        name="logistics.shipment_dispatched",
        version=1,
        schema=ShipmentPayload,
        producer="backoffice.logistics (a delivery leaves the warehouse with its carrier)",
        description="Goods for a customer left the warehouse; `completes_order` is false when more is to follow.",
        consumers=("sales: order fulfilment status", "service: the portal shows it", "customer360"),
    )
)
declare(
    EventSpec(
        name="logistics.shipment_delivered",
        version=1,
        schema=ShipmentPayload,
        producer="backoffice.logistics (the carrier or the customer confirms delivery)",
        description="Goods reached the customer; finance may invoice on delivery.",
        consumers=("sales: order fulfilment status", "finance: invoice on delivery", "customer360"),
    )
)


@dataclass(frozen=True)
class StockValuedPayload:
    move_id: int
    kind: str
    product_id: int
    sku: str
    quantity: str  # a decimal string
    unit_cost: str  # SEK per unit, 4 decimals
    value: Money  # SEK
    from_kind: str  # the location kinds: internal, supplier, customer, adjustment, production, scrap
    to_kind: str
    reference: str = ""
    occurred_at: IsoDateTime | None = None


declare(
    EventSpec(
        name="logistics.stock_valued",
        version=1,
        schema=StockValuedPayload,
        producer="backoffice.logistics (every stock move into or out of the warehouses, valued at average cost)",
        description="A stock move changed what the stock is worth: `value` in SEK at the move's unit cost (the "
        "purchase price for receipts, the average cost otherwise). Moves between two internal locations change "
        "nothing and are not published.",
        consumers=("finance: stock valuation (inventory against cost of goods sold)",),
    )
)


@dataclass(frozen=True)
class ReceiptLinePayload:
    purchase_order_line_id: int
    product_id: int
    sku: str
    description: str
    ordered_quantity: str
    ordered_unit_price: Money
    received_quantity: str  # on this receipt
    received_to_date: str  # on every receipt of the line so far
    billed_quantity: str  # what the supplier's invoice or delivery note says
    billed_unit_price: Money
    tax_rate: str


@dataclass(frozen=True)
class GoodsReceivedPayload:
    receipt_id: int
    purchase_order_id: int
    purchase_order_number: str
    supplier_id: int
    supplier_reference: str
    currency: str
    received_on: IsoDate
    lines: list[ReceiptLinePayload] = field(default_factory=list)


declare(
    EventSpec(
        name="logistics.goods_received",
        version=1,
        schema=GoodsReceivedPayload,
        producer="backoffice.logistics (goods arrive against a purchase order, in full or in part)",
        description="Goods were received against a purchase order: per line what was ordered at what price, what "
        "arrived now and so far, and what the supplier billed. Finance makes the supplier bill and matches order, "
        "receipt and bill.",
        consumers=("finance: supplier bill with three-way match",),
    )
)


@dataclass(frozen=True)
class StockLowPayload:
    product_id: int
    sku: str
    warehouse_id: int
    warehouse_code: str
    available: str
    minimum: str
    ordered: str  # what is already on open purchase orders
    purchase_order_id: int | None = None


declare(
    EventSpec(
        name="logistics.stock_low",
        version=1,
        schema=StockLowPayload,
        producer="backoffice.logistics (the reorder check finds a product below its minimum)",
        description="A product fell below the minimum of its reorder rule in a warehouse (counting what is already "
        "ordered); a draft purchase order for its preferred supplier was made or topped up.",
        consumers=("logistics purchasing: the draft purchase order (automation)",),
    )
)


@dataclass(frozen=True)
class ReturnLinePayload:
    product_id: int
    sku: str
    quantity: str
    disposition: str  # restock or scrap
    order_line_id: int | None = None


@dataclass(frozen=True)
class ReturnReceivedPayload:
    return_id: int
    organization_id: int
    reason: str
    lines: list[ReturnLinePayload] = field(default_factory=list)
    order_id: int | None = None
    order_number: str = ""
    ticket_id: int | None = None


declare(
    EventSpec(
        name="logistics.return_received",
        version=1,
        schema=ReturnReceivedPayload,
        producer="backoffice.logistics (a customer's return (RMA) arrives and is restocked or scrapped)",
        description="Goods a customer sent back were received; `order_id` names the sales order they came from, "
        "`ticket_id` the support ticket that opened the return. Finance drafts a credit note for them.",
        consumers=("finance: a draft credit note for the returned lines", "customer360"),
    )
)
