"""Production: bills of materials (nested), their cost roll-up, and production orders that reserve components,
consume them and put the finished goods into stock at the cost of what went into them.

Consuming and producing are ordinary stock moves (to and from the production location), so the stock table,
verify_stock, the average cost and finance's valuation see them like any other move.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.logistics import services
from backoffice.logistics.models import (
    ZERO,
    BillOfMaterials,
    BomLine,
    ComponentReservation,
    Location,
    ProductionComponent,
    ProductionOrder,
    StockMove,
    StockProduct,
)
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.catalog.models import Product
from core.exceptions import ServiceError

COST_PLACES = Decimal("0.0001")
QUANTITY_PLACES = Decimal("0.001")
MAX_DEPTH = 10


def _uses(bom: BillOfMaterials, product_id: int, depth: int = 0) -> bool:
    """Whether a bill, or any sub-assembly's bill under it, uses the product (a cycle would make it forever)."""
    if depth > MAX_DEPTH:
        return True
    for line in bom.lines.all():
        if line.component_id == product_id:
            return True
        sub = BillOfMaterials.objects.filter(product_id=line.component_id, is_active=True).first()
        if sub is not None and _uses(sub, product_id, depth + 1):
            return True
    return False


@transaction.atomic
def bom_create(
    *,
    actor: User | None,
    product: Product,
    components: list[tuple[Product, Decimal]],
    quantity: Decimal = Decimal(1),
    name: str = "",
) -> BillOfMaterials:
    """The recipe of a product (replacing its active one). A component may be made itself (nested), but a
    product can never be among its own components, however deep."""
    if Decimal(quantity) <= 0:
        raise ServiceError({"quantity": _("A bill of materials makes more than zero.")})
    if not components:
        raise ServiceError({"components": _("A bill of materials needs at least one component.")})
    if any(Decimal(amount) <= 0 for _component, amount in components):
        raise ServiceError({"components": _("Each component's quantity must be more than zero.")})
    if len({component.pk for component, _amount in components}) != len(components):
        raise ServiceError({"components": _("List each component once.")})
    BillOfMaterials.objects.filter(product=product, is_active=True).update(is_active=False)
    bom = BillOfMaterials.objects.create(product=product, quantity=Decimal(quantity), name=(name or "")[:120])
    BomLine.objects.bulk_create(
        BomLine(bom=bom, component=component, quantity=Decimal(amount)) for component, amount in components
    )
    if _uses(bom, product.pk):
        raise ServiceError({"components": _("%(product)s cannot be made from itself.") % {"product": product}})
    audit_record(actor=actor, instance=bom, action=AuditEntry.Action.CREATE)
    return bom


def bom_cost(bom: BillOfMaterials, depth: int = 0) -> Decimal:
    """What one unit made by this bill costs: each component at its average cost, or — for a sub-assembly with
    none in stock yet — at its own bill's cost (rolled up recursively)."""
    if depth > MAX_DEPTH:
        raise ServiceError(_("The bills of materials are nested too deep (or loop)."))
    total = ZERO
    for line in bom.lines.select_related("component"):
        cost = (
            StockProduct.objects.filter(product=line.component).values_list("average_cost", flat=True).first() or ZERO
        )
        if not cost:
            sub = BillOfMaterials.objects.filter(product=line.component, is_active=True).first()
            if sub is not None:
                cost = bom_cost(sub, depth + 1)
        total += line.quantity * cost
    return (total / bom.quantity).quantize(COST_PLACES, ROUND_HALF_UP)


@transaction.atomic
def production_create(
    *, actor: User | None, product: Product, quantity: Decimal, location: Location
) -> ProductionOrder:
    """Plan making a quantity of a product in a warehouse location from its active bill; components are
    reserved at once as far as stock allows."""
    if Decimal(quantity) <= 0:
        raise ServiceError({"quantity": _("Make more than zero.")})
    if not location.is_internal:
        raise ServiceError({"location": _("Production happens in a warehouse location.")})
    bom = BillOfMaterials.objects.filter(product=product, is_active=True).first()
    if bom is None:
        raise ServiceError({"product": _("%(product)s has no bill of materials.") % {"product": product}})
    order = ProductionOrder.objects.create(
        bom=bom,
        product=product,
        quantity=Decimal(quantity),
        location=location,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    ProductionComponent.objects.bulk_create(
        ProductionComponent(
            order=order,
            product_id=line.component_id,
            quantity=(line.quantity * Decimal(quantity) / bom.quantity).quantize(QUANTITY_PLACES, ROUND_HALF_UP),
        )
        for line in bom.lines.all()
    )
    audit_record(actor=actor, instance=order, action=AuditEntry.Action.CREATE)
    return production_reserve(order=order)


def _lock(order: ProductionOrder, *states: str) -> ProductionOrder:
    order = (
        ProductionOrder.objects.select_for_update(of=("self",))
        .select_related("location__warehouse", "product")
        .get(pk=order.pk)
    )
    if order.state not in states:
        raise ServiceError(
            _("%(order)s is %(state)s; that cannot be done now.")
            % {"order": order, "state": order.get_state_display().lower()}
        )
    return order


@transaction.atomic
def production_reserve(*, order: ProductionOrder) -> ProductionOrder:
    """Reserve what the components still miss; ready to make when all are held."""
    order = _lock(order, ProductionOrder.State.WAITING, ProductionOrder.State.READY)
    complete = True
    for component in order.components.select_for_update().order_by("pk"):
        held = services.hold_stock(
            product_id=component.product_id,
            warehouse=order.location.warehouse,
            needed=component.quantity - component.reserved,
        )
        for quant_id, part in held:
            reservation, created = ComponentReservation.objects.get_or_create(
                component=component, quant_id=quant_id, defaults={"quantity": part}
            )
            if not created:
                ComponentReservation.objects.filter(pk=reservation.pk).update(quantity=reservation.quantity + part)
        component.reserved += sum((part for _quant_id, part in held), ZERO)
        component.save(update_fields=["reserved"])
        complete = complete and component.reserved >= component.quantity
    state = ProductionOrder.State.READY if complete else ProductionOrder.State.WAITING
    if state != order.state:
        order.state = state
        order.save(update_fields=["state"])
    return order


@transaction.atomic
def production_complete(*, actor: User | None, order: ProductionOrder) -> ProductionOrder:
    """Make it: every reserved component leaves stock for production (at average cost), and the finished goods
    come back at the sum of those values per unit — the product's cost roll-up, in the books."""
    order = _lock(order, ProductionOrder.State.READY)
    production = Location.objects.get(warehouse__isnull=True, kind=Location.Kind.PRODUCTION)
    value = ZERO
    for component in order.components.select_for_update().select_related("product").order_by("pk"):
        for reservation in component.reservations.select_related("quant__location", "quant__lot").order_by("pk"):
            move = services.move_record(
                actor=actor,
                kind=StockMove.Kind.CONSUMPTION,
                product=component.product,
                quantity=reservation.quantity,
                from_location=reservation.quant.location,
                to_location=production,
                lot=reservation.quant.lot,
                reference=str(order),
                reserved=True,
            )
            value += move.value
            reservation.delete()
        component.consumed = component.reserved
        component.reserved = ZERO
        component.save(update_fields=["consumed", "reserved"])
    unit_cost = (value / order.quantity).quantize(COST_PLACES, ROUND_HALF_UP)
    services.move_record(
        actor=actor,
        kind=StockMove.Kind.PRODUCTION,
        product=order.product,
        quantity=order.quantity,
        from_location=production,
        to_location=order.location,
        unit_cost=unit_cost,
        reference=str(order),
    )
    order.state = ProductionOrder.State.DONE
    order.unit_cost = unit_cost
    order.done_at = timezone.now()
    order.save(update_fields=["state", "unit_cost", "done_at"])
    audit_record(
        actor=actor,
        instance=order,
        action=AuditEntry.Action.ACTION,
        message=_("Made %(quantity)s at %(cost)s SEK each") % {"quantity": order.quantity, "cost": unit_cost},
    )
    services.reserve_waiting(product_ids=[order.product_id], warehouse=order.location.warehouse)
    return order


@transaction.atomic
def production_cancel(*, actor: User | None, order: ProductionOrder) -> ProductionOrder:
    """Drop a production order not yet made: its components go back to available stock."""
    order = _lock(order, ProductionOrder.State.WAITING, ProductionOrder.State.READY)
    for reservation in (
        ComponentReservation.objects.select_for_update().filter(component__order=order).order_by("quant_id")
    ):
        services.release_stock(quant_id=reservation.quant_id, quantity=reservation.quantity)
        reservation.delete()
    order.components.update(reserved=ZERO)
    order.state = ProductionOrder.State.CANCELLED
    order.save(update_fields=["state"])
    audit_record(actor=actor, instance=order, action=AuditEntry.Action.ACTION, message=_("Cancelled"))
    return order
