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
