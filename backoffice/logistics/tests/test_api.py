"""/api/v1/logistics/: stock, moves (receive, transfer, adjust behind an Idempotency-Key), deliveries and their
steps, warehouses, locations and serial numbers; 400s name the field; rights per department; lists take the
same number of queries for few rows or many."""

import json
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.logistics import selectors, services
from backoffice.logistics.api import DeliveryOrderSerializer, delivery_document
from backoffice.logistics.models import (
    DeliveryOrder,
    Location,
    Reservation,
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
API = "/api/v1/logistics/"
STOCK, MOVES, DELIVERIES = f"{API}stock/", f"{API}moves/", f"{API}deliveries/"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def logistics(api_client_for, make_staff):
    return api_client_for(make_staff("Logistics"))


def stock_location() -> Location:
    return Location.objects.get(warehouse__code="WH", code="STOCK")


def receive(product, quantity, cost="100.00", location=None, lot=""):
    return services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(quantity),
        location=location or stock_location(),
        unit_cost=Decimal(cost),
        lot_code=lot,
    )


def order(product, quantity, *, order_id=1, customer=None) -> DeliveryOrder:
    return services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=order_id,
        order_number=f"SO-{order_id:06d}",
        organization_id=(customer or OrganizationFactory()).pk,
        customer_name="Kund AB",
        lines=[services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(quantity), order_line_id=order_id)],
    )


# --- stock --------------------------------------------------------------------------------------------------


def test_stock_lists_on_hand_reserved_and_available_per_location_and_filters(logistics):
    tent, map_ = ProductFactory(sku="TENT-1"), ProductFactory(sku="MAP-1")
    shelf = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    receive(tent, "10")
    receive(map_, "3", location=shelf)
    order(tent, "4")

    rows = logistics.get(STOCK).json()["results"]
    assert [(r["sku"], r["location_code"], r["on_hand"], r["reserved"], r["available"]) for r in rows] == [
        ("MAP-1", "A-01", "3.000", "0.000", "3.000"),
        ("TENT-1", "STOCK", "10.000", "4.000", "6.000"),
    ]
    assert rows[1]["warehouse_code"] == "WH" and rows[1]["lot"] is None and rows[1]["product"] == tent.pk

    def skus(params):
        response = logistics.get(STOCK, params)
        assert response.status_code == 200, response.json()
        return [row["sku"] for row in response.json()["results"]]

    assert skus({"product": tent.pk}) == ["TENT-1"]
    assert skus({"sku": "map-1"}) == ["MAP-1"]
    assert skus({"location": shelf.pk}) == ["MAP-1"]
    assert skus({"warehouse": shelf.warehouse_id}) == ["MAP-1", "TENT-1"]
    assert skus({"low": "5"}) == ["MAP-1"]
    assert skus({"low": "6.5"}) == ["MAP-1", "TENT-1"]
    for params, field in [
        ({"low": "few"}, "low"),
        ({"warehouse": 999999}, "warehouse"),
        ({"product": "tent"}, "product"),
        ({"location": "x"}, "location"),
    ]:
        response = logistics.get(STOCK, params)
        assert response.status_code == 400, params
        assert list(response.json()) == [field]


def test_the_stock_list_takes_the_same_queries_for_2_or_12_rows(logistics):
    for _ in range(2):
        receive(ProductFactory(), "1")
    logistics.get(STOCK)  # the user's rights are cached from now on
    with CaptureQueriesContext(connection) as few:
        assert logistics.get(STOCK).json()["count"] == 2
    for number in range(10):
        receive(ProductFactory(), "2", lot="")
        if number == 3:
            product = ProductFactory()
            StockProduct.objects.create(product=product, tracking="lot")
            receive(product, "5", lot="L-1")
    with CaptureQueriesContext(connection) as many:
        assert logistics.get(STOCK, {"page_size": 50}).json()["count"] == 13
    assert len(many) == len(few)


# --- moves --------------------------------------------------------------------------------------------------


def test_a_receipt_books_stock_and_reserves_a_waiting_delivery(logistics):
    product = ProductFactory(sku="TENT-1")
    supplier = OrganizationFactory(name="Leverantör AB")
    waiting = order(product, "2")
    response = logistics.post(
        f"{MOVES}receive/",
        {
            "product": product.pk,
            "quantity": "5",
            "location": stock_location().pk,
            "unit_cost": "80.50",
            "supplier": supplier.pk,
            "reference": "PO-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["sku"], body["quantity"], body["unit_cost"], body["value"]) == (
        "receipt",
        "TENT-1",
        "5.000",
        "80.5000",
        "402.50",
    )
    assert (body["from_label"], body["to_label"], body["partner_name"], body["reference"]) == (
        "Suppliers",
        "WH/STOCK",
        "Leverantör AB",
        "PO-1",
    )
    stock = StockQuant.objects.get(product=product)
    assert (stock.quantity, stock.reserved) == (Decimal("5.000"), Decimal("2.000"))
    waiting.refresh_from_db()
    assert waiting.state == "ready"
    assert logistics.get(f"{MOVES}{body['id']}/").json()["value"] == "402.50"


def test_a_receipt_with_an_idempotency_key_books_one_move(logistics):
    product = ProductFactory()
    body = {"product": product.pk, "quantity": "3", "location": stock_location().pk, "unit_cost": "10"}
    first = logistics.post(f"{MOVES}receive/", body, format="json", HTTP_IDEMPOTENCY_KEY="receipt-1")
    assert first.status_code == 201, first.json()
    again = logistics.post(f"{MOVES}receive/", body, format="json", HTTP_IDEMPOTENCY_KEY="receipt-1")
    assert (again.status_code, again.json()["id"], again["Idempotent-Replayed"]) == (201, first.json()["id"], "true")
    other = logistics.post(
        f"{MOVES}receive/", {**body, "quantity": "4"}, format="json", HTTP_IDEMPOTENCY_KEY="receipt-1"
    )
    assert other.status_code == 422
    assert StockMove.objects.filter(product=product).count() == 1
    assert StockQuant.objects.get(product=product).quantity == Decimal("3.000")


def test_receipts_refuse_bad_input_naming_the_field(logistics):
    product, service = ProductFactory(), ProductFactory(type="service")
    serial = ProductFactory()
    StockProduct.objects.create(product=serial, tracking="serial")
    good = {"product": product.pk, "quantity": "1", "location": stock_location().pk, "unit_cost": "10"}
    for changes, field in [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"unit_cost": "-1"}, "unit_cost"),
        ({"product": service.pk}, "product"),
        ({"product": 999999}, "product"),
        ({"location": Location.objects.get(code="CUSTOMERS").pk}, "location"),
        ({"location": 999999}, "location"),
        ({"supplier": 999999}, "supplier"),
        ({"product": serial.pk}, "lot"),
    ]:
        response = logistics.post(f"{MOVES}receive/", {**good, **changes}, format="json")
        assert response.status_code == 400, changes
        assert list(response.json()) == [field], response.json()
    response = logistics.post(f"{MOVES}receive/", {}, format="json")
    assert set(response.json()) == {"product", "quantity", "location", "unit_cost"}
    assert not StockMove.objects.exists()


def test_a_transfer_moves_available_stock_and_refuses_more(logistics):
    product = ProductFactory()
    receive(product, "5")
    order(product, "3")  # 3 of the 5 are reserved
    shelf = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    body = {"product": product.pk, "quantity": "2", "from_location": stock_location().pk, "to_location": shelf.pk}
    response = logistics.post(f"{MOVES}transfer/", body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["kind"], response.json()["to_label"]) == ("transfer", "WH/A-01")
    assert StockQuant.objects.get(product=product, location=shelf).quantity == Decimal("2.000")

    refused = logistics.post(f"{MOVES}transfer/", {**body, "quantity": "1"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["quantity"]
    scrap = Location.objects.get(code="SCRAP")
    refused = logistics.post(f"{MOVES}transfer/", {**body, "to_location": scrap.pk}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["to_location"])
    refused = logistics.post(f"{MOVES}transfer/", {**body, "lot": "NOPE"}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["lot"])
    assert selectors.stock_drift() == []


def test_adjustments_add_take_away_and_scrap_with_a_reason(logistics):
    product = ProductFactory()
    receive(product, "5", "10.00")
    location = stock_location().pk
    found = logistics.post(
        f"{MOVES}adjust/",
        {"product": product.pk, "location": location, "quantity": "2", "reason": "Hittad"},
        format="json",
    )
    assert found.status_code == 201, found.json()
    assert (found.json()["kind"], found.json()["from_label"], found.json()["reason"]) == (
        "adjustment",
        "Inventory loss and gain",
        "Hittad",
    )
    scrapped = logistics.post(
        f"{MOVES}adjust/",
        {"product": product.pk, "location": location, "quantity": "-3", "reason": "Trasig", "kind": "scrap"},
        format="json",
    )
    assert scrapped.status_code == 201, scrapped.json()
    assert (scrapped.json()["kind"], scrapped.json()["to_label"], scrapped.json()["quantity"]) == (
        "scrap",
        "Scrap",
        "3.000",
    )
    assert StockQuant.objects.get(product=product).quantity == Decimal("4.000")
    for changes, field in [
        ({"quantity": "-5"}, "quantity"),  # only 4 there
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1", "kind": "scrap"}, "quantity"),
        ({"reason": ""}, "reason"),
        ({"kind": "gift"}, "kind"),
    ]:
        body = {"product": product.pk, "location": location, "quantity": "-1", "reason": "Räknat", **changes}
        response = logistics.post(f"{MOVES}adjust/", body, format="json")
        assert response.status_code == 400, changes
        assert list(response.json()) == [field], response.json()
    assert StockQuant.objects.get(product=product).quantity == Decimal("4.000")
    assert selectors.stock_drift() == []


def test_moves_filter_by_product_kind_location_and_date(logistics):
    tent, map_ = ProductFactory(), ProductFactory()
    shelf = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    receive(tent, "5")
    receive(map_, "5")
    services.stock_transfer(
        actor=None, product=tent, quantity=Decimal(1), from_location=stock_location(), to_location=shelf
    )

    def kinds(params):
        response = logistics.get(MOVES, params)
        assert response.status_code == 200, response.json()
        return [(row["product"], row["kind"]) for row in response.json()["results"]]

    assert kinds({"product": tent.pk}) == [(tent.pk, "transfer"), (tent.pk, "receipt")]
    assert kinds({"kind": "receipt"}) == [(map_.pk, "receipt"), (tent.pk, "receipt")]
    assert kinds({"location": shelf.pk}) == [(tent.pk, "transfer")]
    today = StockMove.objects.first().occurred_at.astimezone().date().isoformat()
    assert len(kinds({"date_from": today, "date_to": today})) == 3
    assert kinds({"date_from": "2099-01-01"}) == []
    for params, field in [
        ({"kind": "gift"}, "kind"),
        ({"date_to": "tomorrow"}, "date_to"),
        ({"location": 0}, "location"),
    ]:
        response = logistics.get(MOVES, params)
        assert (response.status_code, list(response.json())) == (400, [field])
    assert logistics.get(f"{MOVES}999999/").status_code == 404
    assert logistics.get(f"{MOVES}abc/").status_code == 404


def test_the_move_list_takes_the_same_queries_for_2_or_12_moves(logistics):
    supplier = OrganizationFactory()
    product = ProductFactory()
    for _ in range(2):
        receive(product, "1")
    logistics.get(MOVES)  # the user's rights are cached from now on
    with CaptureQueriesContext(connection) as few:
        assert logistics.get(MOVES).json()["count"] == 2
    for _ in range(5):
        services.stock_receive(
            actor=None,
            product=ProductFactory(),
            quantity=Decimal(2),
            location=stock_location(),
            unit_cost=Decimal(5),
            supplier=supplier,
        )
    for _ in range(5):
        order(product, "1", order_id=StockMove.objects.count())
    delivery = DeliveryOrder.objects.filter(state="ready").first()
    services.delivery_pick(actor=None, delivery=delivery)
    services.delivery_dispatch(actor=None, delivery=delivery, carrier="DHL")
    with CaptureQueriesContext(connection) as many:
        assert logistics.get(MOVES, {"page_size": 50}).json()["count"] == 8
    assert len(many) == len(few)


# --- deliveries ---------------------------------------------------------------------------------------------


def test_deliveries_list_filter_and_detail(logistics):
    product = ProductFactory(sku="TENT-1")
    customer = OrganizationFactory(name="Fjällbo AB")
    receive(product, "3")
    ready = order(product, "2", order_id=11, customer=customer)
    waiting = order(product, "4", order_id=12)

    rows = logistics.get(DELIVERIES).json()["results"]
    assert [(r["id"], r["state"], r["order_number"], r["line_count"], r["missing"]) for r in rows] == [
        (waiting.pk, "waiting", "SO-000012", 1, "3.000"),
        (ready.pk, "ready", "SO-000011", 1, "0.000"),
    ]
    assert rows[1]["number"] == f"OUT-{ready.number}" and rows[1]["customer"] == customer.pk

    def ids(params):
        response = logistics.get(DELIVERIES, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids({"state": "ready"}) == [ready.pk]
    assert ids({"order_id": 12}) == [waiting.pk]
    assert ids({"customer": customer.pk}) == [ready.pk]
    assert ids({"warehouse": ready.warehouse_id}) == [waiting.pk, ready.pk]
    assert ids({"q": "SO-000011"}) == [ready.pk]
    for params, field in [
        ({"state": "lost"}, "state"),
        ({"order_id": "x"}, "order_id"),
        ({"warehouse": 0}, "warehouse"),
    ]:
        response = logistics.get(DELIVERIES, params)
        assert (response.status_code, list(response.json())) == (400, [field])

    detail = logistics.get(f"{DELIVERIES}{waiting.pk}/").json()
    [line] = detail["lines"]
    assert (line["sku"], line["quantity"], line["reserved"], line["shipped"], line["missing"]) == (
        "TENT-1",
        "4.000",
        "1.000",
        "0.000",
        "3.000",
    )
    assert [(r["location_label"], r["quantity"], r["lot"]) for r in line["reservations"]] == [
        ("WH/STOCK", "1.000", None)
    ]
    assert (detail["packages"], detail["backorders"], detail["carrier"]) == ([], [], "")
    assert logistics.get(f"{DELIVERIES}999999/").status_code == 404


def test_a_delivery_is_picked_packed_dispatched_and_delivered(logistics):
    product = ProductFactory()
    receive(product, "2")
    delivery = order(product, "3")
    url = f"{DELIVERIES}{delivery.pk}/"

    picked = logistics.post(f"{url}pick/")
    assert (picked.status_code, picked.json()["state"]) == (200, "picked")
    packed = logistics.post(f"{url}pack/", {"weights": ["2.5", None]}, format="json")
    assert packed.status_code == 200, packed.json()
    assert packed.json()["packages"] == [{"number": 1, "weight_kg": "2.50"}, {"number": 2, "weight_kg": None}]
    dispatched = logistics.post(f"{url}dispatch/", {"carrier": "PostNord", "tracking_number": "PN123SE"}, format="json")
    assert dispatched.status_code == 200, dispatched.json()
    body = dispatched.json()
    assert (body["state"], body["carrier"], body["tracking_number"]) == ("dispatched", "PostNord", "PN123SE")
    assert body["lines"][0]["shipped"] == "2.000" and len(body["backorders"]) == 1
    event = OutboxEvent.objects.get(name="logistics.shipment_dispatched")
    assert (event.payload["tracking_number"], event.payload["completes_order"]) == ("PN123SE", False)

    delivered = logistics.post(f"{url}deliver/")
    assert (delivered.status_code, delivered.json()["state"]) == (200, "delivered")
    assert delivered.json()["delivered_at"] is not None
    assert StockQuant.objects.get(product=product).quantity == Decimal("0.000")
    assert selectors.stock_drift() == []


def test_delivery_steps_refuse_the_wrong_state_and_bad_input(logistics):
    product = ProductFactory()
    receive(product, "1")
    delivery = order(product, "1")
    url = f"{DELIVERIES}{delivery.pk}/"
    for step in ("deliver", "pack"):
        response = logistics.post(f"{url}{step}/", {"weights": ["1"]}, format="json")
        assert response.status_code == 400, step
        assert "that cannot be done now" in response.json()["non_field_errors"][0]
    response = logistics.post(f"{url}dispatch/", {"carrier": "DHL"}, format="json")
    assert response.status_code == 400 and "that cannot be done now" in response.json()["non_field_errors"][0]

    assert logistics.post(f"{url}pick/").status_code == 200
    for body, field in [({}, "carrier"), ({"carrier": "  "}, "carrier"), ({"carrier": "x" * 61}, "carrier")]:
        response = logistics.post(f"{url}dispatch/", body, format="json")
        assert (response.status_code, list(response.json())) == (400, [field])
    for body in ({}, {"weights": []}, {"weights": ["0"]}, {"weights": ["heavy"]}):
        response = logistics.post(f"{url}pack/", body, format="json")
        assert (response.status_code, list(response.json())) == (400, ["weights"]), body
    assert logistics.post(f"{url}pick/").status_code == 400  # picked already
    assert logistics.post(f"{url}reserve/").status_code == 400
    response = logistics.post(f"{url}cancel/", {}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["reason"])

    assert logistics.post(f"{url}dispatch/", {"carrier": "DHL"}, format="json").status_code == 200
    response = logistics.post(f"{url}cancel/", {"reason": "Ångrat"}, format="json")
    assert response.status_code == 400 and "left the warehouse" in response.json()["non_field_errors"][0]
    assert logistics.post(f"{DELIVERIES}999999/pick/").status_code == 404
    delivery.refresh_from_db()
    assert (delivery.state, delivery.carrier) == ("dispatched", "DHL")


def test_reserve_takes_new_stock_and_cancel_releases_it(logistics):
    product = ProductFactory()
    delivery = order(product, "2")
    url = f"{DELIVERIES}{delivery.pk}/"
    assert logistics.post(f"{url}reserve/").json()["state"] == "waiting"
    # Stock that arrived without a receipt's automatic reservation (a count found it).
    services.move_record(
        actor=None,
        kind="adjustment",
        product=product,
        quantity=Decimal(2),
        from_location=Location.objects.get(code="ADJUSTMENT"),
        to_location=stock_location(),
        unit_cost=Decimal(1),
    )
    reserved = logistics.post(f"{url}reserve/")
    assert (reserved.status_code, reserved.json()["state"], reserved.json()["lines"][0]["reserved"]) == (
        200,
        "ready",
        "2.000",
    )
    cancelled = logistics.post(f"{url}cancel/", {"reason": "Kunden ångrade sig"}, format="json")
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    assert StockQuant.objects.get(product=product).reserved == Decimal("0.000")
    assert logistics.post(f"{url}reserve/").status_code == 400
    assert selectors.stock_drift() == []


def test_a_delivery_action_answers_what_the_detail_serializer_says(logistics):
    product = ProductFactory(sku="KAJAK-1")
    StockProduct.objects.create(product=product, tracking="lot")
    bin_a = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    receive(product, "2", lot="L-1", location=bin_a)
    receive(product, "1", lot="L-2")
    other = ProductFactory(sku="PADDEL")
    waiting = order(other, "1.5", order_id=21)
    shipped = order(product, "3", order_id=22)
    DeliveryOrder.objects.filter(pk=shipped.pk).update(delivery_address={"city": "Åre", "lines": ["Box 1"]})
    second_line = shipped.lines.get()
    second_line.pk, second_line.position, second_line.quantity, second_line.reserved = None, 2, Decimal("0.25"), 0
    second_line.save()
    logistics.post(f"{DELIVERIES}{shipped.pk}/pick/")
    logistics.post(f"{DELIVERIES}{shipped.pk}/pack/", {"weights": ["2.5", None, "0.1"]}, format="json")
    logistics.post(f"{DELIVERIES}{shipped.pk}/dispatch/", {"carrier": "PostNord"}, format="json")
    [backorder] = DeliveryOrder.objects.filter(backorder_of=shipped)

    for delivery in (waiting, shipped, backorder):
        expected = json.loads(json.dumps(DeliveryOrderSerializer(selectors.delivery_detail(pk=delivery.pk)).data))
        assert json.loads(json.dumps(delivery_document(pk=delivery.pk))) == expected
    document = delivery_document(pk=shipped.pk)
    assert (document["backorders"], [package["weight_kg"] for package in document["packages"]]) == (
        [backorder.pk],
        ["2.50", None, "0.10"],
    )
    assert document["delivery_address"] == {"city": "Åre", "lines": ["Box 1"]}
    assert delivery_document(pk=0) is None

    receive(product, "1", lot="L-3")  # the backorder takes it; a reservation answers the delivery as it is now
    Reservation.objects.filter(line__delivery=backorder).delete()
    StockQuant.objects.filter(product=product).update(reserved=0)
    backorder.lines.update(reserved=0)
    DeliveryOrder.objects.filter(pk=backorder.pk).update(state="waiting")
    with CaptureQueriesContext(connection) as queries:
        answer = logistics.post(f"{DELIVERIES}{backorder.pk}/reserve/")
    assert answer.json() == json.loads(
        json.dumps(DeliveryOrderSerializer(selectors.delivery_detail(pk=backorder.pk)).data)
    )
    assert [(r["lot"], r["quantity"]) for r in answer.json()["lines"][0]["reservations"]] == [("L-3", "0.250")]
    # The token, the transaction (savepoint, the delivery and its lines locked, one a line, state, release),
    # the answer.
    assert len(queries) == 7, [query["sql"] for query in queries]
    assert logistics.post(f"{DELIVERIES}999999/reserve/").status_code == 404


def test_the_delivery_list_takes_the_same_queries_for_2_or_12_deliveries(logistics):
    product = ProductFactory()
    receive(product, "20")
    for number in range(2):
        order(product, "1", order_id=number + 1)
    logistics.get(DELIVERIES)  # the user's rights are cached from now on
    with CaptureQueriesContext(connection) as few:
        assert logistics.get(DELIVERIES).json()["count"] == 2
    other = ProductFactory()
    for number in range(10):
        delivery = services.delivery_create_for_order(
            actor=None,
            event_id=uuid.uuid4(),
            order_id=100 + number,
            order_number=f"SO-{100 + number}",
            organization_id=OrganizationFactory().pk,
            customer_name="Kund",
            lines=[
                services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(1)),
                services.DeliveryLineInput(product_id=other.pk, quantity=Decimal(2)),
            ],
        )
        if number == 0:
            services.delivery_pick(actor=None, delivery=delivery)
            services.delivery_dispatch(actor=None, delivery=delivery, carrier="DHL")
    with CaptureQueriesContext(connection) as many:
        assert logistics.get(DELIVERIES, {"page_size": 50}).json()["count"] == 13  # with one backorder
    assert len(many) == len(few)


# --- warehouses, locations, serial numbers ------------------------------------------------------------------


def test_warehouses_locations_and_a_serial_numbers_history(logistics):
    other = Warehouse.objects.create(code="YST", name="Ystad")  # after WH: deliveries still come from WH
    Location.objects.create(warehouse=other, code="STOCK", name="Stock")
    assert [row["code"] for row in logistics.get(f"{API}warehouses/").json()["results"]] == ["WH", "YST"]
    internal = logistics.get(f"{API}locations/", {"kind": "internal"}).json()["results"]
    assert [row["label"] for row in internal] == ["WH/STOCK", "YST/STOCK"]
    in_ystad = logistics.get(f"{API}locations/", {"warehouse": other.pk}).json()["results"]
    assert [(row["warehouse_code"], row["code"]) for row in in_ystad] == [("YST", "STOCK")]
    assert logistics.get(f"{API}locations/", {"kind": "moon"}).status_code == 400

    camera = ProductFactory(sku="CAM-1", name="Kamera")
    StockProduct.objects.create(product=camera, tracking="serial")
    receive(camera, "1", lot="SN-1")
    delivery = order(camera, "1", customer=OrganizationFactory(name="Fotograf AB"))
    services.delivery_pick(actor=None, delivery=delivery)
    services.delivery_dispatch(actor=None, delivery=delivery, carrier="DHL")
    response = logistics.get(f"{API}serials/", {"code": "SN-1"})
    assert response.status_code == 200
    [history] = response.json()
    assert (history["code"], history["sku"], history["product_name"]) == ("SN-1", "CAM-1", "Kamera")
    assert [(m["kind"], m["to_kind"], m["partner_name"]) for m in history["moves"]] == [
        ("receipt", "internal", None),
        ("delivery", "customer", "Fotograf AB"),
    ]
    assert logistics.get(f"{API}serials/", {"code": "SN-404"}).json() == []
    response = logistics.get(f"{API}serials/")
    assert (response.status_code, list(response.json())) == (400, ["code"])


# --- rights -------------------------------------------------------------------------------------------------


def test_management_reads_but_does_not_book_or_ship(api_client_for, make_staff):
    product = ProductFactory()
    receive(product, "1")
    delivery = order(product, "1")
    management = api_client_for(make_staff("Management"))
    for url in (STOCK, MOVES, DELIVERIES, f"{DELIVERIES}{delivery.pk}/", f"{API}warehouses/", f"{API}locations/"):
        assert management.get(url).status_code == 200, url
    assert management.get(f"{API}serials/", {"code": "x"}).status_code == 200
    body = {"product": product.pk, "quantity": "1", "location": stock_location().pk, "unit_cost": "1"}
    assert management.post(f"{MOVES}receive/", body, format="json").status_code == 403
    assert management.post(f"{MOVES}adjust/", {}, format="json").status_code == 403
    assert management.post(f"{DELIVERIES}{delivery.pk}/pick/").status_code == 403
    assert management.post(f"{DELIVERIES}{delivery.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == "ready" and StockMove.objects.count() == 1


def test_sales_sees_deliveries_only(api_client_for, make_staff):
    product = ProductFactory()
    receive(product, "1")
    delivery = order(product, "1")
    sales = api_client_for(make_staff("Sales"))
    assert sales.get(DELIVERIES).status_code == 200
    assert sales.get(f"{DELIVERIES}{delivery.pk}/").status_code == 200
    for url in (STOCK, MOVES, f"{API}warehouses/", f"{API}locations/", f"{API}serials/?code=x"):
        assert sales.get(url).status_code == 403, url
    assert sales.post(f"{DELIVERIES}{delivery.pk}/pick/").status_code == 403
    assert sales.post(f"{DELIVERIES}{delivery.pk}/reserve/").status_code == 403


def test_customers_and_strangers_get_nothing(api_client_for, api_client, customer_user):
    customer = api_client_for(customer_user)
    for url in (STOCK, MOVES, DELIVERIES, f"{API}warehouses/", f"{API}serials/?code=x"):
        assert customer.get(url).status_code == 403, url
        assert api_client.get(url).status_code in {401, 403}, url
    assert customer.post(f"{MOVES}receive/", {}, format="json").status_code == 403


def test_the_schema_lists_the_logistics_endpoints_under_their_tag(client, make_staff):
    client.force_login(make_staff("Logistics"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = {path for path in schema["paths"] if path.startswith("/api/v1/logistics/")}
    assert {
        "/api/v1/logistics/stock/",
        "/api/v1/logistics/moves/receive/",
        "/api/v1/logistics/moves/transfer/",
        "/api/v1/logistics/moves/adjust/",
        "/api/v1/logistics/deliveries/{id}/dispatch/",
        "/api/v1/logistics/serials/",
    } <= paths
    operations = [operation for path in paths for operation in schema["paths"][path].values()]
    assert {tag for operation in operations for tag in operation["tags"]} == {"logistics"}
