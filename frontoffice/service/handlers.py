"""What customer service does with other apps' events (thin: one service call each)."""

from typing import TYPE_CHECKING

from frontoffice.service import services
from integration.bus import subscribe

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


@subscribe("crm.customers_merged")
def customers_merged(event: "ReceivedEvent") -> None:
    """Two customers were one: their tickets (and their own SLA terms) now belong to the survivor."""
    services.tickets_move_customer(merged_id=event.payload["merged_id"], survivor_id=event.payload["survivor_id"])
