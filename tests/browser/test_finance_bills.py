"""Supplier bills in a browser: one Finance clerk enters a bill with two lines, a colleague approves it (four eyes),
then drafts and confirms the payment run that pays it; the books still verify."""

import re
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.finance import selectors
from backoffice.finance.bill_services import (
    BillLineInput,
    bill_approve,
    bill_create,
    bill_create_from_receipt,
    payment_run_create,
)
from backoffice.finance.models import FiscalYear, PaymentRun, SupplierBill
from core.parties.tests.factories import OrganizationFactory
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_a_bill_is_entered_approved_by_someone_else_and_paid_in_a_run(page, live_server, make_staff, password):
    today = timezone.localdate()
    FiscalYear.objects.get_or_create(
        name=str(today.year), defaults={"start": date(today.year, 1, 1), "end": date(today.year, 12, 31)}
    )
    OrganizationFactory(name="Kontorsgrossisten AB", roles=["supplier"], org_number="556677-8899")
    clerk = make_staff("Finance", full_name="Anna Bokför")
    approver = make_staff("Finance", full_name="Bo Attest")
    page.on("dialog", lambda dialog: dialog.accept())  # the "Approve this bill?" and "Confirm this run?" questions

    # Anna enters the supplier's invoice with two lines.
    sign_in(page, live_server, clerk.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.get_by_role("link", name="Supplier bills").first.click()
    page.wait_for_url(f"{live_server.url}/app/finance/bills/")
    expect(page.get_by_text("No supplier bills yet")).to_be_visible()
    page.get_by_role("link", name="New bill").first.click()
    page.locator("#id_supplier").select_option(label="Kontorsgrossisten AB")
    page.get_by_label("Supplier's invoice number").fill("INV-5521")
    page.get_by_label("Bill date").fill(today.isoformat())
    lines = page.locator("fieldset.line-form")
    lines.nth(0).get_by_label("Description").fill("Kontorsstolar")
    lines.nth(0).get_by_label("Account").select_option(label="5410 Förbrukningsinventarier")
    lines.nth(0).get_by_label("Quantity").fill("2")
    lines.nth(0).get_by_label("Unit price").fill("1249.50")
    lines.nth(1).get_by_label("Description").fill("Kaffe")
    lines.nth(1).get_by_label("Account").select_option(label="6110 Kontorsmateriel")
    lines.nth(1).get_by_label("Quantity").fill("3")
    lines.nth(1).get_by_label("Unit price").fill("89.90")
    lines.nth(1).get_by_label("VAT").select_option(label="12 %")
    screenshot(page, "finance-bill-form")
    page.get_by_role("button", name="Save bill").click()
    page.wait_for_url(re.compile(r".*/app/finance/bills/\d+/$"))
    bill = SupplierBill.objects.get()
    assert (bill.state, bill.total, bill.created_by_id) == ("draft", Decimal("3425.81"), clerk.pk)
    expect(page.get_by_text("You entered this bill, so someone else approves it (four eyes).")).to_be_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    screenshot(page, "finance-bill-to-approve")

    # Bo approves it.
    page.context.clear_cookies()
    sign_in(page, live_server, approver.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    page.goto(f"{live_server.url}/app/finance/bills/{bill.pk}/")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    bill.refresh_from_db()
    assert bill.state == "approved" and bill.number == f"L-{today.year}-00001"
    expect(page.get_by_text(f"Bill {bill.number} is approved and booked.")).to_be_visible()
    expect(page.get_by_role("link", name=bill.entry.number)).to_be_visible()

    # Bo pays it in a payment run.
    page.goto(f"{live_server.url}/app/finance/payment-runs/")
    page.get_by_role("link", name="New payment run").first.click()
    page.get_by_label("Payment date").fill(today.isoformat())
    page.get_by_label("Bills due by").fill(bill.due_date.isoformat())
    page.get_by_role("button", name="Draft the run").click()
    page.wait_for_url(re.compile(r".*/app/finance/payment-runs/\d+/$"))
    expect(page.locator("tr", has_text="Kontorsgrossisten AB")).to_be_visible()
    page.get_by_role("button", name="Confirm run").click()
    page.wait_for_load_state()
    expect(page.get_by_role("link", name="Payment file (CSV)")).to_be_visible()
    screenshot(page, "finance-payment-run")
    run = PaymentRun.objects.get()
    bill.refresh_from_db()
    assert (run.state, run.total, bill.state) == ("confirmed", Decimal("3425.81"), "paid")
    with page.expect_download() as download:
        page.get_by_role("link", name="Payment file (CSV)").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert content[1] == f"Kontorsgrossisten AB,556677-8899,INV-5521,3425.81,SEK,{bill.number}"
    assert selectors.verify_ledger() == []
    page.goto(f"{live_server.url}/app/finance/bills/")
    expect(page.locator("tr", has_text=bill.number)).to_be_visible()
    screenshot(page, "finance-bill-list")


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_the_bill_pages_fit_a_phone(page, live_server, make_staff, password):
    today = timezone.localdate()
    FiscalYear.objects.get_or_create(
        name=str(today.year), defaults={"start": date(today.year, 1, 1), "end": date(today.year, 12, 31)}
    )
    supplier = OrganizationFactory(name="Kontorsgrossisten AB", roles=["supplier"])
    finance = make_staff("Finance", full_name="Anna Bokför")
    bill = bill_create(
        actor=None,
        supplier=supplier,
        supplier_reference="INV-1",
        bill_date=today,
        due_date=today,
        currency="SEK",
        lines=[
            BillLineInput("Kontorsstolar med lång beskrivning", Decimal(2), Decimal("1249.50"), Decimal(25), "5410")
        ],
    )
    bill = bill_approve(actor=None, bill=bill)
    run = payment_run_create(actor=None, payment_date=today)
    bill_create_from_receipt(
        actor=None,
        event_id=uuid.uuid4(),
        supplier_id=supplier.pk,
        purchase_order_id=7,
        purchase_order_number="PO-2026-00007",
        supplier_reference="INV-2",
        bill_date=today,
        currency="SEK",
        lines=[
            BillLineInput(
                "Gasolkök kompakt",
                Decimal(12),
                Decimal("310.00"),
                Decimal(25),
                ordered_quantity=Decimal(12),
                ordered_unit_price=Decimal("295.00"),
                received_quantity=Decimal(10),
            )
        ],
    )

    sign_in(page, live_server, finance.email, password)
    page.wait_for_url(f"{live_server.url}/app/")
    for path, name in (
        ("/app/finance/bills/", "finance-bill-list"),
        (f"/app/finance/bills/{bill.pk}/", "finance-bill-detail"),
        ("/app/finance/bills/new/", "finance-bill-form"),
        ("/app/finance/bills/exceptions/", "finance-bill-exceptions"),
        (f"/app/finance/payment-runs/{run.pk}/", "finance-payment-run-draft"),
    ):
        page.goto(f"{live_server.url}{path}")
        screenshot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        # and no table hides a column off to the right
        assert page.evaluate(
            "[...document.querySelectorAll('.table-responsive')].every(box => box.scrollWidth <= box.clientWidth)"
        ), path
