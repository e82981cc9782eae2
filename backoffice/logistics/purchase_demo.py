"""Demo purchasing, production and returns: a supplier with an e-mail address, two reorder rules, a confirmed
purchase order partly received, a camping kit made from a tent and a stove by its bill of materials (one
production order done), and one customer return received back into stock.

Runs after the logistics demo (its goods and stock). Idempotent: each record is looked up by a natural key or a
demo marker before it is made.
"""

from decimal import Decimal

from backoffice.logistics import production_services, purchase_services, return_services, services
from backoffice.logistics.models import (
    BillOfMaterials,
    Location,
    ProductionOrder,
    PurchaseOrder,
    ReorderRule,
    ReturnOrder,
    Warehouse,
)
from core.catalog.models import Currency, Product, TaxRate, Unit
from core.catalog.services import product_create
from core.parties.models import Organization, PartyRole
from core.parties.services import organization_create

SUPPLIER_NAME = "Nordisk Friluftsgrossist AB"
SUPPLIER_EMAIL = "order@friluftsgrossist.example"
PURCHASE_NOTE = "Demo: winter restock"
KIT_SKU = "KIT-CAMP"
RETURN_REASON = "Demo: the bag of coffee arrived with a torn seal"
# SKU: (minimum, maximum, purchase price)
RULES = {"BAG-60L": ("5", "20", "820.00"), "STOVE-GAS": ("4", "15", "310.00")}
# SKU: (ordered, price, received now)
PURCHASE = {"SLEEP-3S": ("10", "690.00", "6"), "COFFEE-1KG": ("20", "84.00", "0")}
KIT = [("TENT-2P", "1"), ("STOVE-GAS", "1")]


def seed(admin) -> str:
    main = Warehouse.objects.filter(code="WH").first()
    products = {product.sku: product for product in Product.objects.filter(sku__in=[*RULES, *PURCHASE, "TENT-2P"])}
    if main is None or len(products) < len({*RULES, *PURCHASE, "TENT-2P"}):
        return "skipped: the logistics demo's goods are missing"
    supplier = _supplier(admin)
    rules = _rules(main, supplier, products)
    order = _purchase(admin, main, supplier, products)
    production = _production(admin, main, supplier, products)
    rma = _return(admin, main, supplier, products)
    return (
        f"supplier {supplier.name}, {rules} reorder rules, {order} {order.get_state_display().lower()}, "
        f"{production} {production.get_state_display().lower()}, {rma} {rma.get_state_display().lower()}"
    )


def _supplier(admin) -> Organization:
    supplier = Organization.objects.filter(name=SUPPLIER_NAME).first()
    if supplier is None:
        supplier = organization_create(
            actor=admin,
            name=SUPPLIER_NAME,
            email=SUPPLIER_EMAIL,
            phone="+46 31 700 12 00",
            roles=[PartyRole.SUPPLIER],
        )
    return supplier


def _rules(main: Warehouse, supplier: Organization, products: dict[str, Product]) -> int:
    for sku, (minimum, maximum, price) in RULES.items():
        ReorderRule.objects.get_or_create(
            product=products[sku],
            warehouse=main,
            defaults={
                "minimum": Decimal(minimum),
                "maximum": Decimal(maximum),
                "supplier": supplier,
                "unit_price": Decimal(price),
                "lead_time_days": 5,
            },
        )
    return ReorderRule.objects.filter(supplier=supplier).count()


def _purchase(admin, main: Warehouse, supplier: Organization, products: dict[str, Product]) -> PurchaseOrder:
    order = PurchaseOrder.objects.filter(supplier=supplier, note=PURCHASE_NOTE).first()
    if order is not None:
        return order
    order = purchase_services.purchase_create(
        actor=admin,
        supplier=supplier,
        warehouse=main,
        note=PURCHASE_NOTE,
        lines=[
            purchase_services.PurchaseLineInput(
                product=products[sku], quantity=Decimal(quantity), unit_price=Decimal(price)
            )
            for sku, (quantity, price, _received) in PURCHASE.items()
        ],
    )
    order = purchase_services.purchase_confirm(actor=admin, order=order, supplier_reference="OC-2611")
    lines = {line.product.sku: line for line in order.lines.select_related("product")}
    purchase_services.purchase_receive(
        actor=admin,
        order=order,
        supplier_reference="FS-88412",
        lines=[
            purchase_services.ReceiveLineInput(order_line=lines[sku], quantity=Decimal(received))
            for sku, (_quantity, _price, received) in PURCHASE.items()
            if Decimal(received)
        ],
    )
    order.refresh_from_db()
    return order


def _kit(admin) -> Product:
    kit = Product.objects.filter(sku=KIT_SKU).first()
    if kit is None:
        kit = product_create(
            actor=admin,
            sku=KIT_SKU,
            name="Campingpaket: tält och kök",
            type=Product.Type.GOODS,
            unit=Unit.objects.get(code="pcs"),
            list_price=Decimal("1990.00"),
            currency=Currency.objects.get(code="SEK"),
            tax_rate=TaxRate.objects.get(code="se-25"),
        )
    return kit


def _production(admin, main: Warehouse, supplier: Organization, products: dict[str, Product]) -> ProductionOrder:
    kit = _kit(admin)
    done = ProductionOrder.objects.filter(product=kit, state=ProductionOrder.State.DONE).first()
    if done is not None:
        return done
    bom = BillOfMaterials.objects.filter(product=kit, is_active=True).first()
    components = {product.sku: product for product in Product.objects.filter(sku__in=[sku for sku, _q in KIT])}
    if bom is None:
        production_services.bom_create(
            actor=admin,
            product=kit,
            name="Campingpaket",
            components=[(components[sku], Decimal(quantity)) for sku, quantity in KIT],
        )
    stock = Location.objects.get(warehouse=main, code="STOCK")
    order = ProductionOrder.objects.filter(
        product=kit, state__in=[ProductionOrder.State.WAITING, ProductionOrder.State.READY]
    ).first()
    if order is None:
        # The kit's components come in for it, so that the demo's deliveries keep the stock they wait for.
        for sku, quantity in KIT:
            services.stock_receive(
                actor=admin,
                product=components[sku],
                quantity=Decimal(quantity),
                location=stock,
                unit_cost=Decimal("1150.00") if sku == "TENT-2P" else Decimal(RULES["STOVE-GAS"][2]),
                supplier=supplier,
                reference="DEMO-KIT",
            )
        order = production_services.production_create(actor=admin, product=kit, quantity=Decimal(1), location=stock)
    order = production_services.production_reserve(order=order)
    if order.state == ProductionOrder.State.READY:
        order = production_services.production_complete(actor=admin, order=order)
    return order


def _return(admin, main: Warehouse, supplier: Organization, products: dict[str, Product]) -> ReturnOrder:
    rma = ReturnOrder.objects.filter(reason=RETURN_REASON).first()
    if rma is None:
        customer = (
            Organization.objects.filter(roles__contains=[PartyRole.CUSTOMER])
            .exclude(pk=supplier.pk)
            .order_by("pk")
            .first()
            or Organization.objects.exclude(pk=supplier.pk).order_by("pk").first()
        )
        rma = return_services.return_create(
            actor=admin,
            organization=customer,
            reason=RETURN_REASON,
            warehouse=main,
            ticket_reference="T-DEMO",
            lines=[return_services.ReturnLineInput(product=products["COFFEE-1KG"], quantity=Decimal(1))],
        )
    if rma.state == ReturnOrder.State.OPEN:
        rma = return_services.return_receive(actor=admin, rma=rma)
    return rma
