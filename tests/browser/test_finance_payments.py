"""Payments in a browser: Finance registers a customer's payment from the invoice's page, imports the bank's
file, watches its lines get matched, and books the line nobody recognised from the exceptions list."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.finance import selectors, services
from backoffice.finance.models import BankStatement, FiscalYear, Invoice
from core.parties.tests.factories import OrganizationFactory
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def issued(organization) -> Invoice:
    invoice = services.invoice_create(
        actor=None,
        organization=organization,
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(1), unit_price=Decimal("1000.00"), tax_rate=Decimal(25)
            )
        ],
    )
    return services.invoice_issue(actor=None, invoice=invoice)


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_finance_registers_a_payment_and_works_a_bank_file(page, live_server, make_staff, password, tmp_path: Path):
    today = timezone.localdate()
    FiscalYear.objects.get_or_create(
        name=str(today.year), defaults={"start": date(today.year, 1, 1), "end": date(today.year, 12, 31)}
    )
    customer = OrganizationFactory(name="Fjällbo AB")
    first, second, third = issued(customer), issued(customer), issued(customer)
    finance = make_staff("Finance", full_name="Lars Nyström")

    sign_in(page, live_server, finance.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/finance/invoices/{first.pk}/")
    page.get_by_role("link", name="Register payment").click()
    page.wait_for_url(re.compile(r".*/app/finance/payments/new/\?invoice=\d+$"))
    assert page.get_by_label("Amount").input_value() == "1250.00"
    page.get_by_role("button", name="Book the payment").click()
    page.wait_for_url(re.compile(r".*/app/finance/payments/\d+/$"))
    expect(page.get_by_text("The payment of 1250.00 SEK is booked.")).to_be_visible()
    first.refresh_from_db()
    assert first.state == "paid"
    screenshot(page, "finance-payment")

    bank_file = tmp_path / "november.csv"
    bank_file.write_text(
        f"Bokföringsdag;Belopp;Referens;Avsändare\n{today};1250,00;{second.ocr};Fjällbo AB\n"
        f"{today};1250,00;Betalning november;Fjällbo AB\n",
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/app/finance/bank/")
    page.get_by_label("Bank file").set_input_files(str(bank_file))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r".*/app/finance/bank/\d+/$"))
    expect(page.get_by_text("2 transactions read from november.csv")).to_be_visible()
    # The worker's part, done here: the page polls and shows the result when it is done.
    services.bank_statement_match(actor=None, statement_id=BankStatement.objects.get().pk)
    page.get_by_text("2 of 2 lines looked at, 1 booked").wait_for()
    screenshot(page, "finance-bank-file")

    page.goto(f"{live_server.url}/app/finance/bank/exceptions/")
    page.get_by_role("button", name=f"Pays {third.number} (Fjällbo AB)").click()
    page.wait_for_url(re.compile(r".*/app/finance/bank/exceptions/$"))
    expect(page.get_by_text("1250.00 SEK from Fjällbo AB is booked.")).to_be_visible()
    expect(page.get_by_text("Nothing to match")).to_be_visible()
    for invoice in (second, third):
        invoice.refresh_from_db()
        assert invoice.state == "paid"
    assert selectors.verify_ledger() == []
