"""Staff pages of supplier bills and payment runs: lists, the bill form with its lines, approval with four eyes,
match exceptions, payment runs and their payment file; who may see and do what."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.finance.bill_services import (
    BillLineInput,
    bill_approve,
    bill_create,
    bill_create_from_receipt,
    payment_run_create,
)
from backoffice.finance.models import FiscalYear, PaymentRun, SupplierBill
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
LIST = reverse("finance:bill-list")
NEW = reverse("finance:bill-create")
RUNS = reverse("finance:payment-run-list")


@pytest.fixture(autouse=True)
def _year(db):
    year = timezone.localdate().year
    for y in (year - 1, year, year + 1):
        FiscalYear.objects.get_or_create(name=str(y), defaults={"start": date(y, 1, 1), "end": date(y, 12, 31)})


@pytest.fixture
def finance(make_staff):
    return make_staff("Finance", full_name="Anna Bokför")


@pytest.fixture
def approver(make_staff):
    return make_staff("Finance", full_name="Bo Attest")


@pytest.fixture
def supplier():
    return OrganizationFactory(name="Kontorsgrossisten AB", roles=["supplier"], org_number="556677-8899")


def make_bill(supplier, actor=None, *, reference="F-1", days_ago=5, due_in=30):
    today = timezone.localdate()
    return bill_create(
        actor=actor,
        supplier=supplier,
        supplier_reference=reference,
        bill_date=today - timedelta(days=days_ago),
        due_date=today - timedelta(days=days_ago) + timedelta(days=due_in),
        currency="SEK",
        lines=[BillLineInput("Papper", Decimal(10), Decimal("45.00"), Decimal(25), "6110")],
    )


def line_data(index: int, *, description="", account="", quantity="", price="", rate="25") -> dict[str, str]:
    prefix = f"lines-{index}-"
    return {
        f"{prefix}description": description,
        f"{prefix}account": account,
        f"{prefix}quantity": quantity,
        f"{prefix}unit_price": price,
        f"{prefix}tax_rate": rate,
    }


def form_data(supplier, *, reference="INV-9001", lines=None) -> dict[str, str]:
    today = timezone.localdate()
    data = {
        "supplier": str(supplier.pk),
        "supplier_reference": reference,
        "bill_date": today.isoformat(),
        "due_date": "",
        "currency": "SEK",
        "payment_reference": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(
        lines
        or [
            {"description": "Kontorsstolar", "account": "5410", "quantity": "2", "price": "1249.50"},
            {"description": "Kaffe", "account": "6110", "quantity": "3", "price": "89.90", "rate": "12"},
        ]
    ):
        data.update(line_data(index, **line))
    data["lines-TOTAL_FORMS"] = str(max(2, len(lines or [1, 2])))
    return data


# --- who may do what --------------------------------------------------------------------------------------------


def test_sales_sees_nothing_and_customers_are_refused(client_for, make_staff, supplier, customer_user):
    bill = make_bill(supplier)
    sales = client_for(make_staff("Sales"))
    for url in (LIST, reverse("finance:bill-detail", args=[bill.pk]), NEW, RUNS, reverse("finance:bill-exceptions")):
        assert sales.get(url).status_code == 403
    assert client_for(customer_user).get(LIST).status_code == 403


def test_management_reads_but_does_not_act(client_for, make_staff, supplier, finance):
    bill = make_bill(supplier, finance)
    client = client_for(make_staff("Management"))
    assert client.get(LIST).status_code == 200
    page = client.get(reverse("finance:bill-detail", args=[bill.pk])).content.decode()
    assert "Papper" in page and "/approve/" not in page and "/cancel/" not in page and "New bill" not in page
    assert client.get(NEW).status_code == 403
    assert client.post(reverse("finance:bill-approve", args=[bill.pk])).status_code == 403
    assert client.post(reverse("finance:bill-cancel", args=[bill.pk])).status_code == 403
    assert client.get(RUNS).status_code == 200
    assert client.get(reverse("finance:payment-run-create")).status_code == 403
    bill.refresh_from_db()
    assert bill.state == SupplierBill.State.DRAFT


# --- the list ---------------------------------------------------------------------------------------------------


def test_the_list_is_empty_first_and_says_what_it_is_for(client_for, finance):
    page = client_for(finance).get(LIST).content.decode()
    assert "No supplier bills yet" in page and f'href="{NEW}"' in page


def test_the_list_searches_and_filters(client_for, finance, approver, supplier):
    other = OrganizationFactory(name="Fjällutrustning AB", roles=["supplier"])
    draft = make_bill(supplier, finance, reference="F-100")
    overdue = bill_approve(actor=approver, bill=make_bill(other, finance, reference="X-7", days_ago=40))
    current = bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="F-101", days_ago=1))
    client = client_for(finance)

    def rows(**params):
        return list(client.get(LIST, params).context["rows"])

    assert rows() == [current, draft, overdue]
    assert rows(q="fjäll") == [overdue]
    assert rows(q="F-100") == [draft]
    assert rows(q=current.number) == [current]
    assert rows(state="draft") == [draft]
    assert rows(supplier=other.pk) == [overdue]
    assert rows(overdue="yes") == [overdue]
    assert client.get(LIST, {"overdue": "yes"}).content.decode().count('<div class="small">Overdue</div>') == 1
    assert rows(state="not-a-state") == [current, draft, overdue]  # a bad filter is ignored
    assert rows(sort="due_date") == [overdue, draft, current]
    assert rows(sort="-supplier") == [current, draft, overdue]
    assert rows(sort="supplier", state="approved") == [overdue, current]
    assert rows(sort="password") == [current, draft, overdue]  # an unknown column keeps the default order
    htmx = client.get(LIST, {"q": "nothing like it"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing matches these filters" in htmx and "<html" not in htmx


def test_the_list_costs_the_same_queries_with_more_rows(client_for, finance, supplier):
    client = client_for(finance)
    make_bill(supplier, reference="A")
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for number in range(6):
        make_bill(OrganizationFactory(roles=["supplier"]), reference=f"B-{number}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["rows"]) == 7
    assert len(many) == len(few)


def test_the_list_pages_by_25(client_for, finance, supplier):
    for number in range(27):
        make_bill(supplier, reference=f"P-{number:02d}")
    client = client_for(finance)
    assert len(client.get(LIST).context["rows"]) == 25
    assert [bill.supplier_reference for bill in client.get(LIST, {"page": 2}).context["rows"]] == ["P-01", "P-00"]


# --- the form ---------------------------------------------------------------------------------------------------


def test_finance_enters_a_bill_with_two_lines(client_for, finance, supplier):
    client = client_for(finance)
    page = client.get(NEW).content.decode()
    assert "Kontorsgrossisten AB" in page and "5410" in page and "3001" not in page  # no income accounts
    response = client.post(NEW, form_data(supplier))
    bill = SupplierBill.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("finance:bill-detail", args=[bill.pk])
    assert (bill.total, bill.created_by, bill.due_date) == (
        Decimal("3425.81"),
        finance,
        timezone.localdate() + timedelta(days=30),
    )
    assert [(line.account.code, line.net_amount, line.tax_amount) for line in bill.lines.all()] == [
        ("5410", Decimal("2499.00"), Decimal("624.75")),
        ("6110", Decimal("269.70"), Decimal("32.36")),
    ]
    detail = client.get(response["Location"]).content.decode()
    assert "3,425.81" in detail.replace("\xa0", "") or "3425.81" in detail.replace("\xa0", "").replace(",", "")
    assert "someone else approves it" in detail  # the four-eyes hint instead of an Approve button
    assert f'action="{reverse("finance:bill-approve", args=[bill.pk])}"' not in detail


def test_the_form_shows_errors_next_to_fields_and_keeps_what_was_typed(client_for, finance, supplier):
    make_bill(supplier, reference="INV-9001")
    client = client_for(finance)

    response = client.post(NEW, form_data(supplier))  # the same supplier invoice number again
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "supplier_reference": ["Kontorsgrossisten AB's invoice INV-9001 is already entered."]
    }
    assert 'value="Kontorsstolar"' in response.content.decode()

    lines = [{"description": "Stol", "account": "", "quantity": "1", "price": "-5"}]
    response = client.post(NEW, form_data(supplier, reference="INV-2", lines=lines))
    errors = response.context["lines"].forms[0].errors
    assert errors == {"account": ["Choose an account."], "unit_price": ["The price is not negative."]}
    assert "Please correct the errors below." in response.content.decode()

    response = client.post(NEW, form_data(supplier, reference="INV-3", lines=[{}, {}]))
    assert response.context["line_errors"] == ["A bill needs at least one line."]
    assert "A bill needs at least one line." in response.content.decode()
    assert SupplierBill.objects.count() == 1


def test_a_draft_is_edited_from_its_page(client_for, finance, supplier):
    bill = make_bill(supplier, finance)
    client = client_for(finance)
    url = reverse("finance:bill-edit", args=[bill.pk])
    page = client.get(url).content.decode()
    assert 'value="Papper"' in page and 'value="F-1"' in page
    data = form_data(
        supplier,
        reference="F-1",
        lines=[{"description": "Papper A4", "account": "6110", "quantity": "20", "price": "45"}],
    )
    data["lines-INITIAL_FORMS"] = "1"
    assert client.post(url, data).status_code == 302
    bill.refresh_from_db()
    assert (bill.total, bill.lines.get().description) == (Decimal("1125.00"), "Papper A4")


# --- approving and cancelling -----------------------------------------------------------------------------------


def test_someone_else_approves_and_the_entry_is_linked(client_for, finance, approver, supplier):
    bill = make_bill(supplier, finance)
    own = client_for(finance)
    response = own.post(reverse("finance:bill-approve", args=[bill.pk]), follow=True)
    assert "someone else must approve it (four eyes)" in response.content.decode()
    bill.refresh_from_db()
    assert bill.state == SupplierBill.State.DRAFT

    client = client_for(approver)
    page = client.get(reverse("finance:bill-detail", args=[bill.pk])).content.decode()
    assert f'action="{reverse("finance:bill-approve", args=[bill.pk])}"' in page
    response = client.post(reverse("finance:bill-approve", args=[bill.pk]), follow=True)
    bill.refresh_from_db()
    assert bill.state == SupplierBill.State.APPROVED
    page = response.content.decode()
    assert f"Bill {bill.number} is approved and booked." in page
    assert reverse("finance:entry-detail", args=[bill.entry_id]) in page


def test_a_draft_is_cancelled(client_for, finance, supplier):
    bill = make_bill(supplier)
    client_for(finance).post(reverse("finance:bill-cancel", args=[bill.pk]), {"reason": "Entered twice"})
    bill.refresh_from_db()
    assert bill.state == SupplierBill.State.CANCELLED


def test_an_exception_is_listed_and_approved_only_accepting_the_differences(client_for, approver, supplier):
    bill = bill_create_from_receipt(
        actor=None,
        event_id=uuid.uuid4(),
        supplier_id=supplier.pk,
        purchase_order_id=9,
        purchase_order_number="PO-2026-00009",
        supplier_reference="R-1",
        bill_date=timezone.localdate(),
        currency="SEK",
        lines=[
            BillLineInput(
                "Tält",
                Decimal(12),
                Decimal("100.00"),
                Decimal(25),
                ordered_quantity=Decimal(12),
                ordered_unit_price=Decimal("100.00"),
                received_quantity=Decimal(10),
            )
        ],
    )
    client = client_for(approver)
    page = client.get(reverse("finance:bill-exceptions")).content.decode()
    assert "PO-2026-00009" in page and "Line 1 (Tält): 12 billed, 10 received." in page
    assert "/edit/" not in client.get(reverse("finance:bill-detail", args=[bill.pk])).content.decode()

    response = client.post(reverse("finance:bill-approve", args=[bill.pk]), follow=True)
    assert "accept the differences to approve it" in response.content.decode()
    client.post(reverse("finance:bill-approve", args=[bill.pk]), {"accept_differences": "on"})
    bill.refresh_from_db()
    assert bill.state == SupplierBill.State.APPROVED


# --- payment runs -----------------------------------------------------------------------------------------------


def test_finance_drafts_trims_confirms_and_downloads_a_run(client_for, finance, approver, supplier):
    first = bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="F-1", due_in=3))
    second = bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="=F-2", due_in=4))
    client = client_for(finance)
    assert "No payment runs yet" in client.get(RUNS).content.decode()

    today = timezone.localdate()
    response = client.post(reverse("finance:payment-run-create"), {"payment_date": today, "due_by": today})
    run = PaymentRun.objects.get()
    assert response["Location"] == reverse("finance:payment-run-detail", args=[run.pk])
    assert [item.bill for item in run.items.all()] == [first, second]
    assert client.get(reverse("finance:payment-run-file", args=[run.pk])).status_code == 302  # not yet

    item = run.items.get(bill=second)
    client.post(reverse("finance:payment-run-remove-item", args=[run.pk, item.pk]))
    client.post(reverse("finance:payment-run-confirm", args=[run.pk]))
    run.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (run.state, run.total) == (PaymentRun.State.CONFIRMED, Decimal("562.50"))
    assert (first.state, second.state) == ("paid", "approved")

    response = client.get(reverse("finance:payment-run-file", args=[run.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode("utf-8-sig").splitlines() == [
        "Supplier,Organization number,Reference,Amount,Currency,Bill",
        f"Kontorsgrossisten AB,556677-8899,F-1,562.50,SEK,{first.number}",
    ]
    listing = client.get(RUNS)
    assert list(listing.context["rows"]) == [run] and listing.context["rows"][0].item_count == 1
    detail = client.get(reverse("finance:payment-run-detail", args=[run.pk])).content.decode()
    assert "/remove/" not in detail and "/confirm/" not in detail


def test_a_run_with_nothing_due_says_so_on_the_form(client_for, finance):
    today = timezone.localdate()
    response = client_for(finance).post(reverse("finance:payment-run-create"), {"payment_date": today})
    assert response.status_code == 200
    assert response.context["form"].errors == {"due_by": [f"No approved bill is due by {today}."]}


def test_the_payment_file_defuses_spreadsheet_formulas(client_for, finance, approver, supplier):
    bill = bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="=HYPERLINK()", due_in=1))
    run = payment_run_create(actor=finance, payment_date=timezone.localdate())
    client = client_for(finance)
    client.post(reverse("finance:payment-run-confirm", args=[run.pk]))
    rows = client.get(reverse("finance:payment-run-file", args=[run.pk])).content.decode("utf-8-sig").splitlines()
    assert rows[1] == f"Kontorsgrossisten AB,556677-8899,'=HYPERLINK(),562.50,SEK,{bill.number}"


def test_a_bill_due_later_is_added_to_a_draft_run_in_part(client_for, make_staff, finance, approver, supplier):
    bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="F-1", due_in=3))
    later = bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="F-2", due_in=60))
    run = payment_run_create(actor=finance, payment_date=timezone.localdate())
    client = client_for(finance)
    url = reverse("finance:payment-run-detail", args=[run.pk])
    page = client.get(url).content.decode()
    assert f"{later.number} · Kontorsgrossisten AB · 562.50 SEK" in page

    add = reverse("finance:payment-run-add-item", args=[run.pk])
    response = client.post(add, {"bill": later.pk, "amount": "600.00"}, follow=True)
    assert "Pay more than zero and at most 562.50." in response.content.decode()
    client.post(add, {"bill": later.pk, "amount": "100.00"})
    assert run.items.get(bill=later).amount == Decimal("100.00")
    page = client.get(url).content.decode()
    assert "Every approved bill with something to pay is already in a run." in page
    assert client_for(make_staff("Management")).post(add, {"bill": later.pk}).status_code == 403
