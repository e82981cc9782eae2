"""Logistics in a browser: goods arrive for a product an order waits for, show in the stock overview, and the
delivery that got them reserved is picked, packed, dispatched with a tracking number and confirmed delivered."""

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice.logistics import selectors, services
from backoffice.logistics.models import DeliveryOrder, StockQuant
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus.models import OutboxEvent
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_logistics_receives_goods_and_ships_the_waiting_delivery(page, live_server, make_staff, password):
    product = ProductFactory(sku="TENT-2P", name="Tält Fjäll 2 personer")
    customer = OrganizationFactory(name="Fjällbo AB")
    delivery = services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=1042,
        order_number="SO-001042",
        organization_id=customer.pk,
        customer_name=customer.name,
        lines=[services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(2), order_line_id=1)],
    )
    assert delivery.state == "waiting"
    logistics = make_staff("Logistics", full_name="Nils Forsberg")

    sign_in(page, live_server, logistics.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/logistics/stock/?q=TENT")
    page.get_by_role("link", name="Receive goods").click()
    page.wait_for_url(re.compile(rf".*/app/logistics/products/{product.pk}/$"))
    receive = page.locator("#receive")
    receive.get_by_label("Quantity").fill("5")
    receive.get_by_label("Location").select_option(label="WH/STOCK")
    receive.get_by_label("Unit cost (SEK)").fill("1150")
    receive.get_by_role("button", name="Receive", exact=True).click()
    page.wait_for_url(re.compile(rf".*/app/logistics/products/{product.pk}/$"))
    expect(page.get_by_text("Received 5 × TENT-2P into WH/STOCK.")).to_be_visible()
    assert page.locator("#product-reserved").inner_text() == "2"
    screenshot(page, "logistics-product-stock")

    page.goto(f"{live_server.url}/app/logistics/stock/")
    row = page.locator("#stock-table tbody tr", has_text="TENT-2P")
    assert row.locator("td").nth(3).inner_text() == "5"
    assert row.locator("td").nth(5).inner_text().startswith("3")
    screenshot(page, "logistics-stock")

    page.goto(f"{live_server.url}/app/logistics/deliveries/?q=SO-001042")
    page.get_by_role("link", name=str(delivery)).click()
    page.wait_for_url(re.compile(rf".*/app/logistics/deliveries/{delivery.pk}/$"))
    expect(page.get_by_text("Ready to pick").first).to_be_visible()
    assert "WH/STOCK" in page.locator("#delivery-lines").inner_text()
    page.get_by_role("button", name="Pick", exact=True).click()
    expect(page.get_by_text(f"{delivery} is picked.")).to_be_visible()
    page.get_by_label("Parcel weights (kg)").fill("3.2")
    page.get_by_role("button", name="Pack", exact=True).click()
    expect(page.get_by_text(f"{delivery} is packed in 1 parcel(s).")).to_be_visible()
    page.get_by_label("Carrier").fill("PostNord")
    page.get_by_label("Tracking number").fill("PN123456789SE")
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(page.get_by_text(f"{delivery} is dispatched with PostNord.")).to_be_visible()
    assert page.locator("#delivery-tracking").inner_text() == "PN123456789SE"
    page.get_by_role("button", name="Confirm delivered").click()
    expect(page.get_by_text(f"{delivery} is delivered.")).to_be_visible()
    screenshot(page, "logistics-delivery")

    delivery.refresh_from_db()
    assert (delivery.state, delivery.tracking_number) == ("delivered", "PN123456789SE")
    stock = StockQuant.objects.get(product=product)
    assert (stock.quantity, stock.reserved) == (Decimal("3.000"), Decimal("0.000"))
    assert OutboxEvent.objects.filter(name="logistics.shipment_delivered").count() == 1
    assert DeliveryOrder.objects.count() == 1
    assert selectors.stock_drift() == []


def test_every_logistics_page_fits_the_screen(page, live_server, make_staff, password, viewport):
    """Each page opens for Logistics and nothing is wider than the screen (tables scroll inside their card)."""
    product = ProductFactory(sku="BAG-35L", name="Ryggsäck 35 liter")
    services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(3),
        location=selectors.internal_locations().get(warehouse__code="WH", code="STOCK"),
        unit_cost=Decimal("540.00"),
    )
    customer = OrganizationFactory(name="Fjällbo AB")
    delivery = services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=7,
        order_number="SO-000007",
        organization_id=customer.pk,
        customer_name=customer.name,
        lines=[services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(1))],
    )
    logistics = make_staff("Logistics")
    sign_in(page, live_server, logistics.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    pages = {
        "stock": "/app/logistics/stock/",
        "product": f"/app/logistics/products/{product.pk}/",
        "moves": "/app/logistics/moves/",
        "deliveries": "/app/logistics/deliveries/",
        "delivery": f"/app/logistics/deliveries/{delivery.pk}/",
        "pick-list": "/app/logistics/deliveries/pick-list/",
        "counts": "/app/logistics/counts/",
        "serials": "/app/logistics/serials/?code=NONE",
        "warehouses": "/app/logistics/warehouses/",
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
        screenshot(page, f"logistics-{name}")
