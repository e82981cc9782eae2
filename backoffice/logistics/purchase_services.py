"""Purchasing: requests for quotation that become purchase orders, goods received against them in parts
(`logistics.goods_received` for finance's three-way match), and reorder rules that draft purchase orders when
stock runs low (`logistics.stock_low`)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.logistics import services
from backoffice.logistics.models import (
    ZERO,
    DeliveryLine,
    DeliveryOrder,
    GoodsReceipt,
    GoodsReceiptLine,
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockQuant,
    Warehouse,
)
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.catalog.models import Product
from core.exceptions import ServiceError
from core.parties.models import Organization
from integration.bus import publish

OPEN_STATES = [
    PurchaseOrder.State.DRAFT,
    PurchaseOrder.State.SENT,
    PurchaseOrder.State.CONFIRMED,
    PurchaseOrder.State.PARTLY_RECEIVED,
]
QUANTITY_FIELD = DecimalField(max_digits=14, decimal_places=3)


@dataclass(frozen=True)
class PurchaseLineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal(25)
    description: str = ""


def _lines(order: PurchaseOrder, lines: list[PurchaseLineInput], start: int = 1) -> list[PurchaseOrderLine]:
    if not lines:
        raise ServiceError({"lines": _("A purchase order needs at least one line.")})
    built = []
    for position, line in enumerate(lines, start=start):
        if Decimal(line.quantity) <= 0 or Decimal(line.unit_price) < 0 or not 0 <= Decimal(line.tax_rate) <= 100:
            raise ServiceError(
                {
                    "lines": _(
                        "Line %(line)s: the quantity must be more than zero, the price not negative and the VAT "
                        "between 0 and 100 %%."
                    )
                    % {"line": position}
                }
            )
        if line.product.type != Product.Type.GOODS:
            raise ServiceError({"lines": _("Line %(line)s: only goods are bought into stock.") % {"line": position}})
        built.append(
            PurchaseOrderLine(
                order=order,
                position=position,
                product=line.product,
                description=(line.description or line.product.name)[:300],
                quantity=Decimal(line.quantity),
                unit_price=Decimal(line.unit_price),
                tax_rate=Decimal(line.tax_rate),
            )
        )
    return built


@transaction.atomic
def purchase_create(
    *,
    actor: User | None,
    supplier: Organization,
    warehouse: Warehouse,
    lines: list[PurchaseLineInput],
    expected_on: date | None = None,
    note: str = "",
    origin: str = PurchaseOrder.Origin.MANUAL,
) -> PurchaseOrder:
    """A request for quotation to a supplier, for goods delivered to a warehouse."""
    order = PurchaseOrder(
        supplier=supplier,
        warehouse=warehouse,
        expected_on=expected_on,
        note=note or "",
        origin=origin,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    built = _lines(order, lines)
    order.save()
    PurchaseOrderLine.objects.bulk_create(built)
    audit_record(actor=actor, instance=order, action=AuditEntry.Action.CREATE)
    return order


def _lock(order: PurchaseOrder, *states: str) -> PurchaseOrder:
    order = (
        PurchaseOrder.objects.select_for_update(of=("self",)).select_related("supplier", "warehouse").get(pk=order.pk)
    )
    if order.state not in states:
        raise ServiceError(
            _("%(order)s is %(state)s; that cannot be done now.")
            % {"order": order, "state": order.get_state_display().lower()}
        )
    return order


@transaction.atomic
def purchase_send(*, actor: User | None, order: PurchaseOrder) -> PurchaseOrder:
    """E-mail the request (or the order) with its PDF to the supplier, after commit."""
    order = _lock(order, PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT, PurchaseOrder.State.CONFIRMED)
    if not order.supplier.email:
        raise ServiceError(_("%(supplier)s has no e-mail address.") % {"supplier": order.supplier.name})
    if order.state == PurchaseOrder.State.DRAFT:
        order.state = PurchaseOrder.State.SENT
    order.sent_at = timezone.now()
    order.save(update_fields=["state", "sent_at"])
    audit_record(
        actor=actor,
        instance=order,
        action=AuditEntry.Action.ACTION,
        message=_("Sent to %(email)s") % {"email": order.supplier.email},
    )
    order_id = order.pk
    transaction.on_commit(lambda: _queue_mail(order_id), robust=True)
    return order


def _queue_mail(order_id: int) -> None:
    from backoffice.logistics.tasks import send_purchase_order

    send_purchase_order.delay(order_id=order_id)


@transaction.atomic
def purchase_confirm(*, actor: User | None, order: PurchaseOrder, supplier_reference: str = "") -> PurchaseOrder:
    """The supplier accepted: the request is now a purchase order, and its goods are expected."""
    order = _lock(order, PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT)
    order.state = PurchaseOrder.State.CONFIRMED
    order.confirmed_at = timezone.now()
    order.supplier_reference = (supplier_reference or order.supplier_reference or "").strip()[:60]
    order.save(update_fields=["state", "confirmed_at", "supplier_reference"])
    audit_record(actor=actor, instance=order, action=AuditEntry.Action.ACTION, message=_("Ordered"))
    return order


@transaction.atomic
def purchase_cancel(*, actor: User | None, order: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """Drop a request or an order nothing has been received against."""
    order = _lock(order, PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT, PurchaseOrder.State.CONFIRMED)
    order.state = PurchaseOrder.State.CANCELLED
    order.save(update_fields=["state"])
    audit_record(
        actor=actor,
        instance=order,
        action=AuditEntry.Action.ACTION,
        message=_("Cancelled: %(reason)s") % {"reason": reason or "—"},
    )
    return order


@dataclass(frozen=True)
class ReceiveLineInput:
    order_line: PurchaseOrderLine
    quantity: Decimal
    lot_code: str = ""
    billed_quantity: Decimal | None = None  # what the supplier's papers say; the received quantity if left out
    billed_unit_price: Decimal | None = None  # the ordered price if left out


@transaction.atomic
def purchase_receive(
    *,
    actor: User | None,
    order: PurchaseOrder,
    lines: list[ReceiveLineInput],
    location: Location | None = None,
    supplier_reference: str = "",
    received_on: date | None = None,
) -> GoodsReceipt:
    """Goods arrived against an order (all or part of it): into stock at the ordered price, waiting deliveries
    reserved, and finance told what was ordered, received and billed, line by line."""
    order = _lock(order, PurchaseOrder.State.CONFIRMED, PurchaseOrder.State.PARTLY_RECEIVED)
    location = (
        location
        or Location.objects.filter(warehouse=order.warehouse, kind=Location.Kind.INTERNAL).order_by("pk").first()
    )
    if location is None or location.warehouse_id != order.warehouse_id or not location.is_internal:
        raise ServiceError({"location": _("Receive into a location of the order's warehouse.")})
    wanted = [line for line in lines if Decimal(line.quantity) > 0]
    if not wanted:
        raise ServiceError({"lines": _("Say how much of which line arrived.")})
    order_lines = {line.pk: line for line in order.lines.select_for_update().select_related("product")}
    receipt = GoodsReceipt.objects.create(
        order=order,
        location=location,
        supplier_reference=(supplier_reference or "").strip()[:60],
        received_on=received_on or timezone.localdate(),
        created_by=actor if actor and actor.is_authenticated else None,
    )
    payload_lines = []
    for item in wanted:
        line = order_lines.get(item.order_line.pk)
        if line is None:
            raise ServiceError({"lines": _("A line of another purchase order cannot be received here.")})
        quantity = Decimal(item.quantity)
        billed_quantity = quantity if item.billed_quantity is None else Decimal(item.billed_quantity)
        billed_price = line.unit_price if item.billed_unit_price is None else Decimal(item.billed_unit_price)
        if billed_quantity < 0 or billed_price < 0:
            raise ServiceError({"lines": _("Billed quantities and prices are not negative.")})
        move = services.stock_receive(
            actor=actor,
            product=line.product,
            quantity=quantity,
            location=location,
            unit_cost=line.unit_price,
            lot_code=item.lot_code,
            supplier=order.supplier,
            reference=str(order),
        )
        GoodsReceiptLine.objects.create(
            receipt=receipt,
            order_line=line,
            quantity=quantity,
            billed_quantity=billed_quantity,
            billed_unit_price=billed_price,
            move=move,
        )
        line.received += quantity
        line.save(update_fields=["received"])
        payload_lines.append(
            {
                "purchase_order_line_id": line.pk,
                "product_id": line.product_id,
                "sku": line.product.sku,
                "description": line.description,
                "ordered_quantity": str(line.quantity),
                "ordered_unit_price": line.unit_price,
                "received_quantity": str(quantity),
                "received_to_date": str(line.received),
                "billed_quantity": str(billed_quantity),
                "billed_unit_price": billed_price,
                "tax_rate": str(line.tax_rate),
            }
        )
    complete = all(line.received >= line.quantity for line in order_lines.values())
    order.state = PurchaseOrder.State.RECEIVED if complete else PurchaseOrder.State.PARTLY_RECEIVED
    order.save(update_fields=["state"])
    audit_record(
        actor=actor,
        instance=order,
        action=AuditEntry.Action.ACTION,
        message=_("Received %(count)s line(s) into %(location)s") % {"count": len(payload_lines), "location": location},
    )
    publish(
        "logistics.goods_received",
        {
            "receipt_id": receipt.pk,
            "purchase_order_id": order.pk,
            "purchase_order_number": str(order),
            "supplier_id": order.supplier_id,
            "supplier_reference": receipt.supplier_reference,
            "currency": order.currency,
            "received_on": receipt.received_on,
            "lines": payload_lines,
        },
        aggregate=order,
    )
    return receipt


# --- reorder rules ------------------------------------------------------------------------------------------------


def reorder_candidates() -> list[ReorderRule]:
    """Active rules whose product is below its minimum in the warehouse: `available` is what is free in stock less
    what backorders still miss, `incoming` what open purchase orders will bring. One query."""
    available = (
        StockQuant.objects.filter(
            product_id=OuterRef("product_id"),
            location__warehouse_id=OuterRef("warehouse_id"),
            location__kind=Location.Kind.INTERNAL,
        )
        .values("product_id")
        .annotate(total=Sum(F("quantity") - F("reserved"), output_field=QUANTITY_FIELD))
        .values("total")
    )
    incoming = (
        PurchaseOrderLine.objects.filter(
            product_id=OuterRef("product_id"),
            order__warehouse_id=OuterRef("warehouse_id"),
            order__state__in=OPEN_STATES,
        )
        .values("product_id")
        .annotate(total=Sum(F("quantity") - F("received"), output_field=QUANTITY_FIELD))
        .values("total")
    )
    # Backorders: what open deliveries still miss is wanted from the same stock.
    missing = (
        DeliveryLine.objects.filter(
            product_id=OuterRef("product_id"),
            delivery__warehouse_id=OuterRef("warehouse_id"),
            delivery__state__in=[DeliveryOrder.State.WAITING, DeliveryOrder.State.READY],
        )
        .values("product_id")
        .annotate(total=Sum(F("quantity") - F("shipped") - F("reserved"), output_field=QUANTITY_FIELD))
        .values("total")
    )
    zero = Value(ZERO, output_field=QUANTITY_FIELD)
    return list(
        ReorderRule.objects.filter(is_active=True)
        .annotate(
            available=Coalesce(Subquery(available, output_field=QUANTITY_FIELD), zero)
            - Coalesce(Subquery(missing, output_field=QUANTITY_FIELD), zero),
            incoming=Coalesce(Subquery(incoming, output_field=QUANTITY_FIELD), zero),
        )
        .filter(Q(available__lt=F("minimum") - F("incoming")))
        .select_related("product", "warehouse", "supplier")
        .order_by("supplier_id", "warehouse_id", "product_id")
    )


@transaction.atomic
def reorder_check(*, actor: User | None = None) -> list[PurchaseOrder]:
    """Bring every product below its minimum back to its maximum: one draft purchase order per supplier and
    warehouse (an open draft made by the rules is topped up rather than doubled), and `logistics.stock_low`."""
    touched: dict[tuple[int, int], PurchaseOrder] = {}
    for rule in reorder_candidates():
        wanted = rule.maximum - rule.available - rule.incoming
        if wanted <= 0:
            continue
        key = (rule.supplier_id, rule.warehouse_id)
        order = touched.get(key) or (
            PurchaseOrder.objects.select_for_update()
            .filter(
                supplier_id=rule.supplier_id,
                warehouse_id=rule.warehouse_id,
                state=PurchaseOrder.State.DRAFT,
                origin=PurchaseOrder.Origin.REORDER,
            )
            .order_by("pk")
            .first()
        )
        line_input = PurchaseLineInput(
            product=rule.product, quantity=wanted, unit_price=rule.unit_price, tax_rate=rule.product.tax_rate.rate
        )
        if order is None:
            order = purchase_create(
                actor=actor,
                supplier=rule.supplier,
                warehouse=rule.warehouse,
                lines=[line_input],
                expected_on=timezone.localdate() + timedelta(days=rule.lead_time_days),
                origin=PurchaseOrder.Origin.REORDER,
            )
        else:
            line = order.lines.filter(product=rule.product).first()
            if line is not None:
                line.quantity += wanted
                line.save(update_fields=["quantity"])
            else:
                PurchaseOrderLine.objects.bulk_create(_lines(order, [line_input], start=order.lines.count() + 1))
        touched[key] = order
        publish(
            "logistics.stock_low",
            {
                "product_id": rule.product_id,
                "sku": rule.product.sku,
                "warehouse_id": rule.warehouse_id,
                "warehouse_code": rule.warehouse.code,
                "available": str(rule.available),
                "minimum": str(rule.minimum),
                "ordered": str(rule.incoming + wanted),
                "purchase_order_id": order.pk,
            },
            aggregate=rule,
        )
    return list(touched.values())


REORDER_FIELDS = ("product", "warehouse", "minimum", "maximum", "supplier", "unit_price", "lead_time_days", "is_active")


@transaction.atomic
def reorder_rule_save(*, actor: User | None, rule: ReorderRule | None, values: dict) -> ReorderRule:
    """Create or change a reorder rule (one per product and warehouse), with an audit row of what changed."""
    values = {name: values[name] for name in REORDER_FIELDS if name in values}
    minimum, maximum = Decimal(values.get("minimum", 0)), Decimal(values.get("maximum", 0))
    errors = {}
    if minimum < 0:
        errors["minimum"] = _("The minimum is not negative.")
    if maximum <= minimum:
        errors["maximum"] = _("The maximum must be more than the minimum.")
    if values.get("unit_price") is not None and Decimal(values["unit_price"]) < 0:
        errors["unit_price"] = _("The price is not negative.")
    if errors:
        raise ServiceError(errors)
    duplicate = ReorderRule.objects.filter(product=values.get("product"), warehouse=values.get("warehouse"))
    if rule is not None:
        duplicate = duplicate.exclude(pk=rule.pk)
    if duplicate.exists():
        raise ServiceError({"product": _("This product already has a reorder rule in that warehouse.")})
    created = rule is None
    # Read the rule as stored (a form may already have changed the object it was given).
    rule = ReorderRule() if created else ReorderRule.objects.select_for_update().get(pk=rule.pk)
    changes = {
        name: ["" if created else str(getattr(rule, name)), str(value)]
        for name, value in values.items()
        if created or getattr(rule, name) != value
    }
    for name, value in values.items():
        setattr(rule, name, value)
    rule.save()
    audit_record(
        actor=actor,
        instance=rule,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        changes=changes,
    )
    return rule
