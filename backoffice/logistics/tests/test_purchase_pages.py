"""Staff pages of purchasing, production and returns: who may see and act, form errors that change nothing,
a purchase walked from request to partly received, the reorder check, a bill of materials with its cost
roll-up, a production order made, a return received, and lists that keep their query count."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.logistics import production_services, purchase_services, services
from backoffice.logistics.models import (
    BillOfMaterials,
    DeliveryOrder,
    GoodsReceipt,
    Location,
    ProductionOrder,
    PurchaseOrder,
    ReorderRule,
    ReturnOrder,
    StockMove,
    StockProduct,
    StockQuant,
    Warehouse,
)
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

PURCHASES = reverse("logistics:purchase-list")
NEW_PURCHASE = reverse("logistics:purchase-create")
REORDER = reverse("logistics:reorder-list")
BOMS = reverse("logistics:bom-list")
PRODUCTION = reverse("logistics:production-list")
RETURNS = reverse("logistics:return-list")


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def logistics(make_staff):
    return make_staff("Logistics")


@pytest.fixture
def supplier():
    return OrganizationFactory(name="Leverantören AB", email="order@leverantoren.example")


def main() -> Warehouse:
    return Warehouse.objects.get(code="WH")


def stock() -> Location:
    return Location.objects.get(warehouse__code="WH", code="STOCK")


def on_hand(product) -> Decimal:
    return sum((quant.quantity for quant in StockQuant.objects.filter(product=product, location=stock())), Decimal(0))


def receive(product, quantity, cost="10") -> None:
    services.stock_receive(
        actor=None, product=product, quantity=Decimal(quantity), location=stock(), unit_cost=Decimal(cost)
    )


def ordered(supplier, *lines, confirm=True) -> PurchaseOrder:
    order = purchase_services.purchase_create(
        actor=None,
        supplier=supplier,
        warehouse=main(),
        lines=[
            purchase_services.PurchaseLineInput(product=product, quantity=Decimal(quantity), unit_price=Decimal(price))
            for product, quantity, price in lines
        ],
    )
    if confirm:
        order = purchase_services.purchase_confirm(actor=None, order=order, supplier_reference="OC-1")
    return order


def with_bom(product, *components, makes="1"):
    return production_services.bom_create(
        actor=None,
        product=product,
        quantity=Decimal(makes),
        components=[(component, Decimal(amount)) for component, amount in components],
    )


def line_data(prefix: str, rows: list[dict], extra: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + extra),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


# --- permissions --------------------------------------------------------------------------------------------------


def test_logistics_acts_management_reads_and_sales_is_refused(client_for, make_staff, logistics, supplier):
    order = ordered(supplier, (ProductFactory(), "2", "10"))
    detail = reverse("logistics:purchase-detail", args=[order.pk])
    pages = [PURCHASES, REORDER, BOMS, PRODUCTION, RETURNS, detail]
    forms = [
        NEW_PURCHASE,
        reverse("logistics:reorder-create"),
        reverse("logistics:bom-create"),
        reverse("logistics:production-create"),
        reverse("logistics:return-create"),
    ]
    client = client_for(logistics)
    assert [client.get(url).status_code for url in pages + forms] == [200] * 11
    assert "Receive goods" in client.get(detail).text

    client = client_for(make_staff("Management"))
    assert [client.get(url).status_code for url in pages] == [200] * 6
    assert [client.get(url).status_code for url in forms] == [403] * 5
    page = client.get(detail).text
    assert "Receive goods" not in page and "Confirm order" not in page
    assert client.post(reverse("logistics:purchase-cancel", args=[order.pk])).status_code == 403
    assert client.post(reverse("logistics:reorder-check")).status_code == 403

    client = client_for(make_staff("Sales"))
    assert [client.get(url).status_code for url in pages + forms] == [403] * 11
    order.refresh_from_db()
    assert order.state == "confirmed"


# --- purchase orders ----------------------------------------------------------------------------------------------


def test_a_purchase_request_is_created_sent_confirmed_and_partly_received(
    client_for, logistics, supplier, django_capture_on_commit_callbacks
):
    tent, stove = ProductFactory(sku="TENT-1", name="Tält"), ProductFactory(sku="STOVE-1", name="Kök")
    client = client_for(logistics)
    response = client.post(
        NEW_PURCHASE,
        {
            "supplier": supplier.pk,
            "warehouse": main().pk,
            "expected_on": "2026-12-10",
            "note": "",
            **line_data(
                "lines",
                [
                    {"product": tent.pk, "quantity": "10", "unit_price": "400", "tax_rate": "25"},
                    {"product": stove.pk, "quantity": "4", "unit_price": "150.50", "tax_rate": "25"},
                ],
                extra=1,
            ),
        },
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("logistics:purchase-detail", args=[order.pk])
    assert (order.state, order.supplier, str(order.expected_on)) == ("draft", supplier, "2026-12-10")
    assert [(line.product.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("TENT-1", Decimal("10.000"), Decimal("400.00")),
        ("STOVE-1", Decimal("4.000"), Decimal("150.50")),
    ]
    detail = reverse("logistics:purchase-detail", args=[order.pk])
    page = client.get(detail)
    assert page.context["totals"] == {"net": Decimal("4602.00"), "tax": Decimal("1150.50"), "gross": Decimal("5752.50")}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("logistics:purchase-send", args=[order.pk]), follow=True)
    assert f"{order} is on its way to order@leverantoren.example" in response.text
    assert mail.outbox[-1].to == ["order@leverantoren.example"]
    order.refresh_from_db()
    assert order.state == "sent"

    pdf = client.get(reverse("logistics:purchase-pdf", args=[order.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    client.post(reverse("logistics:purchase-confirm", args=[order.pk]), {"supplier_reference": "OC-991"})
    order.refresh_from_db()
    assert (order.state, order.supplier_reference) == ("confirmed", "OC-991")

    lines = list(order.lines.all())
    response = client.post(
        reverse("logistics:purchase-receive", args=[order.pk]),
        {
            f"line_{lines[0].pk}_quantity": "6",
            f"line_{lines[0].pk}_billed_quantity": "6",
            f"line_{lines[0].pk}_billed_price": "410",
            f"line_{lines[1].pk}_quantity": "",
            "supplier_reference": "INV-55",
            "location": stock().pk,
        },
        follow=True,
    )
    assert "6 received against" in response.text
    order.refresh_from_db()
    assert order.state == "partly"
    assert [(line.received, line.open_quantity) for line in order.lines.all()] == [
        (Decimal("6.000"), Decimal("4.000")),
        (Decimal("0.000"), Decimal("4.000")),
    ]
    receipt = GoodsReceipt.objects.get()
    assert (receipt.supplier_reference, receipt.location) == ("INV-55", stock())
    assert [(line.quantity, line.billed_quantity, line.billed_unit_price) for line in receipt.lines.all()] == [
        (Decimal("6.000"), Decimal("6.000"), Decimal("410.00"))
    ]
    assert on_hand(tent) == Decimal(6) and on_hand(stove) == Decimal(0)
    assert OutboxEvent.objects.filter(name="logistics.goods_received").count() == 1
    page = client.get(detail).text
    assert "INV-55" in page and f'data-receive-line="{lines[0].pk}"' in page


def test_the_purchase_form_shows_field_errors_and_saves_nothing(client_for, logistics, supplier):
    tent, service = ProductFactory(), ProductFactory(type="service")
    client = client_for(logistics)
    response = client.post(
        NEW_PURCHASE,
        {
            "supplier": "",
            "warehouse": main().pk,
            **line_data("lines", [{"product": tent.pk, "quantity": "0", "unit_price": "-1", "tax_rate": "25"}]),
        },
    )
    assert response.status_code == 200
    assert "supplier" in response.context["form"].errors
    line = response.context["lines"].forms[0]
    assert set(line.errors) == {"quantity", "unit_price"}
    # No lines at all: the service's refusal is shown above the lines.
    response = client.post(NEW_PURCHASE, {"supplier": supplier.pk, "warehouse": main().pk, **line_data("lines", [])})
    assert response.context["line_errors"] == ["A purchase order needs at least one line."]
    # A service is not in the goods list.
    response = client.post(
        NEW_PURCHASE,
        {
            "supplier": supplier.pk,
            "warehouse": main().pk,
            **line_data("lines", [{"product": service.pk, "quantity": "1", "unit_price": "1", "tax_rate": "25"}]),
        },
    )
    assert "product" in response.context["lines"].forms[0].errors
    assert PurchaseOrder.objects.count() == 0


def test_a_bad_receipt_shows_its_errors_and_changes_nothing(client_for, logistics, supplier):
    tent = ProductFactory()
    order = ordered(supplier, (tent, "5", "100"))
    line = order.lines.get()
    client = client_for(logistics)
    url = reverse("logistics:purchase-receive", args=[order.pk])
    response = client.post(url, {f"line_{line.pk}_quantity": "6", "location": stock().pk})
    assert response.status_code == 400
    assert response.context["receive_form"].errors[f"line_{line.pk}_quantity"] == [
        "At most 5 is still open on this line."
    ]
    response = client.post(url, {f"line_{line.pk}_quantity": "", "location": stock().pk})
    assert response.context["receive_form"].non_field_errors() == ["Say how much of which line arrived."]
    response = client.post(url, {f"line_{line.pk}_quantity": "-2", "location": stock().pk})
    assert f"line_{line.pk}_quantity" in response.context["receive_form"].errors
    assert "Please correct the errors below." in response.text
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.state, line.received, GoodsReceipt.objects.count(), on_hand(tent)) == (
        "confirmed",
        Decimal(0),
        0,
        Decimal(0),
    )


def test_a_tracked_product_is_received_with_its_serial_number(client_for, logistics, supplier):
    gps = ProductFactory(sku="GPS-60")
    StockProduct.objects.create(product=gps, tracking="serial")
    order = ordered(supplier, (gps, "2", "1000"))
    line = order.lines.get()
    client = client_for(logistics)
    url = reverse("logistics:purchase-receive", args=[order.pk])
    response = client.post(url, {f"line_{line.pk}_quantity": "1", "location": stock().pk})
    assert response.context["receive_form"].errors[f"line_{line.pk}_lot"] == [
        "GPS-60 is tracked: give its lot or serial number."
    ]
    assert GoodsReceipt.objects.count() == 0
    client.post(url, {f"line_{line.pk}_quantity": "1", f"line_{line.pk}_lot": "SN-1", "location": stock().pk})
    assert [quant.lot.code for quant in StockQuant.objects.filter(product=gps)] == ["SN-1"]
    # The same serial number again: the service refuses it, shown at the top, nothing changes.
    response = client.post(
        url, {f"line_{line.pk}_quantity": "1", f"line_{line.pk}_lot": "SN-1", "location": stock().pk}
    )
    assert response.status_code == 400
    assert response.context["receive_form"].non_field_errors() == ["Serial number SN-1 is already in stock."]
    line.refresh_from_db()
    assert line.received == Decimal(1)


def test_a_request_can_be_cancelled_but_not_received(client_for, logistics, supplier):
    order = ordered(supplier, (ProductFactory(), "1", "1"), confirm=False)
    client = client_for(logistics)
    response = client.post(reverse("logistics:purchase-receive", args=[order.pk]), {"location": stock().pk})
    assert response.status_code == 400
    client.post(reverse("logistics:purchase-cancel", args=[order.pk]), {"reason": "Too dear"})
    order.refresh_from_db()
    assert order.state == "cancelled"
    response = client.post(reverse("logistics:purchase-confirm", args=[order.pk]), follow=True)
    assert "that cannot be done now" in response.text


def test_purchase_list_searches_filters_and_keeps_its_query_count(client_for, logistics, supplier):
    other = OrganizationFactory(name="Annan AB")
    client = client_for(logistics)
    assert "No purchase orders yet" in client.get(PURCHASES).text
    for _index in range(2):
        ordered(supplier, (ProductFactory(), "1", "10"), (ProductFactory(), "2", "5"))
    client.get(PURCHASES)
    with CaptureQueriesContext(connection) as few:
        client.get(PURCHASES)
    for _index in range(26):
        ordered(other, (ProductFactory(), "1", "10"), confirm=False)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PURCHASES)
    assert len(many) == len(few)
    assert len(response.context["rows"]) == 25 and response.context["page"].has_next()
    rows = client.get(PURCHASES + "?q=Leverant").context["rows"]
    assert [(row.supplier.name, row.line_count, row.total) for row in rows] == [
        ("Leverantören AB", 2, Decimal("20.00")),
        ("Leverantören AB", 2, Decimal("20.00")),
    ]
    number = rows[0].number
    assert [row.number for row in client.get(PURCHASES + f"?q=PO-{number}").context["rows"]] == [number]
    assert len(client.get(PURCHASES + "?state=confirmed").context["rows"]) == 2
    assert client.get(PURCHASES + "?state=received").context["rows"] == []
    partial = client.get(PURCHASES + "?q=Annan", headers={"HX-Request": "true"})
    assert "<table" in partial.text and "<html" not in partial.text


# --- reorder ------------------------------------------------------------------------------------------------------


def test_reorder_rules_show_what_is_below_and_the_check_drafts_orders(client_for, logistics, supplier):
    low, fine = ProductFactory(sku="LOW-1"), ProductFactory(sku="FINE-1")
    receive(low, "2")
    receive(fine, "50")
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:reorder-create"),
        {
            "product": low.pk,
            "warehouse": main().pk,
            "minimum": "5",
            "maximum": "20",
            "supplier": supplier.pk,
            "unit_price": "12.50",
            "lead_time_days": "7",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    ReorderRule.objects.create(
        product=fine, warehouse=main(), minimum=Decimal(5), maximum=Decimal(20), supplier=supplier
    )
    page = client.get(REORDER)
    rows = {rule.product.sku: rule for rule in page.context["rows"]}
    assert (rows["LOW-1"].available, rows["LOW-1"].incoming) == (Decimal(2), Decimal(0))
    assert rows["FINE-1"].available == Decimal(50)
    assert page.context["below"] == {rows["LOW-1"].pk}
    assert page.text.count("Below minimum") == 1

    response = client.post(reverse("logistics:reorder-check"), follow=True)
    order = PurchaseOrder.objects.get()
    assert (order.origin, order.state, order.supplier) == ("reorder", "draft", supplier)
    assert [(line.product.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("LOW-1", Decimal(18), Decimal("12.50"))
    ]
    assert reverse("logistics:purchase-detail", args=[order.pk]) in response.text
    rows = {rule.product.sku: rule for rule in response.context["rows"]}
    assert rows["LOW-1"].incoming == Decimal(18) and response.context["below"] == set()
    response = client.post(reverse("logistics:reorder-check"), follow=True)
    assert "Nothing is below its minimum" in response.text and PurchaseOrder.objects.count() == 1


def test_a_reorder_rule_form_refuses_a_maximum_below_the_minimum(client_for, logistics, supplier):
    product = ProductFactory()
    rule = ReorderRule.objects.create(
        product=product, warehouse=main(), minimum=Decimal(1), maximum=Decimal(3), supplier=supplier
    )
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:reorder-edit", args=[rule.pk]),
        {
            "product": product.pk,
            "warehouse": main().pk,
            "minimum": "10",
            "maximum": "5",
            "supplier": supplier.pk,
            "unit_price": "1",
            "lead_time_days": "3",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["maximum"] == ["The maximum must be more than the minimum."]
    rule.refresh_from_db()
    assert (rule.minimum, rule.maximum) == (Decimal(1), Decimal(3))
    response = client.post(
        reverse("logistics:reorder-create"),
        {
            "product": product.pk,
            "warehouse": main().pk,
            "minimum": "1",
            "maximum": "5",
            "supplier": supplier.pk,
            "unit_price": "1",
            "lead_time_days": "3",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert ReorderRule.objects.count() == 1


# --- production ---------------------------------------------------------------------------------------------------


def test_a_bom_is_created_with_its_cost_rolled_up(client_for, logistics):
    frame, wheel, bike = ProductFactory(sku="FRAME"), ProductFactory(sku="WHEEL"), ProductFactory(sku="BIKE")
    receive(frame, "5", "1000")
    receive(wheel, "10", "250")
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:bom-create"),
        {
            "product": bike.pk,
            "quantity": "1",
            "name": "Cykel",
            **line_data(
                "components",
                [{"component": frame.pk, "quantity": "1"}, {"component": wheel.pk, "quantity": "2"}],
                extra=1,
            ),
        },
    )
    bom = BillOfMaterials.objects.get(product=bike)
    assert response["Location"] == reverse("logistics:bom-detail", args=[bom.pk])
    page = client.get(response["Location"])
    cost = page.context["cost"]
    assert [(row.line.component.sku, row.cost) for row in cost.lines] == [
        ("FRAME", Decimal("1000.00")),
        ("WHEEL", Decimal("500.00")),
    ]
    assert (cost.total, cost.unit_cost) == (Decimal("1500.00"), Decimal("1500.0000"))
    # A bill using the product itself is refused on the components.
    response = client.post(
        reverse("logistics:bom-create"),
        {"product": bike.pk, "quantity": "1", **line_data("components", [{"component": bike.pk, "quantity": "1"}])},
    )
    assert response.context["line_errors"] == [f"{bike} cannot be made from itself."]
    response = client.post(
        reverse("logistics:bom-create"),
        {"product": bike.pk, "quantity": "0", **line_data("components", [{"component": frame.pk, "quantity": ""}])},
    )
    assert "quantity" in response.context["form"].errors
    assert "quantity" in response.context["lines"].forms[0].errors
    assert BillOfMaterials.objects.filter(product=bike, is_active=True).get() == bom


def test_a_production_order_is_planned_reserved_and_made(client_for, logistics):
    frame, wheel, bike = ProductFactory(sku="FRAME"), ProductFactory(sku="WHEEL"), ProductFactory(sku="BIKE")
    with_bom(bike, (frame, "1"), (wheel, "2"))
    receive(frame, "2", "1000")
    receive(wheel, "2", "250")
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:production-create"), {"product": bike.pk, "quantity": "2", "location": stock().pk}
    )
    order = ProductionOrder.objects.get()
    assert response["Location"] == reverse("logistics:production-detail", args=[order.pk])
    assert order.state == "waiting"
    page = client.get(response["Location"])
    assert [(c.product.sku, c.quantity, c.reserved) for c in page.context["components"]] == [
        ("FRAME", Decimal(2), Decimal(2)),
        ("WHEEL", Decimal(4), Decimal(2)),
    ]
    assert page.context["can_complete"] is False
    response = client.post(reverse("logistics:production-complete", args=[order.pk]), follow=True)
    assert "that cannot be done now" in response.text
    receive(wheel, "2", "250")
    response = client.post(reverse("logistics:production-reserve", args=[order.pk]), follow=True)
    assert f"{order} is ready to make." in response.text
    response = client.post(reverse("logistics:production-complete", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert (order.state, order.unit_cost) == ("done", Decimal("1500.0000"))
    assert [(c.reserved, c.consumed) for c in response.context["components"]] == [
        (Decimal(0), Decimal(2)),
        (Decimal(0), Decimal(4)),
    ]
    assert (on_hand(bike), on_hand(frame), on_hand(wheel)) == (Decimal(2), Decimal(0), Decimal(0))


def test_the_production_form_refuses_bad_input(client_for, logistics):
    bike = ProductFactory()
    with_bom(bike, (ProductFactory(), "1"))
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:production-create"), {"product": bike.pk, "quantity": "0", "location": stock().pk}
    )
    assert "quantity" in response.context["form"].errors
    response = client.post(
        reverse("logistics:production-create"),
        {"product": ProductFactory().pk, "quantity": "1", "location": stock().pk},
    )
    assert "product" in response.context["form"].errors
    assert ProductionOrder.objects.count() == 0


def test_a_cancelled_production_order_releases_its_components(client_for, logistics):
    part, thing = ProductFactory(), ProductFactory()
    with_bom(thing, (part, "1"))
    receive(part, "3")
    order = production_services.production_create(actor=None, product=thing, quantity=Decimal(3), location=stock())
    assert order.state == "ready"
    client_for(logistics).post(reverse("logistics:production-cancel", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == "cancelled"
    assert StockQuant.objects.get(product=part, location=stock()).reserved == Decimal(0)


def test_production_and_bom_lists_keep_their_query_count(client_for, logistics):
    client = client_for(logistics)
    part = ProductFactory()
    receive(part, "1000")

    def plan(count):
        for _index in range(count):
            product = ProductFactory()
            with_bom(product, (part, "1"))
            production_services.production_create(actor=None, product=product, quantity=Decimal(1), location=stock())

    plan(2)
    client.get(PRODUCTION)
    with CaptureQueriesContext(connection) as few_orders, CaptureQueriesContext(connection):
        client.get(PRODUCTION)
    with CaptureQueriesContext(connection) as few_boms:
        client.get(BOMS)
    plan(26)
    with CaptureQueriesContext(connection) as many_orders:
        response = client.get(PRODUCTION)
    assert len(many_orders) == len(few_orders) and len(response.context["rows"]) == 25
    with CaptureQueriesContext(connection) as many_boms:
        response = client.get(BOMS)
    assert len(many_boms) == len(few_boms) and len(response.context["rows"]) == 25


# --- returns ------------------------------------------------------------------------------------------------------


def test_a_return_is_prefilled_from_a_ticket_created_and_received(client_for, logistics):
    customer = OrganizationFactory(name="Kund AB")
    good, broken = ProductFactory(sku="GOOD"), ProductFactory(sku="BROKEN")
    receive(good, "1", "100")
    receive(broken, "1", "100")
    client = client_for(logistics)
    url = reverse("logistics:return-create")
    page = client.get(url + f"?ticket=77&ticket_reference=T-1234&organization={customer.pk}")
    form = page.context["form"]
    assert (form["ticket_id"].value(), form["ticket_reference"].value(), form["organization"].value()) == (
        77,
        "T-1234",
        customer.pk,
    )
    assert "Kund AB" in page.text and "T-1234" in page.text
    response = client.post(
        url,
        {
            "organization": customer.pk,
            "ticket_id": "77",
            "ticket_reference": "T-1234",
            "reason": "Wrong size",
            **line_data(
                "lines",
                [
                    {"product": good.pk, "quantity": "1", "disposition": "restock"},
                    {"product": broken.pk, "quantity": "1", "disposition": "scrap"},
                ],
                extra=1,
            ),
        },
    )
    rma = ReturnOrder.objects.get()
    assert response["Location"] == reverse("logistics:return-detail", args=[rma.pk])
    assert (rma.state, rma.ticket_id, rma.ticket_reference, rma.organization, rma.warehouse.code) == (
        "open",
        77,
        "T-1234",
        customer,
        "WH",
    )
    response = client.post(reverse("logistics:return-receive", args=[rma.pk]), {"location": stock().pk}, follow=True)
    assert f"Return {rma} is received." in response.text
    rma.refresh_from_db()
    assert rma.state == "received"
    assert (on_hand(good), on_hand(broken)) == (Decimal(2), Decimal(1))
    assert StockMove.objects.filter(product=broken, kind="scrap").count() == 1
    assert OutboxEvent.objects.filter(name="logistics.return_received").count() == 1
    assert client.get(RETURNS + "?q=T-1234").context["rows"][0] == rma


def test_the_return_form_shows_field_errors_and_saves_nothing(client_for, logistics):
    customer = OrganizationFactory()
    client = client_for(logistics)
    url = reverse("logistics:return-create")
    response = client.post(
        url,
        {
            "organization": customer.pk,
            "delivery_number": "OUT-999999",
            "reason": "",
            **line_data("lines", [{"product": ProductFactory().pk, "quantity": "0", "disposition": "restock"}]),
        },
    )
    errors = response.context["form"].errors
    assert set(errors) == {"delivery_number", "reason"}
    assert errors["delivery_number"] == ["No delivery has that number."]
    assert "quantity" in response.context["lines"].forms[0].errors
    response = client.post(url, {"organization": customer.pk, "reason": "Broken", **line_data("lines", [])})
    assert response.context["line_errors"] == ["Return at least one product, each more than zero."]
    assert ReturnOrder.objects.count() == 0


def test_a_return_from_a_delivery_of_another_customer_is_refused_on_the_delivery(client_for, logistics):
    customer, other = OrganizationFactory(), OrganizationFactory()
    delivery = DeliveryOrder.objects.create(organization=other, warehouse=main(), order_id=1)
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:return-create"),
        {
            "organization": customer.pk,
            "delivery_number": str(delivery),
            "reason": "Wrong",
            **line_data("lines", [{"product": ProductFactory().pk, "quantity": "1", "disposition": "restock"}]),
        },
    )
    assert response.context["form"].errors["delivery_number"] == ["That delivery went to another customer."]
    assert ReturnOrder.objects.count() == 0


def test_return_list_keeps_its_query_count(client_for, logistics):
    from backoffice.logistics import return_services

    customer = OrganizationFactory()
    product = ProductFactory()

    def returned(count):
        for _index in range(count):
            return_services.return_create(
                actor=None,
                organization=customer,
                reason="Broken",
                lines=[return_services.ReturnLineInput(product=product, quantity=Decimal(1))],
            )

    client = client_for(logistics)
    assert "No returns yet" in client.get(RETURNS).text
    returned(2)
    client.get(RETURNS)
    with CaptureQueriesContext(connection) as few:
        client.get(RETURNS)
    returned(26)
    with CaptureQueriesContext(connection) as many:
        response = client.get(RETURNS)
    assert len(many) == len(few) and len(response.context["rows"]) == 25
    assert client.get(RETURNS + "?state=received").context["rows"] == []


# --- admin --------------------------------------------------------------------------------------------------------


def test_the_admin_shows_every_model_read_only_but_reorder_rules_and_cancels_through_the_service(
    client, admin_user, supplier
):
    from django.apps import apps
    from django.contrib import admin

    part, thing = ProductFactory(), ProductFactory()
    receive(part, "5")
    with_bom(thing, (part, "1"))
    production = production_services.production_create(actor=None, product=thing, quantity=Decimal(1), location=stock())
    order = ordered(supplier, (part, "3", "10"))
    purchase_services.purchase_receive(
        actor=None, order=order, lines=[purchase_services.ReceiveLineInput(order_line=order.lines.get(), quantity=1)]
    )
    draft = ordered(supplier, (part, "1", "1"), confirm=False)
    names = (
        "purchaseorder purchaseorderline goodsreceipt goodsreceiptline reorderrule billofmaterials bomline "
        "productionorder productioncomponent componentreservation returnorder returnline"
    )
    models = [apps.get_model("logistics", name) for name in names.split()]
    assert all(admin.site.is_registered(model) for model in models)
    client.force_login(admin_user)
    for model in models:
        assert client.get(reverse(f"admin:logistics_{model._meta.model_name}_changelist")).status_code == 200
    assert client.get(reverse("admin:logistics_purchaseorder_change", args=[order.pk])).status_code == 200
    assert client.get(reverse("admin:logistics_productionorder_change", args=[production.pk])).status_code == 200
    for name in ("purchaseorder", "goodsreceipt", "billofmaterials", "productionorder", "returnorder"):
        assert client.get(reverse(f"admin:logistics_{name}_add")).status_code == 403
    assert client.get(reverse("admin:logistics_reorderrule_add")).status_code == 200
    url = reverse("admin:logistics_purchaseorder_changelist")
    response = client.post(url, {"action": "cancel_orders", "_selected_action": [order.pk, draft.pk]}, follow=True)
    assert "Purchase orders cancelled: 1." in response.text and "that cannot be done now" in response.text
    draft.refresh_from_db()
    order.refresh_from_db()
    assert (draft.state, order.state) == ("cancelled", "partly")
    url = reverse("admin:logistics_productionorder_changelist")
    client.post(url, {"action": "cancel_orders", "_selected_action": [production.pk]})
    production.refresh_from_db()
    assert production.state == "cancelled"


# --- demo ---------------------------------------------------------------------------------------------------------


def test_the_demo_seeds_purchasing_production_and_a_return_once(admin_user):
    from backoffice.logistics import purchase_demo
    from core.parties.models import Organization

    for sku in ("BAG-60L", "STOVE-GAS", "SLEEP-3S", "COFFEE-1KG", "TENT-2P"):
        ProductFactory(sku=sku)
    receive(product_by("COFFEE-1KG"), "10", "84")
    OrganizationFactory(name="Kund AB", roles=["customer"])
    summary = purchase_demo.seed(admin_user)
    supplier = Organization.objects.get(name=purchase_demo.SUPPLIER_NAME)
    assert supplier.email == purchase_demo.SUPPLIER_EMAIL
    order = PurchaseOrder.objects.get(supplier=supplier)
    assert order.state == "partly"
    assert [(line.product.sku, line.quantity, line.received) for line in order.lines.all()] == [
        ("SLEEP-3S", Decimal(10), Decimal(6)),
        ("COFFEE-1KG", Decimal(20), Decimal(0)),
    ]
    assert sorted(ReorderRule.objects.values_list("product__sku", flat=True)) == ["BAG-60L", "STOVE-GAS"]
    production = ProductionOrder.objects.get()
    assert (production.product.sku, production.state, production.unit_cost) == ("KIT-CAMP", "done", Decimal("1460"))
    assert BillOfMaterials.objects.get().lines.count() == 2
    rma = ReturnOrder.objects.get()
    assert (rma.state, rma.organization.name) == ("received", "Kund AB")
    assert on_hand(product_by("COFFEE-1KG")) == Decimal(11)
    assert summary.startswith(f"supplier {purchase_demo.SUPPLIER_NAME}, 2 reorder rules, {order} partly received")
    assert purchase_demo.seed(admin_user) == summary
    assert (PurchaseOrder.objects.count(), ProductionOrder.objects.count(), ReturnOrder.objects.count()) == (1, 1, 1)


def product_by(sku: str):
    from core.catalog.models import Product

    return Product.objects.get(sku=sku)
