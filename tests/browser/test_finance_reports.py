"""The reports in a browser: Finance opens the reports, reads the profit and loss of this year and
clicks an account through to the entries behind its figure."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.finance import services
from backoffice.finance.models import Account, FiscalYear, Journal
from backoffice.finance.services import Line
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_finance_drills_down_from_the_profit_and_loss_to_the_ledger(page, live_server, make_staff, password):
    today = timezone.localdate()
    FiscalYear.objects.get_or_create(
        name=str(today.year), defaults={"start": date(today.year, 1, 1), "end": date(today.year, 12, 31)}
    )
    sale = services.entry_record(
        actor=None,
        journal=Journal.objects.get(code="GEN"),
        date=today,
        description="Cash sale",
        lines=[
            Line(account=Account.objects.get(code="1930"), debit=Decimal("1250.00")),
            Line(account=Account.objects.get(code="3001"), credit=Decimal("1000.00")),
            Line(account=Account.objects.get(code="2610"), credit=Decimal("250.00")),
        ],
    )
    finance = make_staff("Finance", full_name="Lars Nyström")

    sign_in(page, live_server, finance.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/finance/reports/")
    page.get_by_role("link", name=re.compile("Profit and loss")).click()
    page.wait_for_url(re.compile(r".*/app/finance/reports/profit-and-loss/$"))
    result = page.locator("#result")
    assert "1,000.00" in result.inner_text()
    screenshot(page, "finance-profit-and-loss")

    page.locator("#section-net_sales").get_by_role("link", name="3001").click()
    page.wait_for_url(re.compile(r".*/app/finance/accounts/\d+/ledger/\?date_from=.*"))
    expect(page.get_by_role("link", name=sale.number)).to_be_visible()
    assert "1,000.00" in page.locator("#closing-balance").inner_text()

    # The other reports open from the index, each with its chart and its figures (screenshots for people to check).
    for name, shot in [
        ("Balance sheet", "finance-balance-sheet"),
        ("VAT return", "finance-vat"),
        ("Aged receivables", "finance-aged-receivables"),
    ]:
        page.goto(f"{live_server.url}/app/finance/reports/")
        page.get_by_role("link", name=re.compile(name)).click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        screenshot(page, shot)
    page.goto(f"{live_server.url}/app/finance/reports/balance-sheet/")
    expect(page.get_by_text("Balances", exact=True)).to_be_visible()
