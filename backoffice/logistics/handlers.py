"""What logistics does with sales' events (thin: read the payload, call one service).

Each runs in the transaction that marks its delivery done; a ServiceError rolls it back and the delivery is
retried, then dead-lettered where an operator sees it.
"""

from decimal import Decimal
from typing import TYPE_CHECKING

from backoffice.logistics import services
from integration.bus import subscribe

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


@subscribe("sales.order_confirmed")
def order_confirmed(event: "ReceivedEvent") -> None:
    """Reserve the order's goods and plan their delivery; what is not in stock waits as a backorder."""
    payload = event.payload
    services.delivery_create_for_order(
        actor=None,
        event_id=event.id,
        order_id=payload["order_id"],
        order_number=payload["order_number"],
        organization_id=payload["organization_id"],
        customer_name=payload.get("customer_name", ""),
        delivery_address=payload.get("delivery_address"),
        lines=[
            services.DeliveryLineInput(
                product_id=line["product_id"],
                quantity=Decimal(line["quantity"]),
                description=line["description"],
                order_line_id=line["line_id"],
            )
            for line in sorted(payload["lines"], key=lambda line: line["position"])
            if line.get("product_id")
        ],
    )


@subscribe("sales.order_cancelled")
def order_cancelled(event: "ReceivedEvent") -> None:
    """Release what the order held: its deliveries that have not left are cancelled."""
    payload = event.payload
    services.delivery_cancel_for_order(actor=None, order_id=payload["order_id"], reason=payload.get("reason", ""))
