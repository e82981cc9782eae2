"""Demo logistics: a second warehouse in Göteborg with bins, receipts of the demo goods at their purchase
prices, a serial-tracked GPS with a few serial numbers, and the deliveries of the demo's confirmed orders.

Logistics learns about orders only from events, so the deliveries come the way they would in production: the
bus runs logistics' own deliveries of `sales.order_confirmed` once, synchronously. Then goods arrive (oldest
deliveries are reserved first), one product a unit short so that one delivery waits; one delivery is walked to
delivered and one is dispatched with what there is, leaving a backorder. Runs after sales and finance (the app
order in INSTALLED_APPS). Idempotent: everything is looked up before it is made.
"""

from decimal import Decimal

from django.db.models import Count, F, Sum

from backoffice.logistics import services
from backoffice.logistics.models import (
    DeliveryLine,
    DeliveryOrder,
    Location,
    StockMove,
    StockProduct,
    Warehouse,
)
from core.catalog.models import Currency, Product, TaxRate, Unit
from core.catalog.services import product_create
from core.parties.models import Organization
from integration.bus import registry
from integration.bus import services as bus
from integration.bus.models import Delivery

LOGISTICS_SUBSCRIBERS = "backoffice.logistics.handlers."
RECEIPT_REFERENCE = "DEMO-RECEIPT"
TRACKING_PREFIX = "DEMO-"
SHORT_SKU = "TENT-4P"  # received one unit short of what the orders ask: one delivery waits for it
# Purchase price (SEK) and how many more than the orders need are received into the main warehouse.
GOODS = {
    "TENT-2P": ("1150.00", 12),
    "TENT-4P": ("1890.00", 0),
    "BAG-35L": ("540.00", 25),
    "BAG-60L": ("820.00", 3),
    "SLEEP-3S": ("690.00", 10),
    "STOVE-GAS": ("310.00", 2),
    "COFFEE-1KG": ("84.00", 40),
    "OAT-DRINK": ("9.50", 60),
    "BOOK-MAP": ("62.00", 15),
}
# What the Göteborg warehouse holds: SKU, bin, quantity.
GOTEBORG = [("BAG-35L", "A-01", 30), ("STOVE-GAS", "B-01", 12), ("SLEEP-3S", "A-01", 8)]
SERIAL_SKU = "GPS-60"
SERIALS = ["SN-GPS-24001", "SN-GPS-24002", "SN-GPS-24003", "SN-GPS-24004"]


def seed(admin) -> str:
    goteborg = _second_warehouse()
    caught_up = _catch_up_subscriptions()
    planned = _plan_deliveries()
    received = _receipts(admin, goteborg)
    serials = _serial_product(admin, goteborg)
    walked = _walk_deliveries(admin)
    states = ", ".join(
        f"{count} {state}"
        for state, count in DeliveryOrder.objects.values_list("state").annotate(count=Count("pk")).order_by("state")
    )
    return (
        f"warehouse {goteborg}, {caught_up} order events caught up, {planned} order events planned, "
        f"{received} receipts, {serials} serial numbers, {walked} deliveries walked; deliveries: {states or 'none'}"
    )


def _second_warehouse() -> Warehouse:
    warehouse, _created = Warehouse.objects.get_or_create(
        code="GBG", defaults={"name": "Göteborg", "address": "Importgatan 12, 422 46 Hisings Backa"}
    )
    for code, name in (("STOCK", "Stock"), ("A-01", "Aisle A, shelf 1"), ("B-01", "Aisle B, shelf 1")):
        Location.objects.get_or_create(
            warehouse=warehouse, code=code, defaults={"name": name, "kind": Location.Kind.INTERNAL}
        )
    main = Warehouse.objects.filter(code="WH").first()
    if main is not None:
        Location.objects.get_or_create(
            warehouse=main, code="A-01", defaults={"name": "Aisle A, shelf 1", "kind": Location.Kind.INTERNAL}
        )
    return warehouse


def _catch_up_subscriptions() -> int:
    """Order events relayed before logistics subscribed (a database seeded before this app existed) get the
    deliveries the relay would have made for it, in their order (run below, not by a worker)."""
    bus.relay_pending()
    return sum(
        bus.replay_for_subscriber(subscriber=subscriber.name, enqueue=False)
        for name in ("sales.order_confirmed", "sales.order_cancelled")
        for subscriber in registry.subscribers_for(name)
        if subscriber.name.startswith(LOGISTICS_SUBSCRIBERS)
    )


def _plan_deliveries() -> int:
    """Run logistics' deliveries of order events still waiting (oldest first): a delivery per order."""
    waiting = Delivery.objects.filter(subscriber__startswith=LOGISTICS_SUBSCRIBERS, status__in=Delivery.OPEN_STATES)
    done = 0
    for delivery_id in waiting.order_by("event_id", "pk").values_list("pk", flat=True):
        done += bus.deliver(delivery_id) == "done"
    return done


def _open_demand(product: Product, warehouse: Warehouse) -> Decimal:
    missing = DeliveryLine.objects.filter(
        product=product,
        delivery__warehouse=warehouse,
        delivery__state__in=[DeliveryOrder.State.WAITING, DeliveryOrder.State.READY],
    ).aggregate(missing=Sum(F("quantity") - F("shipped") - F("reserved")))["missing"]
    return missing or Decimal(0)


def _receipts(admin, goteborg: Warehouse) -> int:
    """Goods arrive for what the orders wait for and a little more; one product a unit short. Two receipts of
    the 2-person tent at different prices show the average cost."""
    if StockMove.objects.filter(reference__startswith=RECEIPT_REFERENCE).exists():
        return 0
    main = services.default_warehouse()
    stock = Location.objects.get(warehouse=main, code="STOCK")
    supplier = Organization.objects.filter(roles__contains=["supplier"], is_active=True).order_by("pk").first()
    made = 0
    for sku, (cost, extra) in GOODS.items():
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            continue
        wanted = _open_demand(product, main)
        quantity = wanted - 1 if sku == SHORT_SKU and wanted > 1 else wanted + extra
        batches = [(quantity, Decimal(cost))]
        if sku == "TENT-2P" and quantity > 4:
            batches = [(Decimal(4), Decimal(cost) - 100), (quantity - 4, Decimal(cost))]
        for part, unit_cost in batches:
            if part <= 0:
                continue
            services.stock_receive(
                actor=admin,
                product=product,
                quantity=part,
                location=stock,
                unit_cost=unit_cost,
                supplier=supplier,
                reference=f"{RECEIPT_REFERENCE}-{made + 1:03d}",
            )
            made += 1
    for sku, bin_code, quantity in GOTEBORG:
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            continue
        services.stock_receive(
            actor=admin,
            product=product,
            quantity=Decimal(quantity),
            location=Location.objects.get(warehouse=goteborg, code=bin_code),
            unit_cost=Decimal(GOODS[sku][0]),
            supplier=supplier,
            reference=f"{RECEIPT_REFERENCE}-{made + 1:03d}",
        )
        made += 1
    return made


def _serial_product(admin, goteborg: Warehouse) -> int:
    """A handheld GPS tracked by serial number: four received in Göteborg, one moved to a bin, one scrapped."""
    product = Product.objects.filter(sku=SERIAL_SKU).first()
    if product is None:
        product = product_create(
            actor=admin,
            sku=SERIAL_SKU,
            name="GPS-mottagare Fjäll 60",
            type=Product.Type.GOODS,
            unit=Unit.objects.get(code="pcs"),
            list_price=Decimal("3495.00"),
            currency=Currency.objects.get(code="SEK"),
            tax_rate=TaxRate.objects.get(code="se-25"),
        )
    settings_row = services.stock_product(product)
    if settings_row.tracking != StockProduct.Tracking.SERIAL:
        if StockMove.objects.filter(product=product).exists():
            return 0  # someone already moved it untracked: leave it be
        settings_row.tracking = StockProduct.Tracking.SERIAL
        settings_row.save(update_fields=["tracking"])
    if StockMove.objects.filter(product=product, lot__code__in=SERIALS).exists():
        return len(SERIALS)
    stock = Location.objects.get(warehouse=goteborg, code="STOCK")
    for code in SERIALS:
        services.stock_receive(
            actor=admin,
            product=product,
            quantity=Decimal(1),
            location=stock,
            unit_cost=Decimal("1790.00"),
            lot_code=code,
            reference=f"{RECEIPT_REFERENCE}-GPS",
        )
    lots = {lot.code: lot for lot in product.lots.filter(code__in=SERIALS)}
    services.stock_transfer(
        actor=admin,
        product=product,
        quantity=Decimal(1),
        from_location=stock,
        to_location=Location.objects.get(warehouse=goteborg, code="A-01"),
        lot=lots[SERIALS[1]],
        reason="Display shelf",
    )
    services.stock_adjust(
        actor=admin,
        product=product,
        location=stock,
        quantity=Decimal(-1),
        reason="Cracked screen on arrival",
        lot=lots[SERIALS[3]],
        kind=StockMove.Kind.SCRAP,
    )
    return len(SERIALS)


def _walk_deliveries(admin) -> int:
    """The oldest ready delivery is picked, packed, dispatched and delivered; the delivery waiting for the
    short product is dispatched with what there is, so its rest waits as a backorder."""
    if DeliveryOrder.objects.filter(tracking_number__startswith=TRACKING_PREFIX).exists():
        return 0
    walked = 0
    ready = DeliveryOrder.objects.filter(state=DeliveryOrder.State.READY).order_by("created_at", "pk").first()
    if ready is not None:
        services.delivery_pick(actor=admin, delivery=ready)
        services.delivery_pack(actor=admin, delivery=ready, weights=[Decimal("4.20"), Decimal("1.35")])
        services.delivery_dispatch(
            actor=admin, delivery=ready, carrier="PostNord", tracking_number=f"{TRACKING_PREFIX}PN-00001"
        )
        services.delivery_confirm_delivered(actor=admin, delivery=ready)
        walked += 1
    waiting = (
        DeliveryOrder.objects.filter(state=DeliveryOrder.State.WAITING, lines__reserved__gt=0)
        .distinct()
        .order_by("created_at", "pk")
        .first()
    )
    if waiting is not None:
        services.delivery_pick(actor=admin, delivery=waiting)
        services.delivery_pack(actor=admin, delivery=waiting, weights=[Decimal("6.80")])
        services.delivery_dispatch(
            actor=admin, delivery=waiting, carrier="DHL Freight", tracking_number=f"{TRACKING_PREFIX}DHL-00002"
        )
        walked += 1
    return walked
