"""Purchasing: a request for quotation becomes an order, goods arrive in parts (into stock at the ordered
price, backorders served, finance told line by line), and reorder rules draft orders when stock runs low."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail

from backoffice.logistics import purchase_services, selectors, services
from backoffice.logistics.models import DeliveryOrder, Location, PurchaseOrder, ReorderRule, StockProduct, Warehouse
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


@pytest.fixture
def supplier():
    return OrganizationFactory(name="Leverantören AB", email="order@leverantoren.example")


def main() -> Warehouse:
    return Warehouse.objects.get(code="WH")


def ordered(supplier, *lines) -> PurchaseOrder:
    order = purchase_services.purchase_create(
        actor=None,
        supplier=supplier,
        warehouse=main(),
        lines=[
            purchase_services.PurchaseLineInput(product=product, quantity=Decimal(quantity), unit_price=Decimal(price))
            for product, quantity, price in lines
        ],
    )
    return purchase_services.purchase_confirm(actor=None, order=order, supplier_reference="OC-77")


def test_a_request_is_sent_with_its_pdf_then_ordered(supplier, django_capture_on_commit_callbacks):
    product = ProductFactory(name="Tält")
    order = purchase_services.purchase_create(
        actor=None,
        supplier=supplier,
        warehouse=main(),
        lines=[purchase_services.PurchaseLineInput(product=product, quantity=Decimal(10), unit_price=Decimal("400"))],
    )
    assert (order.state, str(order)) == ("draft", f"PO-{order.number}")
    with django_capture_on_commit_callbacks(execute=True):
        purchase_services.purchase_send(actor=None, order=order)
    message = mail.outbox[-1]
    assert (
        message.to == ["order@leverantoren.example"] and f"Request for quotation PO-{order.number}" in message.subject
    )
    assert message.attachments[0][0] == f"PO-{order.number}.pdf" and message.attachments[0][1].startswith(b"%PDF")
    order = purchase_services.purchase_confirm(actor=None, order=order, supplier_reference="OC-1")
    assert (order.state, order.supplier_reference) == ("confirmed", "OC-1")
    with pytest.raises(ServiceError, match="that cannot be done now"):
        purchase_services.purchase_confirm(actor=None, order=order)


def test_bad_lines_and_services_are_refused(supplier):
    goods, service = ProductFactory(), ProductFactory(type="service")
    for lines, message in (
        ([], "at least one line"),
        (
            [purchase_services.PurchaseLineInput(product=goods, quantity=Decimal(0), unit_price=Decimal(1))],
            "more than zero",
        ),
        (
            [purchase_services.PurchaseLineInput(product=service, quantity=Decimal(1), unit_price=Decimal(1))],
            "only goods",
        ),
    ):
        with pytest.raises(ServiceError, match=message):
            purchase_services.purchase_create(actor=None, supplier=supplier, warehouse=main(), lines=lines)
    assert not PurchaseOrder.objects.exists()


def test_goods_arrive_in_parts_at_the_ordered_price_and_finance_hears_each_receipt(supplier):
    tent, map_ = ProductFactory(name="Tält"), ProductFactory(name="Karta")
    waiting = services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=1,
        order_number="SO-1",
        organization_id=OrganizationFactory().pk,
        customer_name="Kund",
        lines=[services.DeliveryLineInput(product_id=tent.pk, quantity=Decimal(3))],
    )
    assert waiting.state == "waiting"
    order = ordered(supplier, (tent, 10, "400.00"), (map_, 5, "20.00"))
    tent_line, map_line = order.lines.order_by("position")
    receipt = purchase_services.purchase_receive(
        actor=None,
        order=order,
        supplier_reference="INV-9",
        lines=[
            purchase_services.ReceiveLineInput(
                order_line=tent_line, quantity=Decimal(4), billed_unit_price=Decimal("410.00")
            ),
            purchase_services.ReceiveLineInput(order_line=map_line, quantity=Decimal(0)),
        ],
    )
    order.refresh_from_db()
    assert order.state == "partly"
    assert StockProduct.objects.get(product=tent).average_cost == Decimal("400.0000")  # valued at the ordered price
    waiting.refresh_from_db()
    assert waiting.state == "ready"  # the backorder got the goods
    event = OutboxEvent.objects.get(name="logistics.goods_received")
    assert event.payload["receipt_id"] == receipt.pk and event.payload["supplier_reference"] == "INV-9"
    assert [
        (line["received_quantity"], line["received_to_date"], line["billed_quantity"], line["billed_unit_price"])
        for line in event.payload["lines"]
    ] == [("4", "4.000", "4", "410.00")]

    purchase_services.purchase_receive(
        actor=None,
        order=order,
        lines=[
            purchase_services.ReceiveLineInput(order_line=tent_line, quantity=Decimal(6)),
            purchase_services.ReceiveLineInput(order_line=map_line, quantity=Decimal(5)),
        ],
    )
    order.refresh_from_db()
    assert order.state == "received"
    assert [(row["product_id"], row["on_hand"]) for row in selectors.stock_overview()] == sorted(
        [(tent.pk, Decimal("10.000")), (map_.pk, Decimal("5.000"))]
    )
    assert selectors.stock_drift() == []
    with pytest.raises(ServiceError, match="that cannot be done now"):
        purchase_services.purchase_receive(
            actor=None,
            order=order,
            lines=[purchase_services.ReceiveLineInput(order_line=tent_line, quantity=Decimal(1))],
        )


def test_a_receipt_goes_into_the_orders_warehouse(supplier):
    product = ProductFactory()
    order = ordered(supplier, (product, 1, "1"))
    far = Location.objects.create(
        warehouse=Warehouse.objects.create(code="GBG", name="Göteborg"), code="STOCK", name="Stock"
    )
    with pytest.raises(ServiceError) as error:
        purchase_services.purchase_receive(
            actor=None,
            order=order,
            location=far,
            lines=[purchase_services.ReceiveLineInput(order_line=order.lines.get(), quantity=Decimal(1))],
        )
    assert "location" in error.value.message_dict


def test_reorder_rules_draft_one_order_per_supplier_and_count_what_is_coming(supplier):
    tent, map_, other = ProductFactory(), ProductFactory(), ProductFactory()
    services.stock_receive(
        actor=None,
        product=tent,
        quantity=Decimal(2),
        location=Location.objects.get(warehouse__code="WH", code="STOCK"),
        unit_cost=Decimal(1),
    )
    for product, minimum, maximum in ((tent, 5, 20), (map_, 1, 10)):
        ReorderRule.objects.create(
            product=product,
            warehouse=main(),
            minimum=minimum,
            maximum=maximum,
            supplier=supplier,
            unit_price=Decimal("9.50"),
        )
    ReorderRule.objects.create(product=other, warehouse=main(), minimum=0, maximum=3, supplier=OrganizationFactory())
    [order] = purchase_services.reorder_check()
    assert (order.origin, order.state, order.supplier_id) == ("reorder", "draft", supplier.pk)
    assert sorted((line.product_id, line.quantity) for line in order.lines.all()) == sorted(
        [(tent.pk, Decimal("18.000")), (map_.pk, Decimal("10.000"))]
    )
    assert OutboxEvent.objects.filter(name="logistics.stock_low").count() == 2

    assert purchase_services.reorder_check() == []  # what is ordered counts: nothing more is drafted
    services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=5,
        order_number="SO-5",
        organization_id=OrganizationFactory().pk,
        customer_name="",
        lines=[services.DeliveryLineInput(product_id=tent.pk, quantity=Decimal(20))],
    )
    # 2 reserved, 18 still missing: 0 − 18 free and 18 coming is below the minimum of 5 → top up to 20 free.
    [again] = purchase_services.reorder_check()
    assert again.pk == order.pk
    assert order.lines.get(product=tent).quantity == Decimal("38.000")
    assert DeliveryOrder.objects.get(order_id=5).state == "waiting"


def test_a_reorder_rule_is_saved_with_an_audit_row_and_one_per_product_and_warehouse(supplier):
    from core.audit.models import AuditEntry

    product = ProductFactory()
    values = {
        "product": product,
        "warehouse": main(),
        "minimum": Decimal(5),
        "maximum": Decimal(20),
        "supplier": supplier,
        "unit_price": Decimal("9.50"),
        "lead_time_days": 7,
        "is_active": True,
    }
    rule = purchase_services.reorder_rule_save(actor=None, rule=None, values=values)
    purchase_services.reorder_rule_save(actor=None, rule=rule, values={**values, "maximum": Decimal(30)})
    rule.refresh_from_db()
    assert rule.maximum == Decimal("30.000")
    update = AuditEntry.objects.filter(object_id=str(rule.pk), action="update").get()
    assert update.changes == {"maximum": ["20.000", "30"]}
    with pytest.raises(ServiceError) as error:
        purchase_services.reorder_rule_save(actor=None, rule=None, values=values)
    assert "product" in error.value.message_dict
    with pytest.raises(ServiceError) as error:
        purchase_services.reorder_rule_save(actor=None, rule=rule, values={**values, "maximum": Decimal(5)})
    assert error.value.message_dict == {"maximum": ["The maximum must be more than the minimum."]}
    with pytest.raises(ServiceError) as error:  # each field with its own message, as the form shows them
        purchase_services.reorder_rule_save(
            actor=None, rule=rule, values={**values, "minimum": Decimal(-1), "unit_price": Decimal("-0.01")}
        )
    assert error.value.message_dict == {
        "minimum": ["The minimum is not negative."],
        "unit_price": ["The price is not negative."],
    }
    rule.refresh_from_db()
    assert (rule.minimum, rule.unit_price) == (Decimal(5), Decimal("9.50"))
