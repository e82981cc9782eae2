"""Dunning in a browser: Finance opens the overdue list, sees the reminder the run sent, puts a customer on credit
hold with a reason (a missing reason is pointed out first), finds it listed, and releases it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.finance import dunning, services
from backoffice.finance.models import CreditHold, FiscalYear
from core.parties.tests.factories import OrganizationFactory
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_sees_overdue_invoices_and_holds_a_customer(page, live_server, make_staff, password):
    today = timezone.localdate()
    for year in (today.year - 1, today.year):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )
    late = OrganizationFactory(name="Sen Betalare AB", email="")
    draft = services.invoice_create(
        actor=None,
        organization=late,
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(1), unit_price=Decimal("800.00"), tax_rate=25
            )
        ],
    )
    invoice = services.invoice_issue(actor=None, invoice=draft, invoice_date=today - timedelta(days=40))
    dunning.dunning_run(today)  # 10 days overdue: a reminder
    OrganizationFactory(name="Riskbolaget AB")
    finance = make_staff("Finance", full_name="Fia Finans")

    sign_in(page, live_server, finance.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/finance/dunning/")
    row = page.locator("tr", has_text=invoice.number)
    expect(row).to_be_visible()
    assert "Sen Betalare AB" in row.inner_text() and "Reminder" in row.inner_text()
    expect(page.get_by_role("button", name="Run dunning now")).to_be_visible()
    screenshot(page, "finance-dunning")

    page.get_by_role("link", name="Credit holds").click()
    page.wait_for_url(f"{live_server.url}/app/finance/dunning/holds/")
    expect(page.get_by_text("No customer is on credit hold")).to_be_visible()
    page.get_by_role("combobox", name="Customer").fill("Riskbol")
    page.get_by_role("option", name="Riskbolaget AB").click()
    page.get_by_role("button", name="Put on hold").click()
    expect(page.get_by_text("Please correct the errors below.")).to_be_visible()  # the reason is required
    assert not CreditHold.objects.filter(on_hold=True).exists()

    page.get_by_role("combobox", name="Customer").fill("Riskbol")
    page.get_by_role("option", name="Riskbolaget AB").click()
    page.get_by_label("Reason").fill("Three invoices disputed this year")
    page.get_by_role("button", name="Put on hold").click()
    expect(page.get_by_text("Riskbolaget AB is on credit hold")).to_be_visible()
    held = page.locator("#results tr", has_text="Riskbolaget AB")
    assert "Three invoices disputed this year" in held.inner_text()
    hold = CreditHold.objects.get(organization__name="Riskbolaget AB")
    assert (hold.on_hold, hold.is_manual, hold.reason) == (True, True, "Three invoices disputed this year")
    screenshot(page, "finance-credit-holds")

    held.get_by_label("Reason for releasing Riskbolaget AB").fill("Disputes settled")
    held.get_by_role("button", name="Release").click()
    expect(page.get_by_text("Riskbolaget AB is released from credit hold.")).to_be_visible()
    hold.refresh_from_db()
    assert hold.on_hold is False

    page.get_by_role("link", name="Letters").click()
    page.wait_for_url(f"{live_server.url}/app/finance/dunning/letters/")
    expect(page.locator("#results tr", has_text=invoice.number)).to_be_visible()
    screenshot(page, "finance-dunning-letters")
    page.get_by_role("link", name="Policy").click()
    page.wait_for_url(f"{live_server.url}/app/finance/dunning/policy/")
    page.get_by_label("Second reminder after (days overdue)").fill("5")
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_text("The second reminder comes after the first.")).to_be_visible()
    screenshot(page, "finance-dunning-policy")
