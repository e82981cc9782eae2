"""Reads of purchasing, production and returns for the staff pages and the API: lists with everything a row
shows already joined (a page costs the same few queries however many rows it has) and details with their lines."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from backoffice.logistics import production_services, purchase_services
from backoffice.logistics.models import (
    ZERO,
    BillOfMaterials,
    BomLine,
    DeliveryLine,
    DeliveryOrder,
    GoodsReceipt,
    GoodsReceiptLine,
    Location,
    ProductionComponent,
    ProductionOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    ReturnLine,
    ReturnOrder,
    StockProduct,
    StockQuant,
)
from core.exceptions import ServiceError

MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
QUANTITY_FIELD = DecimalField(max_digits=14, decimal_places=3)

PURCHASE_SORTS = {
    "number": "number",
    "-number": "-number",
    "supplier": "supplier__name",
    "-supplier": "-supplier__name",
    "expected": "expected_on",
    "-expected": "-expected_on",
}


def _number(search: str) -> int | None:
    digits = search.upper().removeprefix("PO-").removeprefix("MO-").removeprefix("RMA-").strip()
    return int(digits) if digits.isdigit() and len(digits) < 18 else None


# --- purchase orders ----------------------------------------------------------------------------------------------


def purchase_list(
    *, search: str = "", state: str = "", supplier_id: int | None = None, ordering: str = ""
) -> QuerySet[PurchaseOrder]:
    """Purchase orders, newest first, with their supplier, warehouse, line count and total (without VAT)."""
    orders = PurchaseOrder.objects.select_related("supplier", "warehouse").annotate(
        line_count=Count("lines", distinct=True),
        total=Coalesce(
            Sum(F("lines__quantity") * F("lines__unit_price"), output_field=MONEY_FIELD),
            Value(ZERO, output_field=MONEY_FIELD),
        ),
        open_quantity=Coalesce(
            Sum(F("lines__quantity") - F("lines__received"), output_field=QUANTITY_FIELD),
            Value(ZERO, output_field=QUANTITY_FIELD),
        ),
    )
    search = (search or "").strip()
    if search:
        condition = Q(supplier__name__icontains=search) | Q(supplier_reference__icontains=search)
        number = _number(search)
        if number is not None:
            condition |= Q(number=number)
        orders = orders.filter(condition)
    if state == "open":
        orders = orders.filter(state__in=purchase_services.OPEN_STATES)
    elif state:
        orders = orders.filter(state=state)
    if supplier_id:
        orders = orders.filter(supplier_id=supplier_id)
    return (
        orders.order_by(PURCHASE_SORTS[ordering], "-pk")
        if ordering in PURCHASE_SORTS
        else orders.order_by("-created_at", "-pk")
    )


def purchase_detail(*, pk: int) -> PurchaseOrder:
    """One purchase order with its lines (ordered, received, open) and its receipts with their lines."""
    return (
        PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product").order_by("position", "pk")),
            Prefetch(
                "receipts",
                queryset=GoodsReceipt.objects.select_related("location__warehouse", "created_by").prefetch_related(
                    Prefetch(
                        "lines",
                        queryset=GoodsReceiptLine.objects.select_related("order_line__product", "move__lot").order_by(
                            "pk"
                        ),
                    )
                ),
            ),
        )
        .get(pk=pk)
    )


def purchase_total(order: PurchaseOrder) -> dict[str, Decimal]:
    """The order's total without VAT, the VAT and the total with VAT, from its (prefetched) lines."""
    net = sum((line.quantity * line.unit_price for line in order.lines.all()), ZERO)
    tax = sum((line.quantity * line.unit_price * line.tax_rate / 100 for line in order.lines.all()), ZERO)
    cent = Decimal("0.01")
    return {"net": net.quantize(cent), "tax": tax.quantize(cent), "gross": (net + tax).quantize(cent)}


# --- reorder rules ------------------------------------------------------------------------------------------------


def reorder_rules(*, search: str = "") -> QuerySet[ReorderRule]:
    """Every reorder rule with what is available in its warehouse (free stock less what backorders still miss)
    and what open purchase orders bring — counted the way reorder_candidates counts. One query."""
    zero = Value(ZERO, output_field=QUANTITY_FIELD)
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
            order__state__in=purchase_services.OPEN_STATES,
        )
        .values("product_id")
        .annotate(total=Sum(F("quantity") - F("received"), output_field=QUANTITY_FIELD))
        .values("total")
    )
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
    rules = (
        ReorderRule.objects.select_related("product", "warehouse", "supplier")
        .annotate(
            available=Coalesce(Subquery(available, output_field=QUANTITY_FIELD), zero)
            - Coalesce(Subquery(missing, output_field=QUANTITY_FIELD), zero),
            incoming=Coalesce(Subquery(incoming, output_field=QUANTITY_FIELD), zero),
        )
        .order_by("warehouse__code", "product__sku")
    )
    search = (search or "").strip()
    if search:
        rules = rules.filter(
            Q(product__sku__icontains=search) | Q(product__name__icontains=search) | Q(supplier__name__icontains=search)
        )
    return rules


def reorder_below_ids() -> set[int]:
    """The rules whose product is below its minimum now (reorder_candidates: one query)."""
    return {rule.pk for rule in purchase_services.reorder_candidates()}


# --- bills of materials and production ----------------------------------------------------------------------------


def bom_list(*, search: str = "", active_only: bool = True) -> QuerySet[BillOfMaterials]:
    boms = BillOfMaterials.objects.select_related("product").annotate(component_count=Count("lines"))
    if active_only:
        boms = boms.filter(is_active=True)
    search = (search or "").strip()
    if search:
        boms = boms.filter(
            Q(product__sku__icontains=search) | Q(product__name__icontains=search) | Q(name__icontains=search)
        )
    return boms.order_by("product__sku", "-pk")


@dataclass(frozen=True)
class CostLine:
    line: BomLine
    unit_cost: Decimal
    cost: Decimal
    source: str  # "stock" (average cost), "bom" (its own bill's roll-up) or "" (no cost known)


@dataclass(frozen=True)
class BomCost:
    lines: list[CostLine]
    total: Decimal  # for the bill's quantity
    unit_cost: Decimal  # for one unit made (bom_cost)


def bom_detail(*, pk: int) -> BillOfMaterials:
    return (
        BillOfMaterials.objects.select_related("product")
        .prefetch_related(Prefetch("lines", queryset=BomLine.objects.select_related("component").order_by("pk")))
        .get(pk=pk)
    )


def bom_cost_rollup(bom: BillOfMaterials) -> BomCost:
    """The cost roll-up of a bill, line by line: each component at its average cost, or a sub-assembly without
    stock at its own bill's cost; the unit cost is the service's bom_cost."""
    lines = list(bom.lines.all())
    costs = dict(
        StockProduct.objects.filter(product_id__in=[line.component_id for line in lines]).values_list(
            "product_id", "average_cost"
        )
    )
    subs = {
        sub.product_id: sub
        for sub in BillOfMaterials.objects.filter(
            product_id__in=[line.component_id for line in lines if not costs.get(line.component_id)], is_active=True
        )
    }
    rows = []
    total = ZERO
    for line in lines:
        unit = costs.get(line.component_id) or ZERO
        source = "stock" if unit else ""
        if not unit and line.component_id in subs:
            try:
                unit = production_services.bom_cost(subs[line.component_id])
            except ServiceError:
                unit = ZERO
            source = "bom" if unit else ""
        cost = line.quantity * unit
        total += cost
        rows.append(CostLine(line=line, unit_cost=unit, cost=cost.quantize(Decimal("0.01")), source=source))
    try:
        unit_cost = production_services.bom_cost(bom)
    except ServiceError:
        unit_cost = ZERO
    return BomCost(lines=rows, total=total.quantize(Decimal("0.01")), unit_cost=unit_cost)


def production_list(*, search: str = "", state: str = "") -> QuerySet[ProductionOrder]:
    orders = ProductionOrder.objects.select_related("product", "location__warehouse")
    search = (search or "").strip()
    if search:
        condition = Q(product__sku__icontains=search) | Q(product__name__icontains=search)
        number = _number(search)
        if number is not None:
            condition |= Q(number=number)
        orders = orders.filter(condition)
    if state:
        orders = orders.filter(state=state)
    return orders.order_by("-created_at", "-pk")


def production_detail(*, pk: int) -> ProductionOrder:
    return (
        ProductionOrder.objects.select_related("product", "location__warehouse", "bom", "created_by")
        .prefetch_related(
            Prefetch("components", queryset=ProductionComponent.objects.select_related("product").order_by("pk"))
        )
        .get(pk=pk)
    )


# --- returns ------------------------------------------------------------------------------------------------------


def return_list(*, search: str = "", state: str = "") -> QuerySet[ReturnOrder]:
    returns = ReturnOrder.objects.select_related("organization", "warehouse", "delivery").annotate(
        line_count=Count("lines")
    )
    search = (search or "").strip()
    if search:
        condition = (
            Q(organization__name__icontains=search)
            | Q(order_number__icontains=search)
            | Q(ticket_reference__icontains=search)
            | Q(reason__icontains=search)
        )
        number = _number(search)
        if number is not None:
            condition |= Q(pk=number)
        returns = returns.filter(condition)
    if state:
        returns = returns.filter(state=state)
    return returns.order_by("-created_at", "-pk")


def return_detail(*, pk: int) -> ReturnOrder:
    return (
        ReturnOrder.objects.select_related("organization", "warehouse", "delivery", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("product", "lot").order_by("pk"))
        )
        .get(pk=pk)
    )
