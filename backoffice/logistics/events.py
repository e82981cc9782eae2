"""Events logistics publishes. Declared ahead of the warehouse (issue 7) because sales already follows them."""

from dataclasses import dataclass

from integration.bus import EventSpec, IsoDateTime, declare


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
