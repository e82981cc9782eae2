"""A customer asks for help on the portal: a new ticket with a screenshot, then the ticket's page and the list.

Run at desktop and phone widths; on a phone (390 px) no page may scroll sideways.
"""

import re
import struct
import zlib

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from core.accounts.models import User
from core.accounts.tests.factories import StaffFactory
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.service import services
from frontoffice.service.models import Ticket
from frontoffice.service.tests.factories import CategoryFactory, default_queue
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tiny_png() -> bytes:
    """A real 1×1 PNG, so that the browser can draw the thumbnail."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x99\x00"))
        + chunk(b"IEND", b"")
    )


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_customer_sends_a_ticket_with_a_screenshot(page, live_server, password):
    default_queue()
    CategoryFactory(name="Printers")
    CategoryFactory(name="Outage", customer_may_set_priority=True)
    organization = OrganizationFactory(name="Resa AB")
    customer = User.objects.create_user(
        email="kim@resa.example", password=password, full_name="Kim Kund", kind=User.Kind.CUSTOMER
    )
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    PersonFactory(user=customer, email=customer.email, first_name="Kim", last_name="Kund", organization=organization)
    phone = page.viewport_size["width"] <= 400

    sign_in(page, live_server, customer.email, password)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.get_by_role("link", name="Support").click()
    page.wait_for_url(f"{live_server.url}/portal/tickets/")
    expect(page.get_by_role("heading", name="No tickets yet")).to_be_visible()
    page.locator("#results").get_by_role("link", name="New ticket").click()

    page.wait_for_url(f"{live_server.url}/portal/tickets/new/")
    page.get_by_label("Subject").fill("The printer jams on page 2")
    page.get_by_label("Describe your request").fill("Every time.\nThe screenshot shows the message.")
    # The priority is asked only where the category lets customers choose it.
    priority = page.get_by_label("Priority")
    assert not priority.is_visible()
    page.get_by_label("What is it about?").select_option(label="Outage")
    assert priority.is_visible() and priority.is_enabled()
    page.get_by_label("What is it about?").select_option(label="Printers")
    assert not priority.is_visible()
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "jam.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    assert not scrolls_sideways(page)
    screenshot(page, "portal-ticket-new")
    page.get_by_role("button", name="Send ticket").click()

    page.wait_for_url(re.compile(r".*/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    assert page.url.endswith(ticket.get_portal_url())
    expect(page.get_by_role("heading", name="The printer jams on page 2")).to_be_visible()
    expect(page.get_by_text(f"We have your ticket {ticket.reference}")).to_be_visible()
    file_link = page.locator("#conversation").get_by_role("link", name=re.compile("jam.png"))
    expect(file_link).to_be_visible()
    attachment = ticket.attachments.get()
    assert file_link.get_attribute("href") == f"/portal/tickets/files/{attachment.pk}/"
    thumbnail = file_link.locator("img")
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => img.naturalWidth") == 1  # the file is served and drawn
    assert not scrolls_sideways(page)
    screenshot(page, "portal-ticket")

    # Support answers and solves it; the customer sees who answered and rates the help.
    agent = StaffFactory(departments=["Customer Service"], full_name="Agnes Andersson")
    services.ticket_reply(ticket=ticket, body="Fixed: a new roller.", author=agent, new_status=Ticket.Status.RESOLVED)
    page.reload()
    expect(page.locator("#conversation").get_by_text("Agnes", exact=True)).to_be_visible()
    expect(page.get_by_text("Fixed: a new roller.")).to_be_visible()
    rating = page.locator("#rating")
    rating.locator("label", has_text="Excellent").click()
    assert rating.get_by_role("radio", name=re.compile("Excellent")).is_checked()
    rating.get_by_label("Anything you would like to tell us? (optional)").fill("Quick and kind.")
    rating.get_by_role("button", name="Send rating").click()
    page.wait_for_load_state()
    expect(page.locator("#rating").get_by_text("5 of 5")).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.csat_rating, ticket.csat_comment) == (5, "Quick and kind.")
    assert not scrolls_sideways(page)
    screenshot(page, "portal-ticket-rated")

    page.get_by_role("link", name="Your tickets").first.click()
    page.wait_for_url(f"{live_server.url}/portal/tickets/")
    expect(page.locator("#results").get_by_role("link", name=re.compile("The printer jams on page 2"))).to_be_visible()
    page.get_by_label("Search", exact=True).fill("nothing like it")
    page.wait_for_url(re.compile(r".*q=nothing.*"))
    expect(page.get_by_role("heading", name="Nothing matches these filters")).to_be_visible()
    page.goto(f"{live_server.url}/portal/tickets/")
    if phone:
        assert page.viewport_size["width"] == 390
    assert not scrolls_sideways(page)
    screenshot(page, "portal-ticket-list")
