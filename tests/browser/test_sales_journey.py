"""Issue 4's journey, end to end with a real Celery worker: lead → board → quote → portal accept → order → 360.

The salesperson works at desktop width; the customer answers on a phone.
"""

import email
import re
from decimal import Decimal
from email import policy

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from core.accounts.models import User
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.sales import services
from frontoffice.sales.models import Opportunity, Quote, SalesOrder
from integration.customer360.models import TimelineEntry
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _mailed_link(mail_dir, path_start: str) -> str | None:
    """The path of the first link in the worker's sent mail that starts with `path_start`."""
    for file in mail_dir.glob("*"):
        for chunk in file.read_text(errors="replace").split("-" * 79):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk.strip(), policy=policy.default)
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    found = re.search(rf"https?://[^/\s]+({re.escape(path_start)}\S+)", part.get_content())
                    if found:
                        return found.group(1)
    return None


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_from_lead_to_confirmed_order_on_the_customers_timeline(
    page, browser, live_server, make_staff, password, celery_worker
):
    sales = make_staff("Sales", full_name="Sara Sälj")
    organization = OrganizationFactory(name="Resa AB")
    customer = User.objects.create_user(
        email="kim@resa.example", password=password, full_name="Kim Kund", kind=User.Kind.CUSTOMER
    )
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    PersonFactory(user=customer, email=customer.email, first_name="Kim", last_name="Kund", organization=organization)
    lead = services.lead_create(
        actor=sales, company_name="Resa AB", first_name="Kim", last_name="Kund", email="kim@resa.example", owner=sales
    )

    # The salesperson converts the lead: the existing company and person are found, a deal opens.
    sign_in(page, live_server, sales.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.get_by_label("Amount (SEK)").fill("48000")
    page.get_by_role("button", name="Convert lead").click()
    page.wait_for_url(re.compile(r".*/app/sales/opportunities/\d+/$"))
    opportunity = Opportunity.objects.get(lead=lead)
    assert opportunity.account.organization == organization and opportunity.contact.user == customer

    # ... moves it across the board to Proposal ...
    page.goto(f"{live_server.url}/app/sales/pipeline/")
    page.locator(f"#opportunity-{opportunity.pk}").get_by_role("button", name="Move").click()
    with page.expect_navigation():
        page.get_by_role("dialog", name=f"Move {opportunity.name} to").get_by_role("button", name="Proposal").click()
    wait_for(lambda: Opportunity.objects.get(pk=opportunity.pk).stage.name == "Proposal", timeout=10, message="move")

    # ... builds a quote from the deal ...
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")
    page.get_by_role("link", name="Make a quote").click()
    page.get_by_label("Description").first.fill("Guided tour, two days")
    page.get_by_label("Quantity").first.fill("4")
    page.get_by_label("Unit price").first.fill("12000")
    page.get_by_label("VAT", exact=True).first.select_option(label="25 %")
    page.get_by_role("button", name="Add line").click()
    page.get_by_label("Description").nth(1).fill("Travel guide book")
    page.get_by_label("Quantity").nth(1).fill("4")
    page.get_by_label("Unit price").nth(1).fill("249")
    page.get_by_label("VAT", exact=True).nth(1).select_option(label="6 %")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/app/sales/quotes/\d+/$"))
    quote = Quote.objects.get(opportunity=opportunity)
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("48996.00"),  # 4 × 12,000 + 4 × 249
        Decimal("12059.76"),  # 25 % of 48,000 + 6 % of 996
        Decimal("61055.76"),
    )
    screenshot(page, "quote-detail")

    # ... and sends it; the worker mails the PDF and the answer link.
    page.get_by_role("button", name="Send with PDF").click()
    expect(page.get_by_text("The quote is on its way to the customer.")).to_be_visible()
    wait_for(
        lambda: _mailed_link(celery_worker.mail_dir, "/portal/quotes/"),
        timeout=60,
        message=f"the quote e-mail\n{celery_worker.logs()[-2000:]}",
    )
    link = _mailed_link(celery_worker.mail_dir, "/portal/quotes/")

    # The customer, on a phone, signs in to the portal and accepts the quote from the link.
    phone = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
    sign_in(phone, live_server, customer.email, password)
    phone.wait_for_url(f"{live_server.url}/portal/")
    phone.goto(f"{live_server.url}{link}")
    assert phone.get_by_text("Guided tour, two days").filter(visible=True).count() == 1  # cards, not the table
    screenshot(phone, "portal-quote")
    phone.get_by_role("button", name="Accept").click()
    phone.wait_for_load_state()
    quote.refresh_from_db()
    assert (quote.status, quote.responded_by) == ("accepted", customer)
    phone.context.close()

    # The salesperson finds the drafted order on the quote and confirms it.
    page.goto(f"{live_server.url}{quote.get_absolute_url()}")
    order = SalesOrder.objects.get(quote=quote)
    page.get_by_role("link", name=f"Order {order.number}").click()
    page.get_by_role("button", name="Confirm order").click()
    expect(page.get_by_text("finance and logistics take it from here")).to_be_visible()
    expect(page.get_by_text("Not yet invoiced").first).to_be_visible()

    # The bus carries sales.order_confirmed to the customer's 360 timeline.
    wait_for(
        lambda: TimelineEntry.objects.filter(organization=organization, event_name="sales.order_confirmed").exists(),
        timeout=60,
        message=f"the timeline entry\n{celery_worker.logs()[-2000:]}",
    )
    page.goto(f"{live_server.url}/app/customers/{organization.pk}/")
    expect(page.get_by_role("link", name=re.compile(f"Order {order.number} confirmed"))).to_be_visible()
    screenshot(page, "customer-360-with-order")
