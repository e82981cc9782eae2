"""The pipeline board in a real browser: drag a deal to the next stage, or move it with the keyboard menu."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from frontoffice.sales import services
from frontoffice.sales.models import Opportunity, PipelineStage
from tests.browser.conftest import sign_in
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_salesperson_drags_a_deal_and_moves_another_without_a_mouse(page, live_server, make_staff, password):
    sales = make_staff("Sales")
    first = services.lead_convert(
        actor=sales, lead=services.lead_create(actor=sales, company_name="Drag AB"), amount=Decimal("1000")
    )
    second = services.lead_convert(
        actor=sales, lead=services.lead_create(actor=sales, company_name="Meny AB"), amount=Decimal("2000")
    )
    proposal = PipelineStage.objects.get(name="Proposal")
    sign_in(page, live_server, sales.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/sales/pipeline/")

    if page.viewport_size["width"] >= 992:  # dragging is for a mouse; on a phone the menu below is the way
        page.locator(f"#opportunity-{first.pk}").drag_to(page.locator(f'.kanban-column[data-stage="{proposal.pk}"]'))
        wait_for(lambda: Opportunity.objects.get(pk=first.pk).stage_id == proposal.pk, timeout=10, message="the drop")
        # The database changes before the answer reaches the page: wait for the board to show it.
        expect(page.locator(f'.kanban-column[data-stage="{proposal.pk}"] #opportunity-{first.pk}')).to_have_count(1)

    # The keyboard: the card's "Move" opens the board's menu, focused on its first stage; Escape closes it.
    opener = page.locator(f"#opportunity-{second.pk}").get_by_role("button", name="Move Meny AB: new business")
    opener.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("dialog", name="Move Meny AB: new business to")
    assert menu.is_visible() and opener.get_attribute("aria-expanded") == "true"
    assert menu.get_by_role("button", name="Qualification").is_disabled()  # where the deal is now
    page.keyboard.press("Escape")
    assert menu.is_hidden()
    assert page.evaluate("document.activeElement.closest('.kanban-card').id") == f"opportunity-{second.pk}"
    page.keyboard.press("Enter")
    menu.get_by_role("button", name="Negotiation").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Opportunity.objects.get(pk=second.pk).stage.name == "Negotiation"
    expect(page.get_by_text("Moved to Negotiation.")).to_be_visible()
