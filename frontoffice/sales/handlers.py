"""What sales follows from the back office (thin: one service call each)."""

from datetime import datetime
from typing import TYPE_CHECKING

from frontoffice.sales import services
from integration.bus import subscribe

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


@subscribe("finance.credit_hold_changed")
def credit_hold_changed(event: "ReceivedEvent") -> None:
    payload = event.payload
    changed_at = payload.get("changed_at")
    services.credit_hold_apply(
        organization_id=payload["organization_id"],
        on_hold=payload["on_hold"],
        reason=payload.get("reason", ""),
        as_of=datetime.fromisoformat(changed_at) if changed_at else event.occurred_at,
        event_id=event.id,
    )


@subscribe("finance.invoice_issued")
def invoice_issued(event: "ReceivedEvent") -> None:
    if event.payload.get("order_id"):
        services.order_record_back_office(order_id=event.payload["order_id"], invoice_status="invoiced")


@subscribe("finance.payment_received")
def payment_received(event: "ReceivedEvent") -> None:
    if event.payload.get("order_id") and event.payload.get("invoice_settled"):
        services.order_record_back_office(order_id=event.payload["order_id"], invoice_status="paid")


@subscribe("finance.credit_note_issued")
def credit_note_issued(event: "ReceivedEvent") -> None:
    """The order's invoice was credited (the order was cancelled after invoicing, or finance corrected it)."""
    if event.payload.get("order_id"):
        services.order_record_back_office(order_id=event.payload["order_id"], invoice_status="credited")


@subscribe("logistics.shipment_dispatched")
def shipment_dispatched(event: "ReceivedEvent") -> None:
    if event.payload.get("order_id"):
        complete = event.payload.get("completes_order", True)
        services.order_record_back_office(
            order_id=event.payload["order_id"],
            delivery_status="dispatched" if complete else "partly",
            carrier=event.payload.get("carrier", ""),
            tracking_number=event.payload.get("tracking_number", ""),
        )


@subscribe("logistics.shipment_delivered")
def shipment_delivered(event: "ReceivedEvent") -> None:
    if event.payload.get("order_id"):
        complete = event.payload.get("completes_order", True)
        services.order_record_back_office(
            order_id=event.payload["order_id"],
            delivery_status="delivered" if complete else "partly",
            carrier=event.payload.get("carrier", ""),
            tracking_number=event.payload.get("tracking_number", ""),
            replaces_tracking=False,  # the dispatch told it; an earlier parcel's arrival must not undo a later one
        )
