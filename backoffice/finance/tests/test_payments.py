"""Customer payments: settling invoices (in part, in full, over), exchange differences, money on account, and
bank files (CSV and camt.053) matched by OCR reference with an exceptions list for the rest."""

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice.finance import bankfiles, invoicing, selectors, services
from backoffice.finance.models import (
    BankStatement,
    BankStatementLine,
    ExchangeRate,
    FiscalYear,
    Invoice,
    JournalLine,
    Payment,
)
from core.exceptions import ServiceError
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 27)
FILES = Path(__file__).parent / "files"


def _years() -> None:
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    _years()
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def customer():
    return OrganizationFactory(name="Kund AB")


def issued(organization, *, price: str = "1000.00", currency: str = "SEK", day: date = DAY - timedelta(days=40)):
    """An issued invoice of one line at 25 % VAT (1000.00 → 1250.00)."""
    invoice = services.invoice_create(
        actor=None,
        organization=organization,
        currency=currency,
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(1), unit_price=Decimal(price), tax_rate=Decimal(25)
            )
        ],
    )
    return services.invoice_issue(actor=None, invoice=invoice, invoice_date=day)


def lines_of(payment: Payment) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account.code, line.debit, line.credit) for line in payment.entry.lines.select_related("account")]


def test_a_payment_of_the_amount_due_settles_the_invoice(customer):
    invoice = issued(customer)
    payment = services.payment_register(
        actor=None,
        organization=customer,
        date=DAY,
        amount=Decimal("1250.00"),
        currency="SEK",
        allocations=[services.Allocation(invoice=invoice, amount=Decimal("1250.00"))],
        reference=invoice.ocr,
    )
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_paid, invoice.amount_due) == ("paid", Decimal("1250.00"), Decimal("0.00"))
    assert lines_of(payment) == [("1930", Decimal("1250.00"), Decimal("0")), ("1510", Decimal("0"), Decimal("1250.00"))]
    assert payment.entry.is_posted and payment.entry.journal.code == "BANK"
    assert (payment.amount_allocated, payment.amount_unallocated) == (Decimal("1250.00"), Decimal("0.00"))
    event = OutboxEvent.objects.get(name="finance.payment_received")
    assert event.payload["invoice_id"] == invoice.pk and event.payload["invoice_settled"] is True
    assert event.payload["amount"] == "1250.00"
    assert selectors.verify_ledger() == []


def test_a_part_payment_leaves_the_rest_due(customer):
    invoice = issued(customer)
    services.payment_register(
        actor=None,
        organization=customer,
        date=DAY,
        amount=Decimal("500.00"),
        currency="SEK",
        allocations=[services.Allocation(invoice=invoice, amount=Decimal("500.00"))],
    )
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_due) == ("issued", Decimal("750.00"))
    assert OutboxEvent.objects.get(name="finance.payment_received").payload["invoice_settled"] is False


def test_an_overpayment_is_on_account_until_it_is_put_on_the_next_invoice(customer):
    first, second = issued(customer), issued(customer, price="40.00")
    payment = services.payment_register(
        actor=None,
        organization=customer,
        date=DAY,
        amount=Decimal("1300.00"),
        currency="SEK",
        allocations=[services.Allocation(invoice=first, amount=Decimal("1250.00"))],
    )
    assert lines_of(payment) == [
        ("1930", Decimal("1300.00"), Decimal("0")),
        ("1510", Decimal("0"), Decimal("1250.00")),
        ("2420", Decimal("0"), Decimal("50.00")),
    ]
    assert payment.amount_unallocated == Decimal("50.00")

    services.payment_allocate(
        actor=None,
        payment=payment,
        allocations=[services.Allocation(invoice=second, amount=Decimal("50.00"))],
        date=DAY,
    )
    payment.refresh_from_db()
    second.refresh_from_db()
    assert (payment.amount_unallocated, second.state) == (Decimal("0.00"), "paid")
    allocation = second.allocations.get()
    assert [(line.account.code, line.debit, line.credit) for line in allocation.entry.lines.all()] == [
        ("2420", Decimal("50.00"), Decimal("0")),
        ("1510", Decimal("0"), Decimal("50.00")),
    ]


def test_a_euro_payment_books_the_exchange_difference(customer):
    ExchangeRate.objects.create(currency_id="EUR", date=DAY - timedelta(days=40), rate=Decimal("11.000000"))
    ExchangeRate.objects.create(currency_id="EUR", date=DAY, rate=Decimal("11.500000"))
    gain = issued(customer, price="80.00", currency="EUR")  # 100.00 EUR, 1100.00 SEK receivable
    payment = services.payment_register(
        actor=None,
        organization=customer,
        date=DAY,
        amount=Decimal("100.00"),
        currency="EUR",
        allocations=[services.Allocation(invoice=gain, amount=Decimal("100.00"))],
    )
    assert lines_of(payment) == [
        ("1930", Decimal("1150.00"), Decimal("0")),
        ("1510", Decimal("0"), Decimal("1100.00")),
        ("3960", Decimal("0"), Decimal("50.00")),
    ]
    bank = payment.entry.lines.get(account__code="1930")
    assert (bank.currency, bank.amount_currency) == ("EUR", Decimal("100.00"))
    assert gain.allocations.get().exchange_difference == Decimal("50.00")

    ExchangeRate.objects.create(currency_id="EUR", date=DAY + timedelta(days=1), rate=Decimal("10.123456"))
    loss = issued(customer, price="80.00", currency="EUR", day=DAY)  # at 11.50: 1150.00 SEK
    payment = services.payment_register(
        actor=None,
        organization=customer,
        date=DAY + timedelta(days=1),
        amount=Decimal("100.00"),
        currency="EUR",
        allocations=[services.Allocation(invoice=loss, amount=Decimal("100.00"))],
    )
    assert lines_of(payment) == [
        ("1930", Decimal("1012.35"), Decimal("0")),
        ("1510", Decimal("0"), Decimal("1150.00")),
        ("7960", Decimal("137.65"), Decimal("0")),
    ]
    assert selectors.verify_ledger() == []


@pytest.mark.parametrize(
    ("amount", "allocate", "field", "message"),
    [
        ("0", None, "amount", "more than zero"),
        ("2000.00", "1300.00", "allocations", "has only 1250.00 SEK left"),
        ("100.00", "200.00", "allocations", "exceed the payment"),
        ("100.00", "-5", "allocations", "more than zero"),
    ],
)
def test_bad_payments_are_refused_and_book_nothing(customer, amount, allocate, field, message):
    invoice = issued(customer)
    allocations = [services.Allocation(invoice=invoice, amount=Decimal(allocate))] if allocate else []
    with pytest.raises(ServiceError) as error:
        services.payment_register(
            actor=None, organization=customer, date=DAY, amount=Decimal(amount), currency="SEK", allocations=allocations
        )
    assert message in " ".join(error.value.message_dict[field])
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0


def test_another_customers_or_another_currencys_invoice_is_refused(customer):
    other = issued(OrganizationFactory())
    ExchangeRate.objects.create(currency_id="EUR", date=DAY - timedelta(days=40), rate=Decimal("11"))
    euro = issued(customer, currency="EUR")
    for invoice, message in ((other, "another customer"), (euro, "is in EUR")):
        with pytest.raises(ServiceError, match=message):
            services.payment_register(
                actor=None,
                organization=customer,
                date=DAY,
                amount=Decimal("10.00"),
                currency="SEK",
                allocations=[services.Allocation(invoice=invoice, amount=Decimal("10.00"))],
            )
    assert not Payment.objects.exists()


def test_oldest_invoices_are_paid_first_when_the_payment_names_none(customer):
    old = issued(customer, day=DAY - timedelta(days=50))
    new = issued(customer, day=DAY - timedelta(days=10))
    allocations = services.allocations_oldest_first(organization=customer, currency="SEK", amount=Decimal("1500.00"))
    assert [(item.invoice.pk, item.amount) for item in allocations] == [
        (old.pk, Decimal("1250.00")),
        (new.pk, Decimal("250.00")),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_never_pay_an_invoice_twice():
    _years()
    customer = OrganizationFactory()
    invoice = issued(customer)
    outcomes: list[str] = []

    def pay():
        try:
            services.payment_register(
                actor=None,
                organization=customer,
                date=DAY,
                amount=Decimal("1250.00"),
                currency="SEK",
                allocations=[
                    services.Allocation(invoice=Invoice.objects.get(pk=invoice.pk), amount=Decimal("1250.00"))
                ],
            )
            outcomes.append("paid")
        except ServiceError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused", "refused", "refused"]
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.state) == (Decimal("1250.00"), "paid")


# --- bank files ---------------------------------------------------------------------------------------------


def csv_file(*rows: str) -> bytes:
    return ("Bokföringsdag;Belopp;Valuta;Referens;Avsändare;Verifikationsnummer\n" + "\n".join(rows) + "\n").encode()


def spaced(ocr: str) -> str:
    return " ".join(ocr[n : n + 4] for n in range(0, len(ocr), 4))


def test_a_csv_file_is_read_with_swedish_amounts():
    statement = bankfiles.read(
        csv_file(
            "2026-11-26;1 250,00;SEK;4455 1;Kund AB;A1",
            "2026-11-26;-99,50;;Hyra;Hyresvärden;A2",
            "2026-11-26;0,00;SEK;saldo;;A3",
        )
    )
    assert statement.format == "csv"
    assert [(item.amount, item.currency, item.reference, item.counterparty) for item in statement.transactions] == [
        (Decimal("1250.00"), "SEK", "4455 1", "Kund AB"),
        (Decimal("-99.50"), "SEK", "Hyra", "Hyresvärden"),
    ]


def test_a_csv_file_with_bad_rows_is_refused_whole():
    with pytest.raises(bankfiles.BankFileError) as error:
        bankfiles.read(csv_file("2026-11-26;12,5x;SEK;r;n;1", "26 nov;10;SEK;r;n;2", "2026-11-26;10;SEK;ok;n;3"))
    assert error.value.errors == ["Row 2: '12,5x' is not an amount.", "Row 3: '26 nov' is not a date."]
    with pytest.raises(bankfiles.BankFileError, match="no column for amount"):
        bankfiles.read(b"Datum;Text\n2026-11-26;x\n")


def test_a_camt053_statement_is_read_entry_by_entry_and_batch_by_payment():
    statement = bankfiles.read((FILES / "camt053.xml").read_bytes())
    assert (statement.format, statement.account_iban, statement.statement_date) == (
        "camt053",
        "SE4550000000058398257466",
        date(2026, 11, 27),
    )
    assert [
        (item.date, item.amount, item.currency, item.reference, item.counterparty) for item in statement.transactions
    ] == [
        (date(2026, 11, 26), Decimal("1250.00"), "SEK", "1000000000162", "Kund AB"),
        (date(2026, 11, 26), Decimal("300.00"), "SEK", "Faktura F-2026-00002", "Annan Kund AB"),
        (date(2026, 11, 26), Decimal("200.00"), "SEK", "okänd betalning", "Okänd"),
        (date(2026, 11, 26), Decimal("-4500.00"), "SEK", "Hyra december", "Fastighets AB"),
    ]


def test_an_xml_bomb_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<Document>&b;</Document>"
    )
    with pytest.raises(bankfiles.BankFileError, match="not a readable XML"):
        bankfiles.read(bomb)


def test_an_imported_file_pays_invoices_by_ocr_and_lists_the_rest(customer):
    paid, partly, over = issued(customer), issued(customer), issued(customer)
    content = csv_file(
        f"2026-11-26;1250,00;SEK;{spaced(paid.ocr)};Kund AB;B1",
        f"2026-11-26;1000,00;SEK;{partly.ocr};Kund AB;B2",
        f"2026-11-26;1300,00;SEK;Faktura {over.number};Kund AB;B3",
        "2026-11-26;777,00;SEK;vet ej;Okänd AB;B4",
        "2026-11-26;-50,00;SEK;Avgift;Banken;B5",
    )
    statement = services.bank_statement_import(actor=None, file_name="nov.csv", content=content)
    assert (statement.line_count, statement.match_state) == (5, "pending")

    statement = services.bank_statement_match(actor=None, statement_id=statement.pk)
    assert (statement.match_state, statement.processed_lines, statement.matched_lines) == ("done", 5, 3)
    for invoice in (paid, partly, over):
        invoice.refresh_from_db()
    assert (paid.state, partly.amount_due, over.state) == ("paid", Decimal("250.00"), "paid")
    assert Payment.objects.get(bank_line__bank_reference="B3").amount_unallocated == Decimal("50.00")
    assert [line.bank_reference for line in selectors.bank_exceptions()] == ["B4", "B5"]
    assert [line.bank_reference for line in selectors.bank_exceptions(direction="in")] == ["B4"]

    with pytest.raises(ServiceError) as error:
        services.bank_statement_import(actor=None, file_name="again.csv", content=content)
    assert "already imported" in error.value.message_dict["file"][0]
    assert BankStatement.objects.count() == 1


def test_an_exception_is_matched_by_hand_or_ignored_with_a_note(customer):
    invoice = issued(customer)
    statement = services.bank_statement_import(
        actor=None,
        file_name="nov.csv",
        content=csv_file("2026-11-26;1250,00;SEK;vet ej;K AB;C1", "2026-11-26;-50,00;SEK;Avgift;Banken;C2"),
    )
    services.bank_statement_match(actor=None, statement_id=statement.pk)
    unknown, fee = selectors.bank_exceptions()
    assert selectors.match_suggestions([unknown, fee]) == {unknown.pk: [invoice]}

    payment = services.bank_line_match(actor=None, line=unknown, organization=customer, invoices=[invoice])
    invoice.refresh_from_db()
    assert (invoice.state, payment.method, payment.bank_line_id) == ("paid", "bank_file", unknown.pk)
    with pytest.raises(ServiceError, match="already been handled"):
        services.bank_line_match(actor=None, line=unknown, organization=customer)

    with pytest.raises(ServiceError) as error:
        services.bank_line_ignore(actor=None, line=fee, note=" ")
    assert error.value.message_dict == {"note": ["Say why this line is not booked."]}
    services.bank_line_ignore(actor=None, line=fee, note="Bankavgift, bokförd separat")
    assert BankStatementLine.objects.get(pk=fee.pk).state == "ignored"
    assert not selectors.bank_exceptions().exists()


def test_a_line_that_cannot_be_booked_stays_an_exception_with_the_reason(customer):
    invoice = issued(customer)
    services.lock_date_set(actor=None, lock_date=DAY)
    statement = services.bank_statement_import(
        actor=None, file_name="late.csv", content=csv_file(f"2026-11-20;1250,00;SEK;{invoice.ocr};Kund AB;D1")
    )
    statement = services.bank_statement_match(actor=None, statement_id=statement.pk)
    assert (statement.match_state, statement.matched_lines) == ("done", 0)
    line = statement.lines.get()
    assert line.state == "new" and "locked up to 2026-11-27" in line.note


def test_ocr_references_are_recognised_only_with_a_valid_check_digit(customer):
    invoice = issued(customer)
    assert selectors.invoice_by_payment_reference(reference=spaced(invoice.ocr), currency="SEK") == invoice
    broken = invoice.ocr[:-1] + str((int(invoice.ocr[-1]) + 1) % 10)
    assert not invoicing.is_valid_ocr(broken)
    assert selectors.invoice_by_payment_reference(reference=broken, currency="SEK") is None
    assert selectors.invoice_by_payment_reference(reference=invoice.ocr, currency="EUR") is None


# --- any sequence keeps the books right --------------------------------------------------------------------------

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000.00"), places=2)
STEP = st.tuples(st.sampled_from(["issue", "pay", "overpay", "credit", "allocate"]), money, st.integers(0, 50))


class PaymentProperties(HypothesisTestCase):
    @settings(max_examples=20, deadline=None)
    @given(st.lists(STEP, min_size=1, max_size=10))
    def test_any_sequence_of_invoices_payments_and_credits_keeps_the_books_balanced(self, steps):
        _years()
        ExchangeRate.objects.get_or_create(
            currency_id="EUR", date=DAY - timedelta(days=40), defaults={"rate": Decimal("11.2")}
        )
        ExchangeRate.objects.get_or_create(currency_id="EUR", date=DAY, defaults={"rate": Decimal("11.734521")})
        customer = OrganizationFactory()
        invoices: list[Invoice] = []
        payments: list[Payment] = []
        for action, amount, pick in steps:
            open_ = [invoice for invoice in invoices if invoice.state == "issued" and invoice.amount_due > 0]
            if action == "issue" or not invoices:
                currency = "EUR" if pick % 2 else "SEK"
                invoices.append(issued(customer, price=str(amount), currency=currency))
            elif action in {"pay", "overpay"} and open_:
                invoice = open_[pick % len(open_)]
                part = min(amount, invoice.amount_due)
                extra = Decimal("10.00") if action == "overpay" else Decimal(0)
                payments.append(
                    services.payment_register(
                        actor=None,
                        organization=customer,
                        date=DAY,
                        amount=part + extra,
                        currency=invoice.currency_id,
                        allocations=[services.Allocation(invoice=invoice, amount=part)],
                    )
                )
            elif action == "credit":
                creditable = [invoice for invoice in invoices if not invoice.amount_credited]
                if creditable:
                    services.invoice_credit(
                        actor=None, invoice=creditable[pick % len(creditable)], reason="p", credit_date=DAY
                    )
            elif action == "allocate":
                for payment in payments:
                    payment.refresh_from_db()
                    allocations = services.allocations_oldest_first(
                        organization=customer, currency=payment.currency_id, amount=payment.amount_unallocated
                    )
                    if payment.amount_unallocated and allocations:
                        services.payment_allocate(actor=None, payment=payment, allocations=allocations, date=DAY)
            for invoice in invoices:
                invoice.refresh_from_db()

        balance = selectors.trial_balance()
        assert sum((row["balance"] for row in balance), Decimal(0)) == 0
        assert selectors.verify_ledger() == []
        sek = [invoice for invoice in invoices if invoice.currency_id == "SEK"]
        receivable = JournalLine.objects.filter(
            account__code="1510", partner=customer, entry__state="posted", currency=""
        ).aggregate(balance=Sum("debit") - Sum("credit"))["balance"] or Decimal(0)
        assert receivable == sum(
            (invoice.total - invoice.amount_paid - invoice.amount_credited for invoice in sek), Decimal(0)
        )
        for invoice in invoices:
            assert invoice.amount_paid <= invoice.total
            assert (invoice.state == "paid") == (invoice.amount_paid == invoice.total)
