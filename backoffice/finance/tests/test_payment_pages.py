"""Staff pages of payments and bank files: register a payment from an invoice, import a file, work the
exceptions list; who may see and do what; lists keep their query count."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.finance import services
from backoffice.finance.models import BankStatement, BankStatementLine, FiscalYear, Invoice, Payment
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus

pytestmark = pytest.mark.django_db
PAYMENTS = reverse("finance:payment-list")
BANK = reverse("finance:bank-statement-list")
EXCEPTIONS = reverse("finance:bank-exceptions")


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    year = timezone.localdate().year
    for y in (year - 1, year, year + 1):
        FiscalYear.objects.get_or_create(name=str(y), defaults={"start": date(y, 1, 1), "end": date(y, 12, 31)})
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def finance(make_staff):
    return make_staff("Finance")


def issued(organization=None) -> Invoice:
    invoice = services.invoice_create(
        actor=None,
        organization=organization or OrganizationFactory(name="Kund AB"),
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(1), unit_price=Decimal("1000.00"), tax_rate=Decimal(25)
            )
        ],
    )
    return services.invoice_issue(actor=None, invoice=invoice)


def test_finance_and_management_see_payments_and_only_finance_registers(client_for, make_staff, finance):
    invoice = issued()
    detail = reverse("finance:invoice-detail", args=[invoice.pk])
    create = reverse("finance:payment-create") + f"?invoice={invoice.pk}"
    client = client_for(make_staff("Sales"))  # one test client: each client_for signs it in as someone else
    assert [client.get(url).status_code for url in (PAYMENTS, BANK, EXCEPTIONS)] == [403, 403, 403]
    client = client_for(make_staff("Management"))
    assert [client.get(url).status_code for url in (PAYMENTS, BANK, EXCEPTIONS)] == [200, 200, 200]
    assert client.get(create).status_code == 403
    assert "Register payment" not in client.get(detail).text
    client = client_for(finance)
    assert [client.get(url).status_code for url in (PAYMENTS, BANK, EXCEPTIONS, create)] == [200, 200, 200, 200]
    assert "Register payment" in client.get(detail).text


def test_a_payment_is_registered_from_its_invoice(client_for, finance):
    invoice = issued()
    client = client_for(finance)
    url = reverse("finance:payment-create") + f"?invoice={invoice.pk}"
    form = client.get(url).context["form"]
    assert (form.initial["amount"], form.initial["reference"], form.initial["allocate"]) == (
        Decimal("1250.00"),
        invoice.ocr,
        "invoice",
    )
    response = client.post(
        url,
        {
            "invoice": invoice.pk,
            "organization": invoice.organization_id,
            "date": timezone.localdate().isoformat(),
            "amount": "1250.00",
            "currency": "SEK",
            "reference": invoice.ocr,
            "allocate": "invoice",
        },
        follow=True,
    )
    payment = Payment.objects.get()
    assert response.redirect_chain[-1][0] == reverse("finance:payment-detail", args=[payment.pk])
    assert "The payment of 1250.00 SEK is booked." in response.text
    invoice.refresh_from_db()
    assert invoice.state == "paid"
    page = client.get(reverse("finance:invoice-detail", args=[invoice.pk])).text
    assert 'id="invoice-payments"' in page and 'id="invoice-due"' in page


def test_a_bad_payment_shows_the_field_error_and_books_nothing(client_for, finance):
    invoice = issued()
    response = client_for(finance).post(
        reverse("finance:payment-create"),
        {
            "organization": invoice.organization_id,
            "date": "2026-02-30",
            "amount": "0",
            "currency": "SEK",
            "allocate": "oldest",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"date", "amount"}
    assert not Payment.objects.exists()


def test_money_left_over_is_put_on_the_next_invoice_from_the_payment_page(client_for, finance):
    customer = OrganizationFactory()
    first = issued(customer)
    payment = services.payment_register(
        actor=None,
        organization=customer,
        date=timezone.localdate(),
        amount=Decimal("2000.00"),
        currency="SEK",
        allocations=[services.Allocation(invoice=first, amount=Decimal("1250.00"))],
    )
    second = issued(customer)
    client = client_for(finance)
    assert "Put it on the oldest open invoices" in client.get(reverse("finance:payment-detail", args=[payment.pk])).text
    response = client.post(reverse("finance:payment-allocate", args=[payment.pk]), follow=True)
    assert f"Put on 1 invoice(s): {second.number}." in response.text
    second.refresh_from_db()
    assert (second.amount_paid, second.amount_due) == (Decimal("750.00"), Decimal("500.00"))


def test_a_bank_file_is_uploaded_matched_and_its_exceptions_worked(
    client_for, finance, django_capture_on_commit_callbacks
):
    customer = OrganizationFactory(name="Kund AB")
    paid, other = issued(customer), issued(customer)
    content = (
        "Datum;Belopp;Referens;Namn\n"
        f"{timezone.localdate()};1250,00;{paid.ocr};Kund AB\n"
        f"{timezone.localdate()};1250,00;okänt;Kund AB\n"
        f"{timezone.localdate()};-100,00;Avgift;Banken\n"
    ).encode()
    client = client_for(finance)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(BANK, {"file": SimpleUploadedFile("nov.csv", content, "text/csv")})
    statement = BankStatement.objects.get()
    assert response.url == reverse("finance:bank-statement", args=[statement.pk])
    assert len(callbacks) == 1  # matching is queued for the worker once the import is committed
    progress = client.get(
        reverse("finance:bank-statement", args=[statement.pk]) + "?progress=1", HTTP_HX_REQUEST="true"
    )
    assert 'hx-trigger="every 1s"' in progress.text and "0 of 3 lines looked at" in progress.text

    services.bank_statement_match(actor=None, statement_id=statement.pk)
    page = client.get(reverse("finance:bank-statement", args=[statement.pk])).text
    assert "3 of 3 lines looked at, 1 booked" in page and 'hx-trigger="every 1s"' not in page

    again = client.post(BANK, {"file": SimpleUploadedFile("copy.csv", content, "text/csv")})
    assert "This file was already imported" in again.text
    assert BankStatement.objects.count() == 1

    exceptions = client.get(EXCEPTIONS)
    unknown, fee = (line for line, *_ in exceptions.context["rows"])
    assert [invoice.pk for invoice in exceptions.context["rows"][0][1]] == [other.pk]
    assert f"Pays {other.number} (Kund AB)" in exceptions.text

    client.post(
        reverse("finance:bank-line-match", args=[unknown.pk]), {"organization": customer.pk, "invoice": other.pk}
    )
    other.refresh_from_db()
    assert other.state == "paid"
    response = client.post(reverse("finance:bank-line-ignore", args=[fee.pk]), {"note": ""}, follow=True)
    assert "This field is required." in response.text
    client.post(reverse("finance:bank-line-ignore", args=[fee.pk]), {"note": "Bankavgift"})
    assert BankStatementLine.objects.get(pk=fee.pk).state == "ignored"
    assert "Nothing to match" in client.get(EXCEPTIONS).text


def test_a_broken_bank_file_is_refused_with_its_rows(client_for, finance):
    response = client_for(finance).post(
        BANK, {"file": SimpleUploadedFile("bad.csv", b"Datum;Belopp\n2026-11-01;tio\n", "text/csv")}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Row 2: 'tio' is not an amount."]
    assert not BankStatement.objects.exists()


def test_the_lists_take_the_same_queries_for_more_rows(client_for, finance):
    client = client_for(finance)

    def add(n: int) -> None:
        for _ in range(n):
            invoice = issued()
            services.payment_register(
                actor=None,
                organization=invoice.organization,
                date=timezone.localdate(),
                amount=Decimal("1250.00"),
                currency="SEK",
                allocations=[services.Allocation(invoice=invoice, amount=Decimal("1250.00"))],
            )
            issued(invoice.organization)
        rows = "".join(f"{timezone.localdate()};{1250 + k},00;x{k};n\n" for k in range(n))
        services.bank_statement_import(
            actor=None, file_name=f"f{n}.csv", content=f"Datum;Belopp;Text;Namn\n{rows}".encode()
        )

    add(1)
    client.get(PAYMENTS)
    counts = {}
    for url in (PAYMENTS, EXCEPTIONS):
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[url] = len(queries)
    add(4)
    for url in (PAYMENTS, EXCEPTIONS):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert len(response.context["rows"]) == 5
        assert len(queries) == counts[url], url
