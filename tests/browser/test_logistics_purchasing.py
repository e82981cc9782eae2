"""Purchasing and production in a browser: Logistics asks a supplier for tents, confirms the order, receives part
of it and sees the stock overview grow; then plans a camping kit that waits for a stove, reserves again once
one arrives, and makes it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice.logistics import production_services, services
from backoffice.logistics.models import Location, ProductionOrder, PurchaseOrder, StockQuant
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stock() -> Location:
    return Location.objects.get(warehouse__code="WH", code="STOCK")


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_logistics_buys_receives_part_and_makes_a_kit(page, live_server, make_staff, password):
    tent = ProductFactory(sku="TENT-2P", name="Tält Fjäll 2 personer")
    stove = ProductFactory(sku="STOVE-GAS", name="Gaskök")
    kit = ProductFactory(sku="KIT-CAMP", name="Campingpaket")
    production_services.bom_create(actor=None, product=kit, components=[(tent, Decimal(1)), (stove, Decimal(1))])
    services.stock_receive(actor=None, product=stove, quantity=Decimal(1), location=stock(), unit_cost=Decimal(300))
    OrganizationFactory(name="Leverantören AB", email="order@leverantoren.example")
    logistics = make_staff("Logistics", full_name="Nils Forsberg")

    sign_in(page, live_server, logistics.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/logistics/purchases/")
    page.get_by_role("link", name="New purchase request").first.click()
    page.wait_for_url(re.compile(r".*/app/logistics/purchases/new/$"))
    page.locator("#id_supplier").fill("Leverant")
    page.get_by_role("option", name=re.compile("Leverantören AB")).click()
    page.locator("#id_lines-0-product").select_option(label="TENT-2P · Tält Fjäll 2 personer")
    page.locator("#id_lines-0-quantity").fill("10")
    page.locator("#id_lines-0-unit_price").fill("400")
    page.get_by_role("button", name="Save request").click()
    page.wait_for_url(re.compile(r".*/app/logistics/purchases/\d+/$"))
    order = PurchaseOrder.objects.get()
    expect(page.get_by_text(f"Request for quotation {order} is saved.")).to_be_visible()

    confirm = page.locator("#confirm")
    confirm.get_by_label("Supplier's order confirmation").fill("OC-7")
    confirm.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(rf".*/app/logistics/purchases/{order.pk}/$"))
    expect(page.get_by_text(f"{order} is ordered; its goods are now expected.")).to_be_visible()

    receive = page.locator("#receive")
    receive.get_by_label("Received").fill("6")
    receive.get_by_label("Supplier's invoice or delivery note").fill("INV-55")
    receive.get_by_role("button", name="Receive", exact=True).click()
    page.wait_for_url(re.compile(rf".*/app/logistics/purchases/{order.pk}/$"))
    expect(page.get_by_text(f"6 received against {order} into WH/STOCK.")).to_be_visible()
    assert page.locator("#purchase-lines [data-open]").inner_text() == "4"
    expect(page.get_by_text("Partly received").first).to_be_visible()
    screenshot(page, "logistics-purchase-order")
    order.refresh_from_db()
    assert order.state == "partly"

    page.goto(f"{live_server.url}/app/logistics/stock/?q=TENT")
    row = page.locator("#stock-table tbody tr", has_text="TENT-2P")
    assert row.locator("td").nth(3).inner_text() == "6"

    page.goto(f"{live_server.url}/app/logistics/production/")
    page.get_by_role("link", name="New production order").first.click()
    page.wait_for_url(re.compile(r".*/app/logistics/production/new/$"))
    page.get_by_label("Product to make").select_option(label="KIT-CAMP · Campingpaket")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Plan production").click()
    page.wait_for_url(re.compile(r".*/app/logistics/production/\d+/$"))
    production = ProductionOrder.objects.get()
    expect(page.get_by_text(f"{production} is planned; it waits for components in stock.")).to_be_visible()
    stove_row = page.locator("#production-components tr[data-component='STOVE-GAS']")
    assert stove_row.locator("[data-reserved]").inner_text() == "1"
    assert page.get_by_role("button", name="Make").count() == 0

    services.stock_receive(actor=None, product=stove, quantity=Decimal(1), location=stock(), unit_cost=Decimal(300))
    page.get_by_role("button", name="Reserve again").click()
    page.wait_for_url(re.compile(rf".*/app/logistics/production/{production.pk}/$"))
    expect(page.get_by_text(f"{production} is ready to make.")).to_be_visible()
    page.get_by_role("button", name="Make").click()
    page.wait_for_url(re.compile(rf".*/app/logistics/production/{production.pk}/$"))
    expect(page.get_by_text(f"{production} is made; the finished goods are in stock.")).to_be_visible()
    assert stove_row.locator("[data-consumed]").inner_text() == "2"
    screenshot(page, "logistics-production-order")
    production.refresh_from_db()
    assert (production.state, production.unit_cost) == ("done", Decimal("700.0000"))
    assert StockQuant.objects.get(product=kit, location=stock()).quantity == Decimal(2)
    assert StockQuant.objects.get(product=tent, location=stock()).quantity == Decimal(4)


def test_every_purchasing_production_and_return_page_fits_the_screen(page, live_server, make_staff, password):
    """Each page opens for Logistics and nothing is wider than the screen (tables scroll inside their card)."""
    from backoffice.logistics import purchase_services, return_services
    from backoffice.logistics.models import ReorderRule, Warehouse

    tent = ProductFactory(sku="TENT-2P", name="Tält Fjäll 2 personer")
    stove = ProductFactory(sku="STOVE-GAS", name="Gaskök")
    kit = ProductFactory(sku="KIT-CAMP", name="Campingpaket")
    bom = production_services.bom_create(actor=None, product=kit, components=[(tent, Decimal(1)), (stove, Decimal(1))])
    services.stock_receive(actor=None, product=stove, quantity=Decimal(3), location=stock(), unit_cost=Decimal(300))
    supplier = OrganizationFactory(name="Leverantören AB med ett ganska långt namn", email="order@leverantoren.example")
    customer = OrganizationFactory(name="Fjällbo AB")
    main = Warehouse.objects.get(code="WH")
    order = purchase_services.purchase_create(
        actor=None,
        supplier=supplier,
        warehouse=main,
        lines=[purchase_services.PurchaseLineInput(product=tent, quantity=Decimal(10), unit_price=Decimal(400))],
    )
    order = purchase_services.purchase_confirm(actor=None, order=order, supplier_reference="OC-7")
    ReorderRule.objects.create(
        product=stove, warehouse=main, minimum=Decimal(5), maximum=Decimal(20), supplier=supplier
    )
    production = production_services.production_create(actor=None, product=kit, quantity=Decimal(2), location=stock())
    rma = return_services.return_create(
        actor=None,
        organization=customer,
        reason="Fel storlek",
        ticket_reference="T-1234",
        lines=[return_services.ReturnLineInput(product=stove, quantity=Decimal(1))],
    )
    logistics = make_staff("Logistics")
    sign_in(page, live_server, logistics.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    pages = {
        "purchases": "/app/logistics/purchases/",
        "purchase-new": "/app/logistics/purchases/new/",
        "purchase": f"/app/logistics/purchases/{order.pk}/",
        "reorder": "/app/logistics/purchases/reorder/",
        "reorder-new": "/app/logistics/purchases/reorder/new/",
        "production": "/app/logistics/production/",
        "production-new": "/app/logistics/production/new/",
        "production-order": f"/app/logistics/production/{production.pk}/",
        "boms": "/app/logistics/production/boms/",
        "bom-new": "/app/logistics/production/boms/new/",
        "bom": f"/app/logistics/production/boms/{bom.pk}/",
        "returns": "/app/logistics/returns/",
        "return-new": f"/app/logistics/returns/new/?ticket=5&ticket_reference=T-1234&organization={customer.pk}",
        "return": f"/app/logistics/returns/{rma.pk}/",
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
        screenshot(page, f"logistics-{name}")
