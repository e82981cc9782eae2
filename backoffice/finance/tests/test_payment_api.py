"""/api/v1/finance/payments/, /bank-statements/ and /bank-lines/: register and allocate payments behind an
Idempotency-Key, upload a bank file, work the exceptions; 400s name the field; rights per department."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backoffice.finance import services
from backoffice.finance.models import BankStatement, FiscalYear, Invoice, Payment
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus

pytestmark = pytest.mark.django_db
PAYMENTS = "/api/v1/finance/payments/"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    for y in (TODAY.year - 1, TODAY.year, TODAY.year + 1):
        FiscalYear.objects.get_or_create(name=str(y), defaults={"start": date(y, 1, 1), "end": date(y, 12, 31)})
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def finance(api_client_for, make_staff):
    return api_client_for(make_staff("Finance"))


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


def test_a_payment_with_a_key_is_booked_once_and_replayed(finance):
    customer = OrganizationFactory()
    invoice = issued(customer)
    body = {
        "customer": customer.pk,
        "date": TODAY.isoformat(),
        "amount": "1300.00",
        "currency": "SEK",
        "reference": invoice.ocr,
        "allocations": [{"invoice": invoice.pk, "amount": "1250.00"}],
    }
    first = finance.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == 201, first.data
    assert (first.data["amount_allocated"], first.data["amount_unallocated"]) == ("1250.00", "50.00")
    assert [(row["invoice_number"], row["amount"]) for row in first.data["allocations"]] == [
        (invoice.number, "1250.00")
    ]
    again = finance.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (again.status_code, again.data["id"], again["Idempotent-Replayed"]) == (201, first.data["id"], "true")
    other = finance.post(PAYMENTS, {**body, "amount": "1400.00"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert other.status_code == 422
    assert Payment.objects.count() == 1

    second = issued(customer)
    response = finance.post(f"{PAYMENTS}{first.data['id']}/allocate/", {}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["amount_unallocated"] == "0.00"
    second.refresh_from_db()
    assert second.amount_paid == Decimal("50.00")

    listed = finance.get(PAYMENTS, {"customer": customer.pk, "invoice": second.pk})
    assert [row["id"] for row in listed.data["results"]] == [first.data["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"date": "2026-13-01"}, "date"),
        ({"currency": "XXX"}, "currency"),
        ({"customer": 0}, "customer"),
        ({"allocations": [{"invoice": 0, "amount": "1"}]}, "allocations"),
        ({"allocations": [{"invoice": "INVOICE", "amount": "99999"}]}, "allocations"),
    ],
)
def test_bad_payments_are_400s_naming_the_field(finance, change, field):
    customer = OrganizationFactory()
    invoice = issued(customer)
    body = {"customer": customer.pk, "date": TODAY.isoformat(), "amount": "100.00", "currency": "SEK"}
    body.update(change)
    if body.get("allocations") and body["allocations"][0]["invoice"] == "INVOICE":
        body["allocations"][0]["invoice"] = invoice.pk
    response = finance.post(PAYMENTS, body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Payment.objects.exists()


def test_a_bank_file_is_uploaded_and_an_exception_matched(finance):
    customer = OrganizationFactory()
    invoice = issued(customer)
    content = f"Datum;Belopp;Text\n{TODAY};1250,00;vem?\n{TODAY};-10,00;avgift\n".encode()
    response = finance.post(
        "/api/v1/finance/bank-statements/", {"file": SimpleUploadedFile("a.csv", content)}, format="multipart"
    )
    assert response.status_code == 201, response.data
    assert (response.data["line_count"], response.data["match_state"]) == (2, "pending")
    services.bank_statement_match(actor=None, statement_id=response.data["id"])
    again = finance.post(
        "/api/v1/finance/bank-statements/", {"file": SimpleUploadedFile("b.csv", content)}, format="multipart"
    )
    assert again.status_code == 400 and "file" in again.data
    assert BankStatement.objects.count() == 1

    lines = finance.get("/api/v1/finance/bank-lines/", {"state": "new"}).data["results"]
    assert [line["amount"] for line in lines] == ["1250.00", "-10.00"]
    matched = finance.post(
        f"/api/v1/finance/bank-lines/{lines[0]['id']}/match/",
        {"customer": customer.pk, "invoices": [invoice.pk]},
        format="json",
    )
    assert matched.status_code == 201, matched.data
    invoice.refresh_from_db()
    assert invoice.state == "paid"
    refused = finance.post(f"/api/v1/finance/bank-lines/{lines[1]['id']}/ignore/", {"note": ""}, format="json")
    assert refused.status_code == 400 and "note" in refused.data
    ignored = finance.post(f"/api/v1/finance/bank-lines/{lines[1]['id']}/ignore/", {"note": "avgift"}, format="json")
    assert ignored.data["state"] == "ignored"


def test_management_reads_and_sales_gets_nothing(api_client_for, make_staff):
    customer = OrganizationFactory()
    invoice = issued(customer)
    services.payment_register(
        actor=None,
        organization=customer,
        date=TODAY,
        amount=Decimal("1250.00"),
        currency="SEK",
        allocations=[services.Allocation(invoice=invoice, amount=Decimal("1250.00"))],
    )
    management = api_client_for(make_staff("Management"))
    assert management.get(PAYMENTS).status_code == 200
    assert management.get("/api/v1/finance/bank-lines/").status_code == 200
    body = {"customer": customer.pk, "date": TODAY.isoformat(), "amount": "1.00", "currency": "SEK"}
    assert management.post(PAYMENTS, body, format="json").status_code == 403
    sales = api_client_for(make_staff("Sales"))
    assert sales.get(PAYMENTS).status_code == 403
    assert sales.get("/api/v1/finance/bank-statements/").status_code == 403
