"""/api/v1/logistics/ purchase-orders, boms, production-orders and returns: the happy paths with exact
quantities and states, 400s naming the field, a receipt replayed by its Idempotency-Key, and who may call."""

from decimal import Decimal

import pytest
from django.core import mail

from backoffice.logistics import production_services, services
from backoffice.logistics.models import (
    BillOfMaterials,
    GoodsReceipt,
    Location,
    ProductionOrder,
    PurchaseOrder,
    ReturnOrder,
    StockProduct,
    StockQuant,
    Warehouse,
)
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

BASE = "/api/v1/logistics/"
PURCHASES = f"{BASE}purchase-orders/"
BOMS = f"{BASE}boms/"
PRODUCTION = f"{BASE}production-orders/"
RETURNS = f"{BASE}returns/"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def logistics(api_client_for, make_staff):
    return api_client_for(make_staff("Logistics"))


@pytest.fixture
def supplier():
    return OrganizationFactory(name="Leverantören AB", email="order@leverantoren.example")


def main() -> Warehouse:
    return Warehouse.objects.get(code="WH")


def stock() -> Location:
    return Location.objects.get(warehouse__code="WH", code="STOCK")


def on_hand(product) -> Decimal:
    return sum((quant.quantity for quant in StockQuant.objects.filter(product=product)), Decimal(0))


def receive(product, quantity, cost="10") -> None:
    services.stock_receive(
        actor=None, product=product, quantity=Decimal(quantity), location=stock(), unit_cost=Decimal(cost)
    )


def create_purchase(client, supplier, *lines) -> dict:
    response = client.post(
        PURCHASES,
        {
            "supplier": supplier.pk,
            "warehouse": main().pk,
            "expected_on": "2026-12-10",
            "lines": [
                {"product": product.pk, "quantity": quantity, "unit_price": price} for product, quantity, price in lines
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


# --- purchase orders ----------------------------------------------------------------------------------------------


def test_a_purchase_order_is_created_sent_confirmed_and_received_in_parts(
    logistics, supplier, django_capture_on_commit_callbacks
):
    tent, stove = ProductFactory(sku="TENT-1"), ProductFactory(sku="STOVE-1")
    body = create_purchase(logistics, supplier, (tent, "10", "400"), (stove, "4", "150.50"))
    assert (body["state"], body["label"], body["supplier_name"]) == ("draft", f"PO-{body['number']}", supplier.name)
    assert [(line["sku"], line["quantity"], line["unit_price"], line["tax_rate"]) for line in body["lines"]] == [
        ("TENT-1", "10.000", "400.00", "25.00"),
        ("STOVE-1", "4.000", "150.50", "25.00"),
    ]
    url = f"{PURCHASES}{body['id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        sent = logistics.post(f"{url}send/")
    assert (sent.status_code, sent.json()["state"]) == (200, "sent")
    assert mail.outbox[-1].to == ["order@leverantoren.example"]
    confirmed = logistics.post(f"{url}confirm/", {"supplier_reference": "OC-7"}, format="json").json()
    assert (confirmed["state"], confirmed["supplier_reference"]) == ("confirmed", "OC-7")

    tent_line, stove_line = body["lines"][0]["id"], body["lines"][1]["id"]
    response = logistics.post(
        f"{url}receive/",
        {
            "lines": [{"line": tent_line, "quantity": "6", "billed_quantity": "6", "billed_unit_price": "410"}],
            "supplier_reference": "INV-55",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    order = response.json()
    assert order["state"] == "partly"
    assert [(line["received"], line["open_quantity"]) for line in order["lines"]] == [
        ("6.000", "4.000"),
        ("0.000", "4.000"),
    ]
    assert [
        (receipt["supplier_reference"], receipt["location"], [line["billed_unit_price"] for line in receipt["lines"]])
        for receipt in order["receipts"]
    ] == [("INV-55", stock().pk, ["410.00"])]
    response = logistics.post(
        f"{url}receive/",
        {"lines": [{"line": tent_line, "quantity": "4"}, {"line": stove_line, "quantity": "4"}]},
        format="json",
    )
    assert response.json()["state"] == "received"
    assert (on_hand(tent), on_hand(stove)) == (Decimal(10), Decimal(4))
    assert OutboxEvent.objects.filter(name="logistics.goods_received").count() == 2

    listed = logistics.get(PURCHASES, {"state": "received", "supplier": supplier.pk}).json()
    assert [(row["id"], row["line_count"], row["total"]) for row in listed["results"]] == [(body["id"], 2, "4602.00")]
    assert logistics.get(PURCHASES, {"state": "draft"}).json()["results"] == []


def test_a_receipt_with_an_idempotency_key_books_once(logistics, supplier):
    tent = ProductFactory()
    body = create_purchase(logistics, supplier, (tent, "10", "100"))
    url = f"{PURCHASES}{body['id']}/"
    logistics.post(f"{url}confirm/", {}, format="json")
    payload = {"lines": [{"line": body["lines"][0]["id"], "quantity": "3"}]}
    first = logistics.post(f"{url}receive/", payload, format="json", HTTP_IDEMPOTENCY_KEY="receipt-1")
    assert first.status_code == 200, first.json()
    again = logistics.post(f"{url}receive/", payload, format="json", HTTP_IDEMPOTENCY_KEY="receipt-1")
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (200, "true", first.json())
    other = logistics.post(
        f"{url}receive/",
        {"lines": [{"line": body["lines"][0]["id"], "quantity": "4"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="receipt-1",
    )
    assert other.status_code == 422
    assert GoodsReceipt.objects.count() == 1 and on_hand(tent) == Decimal(3)


def test_purchase_orders_refuse_bad_input_naming_the_field(logistics, supplier):
    tent, service = ProductFactory(), ProductFactory(type="service")
    good = {
        "supplier": supplier.pk,
        "warehouse": main().pk,
        "lines": [{"product": tent.pk, "quantity": "1", "unit_price": "1"}],
    }
    for changes, field in [
        ({"supplier": 999999}, "supplier"),
        ({"warehouse": None}, "warehouse"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": service.pk, "quantity": "1", "unit_price": "1"}]}, "lines"),
        ({"lines": [{"product": tent.pk, "quantity": "0", "unit_price": "1"}]}, "lines"),
        ({"lines": [{"product": tent.pk, "quantity": "1", "unit_price": "-1"}]}, "lines"),
        ({"expected_on": "soon"}, "expected_on"),
    ]:
        response = logistics.post(PURCHASES, {**good, **changes}, format="json")
        assert response.status_code == 400, changes
        assert list(response.json()) == [field], response.json()
    assert not PurchaseOrder.objects.exists()

    no_mail = OrganizationFactory(email="")
    body = create_purchase(logistics, no_mail, (tent, "5", "10"))
    url = f"{PURCHASES}{body['id']}/"
    response = logistics.post(f"{url}send/")
    assert response.status_code == 400 and "has no e-mail address" in str(response.json())
    # A request is not received before it is confirmed.
    response = logistics.post(
        f"{url}receive/", {"lines": [{"line": body["lines"][0]["id"], "quantity": "1"}]}, format="json"
    )
    assert response.status_code == 400 and "that cannot be done now" in str(response.json())
    logistics.post(f"{url}confirm/", {}, format="json")
    other = create_purchase(logistics, no_mail, (tent, "1", "1"))
    serial = ProductFactory()
    StockProduct.objects.create(product=serial, tracking="serial")
    for payload, field in [
        ({"lines": []}, "lines"),
        ({"lines": [{"line": body["lines"][0]["id"], "quantity": "0"}]}, "lines"),
        ({"lines": [{"line": other["lines"][0]["id"], "quantity": "1"}]}, "lines"),
        ({"lines": [{"line": 999999, "quantity": "1"}]}, "lines"),
        (
            {
                "lines": [{"line": body["lines"][0]["id"], "quantity": "1"}],
                "location": Location.objects.get(code="CUSTOMERS").pk,
            },
            "location",
        ),
        ({"lines": [{"line": body["lines"][0]["id"], "quantity": "1", "billed_unit_price": "-1"}]}, "lines"),
    ]:
        response = logistics.post(f"{url}receive/", payload, format="json", HTTP_IDEMPOTENCY_KEY=f"bad-{field}")
        assert response.status_code == 400, payload
        assert list(response.json()) == [field], response.json()
    assert not GoodsReceipt.objects.exists() and on_hand(tent) == Decimal(0)
    # A failed request is not remembered: the key works once the body is right.
    response = logistics.post(
        f"{url}receive/",
        {"lines": [{"line": body["lines"][0]["id"], "quantity": "1"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="bad-lines",
    )
    assert response.status_code == 200
    cancelled = logistics.post(f"{url}cancel/", {"reason": "late"}, format="json")
    assert cancelled.status_code == 400


def test_a_serial_product_received_without_a_serial_number_is_refused_on_the_lines(logistics, supplier):
    serial = ProductFactory()
    StockProduct.objects.create(product=serial, tracking="serial")
    body = create_purchase(logistics, supplier, (serial, "1", "100"))
    url = f"{PURCHASES}{body['id']}/"
    logistics.post(f"{url}confirm/", {}, format="json")
    response = logistics.post(
        f"{url}receive/", {"lines": [{"line": body["lines"][0]["id"], "quantity": "1"}]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["lines"], response.json()
    response = logistics.post(
        f"{url}receive/",
        {"lines": [{"line": body["lines"][0]["id"], "quantity": "1", "lot_code": "SN-1"}]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["receipts"][0]["lines"][0]["lot"] == "SN-1"


# --- bills of materials and production ----------------------------------------------------------------------------


def test_a_bom_is_created_with_its_cost_and_a_production_order_is_made(logistics):
    frame, wheel, bike = ProductFactory(sku="FRAME"), ProductFactory(sku="WHEEL"), ProductFactory(sku="BIKE")
    receive(frame, "2", "1000")
    receive(wheel, "2", "250")
    response = logistics.post(
        BOMS,
        {
            "product": bike.pk,
            "name": "Cykel",
            "components": [{"component": frame.pk, "quantity": "1"}, {"component": wheel.pk, "quantity": "2"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    bom = response.json()
    assert (bom["sku"], bom["quantity"], bom["unit_cost"]) == ("BIKE", "1.000", "1500.0000")
    assert [(line["sku"], line["quantity"]) for line in bom["lines"]] == [("FRAME", "1.000"), ("WHEEL", "2.000")]
    assert logistics.get(f"{BOMS}{bom['id']}/").json()["unit_cost"] == "1500.0000"
    assert [row["component_count"] for row in logistics.get(BOMS).json()["results"]] == [2]

    response = logistics.post(PRODUCTION, {"product": bike.pk, "quantity": "2", "location": stock().pk}, format="json")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["state"] == "waiting"
    assert [(c["sku"], c["quantity"], c["reserved"]) for c in order["components"]] == [
        ("FRAME", "2.000", "2.000"),
        ("WHEEL", "4.000", "2.000"),
    ]
    url = f"{PRODUCTION}{order['id']}/"
    assert logistics.post(f"{url}complete/").status_code == 400
    receive(wheel, "2", "250")
    assert logistics.post(f"{url}reserve/").json()["state"] == "ready"
    done = logistics.post(f"{url}complete/").json()
    assert (done["state"], done["unit_cost"]) == ("done", "1500.0000")
    assert [(c["reserved"], c["consumed"]) for c in done["components"]] == [("0.000", "2.000"), ("0.000", "4.000")]
    assert on_hand(bike) == Decimal(2)
    assert logistics.post(f"{url}cancel/").status_code == 400
    assert [row["state"] for row in logistics.get(PRODUCTION, {"state": "done"}).json()["results"]] == ["done"]


def test_boms_and_production_orders_refuse_bad_input_naming_the_field(logistics):
    part, thing, plain = ProductFactory(), ProductFactory(), ProductFactory()
    for body, field in [
        ({"product": thing.pk, "components": []}, "components"),
        ({"product": thing.pk, "components": [{"component": thing.pk, "quantity": "1"}]}, "components"),
        (
            {
                "product": thing.pk,
                "components": [{"component": part.pk, "quantity": "1"}, {"component": part.pk, "quantity": "2"}],
            },
            "components",
        ),
        ({"product": thing.pk, "quantity": "0", "components": [{"component": part.pk, "quantity": "1"}]}, "quantity"),
        ({"product": 999999, "components": [{"component": part.pk, "quantity": "1"}]}, "product"),
    ]:
        response = logistics.post(BOMS, body, format="json")
        assert response.status_code == 400, body
        assert list(response.json()) == [field], response.json()
    assert not BillOfMaterials.objects.exists()
    production_services.bom_create(actor=None, product=thing, components=[(part, Decimal(1))])
    for body, field in [
        ({"product": plain.pk, "quantity": "1", "location": stock().pk}, "product"),
        ({"product": thing.pk, "quantity": "0", "location": stock().pk}, "quantity"),
        ({"product": thing.pk, "quantity": "1", "location": Location.objects.get(code="CUSTOMERS").pk}, "location"),
    ]:
        response = logistics.post(PRODUCTION, body, format="json")
        assert response.status_code == 400, body
        assert list(response.json()) == [field], response.json()
    assert not ProductionOrder.objects.exists()


# --- returns ------------------------------------------------------------------------------------------------------


def test_a_return_from_a_ticket_is_opened_and_received(logistics):
    customer = OrganizationFactory()
    good, broken = ProductFactory(sku="GOOD"), ProductFactory(sku="BROKEN")
    receive(good, "1", "100")
    receive(broken, "1", "100")
    response = logistics.post(
        RETURNS,
        {
            "customer": customer.pk,
            "reason": "Wrong size",
            "ticket_id": 77,
            "ticket_reference": "T-1234",
            "lines": [
                {"product": good.pk, "quantity": "1"},
                {"product": broken.pk, "quantity": "1", "disposition": "scrap"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    rma = response.json()
    assert (rma["state"], rma["customer"], rma["ticket_id"], rma["ticket_reference"]) == (
        "open",
        customer.pk,
        77,
        "T-1234",
    )
    assert [(line["sku"], line["disposition"]) for line in rma["lines"]] == [("GOOD", "restock"), ("BROKEN", "scrap")]
    received = logistics.post(f"{RETURNS}{rma['id']}/receive/", {}, format="json")
    assert (received.status_code, received.json()["state"]) == (200, "received")
    assert (on_hand(good), on_hand(broken)) == (Decimal(2), Decimal(1))
    assert OutboxEvent.objects.filter(name="logistics.return_received").count() == 1
    assert logistics.post(f"{RETURNS}{rma['id']}/receive/", {}, format="json").status_code == 400
    assert [row["id"] for row in logistics.get(RETURNS, {"ticket_id": 77}).json()["results"]] == [rma["id"]]


def test_returns_refuse_bad_input_naming_the_field(logistics):
    customer = OrganizationFactory()
    product = ProductFactory()
    good = {"customer": customer.pk, "reason": "Broken", "lines": [{"product": product.pk, "quantity": "1"}]}
    for changes, field in [
        ({"customer": 999999}, "customer"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": product.pk, "quantity": "0"}]}, "lines"),
        ({"lines": [{"product": product.pk, "quantity": "1", "disposition": "burn"}]}, "lines"),
        ({"delivery": 999999}, "delivery"),
    ]:
        response = logistics.post(RETURNS, {**good, **changes}, format="json")
        assert response.status_code == 400, changes
        assert list(response.json()) == [field], response.json()
    assert not ReturnOrder.objects.exists()


# --- who may call -------------------------------------------------------------------------------------------------


def test_management_reads_and_sales_is_refused(api_client_for, make_staff, supplier):
    tent = ProductFactory()
    management = api_client_for(make_staff("Management"))
    for url in (PURCHASES, BOMS, PRODUCTION, RETURNS):
        assert management.get(url).status_code == 200
    response = management.post(
        PURCHASES,
        {
            "supplier": supplier.pk,
            "warehouse": main().pk,
            "lines": [{"product": tent.pk, "quantity": "1", "unit_price": "1"}],
        },
        format="json",
    )
    assert response.status_code == 403
    order = PurchaseOrder.objects.create(supplier=supplier, warehouse=main())
    assert management.get(f"{PURCHASES}{order.pk}/").status_code == 200
    assert management.post(f"{PURCHASES}{order.pk}/confirm/", {}, format="json").status_code == 403
    assert management.post(f"{PURCHASES}{order.pk}/cancel/", {}, format="json").status_code == 403

    sales = api_client_for(make_staff("Sales"))
    for url in (PURCHASES, BOMS, PRODUCTION, RETURNS, f"{PURCHASES}{order.pk}/"):
        assert sales.get(url).status_code == 403
    assert sales.post(f"{PURCHASES}{order.pk}/confirm/", {}, format="json").status_code == 403
    order.refresh_from_db()
    assert order.state == "draft"


def test_the_purchase_list_takes_the_same_queries_for_2_or_12_orders(logistics, supplier, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(count):
        for _index in range(count):
            create_purchase(logistics, supplier, (ProductFactory(), "1", "10"), (ProductFactory(), "1", "10"))

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert len(logistics.get(PURCHASES).json()["results"]) == 2
    make(10)
    with CaptureQueriesContext(connection) as many:
        assert len(logistics.get(PURCHASES).json()["results"]) == 12
    assert len(many) == len(few)
