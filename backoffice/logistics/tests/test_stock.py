"""Stock: moves keep the stock table, average cost, reservations that never oversell (also in parallel),
deliveries with backorders, dispatch and delivery on the bus, counts, serial numbers and verify_stock."""

import datetime
import itertools
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice.logistics import selectors, services
from backoffice.logistics.models import (
    DeliveryOrder,
    Location,
    Lot,
    Reservation,
    StockMove,
    StockProduct,
    StockQuant,
    Warehouse,
)
from core.catalog.models import Product
from core.catalog.tests.factories import ProductFactory
from core.exceptions import ServiceError
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def stock_location(code: str = "WH") -> Location:
    return Location.objects.get(warehouse__code=code, code="STOCK")


def receive(product, quantity, cost="100.00", location=None, lot=""):
    return services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(quantity),
        location=location or stock_location(),
        unit_cost=Decimal(cost),
        lot_code=lot,
    )


def order(product, quantity, *, order_id=1, customer=None):
    return services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=order_id,
        order_number=f"SO-{order_id:06d}",
        organization_id=(customer or OrganizationFactory()).pk,
        customer_name="Kund AB",
        lines=[
            services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(quantity), order_line_id=order_id * 10)
        ],
    )


def quant(product, location=None) -> StockQuant:
    return StockQuant.objects.get(product=product, location=location or stock_location(), lot=None)


def test_receipts_fill_the_stock_table_and_average_the_cost():
    product = ProductFactory()
    receive(product, "10", "100.00")
    move = receive(product, "30", "120.00")
    assert (quant(product).quantity, quant(product).reserved) == (Decimal("40.000"), Decimal("0.000"))
    assert StockProduct.objects.get(product=product).average_cost == Decimal("115.0000")  # (10×100 + 30×120) / 40
    assert (move.kind, move.value, move.from_location.kind) == ("receipt", Decimal("3600.00"), "supplier")
    valued = OutboxEvent.objects.filter(name="logistics.stock_valued").order_by("pk").last()
    assert (valued.payload["value"], valued.payload["to_kind"]) == ("3600.00", "internal")
    assert selectors.stock_drift() == []


def test_a_delivery_reserves_what_there_is_and_waits_for_the_rest():
    product = ProductFactory()
    receive(product, "4")
    delivery = order(product, "6")
    line = delivery.lines.get()
    assert (delivery.state, line.reserved, line.missing) == ("waiting", Decimal("4.000"), Decimal("2.000"))
    assert quant(product).reserved == Decimal("4.000")
    with pytest.raises(ServiceError, match="Not enough available"):
        services.stock_adjust(actor=None, product=product, location=stock_location(), quantity=Decimal(-1), reason="x")

    receive(product, "5")  # the backorder gets it at once
    delivery.refresh_from_db()
    assert (delivery.state, delivery.lines.get().reserved) == ("ready", Decimal("6.000"))
    assert quant(product).reserved == Decimal("6.000")
    assert selectors.stock_drift() == []


def test_a_second_event_about_the_order_finds_its_delivery_and_services_are_not_delivered():
    product, service = ProductFactory(), ProductFactory(type="service")
    receive(product, "2")
    first = order(product, "1", order_id=7)
    assert order(product, "1", order_id=7) == first
    assert DeliveryOrder.objects.count() == 1
    nothing = services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=8,
        order_number="SO-8",
        organization_id=OrganizationFactory().pk,
        customer_name="",
        lines=[services.DeliveryLineInput(product_id=service.pk, quantity=Decimal(1))],
    )
    assert nothing is None


def test_a_reservation_takes_the_lot_that_expires_first_across_bins_and_adds_to_what_a_line_holds():
    product = ProductFactory()
    StockProduct.objects.create(product=product, tracking="lot")
    bin_a = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    far = Location.objects.create(warehouse=Warehouse.objects.create(code="YST", name="Ystad"), code="STOCK")
    receive(product, "3", lot="LATE", location=bin_a)
    receive(product, "2", lot="UNDATED")
    receive(product, "2", lot="SOON")
    receive(product, "9", lot="SOON", location=far)  # another warehouse: not this delivery's
    Lot.objects.filter(code="LATE").update(expires_on=datetime.date(2027, 6, 1))
    Lot.objects.filter(code="SOON").update(expires_on=datetime.date(2027, 1, 1))

    delivery = order(product, "9")
    line = delivery.lines.get()
    held = dict(Reservation.objects.filter(line=line).values_list("quant__lot__code", "quantity"))
    assert (delivery.state, line.reserved, held) == (
        "waiting",
        Decimal("7.000"),
        {"SOON": Decimal("2.000"), "LATE": Decimal("3.000"), "UNDATED": Decimal("2.000")},
    )

    # One more of the soonest lot: the line's reservation in that quant grows, the delivery is still short.
    services.stock_adjust(
        actor=None,
        product=product,
        location=stock_location(),
        quantity=Decimal(1),
        reason="Hittad",
        lot=Lot.objects.get(code="SOON"),
    )
    delivery.refresh_from_db()
    line.refresh_from_db()
    held = dict(Reservation.objects.filter(line=line).values_list("quant__lot__code", "quantity"))
    assert (delivery.state, line.reserved, held["SOON"], len(held)) == ("waiting", Decimal("8.000"), Decimal(3), 3)
    assert StockQuant.objects.get(location=far).reserved == 0
    receive(product, "1", lot="LATE", location=bin_a)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.lines.get().reserved) == ("ready", Decimal("9.000"))
    assert selectors.stock_drift() == []


def test_reserving_a_delivery_line_held_in_two_quants_takes_three_statements(django_assert_num_queries):
    product = ProductFactory()
    bin_a = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    delivery = order(product, "3")
    receive(product, "1")
    receive(product, "2", location=bin_a)
    DeliveryOrder.objects.filter(pk=delivery.pk).update(state="waiting")
    delivery.lines.update(reserved=0)
    Reservation.objects.filter(line__delivery=delivery).delete()
    StockQuant.objects.filter(product=product).update(reserved=0)
    # The delivery and its lines locked, one statement a line, its new state (and the savepoint and its
    # release: the test runs in a transaction).
    with django_assert_num_queries(5):
        reserved = services.delivery_reserve_again(actor=None, delivery=DeliveryOrder(pk=delivery.pk))
    assert (reserved.state, delivery.lines.get().reserved) == ("ready", Decimal("3.000"))
    assert selectors.stock_drift() == []


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_orders_for_ten_in_stock_reserve_exactly_ten():
    product = ProductFactory()
    receive(product, "10")
    customer = OrganizationFactory()
    errors: list[Exception] = []

    def place(order_ids):
        try:
            for order_id in order_ids:
                order(product, "1", order_id=order_id, customer=customer)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(range(1 + n, 51, 5),)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert DeliveryOrder.objects.count() == 50
    assert DeliveryOrder.objects.filter(state="ready").count() == 10
    assert DeliveryOrder.objects.filter(state="waiting").count() == 40
    stock = quant(product)
    assert (stock.quantity, stock.reserved) == (Decimal("10.000"), Decimal("10.000"))
    assert selectors.stock_drift() == []


def test_dispatch_ships_the_reserved_and_puts_the_rest_on_a_backorder():
    product = ProductFactory()
    receive(product, "3", "50.00")
    delivery = order(product, "5")
    services.delivery_pick(actor=None, delivery=delivery)
    services.delivery_pack(actor=None, delivery=delivery, weights=[Decimal("2.5"), None])
    delivery = services.delivery_dispatch(actor=None, delivery=delivery, carrier="PostNord", tracking_number="PN1")
    line = delivery.lines.get()
    assert (delivery.state, line.quantity, line.shipped, line.reserved) == (
        "dispatched",
        Decimal("3.000"),
        Decimal("3.000"),
        Decimal("0.000"),
    )
    assert quant(product).quantity == Decimal("0.000")
    shipped = StockMove.objects.get(kind="delivery")
    assert (shipped.to_location.kind, shipped.value, shipped.partner_id) == (
        "customer",
        Decimal("150.00"),
        delivery.organization_id,
    )
    backorder = delivery.backorders.get()
    assert (backorder.state, backorder.lines.get().quantity) == ("waiting", Decimal("2.000"))
    event = OutboxEvent.objects.get(name="logistics.shipment_dispatched")
    assert (event.payload["completes_order"], event.payload["tracking_number"]) == (False, "PN1")

    receive(product, "2")
    backorder.refresh_from_db()
    assert backorder.state == "ready"
    services.delivery_pick(actor=None, delivery=backorder)
    services.delivery_dispatch(actor=None, delivery=backorder, carrier="PostNord")
    services.delivery_confirm_delivered(actor=None, delivery=delivery)
    assert OutboxEvent.objects.get(name="logistics.shipment_delivered").payload["completes_order"] is False
    services.delivery_confirm_delivered(actor=None, delivery=backorder)
    last = OutboxEvent.objects.filter(name="logistics.shipment_delivered").order_by("pk").last()
    assert last.payload["completes_order"] is True
    assert selectors.stock_drift() == []


def test_dispatch_needs_a_carrier_and_a_picked_delivery():
    product = ProductFactory()
    receive(product, "1")
    delivery = order(product, "1")
    with pytest.raises(ServiceError, match="that cannot be done now"):
        services.delivery_dispatch(actor=None, delivery=delivery, carrier="DHL")
    services.delivery_pick(actor=None, delivery=delivery)
    with pytest.raises(ServiceError) as error:
        services.delivery_dispatch(actor=None, delivery=delivery, carrier=" ")
    assert error.value.message_dict == {"carrier": ["Say which carrier takes the goods."]}
    with pytest.raises(ServiceError, match="nothing of delivery|Nothing of delivery"):
        services.delivery_pick(actor=None, delivery=order(product, "1", order_id=2))


def test_a_cancelled_order_gives_its_reservation_to_the_next_backorder():
    product = ProductFactory()
    receive(product, "1")
    first, second = order(product, "1", order_id=1), order(product, "1", order_id=2)
    assert (first.state, second.state) == ("ready", "waiting")
    services.delivery_cancel_for_order(actor=None, order_id=1, reason="Kunden ångrade sig")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("cancelled", "ready")
    assert quant(product).reserved == Decimal("1.000")
    assert selectors.stock_drift() == []


def test_adjustments_need_a_reason_and_scrap_takes_stock_away():
    product = ProductFactory()
    receive(product, "5", "10.00")
    with pytest.raises(ServiceError) as error:
        services.stock_adjust(actor=None, product=product, location=stock_location(), quantity=Decimal(-1), reason="")
    assert error.value.message_dict == {"reason": ["Say why the stock is adjusted."]}
    services.stock_adjust(
        actor=None, product=product, location=stock_location(), quantity=Decimal(-2), reason="Trasig", kind="scrap"
    )
    services.stock_adjust(actor=None, product=product, location=stock_location(), quantity=Decimal(1), reason="Hittad")
    assert quant(product).quantity == Decimal("4.000")
    assert list(StockMove.objects.order_by("pk").values_list("kind", "to_location__kind")) == [
        ("receipt", "internal"),
        ("scrap", "scrap"),
        ("adjustment", "internal"),
    ]


def test_transfers_move_stock_between_bins_and_warehouses():
    product = ProductFactory()
    receive(product, "5")
    bin_a = Location.objects.create(warehouse=stock_location().warehouse, code="A-01", name="Hylla A1")
    other = Warehouse.objects.create(code="GBG", name="Göteborg")
    far = Location.objects.create(warehouse=other, code="STOCK", name="Stock")
    services.stock_transfer(
        actor=None, product=product, quantity=Decimal(2), from_location=stock_location(), to_location=bin_a
    )
    services.stock_transfer(actor=None, product=product, quantity=Decimal(1), from_location=bin_a, to_location=far)
    assert [(row["warehouse__code"], row["on_hand"]) for row in selectors.stock_overview()] == [
        ("GBG", Decimal("1.000")),
        ("WH", Decimal("4.000")),
    ]
    with pytest.raises(ServiceError, match="two warehouse locations"):
        services.stock_transfer(
            actor=None,
            product=product,
            quantity=Decimal(1),
            from_location=far,
            to_location=Location.objects.get(code="SCRAP"),
        )


def test_the_overview_page_in_sql_is_the_overview_queryset_sorted_filtered_and_counted():
    north = Location.objects.create(warehouse=Warehouse.objects.create(code="NORTH", name="Norr"), code="STOCK")
    for index, (sku, name, quantity) in enumerate(
        [("A_1", "Tält 100%", "3"), ("A1", "Tält", "12.5"), ("B-2", "Säck", "4"), ("C-3", "Rep", "40"), ("D", "x", "1")]
    ):
        product = ProductFactory(sku=sku, name=name)
        receive(product, quantity)
        if index % 2:
            receive(product, str(index + 1), location=north)
    order(Product.objects.get(sku="C-3"), "38")
    fields = selectors.STOCK_OVERVIEW_ORDERS
    for search, warehouse_id, low_only, sort, offset in itertools.product(
        ["", "a_", "100%", "TÄLT"],
        [None, north.warehouse_id],
        [False, True],
        ["", "-sku", "available", "-on_hand"],
        [0, 2],
    ):
        chosen = {"search": search, "warehouse_id": warehouse_id, "low_only": low_only}
        rows = selectors.stock_overview(**chosen)
        if sort:
            keys = fields[sort.removeprefix("-")]
            rows = rows.order_by(*([f"-{key}" for key in keys] if sort.startswith("-") else keys))
        page, counted = selectors.stock_overview_page(**chosen, sort=sort, offset=offset, limit=3, count_up_to=4)
        assert page == list(rows[offset : offset + 3]), (chosen, sort, offset)
        assert counted == (min(rows.count(), 4) if page else None), (chosen, sort, offset)
        assert selectors.stock_overview_count(**chosen) == rows.count(), chosen
    assert [row["product__sku"] for row in selectors.stock_overview_page(search="a_")[0]] == ["A_1"]


def test_serial_numbers_are_one_unit_each_and_have_a_history():
    product = ProductFactory(name="Kamera")
    StockProduct.objects.create(product=product, tracking="serial")
    with pytest.raises(ServiceError, match="say which lot"):
        receive(product, "1")
    with pytest.raises(ServiceError, match="one unit"):
        receive(product, "2", lot="SN-1")
    receive(product, "1", lot="SN-1")
    with pytest.raises(ServiceError, match="already in stock"):
        receive(product, "1", lot="SN-1")
    delivery = order(product, "1")
    services.delivery_pick(actor=None, delivery=delivery)
    services.delivery_dispatch(actor=None, delivery=delivery, carrier="DHL")
    [(lot, moves)] = selectors.serial_history(code="SN-1")
    assert [(move.kind, move.to_location.kind) for move in moves] == [("receipt", "internal"), ("delivery", "customer")]
    assert moves[-1].partner_id == delivery.organization_id


def test_a_count_books_the_differences_with_its_reason():
    product, other = ProductFactory(), ProductFactory()
    receive(product, "10")
    count = services.count_start(actor=None, location=stock_location(), reason="Årlig inventering")
    assert [(line.product_id, line.expected) for line in count.lines.all()] == [(product.pk, Decimal("10.000"))]
    services.count_set(count=count, product=product, counted=Decimal(8))
    services.count_set(count=count, product=other, counted=Decimal(3))
    moves = services.count_confirm(actor=None, count=count)
    assert sorted((move.product_id, move.quantity, move.to_location.kind) for move in moves) == sorted(
        [(product.pk, Decimal("2.000"), "adjustment"), (other.pk, Decimal("3.000"), "internal")]
    )
    assert {move.reason for move in moves} == {"Årlig inventering"}
    with pytest.raises(ServiceError, match="already booked"):
        services.count_confirm(actor=None, count=count)


def test_the_database_refuses_oversell_and_verify_stock_finds_drift(capsys):
    product = ProductFactory()
    receive(product, "2")
    order(product, "2")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE logistics_stockquant SET reserved = 3 WHERE product_id = %s", [product.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE logistics_stockquant SET quantity = -1, reserved = 0 WHERE product_id = %s", [product.pk]
        )
    call_command("verify_stock")
    assert "Stock verifies" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE logistics_stockquant SET quantity = 7 WHERE product_id = %s", [product.pk])
    with pytest.raises(CommandError) as error:
        call_command("verify_stock")
    assert error.value.returncode == 1
    assert "table says 7.000 on hand" in capsys.readouterr().err


quantities = st.integers(min_value=1, max_value=6)
STEP = st.tuples(
    st.sampled_from(["receive", "order", "dispatch", "cancel", "adjust", "transfer"]), quantities, st.integers(0, 30)
)


class StockProperties(HypothesisTestCase):
    @settings(max_examples=25, deadline=None)
    @given(st.lists(STEP, min_size=1, max_size=12))
    def test_any_sequence_of_moves_keeps_the_table_equal_to_the_moves(self, steps):
        product = ProductFactory()
        main = stock_location()
        shelf = Location.objects.get_or_create(warehouse=main.warehouse, code="SHELF", defaults={"name": "Shelf"})[0]
        customer = OrganizationFactory()
        for number, (action, quantity, pick) in enumerate(steps, start=1):
            deliveries = list(DeliveryOrder.objects.filter(lines__product=product).order_by("pk"))
            try:
                if action == "receive":
                    receive(product, quantity, cost=str(10 + pick))
                elif action == "order":
                    order(product, quantity, order_id=number, customer=customer)
                elif action == "dispatch" and deliveries:
                    delivery = deliveries[pick % len(deliveries)]
                    services.delivery_pick(actor=None, delivery=delivery)
                    services.delivery_dispatch(actor=None, delivery=delivery, carrier="PostNord")
                elif action == "cancel" and deliveries:
                    services.delivery_cancel(actor=None, delivery=deliveries[pick % len(deliveries)])
                elif action == "adjust":
                    services.stock_adjust(
                        actor=None, product=product, location=main, quantity=Decimal(quantity - 3) or 1, reason="p"
                    )
                elif action == "transfer":
                    services.stock_transfer(
                        actor=None, product=product, quantity=Decimal(quantity), from_location=main, to_location=shelf
                    )
            except ServiceError:
                pass  # refused (not enough available, wrong state): nothing may have changed
            assert selectors.stock_drift() == []
        for stock in StockQuant.objects.filter(product=product):
            assert 0 <= stock.reserved <= stock.quantity
