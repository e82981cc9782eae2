"""Every write of stock: moves (receipt, transfer, adjustment, scrap, delivery), reservations, deliveries from
sales orders with backorders, pick, pack, dispatch and delivery, and stock counts.

The rule that keeps stock right: a quant changes only in the statement that records why. Taking stock out is
one conditional UPDATE (`... WHERE quantity - reserved >= n`), so two people can never take the same unit, and
the table's CHECK constraint refuses negative stock and over-reservation whatever code runs.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.logistics.models import (
    ZERO,
    DeliveryLine,
    DeliveryOrder,
    Location,
    Lot,
    Package,
    Reservation,
    StockCount,
    StockCountLine,
    StockMove,
    StockProduct,
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

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")


def _quantity(value) -> Decimal:
    quantity = Decimal(value)
    if quantity <= 0:
        raise ServiceError({"quantity": _("The quantity must be more than zero.")})
    return quantity


def stock_product(product: Product) -> StockProduct:
    """Logistics' settings of a product, made on first use (quantity-tracked, cost 0 until received)."""
    settings_row, _created = StockProduct.objects.get_or_create(product=product)
    return settings_row


def _check_lot(product: Product, lot: Lot | None, quantity: Decimal) -> None:
    tracking = stock_product(product).tracking
    if tracking == StockProduct.Tracking.NONE:
        if lot is not None:
            raise ServiceError({"lot": _("%(product)s is not tracked by lot.") % {"product": product}})
        return
    if lot is None:
        raise ServiceError({"lot": _("%(product)s is tracked: say which lot or serial number.") % {"product": product}})
    if lot.product_id != product.pk:
        raise ServiceError({"lot": _("Lot %(lot)s belongs to another product.") % {"lot": lot}})
    if tracking == StockProduct.Tracking.SERIAL and quantity != 1:
        raise ServiceError({"quantity": _("A serial number is one unit: move them one at a time.")})


def _take(*, product_id: int, location_id: int, lot_id: int | None, quantity: Decimal, reserved: bool) -> None:
    """Take stock out of an internal location in one statement: only what is available (or, for a reserved
    delivery, what was reserved), else nothing changes and the caller is told."""
    with connection.cursor() as cursor:
        if reserved:
            cursor.execute(
                "UPDATE logistics_stockquant SET quantity = quantity - %s, reserved = reserved - %s "
                "WHERE product_id = %s AND location_id = %s AND lot_id IS NOT DISTINCT FROM %s AND reserved >= %s",
                [quantity, quantity, product_id, location_id, lot_id, quantity],
            )
        else:
            cursor.execute(
                "UPDATE logistics_stockquant SET quantity = quantity - %s "
                "WHERE product_id = %s AND location_id = %s AND lot_id IS NOT DISTINCT FROM %s "
                "AND quantity - reserved >= %s",
                [quantity, product_id, location_id, lot_id, quantity],
            )
        if cursor.rowcount != 1:
            raise ServiceError(
                {"quantity": _("Not enough available in that location: the stock is reserved or not there.")}
            )


def _put(*, product_id: int, location_id: int, lot_id: int | None, quantity: Decimal) -> int:
    """Add stock to an internal location (the row is made on the first unit), returning the quant's id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO logistics_stockquant (product_id, location_id, warehouse_id, lot_id, quantity, reserved) "
            "SELECT %s, id, warehouse_id, %s, %s, 0 FROM logistics_location WHERE id = %s "
            "ON CONFLICT (product_id, location_id, lot_id) "
            "DO UPDATE SET quantity = logistics_stockquant.quantity + EXCLUDED.quantity RETURNING id",
            [product_id, lot_id, quantity, location_id],
        )
        return cursor.fetchone()[0]


def _on_hand(product_id: int) -> Decimal:
    return StockQuant.objects.filter(product_id=product_id).aggregate(total=Sum("quantity"))["total"] or ZERO


@transaction.atomic
def move_record(
    *,
    actor: User | None,
    kind: str,
    product: Product,
    quantity: Decimal,
    from_location: Location,
    to_location: Location,
    lot: Lot | None = None,
    unit_cost: Decimal | None = None,
    reference: str = "",
    reason: str = "",
    partner: Organization | None = None,
    delivery_line: DeliveryLine | None = None,
    reserved: bool = False,
) -> StockMove:
    """Move a quantity between two locations and update the stock table in the same transaction.

    Stock coming in from outside (a receipt, a gain, production) is valued at `unit_cost` and changes the
    product's average cost; stock going out is valued at the average cost. The value of every move that crosses
    the warehouse's edge is published as `logistics.stock_valued` for finance.
    """
    quantity = _quantity(quantity)
    if from_location.pk == to_location.pk:
        raise ServiceError({"to_location": _("A move goes from one location to another.")})
    if not (from_location.is_internal or to_location.is_internal):
        raise ServiceError({"to_location": _("A move starts or ends in a warehouse.")})
    _check_lot(product, lot, quantity)
    # The product's row is the lock around its average cost: receipts of one product are valued one at a time.
    settings_row = StockProduct.objects.select_for_update().get(pk=stock_product(product).pk)
    incoming = to_location.is_internal and not from_location.is_internal
    if incoming and unit_cost is not None:
        cost = Decimal(unit_cost)
        if cost < 0:
            raise ServiceError({"unit_cost": _("A cost is not negative.")})
        on_hand = _on_hand(product.pk)
        total = on_hand + quantity
        settings_row.average_cost = (
            ((on_hand * settings_row.average_cost + quantity * cost) / total).quantize(COST_PLACES, ROUND_HALF_UP)
            if total > 0
            else cost
        )
        settings_row.save(update_fields=["average_cost"])
    else:
        cost = settings_row.average_cost
    if from_location.is_internal:
        _take(
            product_id=product.pk,
            location_id=from_location.pk,
            lot_id=lot.pk if lot else None,
            quantity=quantity,
            reserved=reserved,
        )
    if to_location.is_internal:
        _put(product_id=product.pk, location_id=to_location.pk, lot_id=lot.pk if lot else None, quantity=quantity)
    move = StockMove.objects.create(
        kind=kind,
        product=product,
        lot=lot,
        quantity=quantity,
        from_location=from_location,
        to_location=to_location,
        unit_cost=cost,
        value=(quantity * cost).quantize(CENT, ROUND_HALF_UP),
        reference=(reference or "")[:80],
        reason=(reason or "")[:200],
        partner=partner,
        delivery_line=delivery_line,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    if from_location.is_internal != to_location.is_internal and move.value:
        publish(
            "logistics.stock_valued",
            {
                "move_id": move.pk,
                "kind": move.kind,
                "product_id": product.pk,
                "sku": product.sku,
                "quantity": str(quantity),
                "unit_cost": str(cost),
                "value": move.value,
                "from_kind": from_location.kind,
                "to_kind": to_location.kind,
                "reference": move.reference,
                "occurred_at": move.occurred_at,
            },
            aggregate=move,
        )
    return move


def _virtual(kind: str) -> Location:
    return Location.objects.get(warehouse__isnull=True, kind=kind)


def lot_for(*, product: Product, code: str) -> Lot | None:
    """The lot or serial number of that code, made on first receipt; none for a product tracked by quantity."""
    code = (code or "").strip()
    if not code:
        return None
    lot, _created = Lot.objects.get_or_create(product=product, code=code[:60])
    return lot


@transaction.atomic
def stock_receive(
    *,
    actor: User | None,
    product: Product,
    quantity: Decimal,
    location: Location,
    unit_cost: Decimal,
    lot_code: str = "",
    supplier: Organization | None = None,
    reference: str = "",
) -> StockMove:
    """Goods arrived from a supplier: into stock at their purchase price, then waiting deliveries get them."""
    if not location.is_internal:
        raise ServiceError({"location": _("Goods are received into a warehouse location.")})
    lot = lot_for(product=product, code=lot_code)
    serial = lot is not None and stock_product(product).tracking == StockProduct.Tracking.SERIAL
    if serial and StockQuant.objects.filter(lot=lot, quantity__gt=0).exists():
        raise ServiceError({"lot": _("Serial number %(code)s is already in stock.") % {"code": lot.code}})
    move = move_record(
        actor=actor,
        kind=StockMove.Kind.RECEIPT,
        product=product,
        quantity=quantity,
        from_location=_virtual(Location.Kind.SUPPLIER),
        to_location=location,
        lot=lot,
        unit_cost=unit_cost,
        reference=reference,
        partner=supplier,
    )
    reserve_waiting(product_ids=[product.pk], warehouse=location.warehouse)
    return move


@transaction.atomic
def stock_transfer(
    *,
    actor: User | None,
    product: Product,
    quantity: Decimal,
    from_location: Location,
    to_location: Location,
    lot: Lot | None = None,
    reason: str = "",
) -> StockMove:
    """Move available stock between two warehouse locations (a bin, another warehouse)."""
    if not (from_location.is_internal and to_location.is_internal):
        raise ServiceError({"to_location": _("A transfer goes between two warehouse locations.")})
    move = move_record(
        actor=actor,
        kind=StockMove.Kind.TRANSFER,
        product=product,
        quantity=quantity,
        from_location=from_location,
        to_location=to_location,
        lot=lot,
        reason=reason,
    )
    if from_location.warehouse_id != to_location.warehouse_id:
        reserve_waiting(product_ids=[product.pk], warehouse=to_location.warehouse)
    return move


@transaction.atomic
def stock_adjust(
    *,
    actor: User | None,
    product: Product,
    location: Location,
    quantity: Decimal,
    reason: str,
    lot: Lot | None = None,
    unit_cost: Decimal | None = None,
    kind: str = StockMove.Kind.ADJUSTMENT,
) -> StockMove:
    """Book a difference found in a location: a positive `quantity` adds (valued at `unit_cost`, or the
    average cost), a negative one takes away to inventory loss (or to scrap with kind "scrap"). A reason is
    required."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": _("Say why the stock is adjusted.")})
    quantity = Decimal(quantity)
    if not quantity:
        raise ServiceError({"quantity": _("An adjustment changes the quantity.")})
    outside = _virtual(Location.Kind.SCRAP if kind == StockMove.Kind.SCRAP else Location.Kind.ADJUSTMENT)
    if quantity > 0:
        if kind == StockMove.Kind.SCRAP:
            raise ServiceError({"quantity": _("Scrapping takes stock away.")})
        cost = unit_cost if unit_cost is not None else stock_product(product).average_cost
        move = move_record(
            actor=actor,
            kind=kind,
            product=product,
            quantity=quantity,
            from_location=outside,
            to_location=location,
            lot=lot,
            unit_cost=cost,
            reason=reason,
        )
        reserve_waiting(product_ids=[product.pk], warehouse=location.warehouse)
        return move
    return move_record(
        actor=actor,
        kind=kind,
        product=product,
        quantity=-quantity,
        from_location=location,
        to_location=outside,
        lot=lot,
        reason=reason,
    )


# --- reservations ---------------------------------------------------------------------------------------------


# The quants of a product in a warehouse's stock that still have some available, locked in the order they are
# given out (the lot that expires first, then the oldest lot, then the oldest row), and what each gives of
# `needed`: all it has until the running total reaches `needed`. The quants are locked while they are read, so
# parallel reservations queue on them and never take the same unit (the CHECK on the table refuses it anyway).
_HELD = """
locked AS MATERIALIZED (
    SELECT q.id, q.quantity - q.reserved AS available, lot.expires_on, q.lot_id
    FROM logistics_stockquant q
    JOIN logistics_location l ON l.id = q.location_id
    LEFT JOIN logistics_lot lot ON lot.id = q.lot_id
    WHERE q.product_id = %(product)s AND l.warehouse_id = %(warehouse)s AND l.kind = 'internal' AND q.quantity > 0
    ORDER BY lot.expires_on, q.lot_id, q.id
    FOR UPDATE OF q
),
shares AS (
    SELECT id, LEAST(available, %(needed)s - COALESCE(SUM(available) OVER (
        ORDER BY expires_on, lot_id, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS part
    FROM locked
    WHERE available > 0
),
held AS (
    UPDATE logistics_stockquant q SET reserved = q.reserved + s.part
    FROM shares s
    WHERE q.id = s.id AND s.part > 0
    RETURNING q.id AS quant_id, s.part
)"""

# A delivery line's reservation in one statement: hold the stock, record where it is held (adding to what the
# line already holds in that quant) and add it to the line's reserved; answers how much was taken.
_RESERVE_LINE = f"""
WITH {_HELD},
kept AS (
    INSERT INTO logistics_reservation (line_id, quant_id, quantity)
    SELECT %(line)s, quant_id, part FROM held
    ON CONFLICT (line_id, quant_id) DO UPDATE SET quantity = logistics_reservation.quantity + EXCLUDED.quantity
),
line AS (
    UPDATE logistics_deliveryline SET reserved = reserved + taken.total
    FROM (SELECT SUM(part) AS total FROM held) taken
    WHERE id = %(line)s AND taken.total > 0
)
SELECT COALESCE(SUM(part), 0) FROM held
"""


def hold_stock(*, product_id: int, warehouse: Warehouse, needed: Decimal) -> list[tuple[int, Decimal]]:
    """Reserve up to `needed` of a product in a warehouse's available stock (the lot that expires first, then
    the oldest) and say from which quants, as (quant id, quantity). Parallel reservations queue on the quants'
    locks and never take the same unit; the caller records what it holds (a production order's reservations)."""
    if needed <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {_HELD} SELECT quant_id, part FROM held",
            {"product": product_id, "warehouse": warehouse.pk, "needed": needed},
        )
        return [(quant_id, part) for quant_id, part in cursor.fetchall()]


def release_stock(*, quant_id: int, quantity: Decimal) -> None:
    """Give back a reservation to available stock."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE logistics_stockquant SET reserved = reserved - %s WHERE id = %s", [quantity, quant_id])


_LOCK_WITH_LINES = (
    "SELECT d.number, d.state, d.warehouse_id, l.id, l.product_id, l.quantity - l.shipped - l.reserved "
    "FROM logistics_deliveryorder d JOIN logistics_deliveryline l ON l.delivery_id = d.id "
    "WHERE d.id = %s ORDER BY l.id FOR UPDATE OF d, l"
)


def _lock_with_lines(pk: int) -> tuple[DeliveryOrder, list[tuple[int, int, Decimal]]]:
    """Lock a delivery and its lines in one statement (the delivery first, as _lock_delivery does) and answer
    it with its number, state and warehouse (any other field loads when asked for) and each line's id, product
    and what it misses."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_WITH_LINES, [pk])
        rows = cursor.fetchall()
        if not rows:  # no such delivery, or (never made so, but possible) one without lines
            cursor.execute(
                "SELECT number, state, warehouse_id FROM logistics_deliveryorder WHERE id = %s FOR UPDATE", [pk]
            )
            found = cursor.fetchone()
            if found is None:
                raise DeliveryOrder.DoesNotExist(f"No delivery {pk}.")
            rows = [(*found, None, None, None)]
    read = dict(zip(("id", "number", "state", "warehouse_id"), (pk, *rows[0][:3]), strict=True))
    # from_db takes the values in the model's field order; the fields not read are deferred.
    names = [field.attname for field in DeliveryOrder._meta.concrete_fields if field.attname in read]
    delivery = DeliveryOrder.from_db(connection.alias, names, [read[name] for name in names])
    return delivery, [(line_id, product_id, missing) for *_head, line_id, product_id, missing in rows if line_id]


def _reserve_lines(delivery: DeliveryOrder, lines: list[tuple[int, int, Decimal]]) -> None:
    """Reserve what the locked delivery's lines still miss and make it ready to pick once every line is held
    in full (or waiting again if not), in a statement a line: a reservation is what eight clients at once ask
    of the same few products."""
    if delivery.state not in {DeliveryOrder.State.WAITING, DeliveryOrder.State.READY}:
        return
    complete = True
    with connection.cursor() as cursor:
        for line_id, product_id, missing in lines:
            if missing > 0:
                cursor.execute(
                    _RESERVE_LINE,
                    {"product": product_id, "warehouse": delivery.warehouse_id, "needed": missing, "line": line_id},
                )
                missing -= cursor.fetchone()[0]
            complete = complete and missing <= 0
        state = DeliveryOrder.State.READY if complete else DeliveryOrder.State.WAITING
        if state != delivery.state:
            delivery.state = state
            cursor.execute("UPDATE logistics_deliveryorder SET state = %s WHERE id = %s", [state, delivery.pk])


@transaction.atomic
def delivery_reserve(*, delivery: DeliveryOrder) -> DeliveryOrder:
    """Reserve whatever the delivery's lines still miss (stock arrived, or the delivery was just made)."""
    delivery, lines = _lock_with_lines(delivery.pk)
    _reserve_lines(delivery, lines)
    return delivery


@transaction.atomic
def delivery_reserve_again(*, actor: User | None, delivery: DeliveryOrder) -> DeliveryOrder:
    """A person asks to reserve a delivery's missing goods again; only a waiting or ready one can be, and
    asking about any other is refused with its state (the automatic path, delivery_reserve, just skips it)."""
    delivery, lines = _lock_with_lines(delivery.pk)
    _refuse_unless(delivery, DeliveryOrder.State.WAITING, DeliveryOrder.State.READY)
    _reserve_lines(delivery, lines)
    return delivery


def reserve_waiting(*, product_ids: Iterable[int], warehouse: Warehouse | None) -> int:
    """Stock of these products arrived in a warehouse: backorders waiting for them get it, oldest first."""
    if warehouse is None:
        return 0
    waiting = (
        DeliveryOrder.objects.filter(
            warehouse=warehouse,
            state=DeliveryOrder.State.WAITING,
            lines__product_id__in=list(product_ids),
        )
        .distinct()
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    count = 0
    for delivery_id in list(waiting):
        delivery = delivery_reserve(delivery=DeliveryOrder(pk=delivery_id))
        count += delivery.state == DeliveryOrder.State.READY
    return count


def _release(delivery: DeliveryOrder) -> None:
    for reservation in Reservation.objects.select_for_update().filter(line__delivery=delivery).order_by("quant_id"):
        release_stock(quant_id=reservation.quant_id, quantity=reservation.quantity)
        reservation.delete()
    delivery.lines.update(reserved=ZERO)


# --- deliveries from sales orders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryLineInput:
    product_id: int
    quantity: Decimal
    description: str = ""
    order_line_id: int | None = None


def default_warehouse() -> Warehouse:
    warehouse = Warehouse.objects.filter(is_active=True).order_by("code").first()
    if warehouse is None:
        raise ServiceError(_("There is no active warehouse to deliver from."))
    return warehouse


@transaction.atomic
def delivery_create_for_order(
    *,
    actor: User | None,
    event_id: uuid.UUID | str,
    order_id: int,
    order_number: str,
    organization_id: int,
    customer_name: str,
    lines: list[DeliveryLineInput],
    delivery_address: dict | None = None,
    warehouse: Warehouse | None = None,
) -> DeliveryOrder | None:
    """A confirmed order becomes a delivery of its goods (services are not delivered), reserved as far as stock
    allows; the rest waits as a backorder. A second event about the same order finds the delivery it made."""
    existing = DeliveryOrder.objects.filter(Q(source_event=event_id) | Q(order_id=order_id, backorder_of=None)).first()
    if existing is not None:
        return existing
    goods = {
        product.pk: product
        for product in Product.objects.filter(
            pk__in=[line.product_id for line in lines if line.product_id], type=Product.Type.GOODS
        )
    }
    wanted = [line for line in lines if line.product_id in goods and Decimal(line.quantity) > 0]
    if not wanted:
        return None
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise ServiceError(
            _("Order %(order)s: customer %(id)s does not exist.") % {"order": order_number, "id": organization_id}
        )
    delivery = DeliveryOrder.objects.create(
        warehouse=warehouse or default_warehouse(),
        organization=organization,
        customer_name=customer_name[:200],
        delivery_address=delivery_address,
        order_id=order_id,
        order_number=order_number[:40],
        source_event=event_id,
    )
    DeliveryLine.objects.bulk_create(
        DeliveryLine(
            delivery=delivery,
            position=position,
            product=goods[line.product_id],
            description=(line.description or str(goods[line.product_id]))[:300],
            order_line_id=line.order_line_id,
            quantity=Decimal(line.quantity),
        )
        for position, line in enumerate(wanted, start=1)
    )
    for product_id in {line.product_id for line in wanted}:
        stock_product(goods[product_id])
    audit_record(
        actor=actor,
        instance=delivery,
        action=AuditEntry.Action.CREATE,
        message=_("For order %(order)s") % {"order": order_number},
    )
    delivery.state = delivery_reserve(delivery=delivery).state
    return delivery


@transaction.atomic
def delivery_cancel(*, actor: User | None, delivery: DeliveryOrder, reason: str = "") -> DeliveryOrder:
    """Stop a delivery that has not left: its reservations go back to available stock."""
    delivery = DeliveryOrder.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state in {DeliveryOrder.State.DISPATCHED, DeliveryOrder.State.DELIVERED}:
        raise ServiceError(
            _("Delivery %(number)s has left the warehouse; take it back as a return.") % {"number": delivery}
        )
    if delivery.state == DeliveryOrder.State.CANCELLED:
        return delivery
    _release(delivery)
    delivery.state = DeliveryOrder.State.CANCELLED
    delivery.cancelled_at = timezone.now()
    delivery.save(update_fields=["state", "cancelled_at"])
    audit_record(
        actor=actor,
        instance=delivery,
        action=AuditEntry.Action.ACTION,
        message=_("Cancelled: %(reason)s") % {"reason": reason or "—"},
    )
    product_ids = list(delivery.lines.values_list("product_id", flat=True))
    reserve_waiting(product_ids=product_ids, warehouse=delivery.warehouse)
    return delivery


@transaction.atomic
def delivery_cancel_for_order(*, actor: User | None, order_id: int, reason: str) -> list[DeliveryOrder]:
    """A confirmed order was cancelled: every delivery of it that has not left is cancelled."""
    cancelled = []
    for delivery in DeliveryOrder.objects.filter(order_id=order_id).exclude(
        state__in=[DeliveryOrder.State.DISPATCHED, DeliveryOrder.State.DELIVERED, DeliveryOrder.State.CANCELLED]
    ):
        cancelled.append(delivery_cancel(actor=actor, delivery=delivery, reason=reason))
    return cancelled


def _lock_delivery(delivery: DeliveryOrder, *states: str) -> DeliveryOrder:
    delivery = DeliveryOrder.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=delivery.pk)
    _refuse_unless(delivery, *states)
    return delivery


def _refuse_unless(delivery: DeliveryOrder, *states: str) -> None:
    if delivery.state not in states:
        raise ServiceError(
            _("Delivery %(number)s is %(state)s; that cannot be done now.")
            % {"number": delivery, "state": delivery.get_state_display().lower()}
        )


@transaction.atomic
def delivery_pick(*, actor: User | None, delivery: DeliveryOrder) -> DeliveryOrder:
    """The reserved goods are taken from their bins. A delivery with nothing reserved has nothing to pick."""
    delivery = _lock_delivery(delivery, DeliveryOrder.State.READY, DeliveryOrder.State.WAITING)
    if not delivery.lines.filter(reserved__gt=0).exists():
        raise ServiceError(_("Nothing of delivery %(number)s is in stock yet.") % {"number": delivery})
    delivery.state = DeliveryOrder.State.PICKED
    delivery.picked_at = timezone.now()
    delivery.save(update_fields=["state", "picked_at"])
    audit_record(actor=actor, instance=delivery, action=AuditEntry.Action.ACTION, message=_("Picked"))
    return delivery


@transaction.atomic
def delivery_pack(*, actor: User | None, delivery: DeliveryOrder, weights: list[Decimal | None]) -> DeliveryOrder:
    """Pack picked goods into parcels (one weight per parcel, a weight may be unknown)."""
    delivery = _lock_delivery(delivery, DeliveryOrder.State.PICKED, DeliveryOrder.State.PACKED)
    if not weights:
        raise ServiceError({"packages": _("A delivery is packed in at least one parcel.")})
    if any(weight is not None and Decimal(weight) <= 0 for weight in weights):
        raise ServiceError({"packages": _("A parcel's weight is more than zero.")})
    delivery.packages.all().delete()
    Package.objects.bulk_create(
        Package(delivery=delivery, number=number, weight_kg=weight) for number, weight in enumerate(weights, start=1)
    )
    delivery.state = DeliveryOrder.State.PACKED
    delivery.save(update_fields=["state"])
    audit_record(
        actor=actor,
        instance=delivery,
        action=AuditEntry.Action.ACTION,
        message=_("Packed in %(count)s parcel(s)") % {"count": len(weights)},
    )
    return delivery


def _shipment_payload(delivery: DeliveryOrder, *, completes: bool, at) -> dict:
    return {
        "shipment_id": delivery.pk,
        "organization_id": delivery.organization_id,
        "order_id": delivery.order_id,
        "order_number": delivery.order_number,
        "carrier": delivery.carrier,
        "tracking_number": delivery.tracking_number,
        "completes_order": completes,
        "occurred_at": at,
    }


@transaction.atomic
def delivery_dispatch(
    *, actor: User | None, delivery: DeliveryOrder, carrier: str, tracking_number: str = ""
) -> DeliveryOrder:
    """Hand the reserved goods to the carrier: they leave stock (at average cost) for the customer. What was
    not reserved goes on a backorder delivery that is reserved when stock arrives."""
    delivery = _lock_delivery(delivery, DeliveryOrder.State.PICKED, DeliveryOrder.State.PACKED)
    carrier = (carrier or "").strip()
    if not carrier:
        raise ServiceError({"carrier": _("Say which carrier takes the goods.")})
    customers = _virtual(Location.Kind.CUSTOMER)
    backorder_lines = []
    for line in delivery.lines.select_for_update().select_related("product").order_by("pk"):
        for reservation in line.reservations.select_related("quant__location", "quant__lot").order_by("pk"):
            quant = reservation.quant
            move_record(
                actor=actor,
                kind=StockMove.Kind.DELIVERY,
                product=line.product,
                quantity=reservation.quantity,
                from_location=quant.location,
                to_location=customers,
                lot=quant.lot,
                reference=str(delivery),
                partner=delivery.organization,
                delivery_line=line,
                reserved=True,
            )
            line.shipped += reservation.quantity
            reservation.delete()
        rest = line.quantity - line.shipped
        if rest > 0:
            backorder_lines.append((line, rest))
            line.quantity = line.shipped
        line.reserved = ZERO
        if line.quantity > 0:
            line.save(update_fields=["shipped", "reserved", "quantity"])
        else:
            line.delete()  # nothing of it left: the whole line goes on the backorder
    if not delivery.lines.exists():
        raise ServiceError(_("Nothing of delivery %(number)s is reserved: nothing can leave.") % {"number": delivery})
    now = timezone.now()
    delivery.carrier = carrier[:60]
    delivery.tracking_number = (tracking_number or "").strip()[:80]
    delivery.state = DeliveryOrder.State.DISPATCHED
    delivery.dispatched_at = now
    delivery.save(update_fields=["carrier", "tracking_number", "state", "dispatched_at"])
    if backorder_lines:
        backorder = DeliveryOrder.objects.create(
            warehouse=delivery.warehouse,
            organization=delivery.organization,
            customer_name=delivery.customer_name,
            delivery_address=delivery.delivery_address,
            order_id=delivery.order_id,
            order_number=delivery.order_number,
            backorder_of=delivery,
        )
        DeliveryLine.objects.bulk_create(
            DeliveryLine(
                delivery=backorder,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                order_line_id=line.order_line_id,
                quantity=rest,
            )
            for line, rest in backorder_lines
        )
        delivery_reserve(delivery=backorder)
    audit_record(
        actor=actor,
        instance=delivery,
        action=AuditEntry.Action.ACTION,
        message=_("Dispatched with %(carrier)s %(tracking)s")
        % {"carrier": delivery.carrier, "tracking": delivery.tracking_number},
    )
    publish(
        "logistics.shipment_dispatched",
        _shipment_payload(delivery, completes=not backorder_lines and not _open_deliveries(delivery), at=now),
        aggregate=delivery,
    )
    return delivery


def _open_deliveries(delivery: DeliveryOrder) -> bool:
    """Whether another delivery of the same order is still to leave (an earlier backorder)."""
    if delivery.order_id is None:
        return False
    return (
        DeliveryOrder.objects.filter(order_id=delivery.order_id)
        .exclude(pk=delivery.pk)
        .exclude(
            state__in=[DeliveryOrder.State.DISPATCHED, DeliveryOrder.State.DELIVERED, DeliveryOrder.State.CANCELLED]
        )
        .exists()
    )


@transaction.atomic
def delivery_confirm_delivered(*, actor: User | None, delivery: DeliveryOrder) -> DeliveryOrder:
    """The carrier or the customer confirms the goods arrived."""
    delivery = _lock_delivery(delivery, DeliveryOrder.State.DISPATCHED)
    now = timezone.now()
    delivery.state = DeliveryOrder.State.DELIVERED
    delivery.delivered_at = now
    delivery.save(update_fields=["state", "delivered_at"])
    audit_record(actor=actor, instance=delivery, action=AuditEntry.Action.ACTION, message=_("Delivered"))
    completes = True
    if delivery.order_id is not None:
        completes = not (
            DeliveryOrder.objects.filter(order_id=delivery.order_id)
            .exclude(pk=delivery.pk)
            .exclude(state__in=[DeliveryOrder.State.DELIVERED, DeliveryOrder.State.CANCELLED])
            .exists()
        )
    publish(
        "logistics.shipment_delivered", _shipment_payload(delivery, completes=completes, at=now), aggregate=delivery
    )
    return delivery


# --- stock counts -----------------------------------------------------------------------------------------------


@transaction.atomic
def count_start(*, actor: User | None, location: Location, reason: str) -> StockCount:
    """Start counting a location: the expected quantities are what the stock table says now."""
    if not location.is_internal:
        raise ServiceError({"location": _("Only warehouse locations are counted.")})
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": _("Say why the location is counted.")})
    count = StockCount.objects.create(
        location=location, reason=reason[:200], created_by=actor if actor and actor.is_authenticated else None
    )
    StockCountLine.objects.bulk_create(
        StockCountLine(
            count=count,
            product_id=quant.product_id,
            lot_id=quant.lot_id,
            expected=quant.quantity,
            counted=quant.quantity,
        )
        for quant in StockQuant.objects.filter(location=location, quantity__gt=0)
    )
    return count


@transaction.atomic
def count_set(*, count: StockCount, product: Product, counted: Decimal, lot: Lot | None = None) -> StockCountLine:
    """Record what was found of a product (a product not expected in the location is added)."""
    if count.state != StockCount.State.DRAFT:
        raise ServiceError(_("This count is booked and cannot change."))
    if Decimal(counted) < 0:
        raise ServiceError({"counted": _("A count is not negative.")})
    line, _created = StockCountLine.objects.update_or_create(
        count=count, product=product, lot=lot, defaults={"counted": Decimal(counted)}
    )
    return line


@transaction.atomic
def count_confirm(*, actor: User | None, count: StockCount) -> list[StockMove]:
    """Book the differences of a count as adjustments with the count's reason, against what is on hand now
    (moves made while counting are kept)."""
    count = StockCount.objects.select_for_update(of=("self",)).select_related("location__warehouse").get(pk=count.pk)
    if count.state != StockCount.State.DRAFT:
        raise ServiceError(_("This count is already booked."))
    moves = []
    for line in count.lines.select_related("product", "lot").order_by("pk"):
        quant = StockQuant.objects.filter(product=line.product, location=count.location, lot=line.lot).first()
        on_hand = quant.quantity if quant else ZERO
        difference = line.counted - on_hand
        if difference:
            moves.append(
                stock_adjust(
                    actor=actor,
                    product=line.product,
                    location=count.location,
                    quantity=difference,
                    reason=count.reason,
                    lot=line.lot,
                )
            )
    count.state = StockCount.State.DONE
    count.done_at = timezone.now()
    count.save(update_fields=["state", "done_at"])
    audit_record(
        actor=actor,
        instance=count,
        action=AuditEntry.Action.ACTION,
        message=_("%(count)s adjustment(s)") % {"count": len(moves)},
    )
    return moves
