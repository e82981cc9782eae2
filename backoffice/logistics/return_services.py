"""Returns (RMA): goods a customer sends back — opened by hand or from a support ticket — received into stock,
then kept or scrapped line by line; finance hears of it (`logistics.return_received`) to credit the customer."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.logistics import services
from backoffice.logistics.models import (
    DeliveryOrder,
    Location,
    Lot,
    ReturnLine,
    ReturnOrder,
    StockMove,
    StockProduct,
    Warehouse,
)
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.catalog.models import Product
from core.exceptions import ServiceError
from core.parties.models import Organization
from integration.bus import publish


@dataclass(frozen=True)
class ReturnLineInput:
    product: Product
    quantity: Decimal
    lot_code: str = ""
    disposition: str = ReturnLine.Disposition.RESTOCK
    order_line_id: int | None = None


@transaction.atomic
def return_create(
    *,
    actor: User | None,
    organization: Organization,
    lines: list[ReturnLineInput],
    reason: str,
    delivery: DeliveryOrder | None = None,
    warehouse: Warehouse | None = None,
    ticket_id: int | None = None,
    ticket_reference: str = "",
) -> ReturnOrder:
    """Expect goods back from a customer. From a delivery, the lines must be what it shipped (no more); from a
    ticket, the ticket is remembered so that support can follow the return."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": _("Say why the goods come back.")})
    if not lines or any(Decimal(line.quantity) <= 0 for line in lines):
        raise ServiceError({"lines": _("Return at least one product, each more than zero.")})
    if delivery is not None:
        if delivery.organization_id != organization.pk:
            raise ServiceError({"delivery": _("That delivery went to another customer.")})
        if delivery.state not in {DeliveryOrder.State.DISPATCHED, DeliveryOrder.State.DELIVERED}:
            raise ServiceError({"delivery": _("Only goods that left can come back.")})
        shipped: dict[int, Decimal] = {}
        for line in delivery.lines.all():
            shipped[line.product_id] = shipped.get(line.product_id, Decimal(0)) + line.shipped
        for line in lines:
            if Decimal(line.quantity) > shipped.get(line.product.pk, Decimal(0)):
                raise ServiceError(
                    {"lines": _("More %(product)s comes back than the delivery shipped.") % {"product": line.product}}
                )
    for line in lines:
        if line.disposition not in ReturnLine.Disposition.values:
            raise ServiceError({"lines": _("Restock or scrap each line.")})
    rma = ReturnOrder.objects.create(
        organization=organization,
        delivery=delivery,
        order_id=delivery.order_id if delivery else None,
        order_number=delivery.order_number if delivery else "",
        ticket_id=ticket_id,
        ticket_reference=(ticket_reference or "")[:40],
        reason=reason[:300],
        warehouse=warehouse or (delivery.warehouse if delivery else services.default_warehouse()),
        created_by=actor if actor and actor.is_authenticated else None,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(
            order=rma,
            product=line.product,
            lot=Lot.objects.filter(product=line.product, code=line.lot_code.strip()).first() if line.lot_code else None,
            order_line_id=line.order_line_id,
            quantity=Decimal(line.quantity),
            disposition=line.disposition,
        )
        for line in lines
    )
    audit_record(actor=actor, instance=rma, action=AuditEntry.Action.CREATE, message=reason[:200])
    return rma


@transaction.atomic
def return_receive(*, actor: User | None, rma: ReturnOrder, location: Location | None = None) -> ReturnOrder:
    """The goods arrived: each line comes back into stock (at the average cost), and what is to be scrapped
    leaves again to scrap with the return's reason. Finance is told what came back for which order."""
    rma = ReturnOrder.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=rma.pk)
    if rma.state != ReturnOrder.State.OPEN:
        raise ServiceError(_("%(rma)s is already %(state)s.") % {"rma": rma, "state": rma.get_state_display().lower()})
    location = (
        location or Location.objects.filter(warehouse=rma.warehouse, kind=Location.Kind.INTERNAL).order_by("pk").first()
    )
    if location is None or location.warehouse_id != rma.warehouse_id:
        raise ServiceError({"location": _("Receive into a location of the return's warehouse.")})
    customers = Location.objects.get(warehouse__isnull=True, kind=Location.Kind.CUSTOMER)
    lines = []
    for line in rma.lines.select_related("product", "lot").order_by("pk"):
        cost = StockProduct.objects.filter(product=line.product).values_list("average_cost", flat=True).first()
        services.move_record(
            actor=actor,
            kind=StockMove.Kind.RETURN,
            product=line.product,
            quantity=line.quantity,
            from_location=customers,
            to_location=location,
            lot=line.lot,
            unit_cost=cost or Decimal(0),
            reference=str(rma),
            reason=rma.reason,
            partner=rma.organization,
        )
        if line.disposition == ReturnLine.Disposition.SCRAP:
            services.stock_adjust(
                actor=actor,
                product=line.product,
                location=location,
                quantity=-line.quantity,
                reason=_("Returned unusable: %(reason)s") % {"reason": rma.reason},
                lot=line.lot,
                kind=StockMove.Kind.SCRAP,
            )
        lines.append(
            {
                "product_id": line.product_id,
                "sku": line.product.sku,
                "order_line_id": line.order_line_id,
                "quantity": str(line.quantity),
                "disposition": line.disposition,
            }
        )
    rma.state = ReturnOrder.State.RECEIVED
    rma.received_at = timezone.now()
    rma.save(update_fields=["state", "received_at"])
    audit_record(actor=actor, instance=rma, action=AuditEntry.Action.ACTION, message=_("Received"))
    publish(
        "logistics.return_received",
        {
            "return_id": rma.pk,
            "organization_id": rma.organization_id,
            "order_id": rma.order_id,
            "order_number": rma.order_number,
            "ticket_id": rma.ticket_id,
            "reason": rma.reason,
            "lines": lines,
        },
        aggregate=rma,
    )
    services.reserve_waiting(product_ids=[line["product_id"] for line in lines], warehouse=rma.warehouse)
    return rma
