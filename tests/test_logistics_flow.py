"""Order to doorstep across the offices: a salesperson confirms an order with the real sales services, the bus
delivers it, logistics reserves and ships it with a tracking number, sales and the customer's portal show how
far it has come, and finance invoices a customer who is invoiced on delivery. Backorders wait for a receipt;
a cancelled order gives its reservation back. Stock verifies against its moves and the ledger verifies after
each. Cross-office, so it lives here: the back office's own tests may not import the front office.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.finance import selectors as finance_selectors
from backoffice.finance import services as finance
from backoffice.finance.models import FiscalYear, Invoice
from backoffice.logistics import selectors as logistics_selectors
from backoffice.logistics import services as logistics
from backoffice.logistics.models import DeliveryOrder, Location, StockQuant
from core.catalog.tests.factories import ProductFactory
from core.parties.models import Person
from frontoffice.crm import services as crm
from frontoffice.sales import services as sales
from frontoffice.sales.models import SalesOrder
from integration.bus import services as bus
from integration.bus.models import Delivery, OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _years(db):
    year = timezone.localdate().year
    for name in (year, year + 1):
        FiscalYear.objects.get_or_create(
            name=str(name), defaults={"start": date(name, 1, 1), "end": date(name, 12, 31)}
        )


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The bus is driven by hand; nothing goes to the broker."""
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def deliver_all() -> None:
    """What the worker would do: relay, run each open delivery once (oldest first), relay what that published."""
    tried: set[int] = set()
    bus.relay_pending()
    while True:
        waiting = Delivery.objects.filter(status__in=Delivery.OPEN_STATES).exclude(pk__in=tried).order_by("pk")
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            return
        for delivery_id in ids:
            tried.add(delivery_id)
            bus.deliver(delivery_id)
        bus.relay_pending()


@pytest.fixture
def seller(make_staff):
    return make_staff("Sales")


@pytest.fixture
def account(seller, customer_user):
    """The customer whose portal login is `customer_user` (the portal finds the organization through the person)."""
    organization = Person.objects.get(user=customer_user).organization
    return crm.account_open(actor=seller, organization=organization, owner=seller)


@pytest.fixture
def tent():
    return ProductFactory(sku="TENT-2P", name="Tält för två", list_price=Decimal("2495.00"))


def stock() -> Location:
    return Location.objects.get(warehouse__code="WH", code="STOCK")


def receive(product, quantity: str, cost: str = "1200.00") -> None:
    logistics.stock_receive(
        actor=None, product=product, quantity=Decimal(quantity), location=stock(), unit_cost=Decimal(cost)
    )


def confirmed_order(seller, account, product, quantity: str) -> SalesOrder:
    order = sales.order_create(
        actor=seller, account=account, lines=[{"product": product, "quantity": Decimal(quantity)}]
    )
    order = sales.order_confirm(actor=seller, order=order)
    deliver_all()
    return order


def ship(delivery: DeliveryOrder, *, tracking: str) -> DeliveryOrder:
    logistics.delivery_pick(actor=None, delivery=delivery)
    logistics.delivery_pack(actor=None, delivery=delivery, weights=[Decimal("4.20")])
    delivery = logistics.delivery_dispatch(actor=None, delivery=delivery, carrier="PostNord", tracking_number=tracking)
    deliver_all()
    return delivery


def quant(product) -> StockQuant:
    return StockQuant.objects.get(product=product, location=stock(), lot=None)


def assert_books_and_stock_verify() -> None:
    assert logistics_selectors.stock_drift() == []
    assert finance_selectors.verify_ledger() == []
    assert set(Delivery.objects.values_list("status", flat=True)) <= {"done"}


def test_an_order_in_stock_is_shipped_tracked_delivered_and_invoiced_on_delivery(
    seller, account, tent, client_for, api_client_for, make_staff, customer_user
):
    finance.billing_policy_set(actor=None, organization=account.organization, invoice_on="delivery")
    receive(tent, "5")
    order = confirmed_order(seller, account, tent, "2")

    delivery = DeliveryOrder.objects.get(order_id=order.pk)
    assert (delivery.state, delivery.order_number, delivery.organization_id) == (
        "ready",
        order.number,
        account.organization_id,
    )
    assert (quant(tent).quantity, quant(tent).reserved) == (Decimal("5.000"), Decimal("2.000"))
    assert Invoice.objects.get(order_id=order.pk).state == "draft"  # waits for the delivery

    # The warehouse works through the API, as a handheld scanner would.
    warehouse = api_client_for(make_staff("Logistics"))
    url = f"/api/v1/logistics/deliveries/{delivery.pk}/"
    assert warehouse.post(f"{url}pick/").json()["state"] == "picked"
    assert warehouse.post(f"{url}pack/", {"weights": ["4.20"]}, format="json").json()["state"] == "packed"
    dispatched = warehouse.post(
        f"{url}dispatch/", {"carrier": "PostNord", "tracking_number": "00370712345678901234"}, format="json"
    )
    assert (dispatched.status_code, dispatched.json()["state"]) == (200, "dispatched")
    deliver_all()
    order.refresh_from_db()
    assert (order.delivery_status, order.carrier, order.tracking_number) == (
        "dispatched",
        "PostNord",
        "00370712345678901234",
    )
    page = client_for(seller).get(reverse("sales:order-detail", args=[order.pk])).content.decode()
    assert "Dispatched" in page and "PostNord" in page and "00370712345678901234" in page
    answer = api_client_for(seller).get(f"/api/v1/sales/orders/{order.pk}/").json()
    assert (answer["delivery_status"], answer["carrier"], answer["tracking_number"]) == (
        "dispatched",
        "PostNord",
        "00370712345678901234",
    )
    assert Invoice.objects.get(order_id=order.pk).state == "draft"

    assert warehouse.post(f"{url}deliver/").json()["state"] == "delivered"
    deliver_all()
    order.refresh_from_db()
    assert (order.delivery_status, order.invoice_status) == ("delivered", "invoiced")
    invoice = Invoice.objects.get(order_id=order.pk)
    assert (invoice.state, invoice.total) == ("issued", order.total)

    response = client_for(customer_user).get(reverse("portal-order", args=[order.pk]))
    assert response.status_code == 200
    portal = response.content.decode()
    assert "Delivered" in portal and "Shipped with PostNord" in portal and "00370712345678901234" in portal
    assert quant(tent).quantity == Decimal("3.000") and quant(tent).reserved == Decimal("0.000")
    assert_books_and_stock_verify()


def test_an_order_beyond_stock_waits_for_a_receipt_and_ships_in_two(seller, account, tent):
    receive(tent, "2")
    order = confirmed_order(seller, account, tent, "5")
    first = DeliveryOrder.objects.get(order_id=order.pk)
    assert (first.state, first.lines.get().reserved, first.lines.get().missing) == (
        "waiting",
        Decimal("2.000"),
        Decimal("3.000"),
    )

    ship(first, tracking="PN-1")  # what there is leaves; the rest goes on a backorder
    order.refresh_from_db()
    assert (order.delivery_status, order.tracking_number) == ("partly", "PN-1")
    backorder = DeliveryOrder.objects.get(backorder_of=first)
    assert (backorder.state, backorder.lines.get().quantity) == ("waiting", Decimal("3.000"))

    receive(tent, "4")  # the receipt reserves the backorder at once
    backorder.refresh_from_db()
    assert (backorder.state, backorder.lines.get().reserved) == ("ready", Decimal("3.000"))
    assert (quant(tent).quantity, quant(tent).reserved) == (Decimal("4.000"), Decimal("3.000"))

    ship(backorder, tracking="PN-2")
    dispatched = OutboxEvent.objects.filter(name="logistics.shipment_dispatched").order_by("pk")
    assert [(event.payload["tracking_number"], event.payload["completes_order"]) for event in dispatched] == [
        ("PN-1", False),
        ("PN-2", True),
    ]
    order.refresh_from_db()
    assert (order.delivery_status, order.carrier, order.tracking_number) == ("dispatched", "PostNord", "PN-2")

    for delivery in (first, backorder):
        logistics.delivery_confirm_delivered(actor=None, delivery=delivery)
    deliver_all()
    order.refresh_from_db()
    assert (order.delivery_status, order.tracking_number) == ("delivered", "PN-2")  # the first's arrival kept PN-2
    assert quant(tent).quantity == Decimal("1.000")
    assert_books_and_stock_verify()


def test_a_cancelled_order_releases_its_reservation(seller, account, tent):
    receive(tent, "3")
    order = confirmed_order(seller, account, tent, "3")
    delivery = DeliveryOrder.objects.get(order_id=order.pk)
    assert (delivery.state, quant(tent).reserved) == ("ready", Decimal("3.000"))

    sales.order_cancel(actor=seller, order=order, reason="Kunden ångrade sig")
    deliver_all()
    delivery.refresh_from_db()
    assert delivery.state == "cancelled" and not delivery.lines.get().reservations.exists()
    assert (quant(tent).quantity, quant(tent).reserved) == (Decimal("3.000"), Decimal("0.000"))
    order.refresh_from_db()
    assert (order.status, order.delivery_status, order.carrier) == ("cancelled", "not-delivered", "")
    assert_books_and_stock_verify()
