"""The ledger in a browser: Finance books a supplier's receipt as a draft, posts it, and finds it in the trial
balance, drilling down to the account's ledger; the books still verify."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.finance import selectors
from backoffice.finance.models import FiscalYear, JournalEntry
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_finance_books_posts_and_finds_an_entry_in_the_trial_balance(page, live_server, make_staff, password):
    today = timezone.localdate()
    FiscalYear.objects.get_or_create(
        name=str(today.year), defaults={"start": date(today.year, 1, 1), "end": date(today.year, 12, 31)}
    )
    finance = make_staff("Finance", full_name="Lars Nyström")
    page.on("dialog", lambda dialog: dialog.accept())  # the "Post this entry?" confirmation

    sign_in(page, live_server, finance.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/finance/entries/new/")
    page.get_by_label("Journal").select_option(label="GEN General")
    page.get_by_label("Description").fill("Office chairs, receipt 17")
    lines = page.locator("fieldset.line-form")
    lines.nth(0).get_by_label("Account").select_option(label="5410 Förbrukningsinventarier")
    lines.nth(0).get_by_label("Debit").fill("800.00")
    lines.nth(1).get_by_label("Account").select_option(label="2640 Ingående moms")
    lines.nth(1).get_by_label("Debit").fill("200.00")
    page.get_by_role("button", name="Add line").click()  # a third line, added in the page
    lines.nth(2).get_by_label("Account").select_option(label="1930 Företagskonto")
    lines.nth(2).get_by_label("Credit").fill("1000.00")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/app/finance/entries/\d+/$"))
    entry = JournalEntry.objects.get()
    assert entry.state == "draft"

    page.get_by_role("button", name="Post").click()
    page.wait_for_load_state()
    entry.refresh_from_db()
    assert entry.state == "posted" and entry.number == f"GEN-{today.year}-00001"
    expect(page.get_by_text(entry.number).first).to_be_visible()
    screenshot(page, "finance-entry")

    page.goto(f"{live_server.url}/app/finance/reports/trial-balance/")
    row = page.locator("tr", has_text="5410")
    assert row.is_visible() and "800.00" in row.inner_text().replace("\u00a0", "").replace(",", ".")
    screenshot(page, "finance-trial-balance")
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/app/finance/accounts/\d+/ledger/.*"))
    expect(page.get_by_role("link", name=entry.number)).to_be_visible()
    assert sum(r["balance"] for r in selectors.trial_balance()) == Decimal(0)
    assert selectors.verify_ledger() == []
