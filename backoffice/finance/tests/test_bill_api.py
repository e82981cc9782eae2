"""The supplier bill API: Finance enters, approves (four eyes) and pays bills; Management reads; Sales gets 403;
every refusal is a 400 naming the field, never a 500."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.finance.bill_services import BillLineInput, bill_approve, bill_create, bill_create_from_receipt
from backoffice.finance.models import FiscalYear, PaymentRun, SupplierBill
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
BILLS = "/api/v1/finance/bills/"
RUNS = "/api/v1/finance/payment-runs/"


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
    return OrganizationFactory(name="Kontorsgrossisten AB", roles=["supplier"])


def body(organization, **changes):
    data = {
        "supplier": organization.pk,
        "supplier_reference": "INV-1",
        "bill_date": timezone.localdate().isoformat(),
        "lines": [
            {
                "description": "Kontorsstolar",
                "quantity": "2",
                "unit_price": "1249.50",
                "tax_rate": "25",
                "account": "5410",
            },
            {"description": "Kaffe", "quantity": "3", "unit_price": "89.90", "tax_rate": "12", "account": "6110"},
        ],
    }
    data.update(changes)
    return data


def make_bill(supplier, actor=None, *, reference="F-1", due_in=30):
    today = timezone.localdate()
    return bill_create(
        actor=actor,
        supplier=supplier,
        supplier_reference=reference,
        bill_date=today,
        due_date=today + timedelta(days=due_in),
        currency="SEK",
        lines=[BillLineInput("Papper", Decimal(10), Decimal("45.00"), Decimal(25), "6110")],
    )


def test_finance_enters_a_bill(api_client_for, finance, supplier):
    response = api_client_for(finance).post(BILLS, body(supplier), format="json")
    assert response.status_code == 201, response.data
    data = response.json()
    assert (data["state"], data["number"], data["supplier_name"]) == ("draft", "", "Kontorsgrossisten AB")
    assert (data["subtotal"], data["tax_total"], data["total"], data["currency"]) == (
        "2768.70",
        "657.11",
        "3425.81",
        "SEK",
    )
    assert data["due_date"] == (timezone.localdate() + timedelta(days=30)).isoformat()
    assert [(line["account"], line["net_amount"], line["tax_amount"]) for line in data["lines"]] == [
        ("5410", "2499.00", "624.75"),
        ("6110", "269.70", "32.36"),
    ]
    assert SupplierBill.objects.get().created_by == finance


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"supplier_reference": "F-1"}, "supplier_reference"),  # already entered
        ({"lines": []}, "lines"),
        (
            {"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "25", "account": "3001"}]},
            "lines",
        ),
        (
            {"lines": [{"description": "x", "quantity": "0", "unit_price": "1", "tax_rate": "25", "account": "4010"}]},
            "lines",
        ),
        ({"currency": "XXX"}, "currency"),
        ({"bill_date": "not a date"}, "bill_date"),
        ({"due_date": "2000-01-01"}, "due_date"),
        ({"supplier": 999999}, "supplier"),
    ],
)
def test_a_wrong_bill_answers_400_naming_the_field(api_client_for, finance, supplier, changes, field):
    make_bill(supplier, reference="F-1")
    response = api_client_for(finance).post(BILLS, body(supplier, **changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert SupplierBill.objects.count() == 1


def test_a_customer_is_not_a_supplier(api_client_for, finance):
    customer = OrganizationFactory(roles=["customer"])
    response = api_client_for(finance).post(BILLS, body(customer), format="json")
    assert response.status_code == 400 and list(response.json()) == ["supplier"]


def test_four_eyes_and_the_exception_flag_through_the_api(api_client_for, finance, approver, supplier):
    bill = make_bill(supplier, finance)
    url = f"{BILLS}{bill.pk}/approve/"
    refused = api_client_for(finance).post(url, {}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"non_field_errors": ["You entered this bill: someone else must approve it (four eyes)."]}
    response = api_client_for(approver).post(url, {}, format="json")
    assert response.status_code == 200
    year = timezone.localdate().year
    assert (response.json()["state"], response.json()["number"]) == ("approved", f"L-{year}-00001")
    assert response.json()["entry"] == SupplierBill.objects.get(pk=bill.pk).entry_id

    exception = bill_create_from_receipt(
        actor=None,
        event_id=uuid.uuid4(),
        supplier_id=supplier.pk,
        purchase_order_id=1,
        purchase_order_number="PO-1",
        supplier_reference="R-1",
        bill_date=timezone.localdate(),
        currency="SEK",
        lines=[
            BillLineInput(
                "Tält",
                Decimal(1),
                Decimal("150.00"),
                Decimal(25),
                ordered_quantity=Decimal(1),
                ordered_unit_price=Decimal("100.00"),
                received_quantity=Decimal(1),
            )
        ],
    )
    client = api_client_for(approver)
    listed = client.get(BILLS, {"match_state": "exception"}).json()
    assert [row["id"] for row in listed["results"]] == [exception.pk]
    detail = client.get(f"{BILLS}{exception.pk}/").json()
    assert [problem["code"] for problem in detail["match_problems"]] == ["price_differs"]
    refused = client.post(f"{BILLS}{exception.pk}/approve/", {}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["accept_differences"]
    accepted = client.post(f"{BILLS}{exception.pk}/approve/", {"accept_differences": True}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == "approved"


def test_cancel_a_draft_but_not_an_approved_bill(api_client_for, finance, approver, supplier):
    draft = make_bill(supplier, finance)
    approved = bill_approve(actor=approver, bill=make_bill(supplier, finance, reference="F-2"))
    client = api_client_for(finance)
    response = client.post(f"{BILLS}{draft.pk}/cancel/", {"reason": "Twice"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert client.post(f"{BILLS}{approved.pk}/cancel/", {}, format="json").status_code == 400
    assert client.post(f"{BILLS}999999/cancel/", {}, format="json").status_code == 404


def test_the_list_filters_by_supplier_state_and_due_date(api_client_for, finance, approver, supplier):
    other = OrganizationFactory(roles=["supplier"])
    soon = make_bill(supplier, finance, reference="A", due_in=5)
    later = bill_approve(actor=approver, bill=make_bill(other, finance, reference="B", due_in=40))
    client = api_client_for(finance)

    def ids(**params):
        response = client.get(BILLS, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert sorted(ids()) == sorted([soon.pk, later.pk])
    assert ids(supplier=other.pk) == [later.pk]
    assert ids(state="approved") == [later.pk]
    assert ids(due_before=(timezone.localdate() + timedelta(days=10)).isoformat()) == [soon.pk]
    assert client.get(BILLS, {"due_before": "soon"}).status_code == 400
    assert client.get(BILLS, {"state": "lost"}).status_code == 400


def test_payment_runs_through_the_api(api_client_for, finance, approver, supplier):
    bill = bill_approve(actor=approver, bill=make_bill(supplier, finance, due_in=0))
    client = api_client_for(finance)
    today = timezone.localdate().isoformat()
    empty = client.post(RUNS, {"payment_date": today, "due_by": "2000-01-01"}, format="json")
    assert empty.status_code == 400 and list(empty.json()) == ["due_by"]

    created = client.post(RUNS, {"payment_date": today}, format="json")
    assert created.status_code == 201
    run = created.json()
    assert (run["state"], run["item_count"]) == ("draft", 1)
    assert [(item["bill"], item["amount"], item["currency"]) for item in run["items"]] == [(bill.pk, "562.50", "SEK")]

    confirmed = client.post(f"{RUNS}{run['id']}/confirm/", format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    assert confirmed.status_code == 200
    assert (confirmed.json()["state"], confirmed.json()["total"]) == ("confirmed", "562.50")
    replay = client.post(f"{RUNS}{run['id']}/confirm/", format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    again = client.post(f"{RUNS}{run['id']}/confirm/", format="json")
    assert again.status_code == 400
    assert PaymentRun.objects.get().entry.lines.count() == 2
    listed = client.get(RUNS).json()["results"]
    assert [(row["id"], row["item_count"], row["total"]) for row in listed] == [(run["id"], 1, "562.50")]
    bill.refresh_from_db()
    assert bill.state == "paid"


def test_management_reads_and_sales_is_refused(api_client_for, make_staff, finance, supplier, customer_user):
    bill = make_bill(supplier, finance)
    management = api_client_for(make_staff("Management"))
    assert management.get(BILLS).status_code == 200
    assert management.get(f"{BILLS}{bill.pk}/").status_code == 200
    assert management.get(RUNS).status_code == 200
    assert management.post(BILLS, body(supplier, supplier_reference="M-1"), format="json").status_code == 403
    assert management.post(f"{BILLS}{bill.pk}/approve/", {}, format="json").status_code == 403
    assert management.post(RUNS, {"payment_date": "2026-01-01"}, format="json").status_code == 403

    sales = api_client_for(make_staff("Sales"))
    for url in (BILLS, f"{BILLS}{bill.pk}/", RUNS):
        assert sales.get(url).status_code == 403
    assert sales.post(BILLS, body(supplier, supplier_reference="S-1"), format="json").status_code == 403
    assert api_client_for(customer_user).get(BILLS).status_code == 403
    bill.refresh_from_db()
    assert bill.state == "draft"
