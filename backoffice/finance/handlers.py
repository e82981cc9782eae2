"""What finance does with sales' and logistics' events (thin: read the payload, call one service).

Each runs in the transaction that marks its delivery done; a ServiceError (a missing exchange rate, totals that
do not add up) rolls everything back and the delivery is retried, then dead-lettered where an operator sees it.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from backoffice.finance import bill_selectors, bill_services, selectors, services
from integration.bus import subscribe

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


def _day(value: str | None, fallback: datetime) -> date:
    return timezone.localdate(datetime.fromisoformat(value) if value else fallback)


@subscribe("sales.order_confirmed")
def order_confirmed(event: "ReceivedEvent") -> None:
    """Bill the order: issued now, or a draft waiting for the delivery (per the customer's billing policy)."""
    payload = event.payload
    services.invoice_create_for_order(
        actor=None,
        event_id=event.id,
        order_id=payload["order_id"],
        order_number=payload["order_number"],
        organization_id=payload["organization_id"],
        currency=payload["currency"],
        payment_terms_days=payload["payment_terms_days"],
        tax_rounding=payload["tax_rounding"],
        order_date=date.fromisoformat(payload["order_date"]),
        totals=(Decimal(payload["subtotal"]), Decimal(payload["tax_total"]), Decimal(payload["total"])),
        lines=[
            services.InvoiceLineInput(
                description=line["description"],
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                discount_percent=Decimal(line["discount_percent"]),
                tax_rate=Decimal(line["tax_rate"]),
                net_amount=Decimal(line["net_amount"]),
                tax_amount=Decimal(line["tax_amount"]),
                sku=line["sku"],
                order_line_id=line["line_id"],
            )
            for line in sorted(payload["lines"], key=lambda line: line["position"])
        ],
        customer_reference=payload.get("customer_reference", ""),
        customer_vat_number=payload.get("vat_number", ""),
        delivery_address=payload.get("delivery_address"),
    )


@subscribe("sales.order_cancelled")
def order_cancelled(event: "ReceivedEvent") -> None:
    """Cancel the order's draft invoice, or credit the issued one in full."""
    payload = event.payload
    services.invoice_cancel_for_order(
        actor=None,
        event_id=event.id,
        order_id=payload["order_id"],
        reason=payload["reason"],
        cancelled_on=_day(payload["cancelled_at"], event.occurred_at),
    )


@subscribe("logistics.shipment_delivered")
def shipment_delivered(event: "ReceivedEvent") -> None:
    """Issue the invoice that waited for this delivery (customers invoiced on delivery); partial ones wait on."""
    payload = event.payload
    if payload.get("order_id") is None or not payload.get("completes_order", True):
        return
    services.invoice_issue_for_delivery(
        actor=None, order_id=payload["order_id"], delivered_on=_day(payload.get("occurred_at"), event.occurred_at)
    )


@subscribe("logistics.stock_valued")
def stock_valued(event: "ReceivedEvent") -> None:
    """Book the value of a stock move: inventory (1460) against the change of inventory (4990)."""
    payload = event.payload
    services.stock_valuation_post(
        move_id=payload["move_id"],
        kind=payload["kind"],
        value=Decimal(payload["value"]),
        from_kind=payload["from_kind"],
        to_kind=payload["to_kind"],
        sku=payload.get("sku", ""),
        quantity=payload.get("quantity", ""),
        day=_day(payload.get("occurred_at"), event.occurred_at),
    )


@subscribe("logistics.goods_received")
def goods_received(event: "ReceivedEvent") -> None:
    """Make the supplier bill of a goods receipt, matched against the purchase order and the receipt."""
    payload = event.payload
    lines = [
        bill_services.BillLineInput(
            description=line["description"],
            quantity=Decimal(line["billed_quantity"]),
            unit_price=Decimal(line["billed_unit_price"]),
            tax_rate=Decimal(line["tax_rate"]),
            sku=line.get("sku", ""),
            purchase_order_line_id=line["purchase_order_line_id"],
            ordered_quantity=Decimal(line["ordered_quantity"]),
            ordered_unit_price=Decimal(line["ordered_unit_price"]),
            received_quantity=Decimal(line["received_quantity"]),
        )
        for line in payload["lines"]
        if Decimal(line["billed_quantity"]) > 0
    ]
    if not lines:
        return  # nothing billed with these goods: the supplier's invoice is entered by hand when it comes
    reference = payload.get("supplier_reference") or f"{payload['purchase_order_number']}/{payload['receipt_id']}"
    if bill_selectors.supplier_reference_taken(supplier_id=payload["supplier_id"], reference=reference):
        # One supplier invoice for several receipts: each receipt's bill still gets its own reference.
        reference = f"{reference}/{payload['receipt_id']}"
    bill_services.bill_create_from_receipt(
        actor=None,
        event_id=event.id,
        supplier_id=payload["supplier_id"],
        purchase_order_id=payload["purchase_order_id"],
        purchase_order_number=payload["purchase_order_number"],
        supplier_reference=reference,
        bill_date=date.fromisoformat(payload["received_on"]),
        currency=payload["currency"],
        lines=lines,
    )


@subscribe("logistics.return_received")
def return_received(event: "ReceivedEvent") -> None:
    """Goods of an order came back: a draft credit note for them on the order's issued invoice, to check and
    issue. Returns of an order not invoiced yet (or not ours) need nothing."""
    payload = event.payload
    if payload.get("order_id") is None:
        return
    invoice = selectors.invoice_for_order(order_id=payload["order_id"])
    if invoice is None or invoice.state not in {invoice.State.ISSUED, invoice.State.PAID}:
        return
    services.invoice_credit_lines(
        actor=None,
        invoice=invoice,
        lines=[
            (line["order_line_id"], Decimal(line["quantity"]))
            for line in payload["lines"]
            if line.get("order_line_id") is not None
        ],
        reason=payload.get("reason", ""),
        source_event=event.id,
    )
