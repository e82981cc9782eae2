"""What customer service does with events (thin: one service call each): other apps' news, and the mail its own
new tickets call for."""

from typing import TYPE_CHECKING

from frontoffice.service import services
from integration.bus import subscribe

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


@subscribe("crm.customers_merged")
def customers_merged(event: "ReceivedEvent") -> None:
    """Two customers were one: their tickets (and their own SLA terms) now belong to the survivor."""
    services.tickets_move_customer(merged_id=event.payload["merged_id"], survivor_id=event.payload["survivor_id"])


@subscribe("service.ticket_created")
def acknowledge(event: "ReceivedEvent") -> None:
    """A new ticket is acknowledged by e-mail once it is committed: through the outbox, so the mail cannot be lost
    between the commit and the broker, and a failure is retried and shown like any other delivery's."""
    services.ticket_acknowledge(ticket_id=event.payload["ticket_id"])
