"""Staff pages of logistics: who may see and do what, the stock forms' errors (nothing changes), a delivery
walked from ready to delivered with its messages and events, counts, serial numbers, the admin, and lists that
keep their query count."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.logistics import services
from backoffice.logistics.models import (
    DeliveryOrder,
    Location,
    Reservation,
    StockCount,
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

STOCK = reverse("logistics:stock")
MOVES = reverse("logistics:move-list")
DELIVERIES = reverse("logistics:delivery-list")
COUNTS = reverse("logistics:count-list")
SERIALS = reverse("logistics:serial-lookup")
WAREHOUSES = reverse("logistics:warehouse-list")
PICK_LIST = reverse("logistics:pick-list")


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def logistics(make_staff):
    return make_staff("Logistics")


def stock_location(warehouse: str = "WH", code: str = "STOCK") -> Location:
    return Location.objects.get(warehouse__code=warehouse, code=code)


def bin_location(code: str = "A-01") -> Location:
    return Location.objects.get_or_create(
        warehouse=Warehouse.objects.get(code="WH"), code=code, defaults={"name": code, "kind": "internal"}
    )[0]


def receive(product, quantity, cost="100.00", location=None, lot=""):
    return services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(quantity),
        location=location or stock_location(),
        unit_cost=Decimal(cost),
        lot_code=lot,
    )


def order(product, quantity, *, order_id=1, customer=None, number=None):
    return services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=order_id,
        order_number=number or f"SO-{order_id:06d}",
        organization_id=(customer or OrganizationFactory(name="Kund AB")).pk,
        customer_name=(customer.name if customer else "Kund AB"),
        lines=[
            services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(quantity), order_line_id=order_id * 10)
        ],
    )


def quant(product, location=None) -> StockQuant:
    return StockQuant.objects.get(product=product, location=location or stock_location(), lot=None)


# --- who may see what ----------------------------------------------------------------------------------------


def test_logistics_and_management_see_every_page_sales_only_deliveries(client_for, make_staff, logistics):
    product = ProductFactory()
    receive(product, "3")
    delivery = order(product, "1")
    count = services.count_start(actor=None, location=stock_location(), reason="Cycle count")
    stock_pages = [
        STOCK,
        reverse("logistics:product-stock", args=[product.pk]),
        MOVES,
        COUNTS,
        reverse("logistics:count-detail", args=[count.pk]),
        WAREHOUSES,
        SERIALS + "?code=X",
    ]
    delivery_pages = [DELIVERIES, reverse("logistics:delivery-detail", args=[delivery.pk]), PICK_LIST]
    client = client_for(make_staff("Sales"))  # one test client: each client_for signs it in as someone else
    assert [client.get(url).status_code for url in stock_pages] == [403] * len(stock_pages)
    assert [client.get(url).status_code for url in delivery_pages] == [200, 200, 200]
    assert "Pick</button>" not in client.get(delivery_pages[1]).text
    client = client_for(make_staff("Management"))
    assert [client.get(url).status_code for url in stock_pages + delivery_pages] == [200] * 10
    page = client.get(reverse("logistics:product-stock", args=[product.pk])).text
    assert "Receive goods" not in page
    pick = reverse("logistics:delivery-pick", args=[delivery.pk])
    assert client.post(pick).status_code == 403
    receive_url = reverse("logistics:product-receive", args=[product.pk])
    assert client.post(receive_url, {}).status_code == 403
    client = client_for(logistics)
    assert [client.get(url).status_code for url in stock_pages + delivery_pages] == [200] * 10
    assert "Receive goods" in client.get(reverse("logistics:product-stock", args=[product.pk])).text
    assert "Pick</button>" in client.get(delivery_pages[1]).text


def test_customer_service_looks_up_serial_numbers_and_reads_deliveries(client_for, make_staff):
    product = ProductFactory(sku="GPS-1")
    StockProduct.objects.create(product=product, tracking="serial")
    customer = OrganizationFactory(name="Fjällbo AB")
    receive(product, "1", lot="SN-0001")
    delivery = order(product, "1", customer=customer)
    services.delivery_pick(actor=None, delivery=delivery)
    services.delivery_dispatch(actor=None, delivery=delivery, carrier="PostNord", tracking_number="PN1")
    client = client_for(make_staff("Customer Service"))
    response = client.get(SERIALS + "?code=SN-0001")
    assert response.status_code == 200
    [(lot, moves)] = response.context["results"]
    assert [move.kind for move in moves] == ["receipt", "delivery"]
    assert "Fjällbo AB" in response.text and "GPS-1" in response.text
    assert "No serial or lot number" in client.get(SERIALS + "?code=NOPE").text
    assert client.get(reverse("logistics:delivery-detail", args=[delivery.pk])).status_code == 200
    assert client.get(STOCK).status_code == 403


def test_customers_and_strangers_are_turned_away(client, customer_user):
    assert client.get(STOCK).status_code == 302
    client.force_login(customer_user)
    assert client.get(STOCK).status_code == 403
    assert client.get(DELIVERIES).status_code == 403


# --- stock overview -----------------------------------------------------------------------------------------


def test_stock_overview_searches_filters_by_warehouse_and_marks_low_stock(client_for, logistics):
    tent, bag = ProductFactory(sku="TENT-1", name="Tält"), ProductFactory(sku="BAG-1", name="Ryggsäck")
    receive(tent, "10")
    receive(bag, "3")
    order(tent, "8")
    goteborg = Warehouse.objects.create(code="GBG", name="Göteborg")
    gbg_stock = Location.objects.create(warehouse=goteborg, code="STOCK", name="Stock")
    receive(tent, "20", location=gbg_stock)
    client = client_for(logistics)
    rows = client.get(STOCK).context["rows"]
    assert [
        (row["product__sku"], row["warehouse__code"], row["on_hand"], row["reserved_total"], row["available"])
        for row in rows
    ] == [
        ("BAG-1", "WH", Decimal("3.000"), Decimal("0.000"), Decimal("3.000")),
        ("TENT-1", "GBG", Decimal("20.000"), Decimal("0.000"), Decimal("20.000")),
        ("TENT-1", "WH", Decimal("10.000"), Decimal("8.000"), Decimal("2.000")),
    ]
    low = client.get(STOCK + "?low=1")
    assert [(row["product__sku"], row["warehouse__code"]) for row in low.context["rows"]] == [
        ("BAG-1", "WH"),
        ("TENT-1", "WH"),
    ]
    assert low.text.count('data-low="1"') == 2
    found = client.get(STOCK + "?q=tält")
    assert [row["product__sku"] for row in found.context["rows"]] == ["TENT-1", "TENT-1"]
    # Counted as (product, warehouse) groups with the same filters as the rows.
    counts = [client.get(STOCK + query).context["page"].paginator.count for query in ("", "?low=1", "?q=tält")]
    assert counts == [3, 2, 2]
    by_available = client.get(STOCK + "?sort=available").context["rows"]
    assert [(row["product__sku"], row["available"]) for row in by_available] == [
        ("TENT-1", Decimal("2.000")),
        ("BAG-1", Decimal("3.000")),
        ("TENT-1", Decimal("20.000")),
    ]
    by_warehouse = client.get(STOCK + f"?warehouse={goteborg.pk}")
    assert [(row["product__sku"], row["on_hand"]) for row in by_warehouse.context["rows"]] == [
        ("TENT-1", Decimal("20.000"))
    ]
    assert by_warehouse.context["page"].paginator.count == 1
    page = client.get(STOCK).text
    assert reverse("logistics:product-stock", args=[tent.pk]) in page


def test_stock_overview_offers_goods_without_stock_and_has_an_empty_state(client_for, logistics):
    new = ProductFactory(sku="NEW-1", name="Nyhet")
    client = client_for(logistics)
    assert "No stock yet" in client.get(STOCK).text
    response = client.get(STOCK + "?q=NEW")
    assert response.context["other_products"] == [new]
    assert reverse("logistics:product-stock", args=[new.pk]) in response.text


def test_stock_overview_pages_and_keeps_its_query_count(client_for, logistics, django_assert_max_num_queries):
    client = client_for(logistics)
    for index in range(3):
        receive(ProductFactory(sku=f"P-{index:03d}"), "1")
    client.get(STOCK)
    with CaptureQueriesContext(connection) as few:
        client.get(STOCK)
    for index in range(3, 30):
        receive(ProductFactory(sku=f"P-{index:03d}"), "1")
    with CaptureQueriesContext(connection) as many:
        response = client.get(STOCK)
    assert len(many) == len(few)
    assert len(response.context["rows"]) == 25
    assert response.context["page"].has_next()
    second = client.get(STOCK + "?page=2")
    assert [row["product__sku"] for row in second.context["rows"]] == [f"P-{n:03d}" for n in range(25, 30)]
    assert second.context["page"].paginator.count == 30
    partial = client.get(STOCK + "?q=P-02", headers={"HX-Request": "true"})
    assert "<table" in partial.text and "filter-bar" not in partial.text and "<html" not in partial.text


# --- a product's stock and its forms --------------------------------------------------------------------------


def test_receiving_goods_from_the_product_page(client_for, logistics):
    product = ProductFactory(sku="TENT-1")
    supplier = OrganizationFactory(name="Leverantör AB", roles=["supplier"])
    receive(product, "10", "100.00")
    client = client_for(logistics)
    url = reverse("logistics:product-receive", args=[product.pk])
    response = client.post(
        url,
        {
            "receive-quantity": "30",
            "receive-location": stock_location().pk,
            "receive-unit_cost": "120.00",
            "receive-supplier": supplier.pk,
            "receive-reference": "PO-77",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("logistics:product-stock", args=[product.pk])
    assert "Received 30 × TENT-1 into WH/STOCK." in response.text
    assert quant(product).quantity == Decimal("40.000")
    assert response.context["average_cost"] == Decimal("115.0000")
    move = StockMove.objects.get(reference="PO-77")
    assert (move.partner, move.unit_cost, move.created_by) == (supplier, Decimal("120.0000"), logistics)
    assert response.context["totals"]["on_hand"] == Decimal("40.000")
    assert [m.pk for m in response.context["moves"]][0] == move.pk


def test_bad_receipts_show_the_field_error_and_change_nothing(client_for, logistics):
    product = ProductFactory()
    serial = ProductFactory()
    StockProduct.objects.create(product=serial, tracking="serial")
    client = client_for(logistics)
    url = reverse("logistics:product-receive", args=[product.pk])
    response = client.post(url, {"receive-quantity": "0", "receive-location": "", "receive-unit_cost": "-1"})
    assert response.status_code == 200
    assert set(response.context["receive_form"].errors) == {"quantity", "location", "unit_cost"}
    assert 'id="receive" open' in response.text
    # The service's rule (a tracked product needs its serial number) lands on the field too.
    response = client.post(
        reverse("logistics:product-receive", args=[serial.pk]),
        {"receive-quantity": "1", "receive-location": stock_location().pk, "receive-unit_cost": "10"},
    )
    assert response.status_code == 200
    assert set(response.context["receive_form"].errors) == {"lot_code"}
    assert not StockMove.objects.exists()
    assert not StockQuant.objects.exists()


def test_transfer_and_adjust_from_the_product_page(client_for, logistics):
    product = ProductFactory(sku="BAG-1")
    receive(product, "10")
    shelf = bin_location()
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:product-transfer", args=[product.pk]),
        {
            "transfer-from_location": stock_location().pk,
            "transfer-to_location": shelf.pk,
            "transfer-quantity": "4",
        },
        follow=True,
    )
    assert "Moved 4 × BAG-1 from WH/STOCK to WH/A-01." in response.text
    assert (quant(product).quantity, quant(product, shelf).quantity) == (Decimal("6.000"), Decimal("4.000"))
    response = client.post(
        reverse("logistics:product-adjust", args=[product.pk]),
        {"adjust-kind": "scrap", "adjust-location": shelf.pk, "adjust-quantity": "-1", "adjust-reason": "Torn"},
        follow=True,
    )
    assert "Scrapped 1 × BAG-1." in response.text
    response = client.post(
        reverse("logistics:product-adjust", args=[product.pk]),
        {"adjust-kind": "adjustment", "adjust-location": shelf.pk, "adjust-quantity": "2", "adjust-reason": "Found"},
        follow=True,
    )
    assert "Stock of BAG-1 adjusted by +2 in WH/A-01." in response.text
    assert quant(product, shelf).quantity == Decimal("5.000")
    assert list(StockMove.objects.order_by("pk").values_list("kind", "reason")) == [
        ("receipt", ""),
        ("transfer", ""),
        ("scrap", "Torn"),
        ("adjustment", "Found"),
    ]


def test_bad_transfers_and_adjustments_show_errors_and_change_nothing(client_for, logistics):
    product = ProductFactory()
    receive(product, "2")
    shelf = bin_location()
    client = client_for(logistics)
    before = list(StockQuant.objects.values_list("location_id", "quantity", "reserved"))
    transfer = reverse("logistics:product-transfer", args=[product.pk])
    same = client.post(
        transfer,
        {"transfer-from_location": shelf.pk, "transfer-to_location": shelf.pk, "transfer-quantity": "1"},
    )
    assert set(same.context["transfer_form"].errors) == {"to_location"}
    too_much = client.post(
        transfer,
        {"transfer-from_location": stock_location().pk, "transfer-to_location": shelf.pk, "transfer-quantity": "5"},
    )
    assert set(too_much.context["transfer_form"].errors) == {"quantity"}
    assert "Not enough available in that location" in too_much.text
    adjust = reverse("logistics:product-adjust", args=[product.pk])
    no_reason = client.post(
        adjust,
        {"adjust-kind": "adjustment", "adjust-location": stock_location().pk, "adjust-quantity": "-1"},
    )
    assert set(no_reason.context["adjust_form"].errors) == {"reason"}
    scrap_up = client.post(
        adjust,
        {
            "adjust-kind": "scrap",
            "adjust-location": stock_location().pk,
            "adjust-quantity": "3",
            "adjust-reason": "x",
        },
    )
    assert set(scrap_up.context["adjust_form"].errors) == {"quantity"}
    assert list(StockQuant.objects.values_list("location_id", "quantity", "reserved")) == before
    assert StockMove.objects.count() == 1


# --- moves ----------------------------------------------------------------------------------------------------


def test_moves_search_filter_and_keep_their_query_count(client_for, logistics):
    tent = ProductFactory(sku="TENT-1")
    receive(tent, "5")
    services.stock_adjust(actor=None, product=tent, location=stock_location(), quantity=Decimal(-1), reason="Lost")
    client = client_for(logistics)
    assert [move.kind for move in client.get(MOVES).context["rows"]] == ["adjustment", "receipt"]
    assert [move.kind for move in client.get(MOVES + "?kind=receipt").context["rows"]] == ["receipt"]
    assert client.get(MOVES + "?q=NOPE").context["rows"] == []
    with CaptureQueriesContext(connection) as few:
        client.get(MOVES)
    for index in range(30):
        receive(ProductFactory(sku=f"M-{index:02d}"), "1")
    with CaptureQueriesContext(connection) as many:
        response = client.get(MOVES)
    assert len(many) == len(few)
    assert len(response.context["rows"]) == 25 and response.context["page"].has_next()


# --- deliveries -----------------------------------------------------------------------------------------------


def test_the_board_counts_states_searches_and_keeps_its_query_count(client_for, logistics):
    product = ProductFactory()
    receive(product, "2")
    ready = order(product, "2", order_id=1, number="SO-000001")
    waiting = order(product, "1", order_id=2, number="SO-000002")
    client = client_for(logistics)
    response = client.get(DELIVERIES)
    counts = {value: count for value, _label, count in response.context["tabs"]}
    assert (counts["ready"], counts["waiting"], counts["picked"]) == (1, 1, 0)
    assert response.context["open_count"] == 2
    assert [d.pk for d in client.get(DELIVERIES + "?state=waiting").context["rows"]] == [waiting.pk]
    assert [d.pk for d in client.get(DELIVERIES + "?sort=number").context["rows"]] == [ready.pk, waiting.pk]
    assert [d.pk for d in client.get(DELIVERIES + "?sort=-order").context["rows"]] == [waiting.pk, ready.pk]
    assert [d.pk for d in client.get(DELIVERIES + "?q=SO-000001").context["rows"]] == [ready.pk]
    assert [d.pk for d in client.get(DELIVERIES + f"?q=OUT-{waiting.number}").context["rows"]] == [waiting.pk]
    with CaptureQueriesContext(connection) as few:
        client.get(DELIVERIES)
    for index in range(3, 33):
        order(product, "1", order_id=index)
    with CaptureQueriesContext(connection) as many:
        response = client.get(DELIVERIES)
    assert len(many) == len(few)
    assert len(response.context["rows"]) == 25


def test_a_delivery_is_walked_from_ready_to_delivered(client_for, logistics):
    product = ProductFactory(sku="TENT-1")
    shelf = bin_location()
    receive(product, "3", location=shelf)
    delivery = order(product, "2", number="SO-000042")
    detail = reverse("logistics:delivery-detail", args=[delivery.pk])
    client = client_for(logistics)
    page = client.get(detail)
    assert page.context["can_pick"] and not page.context["can_dispatch"]
    [line] = page.context["lines"]
    assert (line.quantity, line.reserved, line.shipped, line.missing) == (
        Decimal("2.000"),
        Decimal("2.000"),
        Decimal("0.000"),
        Decimal("0.000"),
    )
    assert "WH/A-01" in page.text and "SO-000042" in page.text

    response = client.post(reverse("logistics:delivery-pick", args=[delivery.pk]), follow=True)
    assert f"{delivery} is picked." in response.text
    response = client.post(
        reverse("logistics:delivery-pack", args=[delivery.pk]), {"pack-packages": "2.5, 1,2"}, follow=True
    )
    assert response.status_code == 200
    assert set(response.context["pack_form"].errors) == set()
    assert f"{delivery} is packed in 3 parcel(s)." in response.text
    response = client.post(
        reverse("logistics:delivery-pack", args=[delivery.pk]), {"pack-packages": "2.5; 1.2"}, follow=True
    )
    assert f"{delivery} is packed in 2 parcel(s)." in response.text
    assert [p.weight_kg for p in response.context["packages"]] == [Decimal("2.50"), Decimal("1.20")]

    no_carrier = client.post(reverse("logistics:delivery-dispatch", args=[delivery.pk]), {"dispatch-carrier": ""})
    assert set(no_carrier.context["dispatch_form"].errors) == {"carrier"}
    delivery.refresh_from_db()
    assert delivery.state == "packed"

    response = client.post(
        reverse("logistics:delivery-dispatch", args=[delivery.pk]),
        {"dispatch-carrier": "PostNord", "dispatch-tracking_number": "PN123SE"},
        follow=True,
    )
    assert f"{delivery} is dispatched with PostNord." in response.text
    assert quant(product, shelf).quantity == Decimal("1.000")
    dispatched = OutboxEvent.objects.get(name="logistics.shipment_dispatched")
    assert (dispatched.payload["tracking_number"], dispatched.payload["completes_order"]) == ("PN123SE", True)

    response = client.post(reverse("logistics:delivery-deliver", args=[delivery.pk]), follow=True)
    assert f"{delivery} is delivered." in response.text
    delivery.refresh_from_db()
    assert (delivery.state, delivery.carrier, delivery.tracking_number) == ("delivered", "PostNord", "PN123SE")
    delivered = OutboxEvent.objects.get(name="logistics.shipment_delivered")
    assert delivered.payload["order_number"] == "SO-000042"
    trail = [entry.message for entry in response.context["audit_entries"]]
    assert trail[:4] == [
        "Delivered",
        "Dispatched with PostNord PN123SE",
        "Packed in 2 parcel(s)",
        "Packed in 3 parcel(s)",
    ]


def test_reserve_again_backorder_cancel_and_wrong_state(client_for, logistics):
    product = ProductFactory(sku="BAG-1")
    receive(product, "1")
    delivery = order(product, "3")
    client = client_for(logistics)
    response = client.post(reverse("logistics:delivery-reserve", args=[delivery.pk]), follow=True)
    assert f"Reserved what is in stock; {delivery} still waits for the rest." in response.text
    receive(product, "2")  # arrives and is reserved at once
    delivery.refresh_from_db()
    assert delivery.state == "ready"
    response = client.post(reverse("logistics:delivery-reserve", args=[delivery.pk]), follow=True)
    assert f"{delivery} is reserved in full and ready to pick." in response.text
    # Wrong state: delivering what did not leave says why and changes nothing.
    response = client.post(reverse("logistics:delivery-deliver", args=[delivery.pk]), follow=True)
    assert "that cannot be done now" in response.text
    no_reason = client.post(reverse("logistics:delivery-cancel", args=[delivery.pk]), {"cancel-reason": ""})
    assert set(no_reason.context["cancel_form"].errors) == {"reason"}
    response = client.post(
        reverse("logistics:delivery-cancel", args=[delivery.pk]),
        {"cancel-reason": "Customer changed mind"},
        follow=True,
    )
    assert f"{delivery} is cancelled; its reserved stock is free again." in response.text
    assert quant(product).reserved == Decimal("0.000")
    assert not Reservation.objects.exists()


def test_dispatching_part_of_a_delivery_links_its_backorder(client_for, logistics):
    product = ProductFactory()
    receive(product, "1")
    delivery = order(product, "3")
    services.delivery_pick(actor=None, delivery=delivery)
    client = client_for(logistics)
    response = client.post(
        reverse("logistics:delivery-dispatch", args=[delivery.pk]), {"dispatch-carrier": "DHL"}, follow=True
    )
    backorder = DeliveryOrder.objects.get(backorder_of=delivery)
    assert f"What was missing follows on {backorder}." in response.text
    assert [b.pk for b in response.context["backorders"]] == [backorder.pk]
    page = client.get(reverse("logistics:delivery-detail", args=[backorder.pk]))
    assert page.context["lines"][0].missing == Decimal("2.000")


def test_the_pick_list_lists_ready_deliveries_by_location(client_for, logistics):
    tent, bag = ProductFactory(sku="TENT-1"), ProductFactory(sku="BAG-1")
    receive(tent, "5", location=bin_location("B-01"))
    receive(bag, "5", location=bin_location("A-01"))
    first = order(tent, "2", order_id=1)
    second = order(bag, "1", order_id=2)
    order(bag, "9", order_id=3)  # waiting: not on the list
    response = client_for(logistics).get(PICK_LIST + f"?warehouse={Warehouse.objects.get(code='WH').pk}")
    assert [
        (row.quant.location.code, row.line.product.sku, row.line.delivery_id) for row in response.context["rows"]
    ] == [
        ("A-01", "BAG-1", second.pk),
        ("B-01", "TENT-1", first.pk),
    ]
    assert response.context["delivery_count"] == 2


# --- counts ---------------------------------------------------------------------------------------------------


def test_a_count_is_started_entered_and_confirmed(client_for, logistics):
    tent, bag = ProductFactory(sku="TENT-1"), ProductFactory(sku="BAG-1")
    receive(tent, "10")
    client = client_for(logistics)
    missing_reason = client.post(COUNTS, {"start-location": stock_location().pk, "start-reason": ""})
    assert set(missing_reason.context["form"].errors) == {"reason"}
    assert not StockCount.objects.exists()
    response = client.post(COUNTS, {"start-location": stock_location().pk, "start-reason": "Cycle count"}, follow=True)
    count = StockCount.objects.get()
    assert response.redirect_chain[-1][0] == reverse("logistics:count-detail", args=[count.pk])
    [line] = response.context["lines"]
    bad = client.post(reverse("logistics:count-save", args=[count.pk]), {f"line-{line.pk}": "abc"})
    assert bad.context["line_errors"] == {line.pk: "Enter a quantity of zero or more."}
    assert 'value="abc"' in bad.text
    line.refresh_from_db()
    assert line.counted == Decimal("10.000")
    client.post(reverse("logistics:count-save", args=[count.pk]), {f"line-{line.pk}": "8"})
    unknown = client.post(reverse("logistics:count-add", args=[count.pk]), {"add-sku": "NOPE", "add-counted": "1"})
    assert set(unknown.context["add_form"].errors) == {"sku"}
    client.post(reverse("logistics:count-add", args=[count.pk]), {"add-sku": "bag-1", "add-counted": "3"})
    response = client.post(reverse("logistics:count-confirm", args=[count.pk]), follow=True)
    assert "The count is booked: 2 adjustment(s)." in response.text
    assert (quant(tent).quantity, quant(bag).quantity) == (Decimal("8.000"), Decimal("3.000"))
    assert set(StockMove.objects.filter(kind="adjustment").values_list("reason", flat=True)) == {"Cycle count"}
    again = client.post(reverse("logistics:count-confirm", args=[count.pk]), follow=True)
    assert "already booked" in again.text


def test_management_reads_counts_but_cannot_start_one(client_for, make_staff):
    client = client_for(make_staff("Management"))
    assert client.post(COUNTS, {"start-location": stock_location().pk, "start-reason": "x"}).status_code == 403
    assert not StockCount.objects.exists()


# --- warehouses -------------------------------------------------------------------------------------------------


def test_warehouses_list_their_locations(client_for, logistics):
    bin_location("A-01")
    response = client_for(logistics).get(WAREHOUSES)
    [main] = response.context["warehouses"]
    assert [location.code for location in main.locations.all()] == ["A-01", "STOCK"]
    assert "Main warehouse" in response.text
