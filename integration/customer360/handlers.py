"""Subscribers that put other apps' events about a customer on the timeline (thin: one service call each)."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from integration.bus import subscribe
from integration.customer360.services import timeline_merge, timeline_record

if TYPE_CHECKING:
    from integration.bus.services import ReceivedEvent


def _record(event: "ReceivedEvent", *, office: str, title: str, organization_id: int | None = None, **extra) -> None:
    """Put an event on its customer's timeline (the payload's organization unless told otherwise)."""
    timeline_record(
        event_uuid=event.id,
        event_name=event.name,
        organization_id=organization_id if organization_id is not None else event.payload["organization_id"],
        office=office,
        occurred_at=event.occurred_at,
        title=title,
        **extra,
    )


@subscribe("crm.customer_created")
def customer_created(event: "ReceivedEvent") -> None:
    payload = event.payload
    _record(
        event,
        office="front",
        title=_("Became an account (%(stage)s)") % {"stage": payload["lifecycle_stage"]},
        url=reverse("crm:account-detail", args=[payload["account_id"]]),
        required_permission="crm.view_account",
    )


@subscribe("crm.customer_updated")
def customer_updated(event: "ReceivedEvent") -> None:
    payload = event.payload
    _record(
        event,
        office="front",
        title=_("Account changed: %(fields)s") % {"fields": ", ".join(payload["changed_fields"])},
        url=reverse("crm:account-detail", args=[payload["account_id"]]),
        required_permission="crm.view_account",
    )


@subscribe("crm.customers_merged")
def customers_merged(event: "ReceivedEvent") -> None:
    payload = event.payload
    timeline_merge(survivor_id=payload["survivor_id"], merged_id=payload["merged_id"])
    _record(
        event,
        organization_id=payload["survivor_id"],
        office="front",
        title=_("%(merged)s was merged into this customer") % {"merged": payload["merged_name"]},
        required_permission="parties.view_organization",
    )


@subscribe("sales.order_confirmed")
def order_confirmed(event: "ReceivedEvent") -> None:
    payload = event.payload
    _record(
        event,
        office="front",
        title=_("Order %(number)s confirmed: %(total)s %(currency)s")
        % {"number": payload["order_number"], "total": payload["total"], "currency": payload["currency"]},
        url=reverse("sales:order-detail", args=[payload["order_id"]]),
        required_permission="sales.view_salesorder",
    )


@subscribe("sales.order_cancelled")
def order_cancelled(event: "ReceivedEvent") -> None:
    payload = event.payload
    _record(
        event,
        office="front",
        title=_("Order %(number)s cancelled: %(reason)s")
        % {"number": payload["order_number"], "reason": payload["reason"]},
        url=reverse("sales:order-detail", args=[payload["order_id"]]),
        required_permission="sales.view_salesorder",
    )


@subscribe("finance.credit_hold_changed")
def credit_hold_changed(event: "ReceivedEvent") -> None:
    payload = event.payload
    if payload["on_hold"]:
        title = _("Put on credit hold: %(reason)s") % {"reason": payload.get("reason") or "—"}
    else:
        title = _("Released from credit hold")
    _record(
        event,
        office="back",
        title=title,
        required_permission="sales.view_credithold",
    )


@subscribe("finance.invoice_issued")
def invoice_issued(event: "ReceivedEvent") -> None:
    payload = event.payload
    _record(
        event,
        office="back",
        title=_("Invoice %(number)s issued: %(total)s %(currency)s, due %(due)s")
        % {
            "number": payload["invoice_number"],
            "total": payload["total"],
            "currency": payload["currency"],
            "due": payload["due_date"],
        },
        required_permission="sales.view_salesorder",
    )


@subscribe("finance.invoice_overdue")
def invoice_overdue(event: "ReceivedEvent") -> None:
    payload = event.payload
    titles = {
        1: _("Reminder sent: invoice %(number)s is %(days)s days overdue (%(amount)s %(currency)s)"),
        2: _("Second reminder sent: invoice %(number)s is %(days)s days overdue (%(amount)s %(currency)s)"),
        3: _("Final notice sent: invoice %(number)s is %(days)s days overdue (%(amount)s %(currency)s)"),
    }
    _record(
        event,
        office="back",
        title=titles.get(payload["level"], titles[1])
        % {
            "number": payload["invoice_number"],
            "days": payload["days_overdue"],
            "amount": payload["amount_due"],
            "currency": payload["currency"],
        },
        required_permission="sales.view_salesorder",
    )


@subscribe("finance.payment_received")
def payment_received(event: "ReceivedEvent") -> None:
    payload = event.payload
    _record(
        event,
        office="back",
        title=_("Payment received: %(amount)s %(currency)s")
        % {"amount": payload["amount"], "currency": payload["currency"]},
        required_permission="sales.view_salesorder",
    )


def _shipment_title(event: "ReceivedEvent") -> str:
    payload = event.payload
    what = payload.get("order_number") or _("goods")
    if event.name == "logistics.shipment_delivered":
        return _("Delivered: %(what)s") % {"what": what}
    tracking = f" ({payload['carrier']} {payload['tracking_number']})".rstrip() if payload.get("carrier") else ""
    return _("Dispatched: %(what)s%(tracking)s") % {"what": what, "tracking": tracking}


@subscribe("logistics.return_received")
def return_received(event: "ReceivedEvent") -> None:
    payload = event.payload
    what = payload.get("order_number") or _("goods")
    _record(
        event,
        office="back",
        title=_("Return received: %(what)s (%(reason)s)") % {"what": what, "reason": payload.get("reason", "")},
        required_permission="sales.view_salesorder",
    )


@subscribe("logistics.shipment_dispatched")
def shipment_dispatched(event: "ReceivedEvent") -> None:
    _record(
        event,
        office="back",
        title=_shipment_title(event),
        required_permission="sales.view_salesorder",
    )


@subscribe("logistics.shipment_delivered")
def shipment_delivered(event: "ReceivedEvent") -> None:
    _record(
        event,
        office="back",
        title=_shipment_title(event),
        required_permission="sales.view_salesorder",
    )


def _ticket_record(event: "ReceivedEvent", title: str) -> None:
    """Tickets from someone with no organization (an unknown e-mail sender) belong to no customer's timeline."""
    payload = event.payload
    if payload.get("organization_id") is None:
        return
    _record(
        event,
        office="front",
        title=title,
        url=reverse("service:ticket-detail", args=[payload["reference"].removeprefix("T-")]),
        required_permission="service.view_ticket",
    )


@subscribe("service.ticket_created")
def ticket_created(event: "ReceivedEvent") -> None:
    payload = event.payload
    _ticket_record(
        event,
        _("Ticket %(reference)s opened: %(subject)s")
        % {"reference": payload["reference"], "subject": payload["subject"]},
    )


@subscribe("service.ticket_resolved")
def ticket_resolved(event: "ReceivedEvent") -> None:
    payload = event.payload
    _ticket_record(
        event,
        _("Ticket %(reference)s resolved: %(subject)s")
        % {"reference": payload["reference"], "subject": payload["subject"]},
    )


@subscribe("service.sla_breached")
def sla_breached(event: "ReceivedEvent") -> None:
    payload = event.payload
    target = _("first response") if payload["target"] == "first_response" else _("resolution")
    _ticket_record(
        event,
        _("Ticket %(reference)s missed its %(target)s target") % {"reference": payload["reference"], "target": target},
    )


@subscribe("service.csat_received")
def csat_received(event: "ReceivedEvent") -> None:
    payload = event.payload
    _ticket_record(
        event,
        _("Rated ticket %(reference)s %(rating)s of 5")
        % {"reference": payload["reference"], "rating": payload["rating"]},
    )
