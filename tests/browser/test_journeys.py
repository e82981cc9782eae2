"""The foundation's main journeys, end to end in a real browser, at desktop and phone widths."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from core.accounts.models import User
from core.parties.models import Organization
from core.parties.tests.factories import OrganizationFactory
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_reaches_the_app(page, live_server, make_staff, password):
    user = make_staff("Sales", full_name="Johan Berg")
    OrganizationFactory(name="Nordic Outdoor AB")
    sign_in(page, live_server, user.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", name="Good to see you, Johan")).to_be_visible()
    screenshot(page, "staff-dashboard")
    page.goto(f"{live_server.url}/app/organizations/")
    expect(page.get_by_role("link", name="Nordic Outdoor AB")).to_be_visible()
    screenshot(page, "organization-list")


def test_staff_searches_and_creates_an_organization(page, live_server, make_staff, password):
    user = make_staff("Sales")
    OrganizationFactory(name="Alpha Bygg AB")
    OrganizationFactory(name="Beta Data AB")
    sign_in(page, live_server, user.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/organizations/")
    page.get_by_label("Search", exact=True).fill("beta")
    # htmx replaces the results and keeps the search in the URL.
    page.wait_for_url(re.compile(r".*q=beta.*"))
    expect(page.locator("#results").get_by_role("link", name="Beta Data AB")).to_be_visible()
    assert page.locator("#results").get_by_role("link", name="Alpha Bygg AB").count() == 0
    page.get_by_role("link", name="New organization").first.click()
    page.get_by_label("Name").fill("Gamma Energi AB")
    page.get_by_label("Organization number").fill("559900-1234")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(re.compile(r".*/app/organizations/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("Gamma Energi AB"))).to_be_visible()
    expect(page.get_by_text("Gamma Energi AB was created.")).to_be_visible()
    assert Organization.objects.filter(name="Gamma Energi AB", org_number="559900-1234").exists()


def test_customer_signs_up_verifies_email_and_reaches_the_portal(page, live_server):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Your name").fill("Nina Kund")
    page.get_by_label("Email").fill("ny.kund@example.com")
    page.locator("input[name=password1]").fill("Kund-losen-2026!")
    page.locator("input[name=password2]").fill("Kund-losen-2026!")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/$"))
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="Hello, Nina")).to_be_visible()
    screenshot(page, "portal-home")
    assert User.objects.get(email="ny.kund@example.com").kind == User.Kind.CUSTOMER
    # A customer typing a staff URL is refused.
    response = page.goto(f"{live_server.url}/app/")
    assert response.status == 403
