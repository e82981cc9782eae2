"""Reads of stock: the overview per product and warehouse, move history, deliveries, a serial number's life,
and the check that the stock table agrees with the moves (what `manage.py verify_stock` runs)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from backoffice.logistics.models import (
    ZERO,
    DeliveryLine,
    DeliveryOrder,
    Location,
    Lot,
    StockMove,
    StockProduct,
    StockQuant,
    Warehouse,
)
from core.catalog.models import Product

QUANTITY_FIELD = DecimalField(max_digits=14, decimal_places=3)


def warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("code")


def warehouse_choices() -> list[tuple[int, str]]:
    """Every warehouse as (pk, its name as str() writes it: "CODE Name"), by code: a filter's options."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, code || ' ' || name FROM logistics_warehouse ORDER BY code")
        return cursor.fetchall()


def internal_locations(*, warehouse: Warehouse | None = None) -> QuerySet[Location]:
    locations = Location.objects.filter(kind=Location.Kind.INTERNAL, is_active=True).select_related("warehouse")
    if warehouse is not None:
        locations = locations.filter(warehouse=warehouse)
    return locations.order_by("warehouse__code", "code")


def _overview_quants(*, search: str, warehouse_id: int | None) -> QuerySet[StockQuant]:
    rows = StockQuant.objects.all()
    if warehouse_id:
        rows = rows.filter(warehouse_id=warehouse_id)
    search = (search or "").strip()
    if search:
        rows = rows.filter(Q(product__sku__istartswith=search) | Q(product__name__icontains=search))
    return rows


def stock_overview(
    *, search: str = "", warehouse_id: int | None = None, low_only: bool = False, low_below: Decimal = Decimal(5)
) -> QuerySet:
    """On hand, reserved and available per product and warehouse, one row each, summed in the database from the
    stock rows' (product, warehouse) index: a page reads its own groups, not the whole table. `low_only` keeps the
    rows whose available quantity is below `low_below` (the reorder rules of purchasing say per product)."""
    rows = (
        _overview_quants(search=search, warehouse_id=warehouse_id)
        .values("product_id", "product__sku", "product__name", "warehouse_id", "warehouse__code")
        .annotate(
            on_hand=Sum("quantity"),
            reserved_total=Sum("reserved"),
            available=Sum(F("quantity") - F("reserved"), output_field=QUANTITY_FIELD),
        )
        .order_by("product__sku", "warehouse__code")
    )
    if low_only:
        rows = rows.filter(available__lt=low_below)
    return rows


# The overview page's sort keys (the column headers' names), each also descending ("-" first); the SKU is unique,
# so every order is total and pages never overlap.
STOCK_OVERVIEW_ORDERS = {
    "sku": ["product__sku", "warehouse__code"],
    "available": ["available", "product__sku", "warehouse__code"],
    "on_hand": ["on_hand", "product__sku", "warehouse__code"],
}


def _overview_conditions(
    *, search: str, warehouse_id: int | None, low_only: bool, low_below: Decimal
) -> tuple[str, str, dict]:
    """stock_overview's filters as SQL (the same conditions the ORM writes, so the same indexes serve): the
    WHERE on the stock rows (q) and their product (p), the HAVING on the groups, and their parameters."""
    where, having, params = ["TRUE"], "", {}
    if warehouse_id:
        where.append("q.warehouse_id = %(warehouse)s")
        params["warehouse"] = warehouse_id
    search = (search or "").strip()
    if search:
        like = connection.ops.prep_for_like_query(search)
        where.append("(UPPER(p.sku::text) LIKE UPPER(%(starts)s) OR UPPER(p.name::text) LIKE UPPER(%(contains)s))")
        params.update(starts=f"{like}%", contains=f"%{like}%")
    if low_only:
        having = "HAVING SUM(q.quantity - q.reserved) < %(low)s"
        params["low"] = low_below
    return " AND ".join(where), having, params


def _overview_count_sql(*, where: str, having: str, search: bool, up_to: bool) -> str:
    """Counting the (product, warehouse) groups reads the stock rows' index alone; the product only for a search."""
    product = " JOIN catalog_product p ON p.id = q.product_id" if search else ""
    limit = " LIMIT %(up_to)s" if up_to else ""
    return (
        f"SELECT count(*) FROM (SELECT q.product_id, q.warehouse_id FROM logistics_stockquant q{product} "
        f"WHERE {where} GROUP BY 1, 2 {having}{limit}) groups"
    )


def stock_overview_page(
    *,
    search: str = "",
    warehouse_id: int | None = None,
    low_only: bool = False,
    low_below: Decimal = Decimal(5),
    sort: str = "",
    offset: int = 0,
    limit: int = 25,
    count_up_to: int = 1001,
) -> tuple[list[dict], int | None]:
    """A page of stock_overview's rows (the same dicts) in the order of a sort key, and in the same statement
    how many groups the filters keep, counted up to `count_up_to` (None when the page is empty). Written in SQL
    rather than through the ORM: building the two querysets cost more than PostgreSQL took to answer them."""
    where, having, params = _overview_conditions(
        search=search, warehouse_id=warehouse_id, low_only=low_only, low_below=low_below
    )
    keys = STOCK_OVERVIEW_ORDERS.get(sort.removeprefix("-")) or STOCK_OVERVIEW_ORDERS["sku"]
    direction = " DESC" if sort.startswith("-") and sort.removeprefix("-") in STOCK_OVERVIEW_ORDERS else ""
    count = _overview_count_sql(where=where, having=having, search=bool((search or "").strip()), up_to=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.product_id, p.sku AS product__sku, p.name AS product__name, q.warehouse_id, "
            "w.code AS warehouse__code, SUM(q.quantity) AS on_hand, SUM(q.reserved) AS reserved_total, "
            f"SUM(q.quantity - q.reserved) AS available, ({count}) AS groups_counted "
            "FROM logistics_stockquant q JOIN catalog_product p ON p.id = q.product_id "
            f"JOIN logistics_warehouse w ON w.id = q.warehouse_id WHERE {where} GROUP BY 1, 2, 3, 4, 5 {having} "
            f"ORDER BY {', '.join(key + direction for key in keys)} LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "up_to": count_up_to, "limit": limit, "offset": offset},
        )
        names = [column.name for column in cursor.description]
        found = cursor.fetchall()
    rows = [dict(zip(names[:-1], row[:-1], strict=True)) for row in found]
    return rows, (found[0][-1] if found else None)


def stock_overview_count(
    *,
    search: str = "",
    warehouse_id: int | None = None,
    low_only: bool = False,
    low_below: Decimal = Decimal(5),
    up_to: int | None = None,
) -> int:
    """How many (product, warehouse) rows stock_overview has with these filters (at most `up_to`)."""
    where, having, params = _overview_conditions(
        search=search, warehouse_id=warehouse_id, low_only=low_only, low_below=low_below
    )
    sql = _overview_count_sql(where=where, having=having, search=bool((search or "").strip()), up_to=up_to is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "up_to": up_to})
        return cursor.fetchone()[0]


def product_stock(*, product: Product) -> QuerySet[StockQuant]:
    """Where a product is, location by location (and lot)."""
    return (
        StockQuant.objects.filter(product=product)
        .filter(Q(quantity__gt=0) | Q(reserved__gt=0))
        .select_related("location__warehouse", "lot")
        .order_by("location__warehouse__code", "location__code", "lot__code")
    )


def move_list(
    *, search: str = "", kind: str = "", product_id: int | None = None, location_id: int | None = None
) -> QuerySet[StockMove]:
    moves = StockMove.objects.select_related(
        "product", "lot", "from_location__warehouse", "to_location__warehouse", "partner"
    )
    if kind:
        moves = moves.filter(kind=kind)
    if product_id:
        moves = moves.filter(product_id=product_id)
    if location_id:
        moves = moves.filter(Q(from_location_id=location_id) | Q(to_location_id=location_id))
    search = (search or "").strip()
    if search:
        moves = moves.filter(Q(product__sku__istartswith=search) | Q(reference__icontains=search) | Q(lot__code=search))
    return moves.order_by("-occurred_at", "-pk")


def delivery_list(*, search: str = "", state: str = "", warehouse_id: int | None = None) -> QuerySet[DeliveryOrder]:
    # Per-row subqueries rather than a join and GROUP BY: a page of the newest deliveries computes its own rows only.
    lines = DeliveryLine.objects.filter(delivery_id=OuterRef("pk")).values("delivery_id")
    deliveries = DeliveryOrder.objects.select_related("warehouse", "organization").annotate(
        line_count=Coalesce(
            Subquery(lines.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), Value(0)
        ),
        missing=Coalesce(
            Subquery(
                lines.annotate(
                    open=Sum(F("quantity") - F("shipped") - F("reserved"), output_field=QUANTITY_FIELD)
                ).values("open")[:1],
                output_field=QUANTITY_FIELD,
            ),
            Value(ZERO, output_field=QUANTITY_FIELD),
        ),
    )
    if state:
        deliveries = deliveries.filter(state=state)
    deliveries = _filter_deliveries(deliveries, search=search, warehouse_id=warehouse_id)
    return deliveries.order_by("-created_at", "-pk")


def _filter_deliveries(
    deliveries: QuerySet[DeliveryOrder], *, search: str, warehouse_id: int | None
) -> QuerySet[DeliveryOrder]:
    """The board's search and warehouse filters (the list and its tab counts apply the same ones)."""
    if warehouse_id:
        deliveries = deliveries.filter(warehouse_id=warehouse_id)
    search = (search or "").strip()
    if search:
        number = search.upper().removeprefix("OUT-")
        condition = Q(order_number__iexact=search) | Q(customer_name__icontains=search) | Q(tracking_number=search)
        if number.isdigit():
            condition |= Q(number=int(number))
        deliveries = deliveries.filter(condition)
    return deliveries


def delivery_detail(*, pk: int) -> DeliveryOrder:
    return (
        DeliveryOrder.objects.select_related("warehouse", "organization", "backorder_of")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DeliveryLine.objects.select_related("product").prefetch_related(
                    "reservations__quant__location", "reservations__quant__lot"
                ),
            ),
            "packages",
            "backorders",
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class DeliveryValues:
    """A delivery as plain values, for an answer built without model instances: the delivery's row with its
    warehouse's code, its backorders (newest first), its parcels (by number) and its lines (by position), each
    line's reservations (oldest first) joined to it: one tuple per reservation, or one for a line without."""

    row: dict
    backorders: list[int]
    packages: list[tuple[int, Decimal | None]]
    lines: list[tuple]


def delivery_values(*, pk: int) -> DeliveryValues | None:
    """One statement instead of the seven of delivery_detail's prefetches: what a delivery action answers
    after every reservation, pick and dispatch. None when there is no such delivery."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT head.*, l.id, l.position, l.product_id, p.sku, l.description, l.order_line_id, l.quantity, "
            "l.reserved, l.shipped, r.id, q.location_id, loc.code, loc.name, lw.code, lot.code, r.quantity "
            "FROM (SELECT d.id, d.number, d.state, d.warehouse_id, w.code AS warehouse_code, d.organization_id, "
            "d.customer_name, d.order_id, d.order_number, d.backorder_of_id, d.carrier, d.tracking_number, "
            "d.created_at, d.picked_at, d.dispatched_at, d.delivered_at, d.cancelled_at, d.delivery_address, "
            "ARRAY(SELECT b.id FROM logistics_deliveryorder b WHERE b.backorder_of_id = d.id "
            "ORDER BY b.created_at DESC, b.id DESC) AS backorders, "
            "ARRAY(SELECT p.number FROM logistics_package p WHERE p.delivery_id = d.id ORDER BY p.number, p.id) "
            "AS package_numbers, "
            "ARRAY(SELECT p.weight_kg FROM logistics_package p WHERE p.delivery_id = d.id ORDER BY p.number, p.id) "
            "AS package_weights "
            "FROM logistics_deliveryorder d JOIN logistics_warehouse w ON w.id = d.warehouse_id WHERE d.id = %s) head "
            "LEFT JOIN logistics_deliveryline l ON l.delivery_id = head.id "
            "LEFT JOIN catalog_product p ON p.id = l.product_id "
            "LEFT JOIN logistics_reservation r ON r.line_id = l.id "
            "LEFT JOIN logistics_stockquant q ON q.id = r.quant_id "
            "LEFT JOIN logistics_location loc ON loc.id = q.location_id "
            "LEFT JOIN logistics_warehouse lw ON lw.id = loc.warehouse_id "
            "LEFT JOIN logistics_lot lot ON lot.id = q.lot_id "
            "ORDER BY l.position, l.id, r.id",
            [pk],
        )
        found = cursor.fetchall()
        if not found:
            return None
        names = [column.name for column in cursor.description[:18]]
    first = found[0]
    return DeliveryValues(
        row=dict(zip(names, first[:18], strict=True)),
        backorders=first[18],
        packages=list(zip(first[19], first[20], strict=True)),
        lines=[row[21:] for row in found if row[21] is not None],
    )


def deliveries_for_order(*, order_id: int) -> QuerySet[DeliveryOrder]:
    """What the warehouse does with a sales order: its delivery and any backorders."""
    return DeliveryOrder.objects.filter(order_id=order_id).order_by("created_at", "pk")


@dataclass(frozen=True)
class SerialEvent:
    occurred_at: object
    kind: str
    label: str
    from_location: str
    to_location: str
    partner: str
    reference: str


def serial_history(*, code: str) -> list[tuple[Lot, list[StockMove]]]:
    """The life of a serial number or lot — received, moved, sold to whom, returned — as support looks it up
    from a ticket: every product that has a lot of that code, with its moves oldest first."""
    lots = list(Lot.objects.filter(code=(code or "").strip()).select_related("product"))
    moves = (
        StockMove.objects.filter(lot__in=lots)
        .select_related("from_location__warehouse", "to_location__warehouse", "partner")
        .order_by("occurred_at", "pk")
    )
    by_lot: dict[int, list[StockMove]] = {}
    for move in moves:
        by_lot.setdefault(move.lot_id, []).append(move)
    return [(lot, by_lot.get(lot.pk, [])) for lot in lots]


def average_cost(*, product: Product) -> Decimal:
    return StockProduct.objects.filter(product=product).values_list("average_cost", flat=True).first() or ZERO


# --- verify_stock -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockDrift:
    product_id: int
    location_id: int
    lot_id: int | None
    table_quantity: Decimal
    moved_quantity: Decimal
    table_reserved: Decimal
    reservations: Decimal

    def __str__(self) -> str:
        lot = f" lot {self.lot_id}" if self.lot_id else ""
        return (
            f"product {self.product_id} in location {self.location_id}{lot}: table says {self.table_quantity} "
            f"on hand ({self.table_reserved} reserved), the moves say {self.moved_quantity} "
            f"({self.reservations} reserved by deliveries)"
        )


DRIFT_SQL = """
WITH moved AS (
    SELECT product_id, to_location_id AS location_id, lot_id, quantity
      FROM logistics_stockmove m JOIN logistics_location l ON l.id = m.to_location_id AND l.kind = 'internal'
    UNION ALL
    SELECT product_id, from_location_id, lot_id, -quantity
      FROM logistics_stockmove m JOIN logistics_location l ON l.id = m.from_location_id AND l.kind = 'internal'
), by_moves AS (
    SELECT product_id, location_id, lot_id, sum(quantity) AS quantity FROM moved GROUP BY 1, 2, 3
), by_reservations AS (
    SELECT quant_id, sum(quantity) AS quantity FROM (
        SELECT quant_id, quantity FROM logistics_reservation
        UNION ALL
        SELECT quant_id, quantity FROM logistics_componentreservation
    ) held GROUP BY 1
), by_table AS (
    SELECT q.product_id, q.location_id, q.lot_id, q.quantity, q.reserved, coalesce(r.quantity, 0) AS reservations
      FROM logistics_stockquant q LEFT JOIN by_reservations r ON r.quant_id = q.id
)
SELECT coalesce(t.product_id, m.product_id), coalesce(t.location_id, m.location_id), coalesce(t.lot_id, m.lot_id),
       coalesce(t.quantity, 0), coalesce(m.quantity, 0), coalesce(t.reserved, 0), coalesce(t.reservations, 0)
  FROM by_table t
  FULL JOIN by_moves m
    ON m.product_id = t.product_id AND m.location_id = t.location_id AND m.lot_id IS NOT DISTINCT FROM t.lot_id
 WHERE coalesce(t.quantity, 0) <> coalesce(m.quantity, 0) OR coalesce(t.reserved, 0) <> coalesce(t.reservations, 0)
 ORDER BY 1, 2, 3
"""


def stock_drift() -> list[StockDrift]:
    """Every (product, location, lot) where the stock table disagrees with the sum of the moves, or its
    reserved quantity with the reservations of deliveries and production orders. Empty when stock is right.
    One query."""
    with connection.cursor() as cursor:
        cursor.execute(DRIFT_SQL)
        return [StockDrift(*row) for row in cursor.fetchall()]


# --- staff pages --------------------------------------------------------------------------------------------------


def delivery_state_counts(*, search: str = "", warehouse_id: int | None = None) -> dict[str, int]:
    """How many deliveries are in each state (for the board's tabs), with the board's search and warehouse."""
    # Straight on the deliveries (no per-row subqueries of the list, no IN over its ids): one grouped scan.
    deliveries = _filter_deliveries(DeliveryOrder.objects.all(), search=search, warehouse_id=warehouse_id)
    rows = deliveries.order_by().values("state").annotate(count=Count("pk"))
    return {row["state"]: row["count"] for row in rows}


def pick_list(*, warehouse: Warehouse) -> QuerySet:
    """What to fetch for the warehouse's deliveries that are ready to pick: each reservation by location, so a
    picker walks the bins once."""
    from backoffice.logistics.models import Reservation

    return (
        Reservation.objects.filter(line__delivery__warehouse=warehouse, line__delivery__state=DeliveryOrder.State.READY)
        .select_related("quant__location", "quant__lot", "line__product", "line__delivery")
        .order_by("quant__location__code", "line__product__sku", "quant__lot__code", "line__delivery__number")
    )


def count_list() -> QuerySet:
    from backoffice.logistics.models import StockCount

    return (
        StockCount.objects.select_related("location__warehouse", "created_by")
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-pk")
    )


def count_lines(*, count) -> QuerySet:
    return count.lines.select_related("product", "lot").order_by("product__sku", "lot__code", "pk")


def warehouse_list() -> QuerySet[Warehouse]:
    """Every warehouse with its locations (inactive ones too, marked)."""
    return Warehouse.objects.prefetch_related(
        Prefetch("locations", queryset=Location.objects.order_by("code"))
    ).order_by("code")


def recent_moves(*, product: Product, limit: int = 20) -> list[StockMove]:
    return list(move_list(product_id=product.pk)[:limit])


def quant_list(
    *,
    product_id: int | None = None,
    sku: str = "",
    warehouse_id: int | None = None,
    location_id: int | None = None,
    low_below: Decimal | None = None,
) -> QuerySet[StockQuant]:
    """On hand, reserved and available per product, warehouse location and lot (the API's stock list): rows
    that hold or reserve something, `low_below` keeping those with less available than that."""
    quants = (
        StockQuant.objects.filter(location__kind=Location.Kind.INTERNAL)
        .filter(Q(quantity__gt=0) | Q(reserved__gt=0))
        .select_related("product", "location__warehouse", "lot")
        .annotate(available_quantity=F("quantity") - F("reserved"))
    )
    if product_id:
        quants = quants.filter(product_id=product_id)
    sku = (sku or "").strip()
    if sku:
        quants = quants.filter(product__sku__iexact=sku)
    if warehouse_id:
        quants = quants.filter(location__warehouse_id=warehouse_id)
    if location_id:
        quants = quants.filter(location_id=location_id)
    if low_below is not None:
        quants = quants.filter(available_quantity__lt=low_below)
    return quants.order_by("product__sku", "location__warehouse__code", "location__code", "lot__code", "pk")
