"""Customer invoices: from sales' and logistics' events on the bus to numbered, posted, e-mailed invoices.

Finance knows sales only by its events, so these tests publish `sales.order_confirmed` and friends with the
declared payloads and run the real bus (relay, deliveries, retries). The same journey driven by the real sales
services is in tests/test_invoicing_flow.py (the back office's own tests may not import the front office).
"""

import base64
import re
import threading
import uuid
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connections, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice.finance import handlers, invoicing, selectors, services
from backoffice.finance.models import (
    Account,
    CustomerBillingPolicy,
    ExchangeRate,
    FiscalYear,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
)
from backoffice.finance.pdf import invoice_pdf
from core.exceptions import ServiceError
from core.parties.models import Address
from core.parties.tests.factories import OrganizationFactory
from integration.bus import publish
from integration.bus import services as bus
from integration.bus.models import Delivery, OutboxEvent

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 27)


def _years() -> None:
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )


@pytest.fixture(autouse=True)
def _year(db):
    _years()


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The bus is driven by hand here; nothing goes to the broker."""
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def customer():
    organization = OrganizationFactory(name="Kund AB", email="faktura@kund.example", vat_number="SE556000000101")
    Address.objects.create(
        organization=organization,
        kind=Address.Kind.BILLING,
        line1="Fakturavägen 1",
        postal_code="11122",
        city="Stockholm",
        is_default=True,
    )
    return organization


# (description, quantity, unit price, discount %, VAT %)
MIXED = [
    ("Tält Fjäll 2 personer", "2", "2495.00", "10", "25"),
    ("Kaffe mellanrost 1 kg", "3", "189.00", "0", "12"),
    ("Fjällkarta Jämtland", "1", "149.00", "0", "6"),
    ("Friskvårdstjänst", "1.5", "600.00", "0", "0"),
]


def order_payload(
    organization,
    *,
    order_id: int = 501,
    lines=MIXED,
    currency: str = "SEK",
    rounding: str = "total",
    terms: int = 30,
    order_date: date = DAY,
    total_offset: Decimal = Decimal(0),
) -> dict:
    """What sales publishes when an order is confirmed (its declared payload), priced the way sales prices."""
    priced = []
    for position, (description, quantity, price, discount, rate) in enumerate(lines, start=1):
        amounts = invoicing.line_amounts(
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            tax_rate=Decimal(rate),
            discount_percent=Decimal(discount),
        )
        priced.append(
            {
                "line_id": order_id * 100 + position,
                "position": position,
                "product_id": None,
                "sku": f"SKU-{position}",
                "description": description,
                "quantity": quantity,
                "unit_price": price,
                "discount_percent": discount,
                "tax_rate": rate,
                "net_amount": str(amounts.net),
                "tax_amount": str(amounts.tax),
            }
        )
    totals = invoicing.totals(
        ((Decimal(line["tax_rate"]), Decimal(line["net_amount"]), Decimal(line["tax_amount"])) for line in priced),
        rounding=rounding,
    )
    return {
        "order_id": order_id,
        "order_number": f"SO-{order_id:06d}",
        "organization_id": organization.pk,
        "account_id": 1,
        "customer_name": organization.name,
        "contact_id": None,
        "currency": currency,
        "payment_terms_days": terms,
        "tax_rounding": rounding,
        "subtotal": str(totals.subtotal),
        "tax_total": str(totals.tax),
        "total": str(totals.total + total_offset),
        "confirmed_at": f"{order_date.isoformat()}T10:00:00+01:00",
        "order_date": order_date.isoformat(),
        "lines": priced,
        "delivery_address": {
            "line1": "Lagergatan 1",
            "line2": "",
            "postal_code": "41101",
            "city": "Göteborg",
            "country": "SE",
        },
        "customer_reference": "Anna Svensson",
        "quote_reference": "",
        "vat_number": organization.vat_number,
    }


def emit(name: str, payload: dict, *, aggregate: tuple[str, object]) -> OutboxEvent:
    with transaction.atomic():
        return publish(name, payload, aggregate=aggregate)


def confirm(payload: dict) -> OutboxEvent:
    return emit("sales.order_confirmed", payload, aggregate=("sales.salesorder", payload["order_id"]))


def cancel(payload: dict, *, day: date = DAY) -> OutboxEvent:
    return emit(
        "sales.order_cancelled",
        {
            "order_id": payload["order_id"],
            "order_number": payload["order_number"],
            "organization_id": payload["organization_id"],
            "account_id": 1,
            "customer_name": payload["customer_name"],
            "reason": "Customer changed their mind",
            "cancelled_at": f"{day.isoformat()}T15:00:00+01:00",
            "line_ids": [line["line_id"] for line in payload["lines"]],
        },
        aggregate=("sales.salesorder", payload["order_id"]),
    )


def delivered(order_id: int, organization, *, completes: bool = True, day: date = DAY) -> OutboxEvent:
    return emit(
        "logistics.shipment_delivered",
        {
            "shipment_id": order_id * 10 + (1 if completes else 0),
            "organization_id": organization.pk,
            "order_id": order_id,
            "order_number": f"SO-{order_id:06d}",
            "completes_order": completes,
            "occurred_at": f"{day.isoformat()}T12:00:00+01:00",
        },
        aggregate=("logistics.shipment", order_id * 10 + (1 if completes else 0)),
    )


FINANCE = "backoffice.finance.handlers."


def run_bus() -> dict[str, str]:
    """Relay what is pending and run finance's open deliveries once: {subscriber: outcome} of the last ones."""
    bus.relay_pending()
    outcomes = {}
    for delivery in Delivery.objects.filter(subscriber__startswith=FINANCE, status__in=Delivery.OPEN_STATES).order_by(
        "pk"
    ):
        outcomes[delivery.subscriber.removeprefix(FINANCE)] = bus.deliver(delivery.pk)
    return outcomes


def entry_lines(invoice: Invoice) -> dict[str, tuple[Decimal, Decimal, str, Decimal | None]]:
    """{account code: (debit, credit, currency, amount in currency)} of the invoice's journal entry."""
    return {
        line.account.code: (line.debit, line.credit, line.currency, line.amount_currency)
        for line in invoice.entry.lines.select_related("account")
    }


def assert_books_clean() -> None:
    assert selectors.verify_ledger() == []
    balance = selectors.trial_balance()
    assert sum((row["debit"] for row in balance), Decimal(0)) == sum((row["credit"] for row in balance), Decimal(0))
    assert not JournalEntry.objects.filter(state="draft").exists()


# --- pure money ------------------------------------------------------------------------------------------------


def test_luhn_and_the_ocr_reference():
    assert invoicing.luhn_check_digit("7992739871") == "3"  # the textbook example
    reference = invoicing.ocr_reference(series="F", year=2026, sequence=1)
    assert reference == "120260000126"  # 1 · 2026 · 00001 · length 12 → 2 · check digit 6
    assert invoicing.is_valid_ocr(reference)
    assert invoicing.ocr_reference(series="K", year=2026, sequence=1) != reference
    for position in range(len(reference)):  # any single mistyped digit is caught
        wrong = str((int(reference[position]) + 3) % 10)
        assert not invoicing.is_valid_ocr(reference[:position] + wrong + reference[position + 1 :])


def test_vat_rounded_per_line_or_once_per_rate():
    lines = [(Decimal(25), Decimal("0.35"), Decimal("0.09"))] * 3  # 0.0875 each
    assert invoicing.totals(lines, rounding="line").tax == Decimal("0.27")
    assert invoicing.totals(lines, rounding="total").tax == Decimal("0.26")  # 25 % of 1.05


def test_a_rate_the_chart_does_not_know_is_refused():
    with pytest.raises(invoicing.UnknownTaxRate):
        invoicing.sales_account_code(Decimal("19"))


money_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250000"), places=2)
vat_rates = st.sampled_from([Decimal(25), Decimal(12), Decimal(6), Decimal(0)])
fx_rates = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("30"), places=6)


@settings(max_examples=300)
@given(
    st.lists(st.tuples(vat_rates, money_amounts), min_size=1, max_size=12),
    fx_rates,
    st.sampled_from(["line", "total"]),
    st.booleans(),
)
def test_any_foreign_invoice_posts_a_balanced_entry(lines, exchange_rate, rounding, credit):
    """Whatever the amounts and the rate: debits equal credits to the öre, the receivable holds the total in the
    invoice's currency, and each line is its amount converted and rounded on its own."""
    priced = [(rate, net, invoicing.round_money(net * rate / 100)) for rate, net in lines]
    totals = invoicing.totals(priced, rounding=rounding)
    plan = invoicing.posting_lines(totals.by_rate, exchange_rate=exchange_rate, foreign=True, credit=credit)
    if not plan:  # every amount came to less than half an öre: nothing to book (the service refuses to issue)
        assert totals.total * exchange_rate < Decimal("0.005") * 2 * len(totals.by_rate)
        return
    debit = sum((line.debit for line in plan), Decimal(0))
    assert debit == sum((line.credit for line in plan), Decimal(0))
    assert all((line.debit > 0) != (line.credit > 0) for line in plan)
    assert all(line.debit == line.debit.quantize(Decimal("0.01")) for line in plan)
    receivable = next(line for line in plan if line.account_code == "1510")
    assert receivable.amount_currency == (-totals.total if credit else totals.total)
    converted = sum(1 for item in totals.by_rate for amount in (item.net, item.tax) if amount)
    assert abs(debit - totals.total * exchange_rate) <= Decimal("0.005") * converted  # rounding, nothing more
    for line in plan:
        if line.account_code != "1510":
            assert abs(line.amount_currency) * exchange_rate - (line.debit or line.credit) <= Decimal("0.005")


# --- the bus: an order becomes an invoice -----------------------------------------------------------------------


def test_a_confirmed_order_is_invoiced_posted_and_announced(customer):
    confirm(order_payload(customer))
    assert run_bus() == {"order_confirmed": "done"}
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.state, invoice.number) == ("invoice", "issued", "F-2026-00001")
    assert invoice.ocr == "120260000126" and invoicing.is_valid_ocr(invoice.ocr)
    assert (invoice.invoice_date, invoice.due_date) == (DAY, DAY + timedelta(days=30))
    assert (invoice.order_id, invoice.order_number, invoice.customer_reference) == (501, "SO-000501", "Anna Svensson")
    assert invoice.billing_address["city"] == "Stockholm" and invoice.delivery_address["city"] == "Göteborg"
    # 2 × 2495 less 10 % = 4491.00 (+1122.75), 3 × 189 = 567.00 (+68.04), 149.00 (+8.94), 1.5 × 600 = 900.00 (+0)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("6107.00"),
        Decimal("1199.73"),
        Decimal("7306.73"),
    )
    assert invoice.amount_due == Decimal("7306.73")
    assert [(line.account.code, line.net_amount) for line in invoice.lines.all()] == [
        ("3001", Decimal("4491.00")),
        ("3002", Decimal("567.00")),
        ("3003", Decimal("149.00")),
        ("3004", Decimal("900.00")),
    ]
    assert entry_lines(invoice) == {
        "1510": (Decimal("7306.73"), Decimal("0.00"), "", None),
        "3001": (Decimal("0.00"), Decimal("4491.00"), "", None),
        "2610": (Decimal("0.00"), Decimal("1122.75"), "", None),
        "3002": (Decimal("0.00"), Decimal("567.00"), "", None),
        "2620": (Decimal("0.00"), Decimal("68.04"), "", None),
        "3003": (Decimal("0.00"), Decimal("149.00"), "", None),
        "2630": (Decimal("0.00"), Decimal("8.94"), "", None),
        "3004": (Decimal("0.00"), Decimal("900.00"), "", None),
    }
    assert invoice.entry.journal.code == "SALE" and invoice.entry.reference == "F-2026-00001"
    assert set(invoice.entry.lines.values_list("partner", flat=True)) == {customer.pk}
    event = OutboxEvent.objects.get(name="finance.invoice_issued")
    assert event.payload == {
        "invoice_id": invoice.pk,
        "invoice_number": "F-2026-00001",
        "organization_id": customer.pk,
        "currency": "SEK",
        "total": "7306.73",
        "due_date": "2026-12-27",
        "order_id": 501,
        "order_number": "SO-000501",
    }
    assert_books_clean()


def test_a_redelivered_or_repeated_order_event_bills_once(customer):
    payload = order_payload(customer)
    confirm(payload)
    run_bus()
    delivery = Delivery.objects.get(subscriber=FINANCE + "order_confirmed")
    assert bus.deliver(delivery.pk) == "already-done"
    event = delivery.event
    received = bus.ReceivedEvent(
        id=str(event.uuid),
        name=event.name,
        version=event.version,
        payload=event.payload,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        attempt=2,
    )
    handlers.order_confirmed(received)  # the handler itself, run again (a task redelivered after a lost ack)
    confirm(payload)  # and another event about the same order
    assert run_bus() == {"order_confirmed": "done"}
    assert Invoice.objects.count() == 1 and JournalEntry.objects.count() == 1
    assert OutboxEvent.objects.filter(name="finance.invoice_issued").count() == 1


def test_customers_invoiced_on_delivery_get_a_draft_until_the_goods_arrive(customer):
    services.billing_policy_set(actor=None, organization=customer, invoice_on="delivery")
    payload = order_payload(customer, order_id=601)
    confirm(payload)
    run_bus()
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.number, invoice.ocr, invoice.entry) == ("draft", "", "", None)
    assert invoice.total == Decimal("7306.73")
    assert not OutboxEvent.objects.filter(name="finance.invoice_issued").exists()
    delivered(601, customer, completes=False, day=DAY + timedelta(days=2))  # a first part: still waiting
    assert run_bus() == {"shipment_delivered": "done"}
    assert Invoice.objects.get().state == "draft"
    delivered(601, customer, day=DAY + timedelta(days=5))
    run_bus()
    invoice.refresh_from_db()
    assert (invoice.state, invoice.number) == ("issued", "F-2026-00001")
    assert (invoice.invoice_date, invoice.due_date) == (DAY + timedelta(days=5), DAY + timedelta(days=35))
    assert OutboxEvent.objects.get(name="finance.invoice_issued").payload["order_id"] == 601
    delivered(601, customer, day=DAY + timedelta(days=6))  # told twice: nothing more
    run_bus()
    assert JournalEntry.objects.count() == 1
    assert_books_clean()


def test_a_delivery_finance_has_no_invoice_for_is_retried_not_forgotten(customer):
    delivered(999, customer)
    assert run_bus() == {"shipment_delivered": "retrying"}
    delivery = Delivery.objects.get(subscriber=FINANCE + "shipment_delivered")
    assert "no invoice" in delivery.last_error


def test_cancelling_an_order_cancels_its_draft_and_keeps_the_series_gapless(customer):
    services.billing_policy_set(actor=None, organization=customer, invoice_on="delivery")
    payload = order_payload(customer, order_id=701)
    confirm(payload)
    cancel(payload)
    run_bus()
    run_bus()  # the cancellation waits for the confirmation of the same order, then runs
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.number, invoice.reason) == ("cancelled", "", "Customer changed their mind")
    assert not JournalEntry.objects.exists()
    services.billing_policy_set(actor=None, organization=customer, invoice_on="order")
    confirm(order_payload(customer, order_id=702))
    run_bus()
    assert Invoice.objects.get(order_id=702).number == "F-2026-00001"


def test_cancelling_an_invoiced_order_issues_a_credit_note_that_reverses_it(customer):
    payload = order_payload(customer, order_id=801)
    confirm(payload)
    run_bus()
    cancel(payload, day=DAY + timedelta(days=3))
    assert run_bus() == {"order_cancelled": "done"}
    invoice = Invoice.objects.get(kind="invoice")
    note = Invoice.objects.get(kind="credit_note")
    assert (note.number, note.state, note.credited_invoice) == ("K-2026-00001", "issued", invoice)
    assert invoicing.is_valid_ocr(note.ocr) and note.ocr != invoice.ocr
    assert (note.total, note.invoice_date, note.order_id) == (invoice.total, DAY + timedelta(days=3), 801)
    assert [line.net_amount for line in note.lines.all()] == [line.net_amount for line in invoice.lines.all()]
    assert (invoice.amount_credited, invoice.amount_due, invoice.state) == (invoice.total, Decimal(0), "issued")
    turned = {
        code: (credit, debit, currency, amount)
        for code, (debit, credit, currency, amount) in entry_lines(invoice).items()
    }
    assert entry_lines(note) == turned
    assert all(row["balance"] == 0 for row in selectors.trial_balance())
    event = OutboxEvent.objects.get(name="finance.credit_note_issued")
    assert event.payload["invoice_number"] == "F-2026-00001" and event.payload["total"] == "7306.73"
    assert event.payload["reason"] == "Customer changed their mind"
    cancel(payload)  # told again
    run_bus()
    assert Invoice.objects.filter(kind="credit_note").count() == 1
    with pytest.raises(ServiceError):
        services.invoice_credit(actor=None, invoice=invoice, reason="again")
    assert_books_clean()


def test_an_issued_invoice_is_never_cancelled_only_credited(customer):
    confirm(order_payload(customer))
    run_bus()
    invoice = Invoice.objects.get()
    with pytest.raises(ServiceError):
        services.invoice_cancel(actor=None, invoice=invoice)
    with pytest.raises(ServiceError):
        services.invoice_issue(actor=None, invoice=invoice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(state="cancelled")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00"))  # total = net + VAT


def test_vat_is_booked_as_the_order_rounded_it(customer):
    lines = [("Bult", "1", "0.35", "0", "25")] * 3
    confirm(order_payload(customer, order_id=901, lines=lines, rounding="total"))
    confirm(order_payload(customer, order_id=902, lines=lines, rounding="line"))
    run_bus()
    by_total, by_line = Invoice.objects.get(order_id=901), Invoice.objects.get(order_id=902)
    assert (by_total.tax_total, entry_lines(by_total)["2610"][1]) == (Decimal("0.26"), Decimal("0.26"))
    assert (by_line.tax_total, entry_lines(by_line)["2610"][1]) == (Decimal("0.27"), Decimal("0.27"))
    assert_books_clean()


def test_an_order_whose_lines_do_not_add_up_is_not_billed(customer):
    confirm(order_payload(customer, total_offset=Decimal("0.01")))
    assert run_bus() == {"order_confirmed": "retrying"}
    assert not Invoice.objects.exists()
    assert "not what the order says" in Delivery.objects.get(subscriber=FINANCE + "order_confirmed").last_error


# --- foreign currency --------------------------------------------------------------------------------------------


def test_a_euro_invoice_books_sek_at_the_rate_of_its_date_and_balances_exactly(customer):
    ExchangeRate.objects.create(currency_id="EUR", date=DAY - timedelta(days=10), rate=Decimal("11.000000"))
    ExchangeRate.objects.create(currency_id="EUR", date=DAY - timedelta(days=3), rate=Decimal("11.456700"))
    ExchangeRate.objects.create(currency_id="EUR", date=DAY + timedelta(days=1), rate=Decimal("12.000000"))
    lines = [("Tent", "3", "233.33", "0", "25"), ("Coffee", "7", "17.77", "0", "12"), ("Map", "1", "13.13", "0", "6")]
    confirm(order_payload(customer, order_id=1001, lines=lines, currency="EUR"))
    run_bus()
    invoice = Invoice.objects.get()
    assert (invoice.currency_id, invoice.exchange_rate) == ("EUR", Decimal("11.456700"))  # latest on or before
    # EUR: 699.99 + 175.00 VAT, 124.39 + 14.93 VAT, 13.13 + 0.79 VAT = 1028.23
    assert invoice.total == Decimal("1028.23")
    assert entry_lines(invoice) == {
        "3001": (Decimal("0.00"), Decimal("8019.58"), "EUR", Decimal("-699.99")),  # 699.99 × 11.4567 = 8019.575…
        "2610": (Decimal("0.00"), Decimal("2004.92"), "EUR", Decimal("-175.00")),  # 2004.9225
        "3002": (Decimal("0.00"), Decimal("1425.10"), "EUR", Decimal("-124.39")),  # 1425.098…
        "2620": (Decimal("0.00"), Decimal("171.05"), "EUR", Decimal("-14.93")),  # 171.048…
        "3003": (Decimal("0.00"), Decimal("150.43"), "EUR", Decimal("-13.13")),  # 150.426…
        "2630": (Decimal("0.00"), Decimal("9.05"), "EUR", Decimal("-0.79")),  # 9.0508
        # the receivable is their sum (11780.13), which 1028.23 × 11.4567 = 11780.1427 would round otherwise
        "1510": (Decimal("11780.13"), Decimal("0.00"), "EUR", Decimal("1028.23")),
    }
    assert_books_clean()


def test_without_an_exchange_rate_the_delivery_retries_until_one_is_entered(customer):
    confirm(order_payload(customer, order_id=1101, currency="USD"))
    assert run_bus() == {"order_confirmed": "retrying"}
    delivery = Delivery.objects.get(subscriber=FINANCE + "order_confirmed")
    assert "No exchange rate for USD" in delivery.last_error
    assert not Invoice.objects.exists() and not JournalEntry.objects.exists()  # all of it rolled back
    services.exchange_rate_set(actor=None, currency="USD", date=DAY - timedelta(days=30), rate=Decimal("10.5"))
    assert bus.deliver(delivery.pk) == "retrying"  # a month-old rate is not used either
    services.exchange_rate_set(actor=None, currency="USD", date=DAY, rate=Decimal("10.512300"))
    assert bus.deliver(delivery.pk) == "done"
    assert Invoice.objects.get().exchange_rate == Decimal("10.512300")
    assert_books_clean()


def test_the_handler_raises_on_a_missing_rate():
    with pytest.raises(ServiceError):
        selectors.exchange_rate_for(currency="EUR", day=DAY)
    assert selectors.exchange_rate_for(currency="SEK", day=DAY) == 1


class ForeignInvoiceProperties(HypothesisTestCase):
    @settings(max_examples=15)
    @given(
        st.lists(st.tuples(money_amounts, st.sampled_from(["25", "12", "6", "0"])), min_size=1, max_size=6),
        fx_rates,
    )
    def test_any_euro_invoice_and_its_credit_note_leave_the_books_balanced(self, lines, rate):
        _years()
        customer = OrganizationFactory()
        ExchangeRate.objects.update_or_create(currency_id="EUR", date=DAY, defaults={"rate": rate})
        invoice = services.invoice_create(
            actor=None,
            organization=customer,
            currency="EUR",
            lines=[
                services.InvoiceLineInput(description="x", quantity=Decimal(1), unit_price=price, tax_rate=Decimal(vat))
                for price, vat in lines
            ],
        )
        try:
            invoice = services.invoice_issue(actor=None, invoice=invoice, invoice_date=DAY)
        except ServiceError:  # refused only when it is worth (next to) nothing in SEK, never issued without an entry
            assert invoice.total * rate < Decimal("0.01") * 2 * len(lines)
            return
        entry = entry_lines(invoice)
        assert sum(debit for debit, _c, _cur, _a in entry.values()) == sum(
            credit for _d, credit, _cur, _a in entry.values()
        )
        assert entry["1510"][3] == invoice.total
        services.invoice_credit(actor=None, invoice=invoice, reason="test", credit_date=DAY)
        receivable = JournalLine.objects.filter(account__code="1510", partner=customer)
        assert sum(line.debit - line.credit for line in receivable) == 0
        assert selectors.verify_ledger() == []


# --- numbers under concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_have_no_gaps_when_many_are_issued_at_once(customer):
    _years()
    drafts = [
        services.invoice_create(
            actor=None,
            organization=customer,
            lines=[
                services.InvoiceLineInput(
                    description=f"Line {n}", quantity=Decimal(1), unit_price=Decimal(100 + n), tax_rate=Decimal(25)
                )
            ],
        )
        for n in range(16)
    ]
    errors: list[Exception] = []

    def issue(invoices):
        try:
            for invoice in invoices:
                services.invoice_issue(actor=None, invoice=invoice, invoice_date=DAY)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(drafts[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F-2026-{n:05d}" for n in range(1, 17)]
    assert len(set(Invoice.objects.values_list("ocr", flat=True))) == 16
    assert sorted(JournalEntry.objects.values_list("number", flat=True)) == [f"SALE-2026-{n:05d}" for n in range(1, 17)]
    for invoice in Invoice.objects.select_related("entry"):  # each invoice posted its own amount
        assert entry_lines(invoice)["1510"][0] == invoice.total
    assert selectors.verify_ledger() == []


@pytest.mark.django_db(transaction=True)
def test_issuing_crediting_and_other_sales_postings_at_once_keep_every_series_and_the_chain(customer):
    """Issuing locks the sales journal and then numbers the invoice with the entry; credit notes, drafts posted
    and entries recorded straight into the sales journal at the same time neither deadlock nor leave a gap."""
    _years()

    def draft(n: int) -> Invoice:
        return services.invoice_create(
            actor=None,
            organization=customer,
            lines=[
                services.InvoiceLineInput(
                    description=f"Line {n}", quantity=Decimal(1), unit_price=Decimal(100 + n), tax_rate=Decimal(25)
                )
            ],
        )

    issued = [services.invoice_issue(actor=None, invoice=draft(n), invoice_date=DAY) for n in range(4)]
    drafts = [draft(n) for n in range(4, 16)]
    sales = Journal.objects.get(code="SALE")
    accounts = {account.code: account for account in Account.objects.filter(code__in=["1510", "3001", "2610"])}
    booked = [
        services.Line(account=accounts["1510"], debit=Decimal("125.00")),
        services.Line(account=accounts["3001"], credit=Decimal("100.00")),
        services.Line(account=accounts["2610"], credit=Decimal("25.00")),
    ]
    entry_drafts = [
        services.entry_create(actor=None, journal=sales, date=DAY, description=f"Draft {n}", lines=booked)
        for n in range(4)
    ]
    errors: list[Exception] = []

    def run(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def issue(invoices):
        return lambda: [services.invoice_issue(actor=None, invoice=invoice, invoice_date=DAY) for invoice in invoices]

    def credit():
        for invoice in issued:
            services.invoice_credit(actor=None, invoice=invoice, reason="Returned", credit_date=DAY)

    def record():
        for n in range(4):
            services.entry_record(actor=None, journal=sales, date=DAY, description=f"Direct {n}", lines=booked)

    def post():
        for entry in entry_drafts:
            services.entry_post(actor=None, entry=entry)

    works = [issue(drafts[n::3]) for n in range(3)] + [credit, record, post]
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    invoices = sorted(Invoice.objects.filter(kind=Invoice.Kind.INVOICE).values_list("number", flat=True))
    assert invoices == [f"F-2026-{n:05d}" for n in range(1, 17)]
    notes = sorted(Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).values_list("number", flat=True))
    assert notes == [f"K-2026-{n:05d}" for n in range(1, 5)]
    entries = sorted(JournalEntry.objects.filter(journal=sales).values_list("number", flat=True))
    assert entries == [f"SALE-2026-{n:05d}" for n in range(1, 29)]  # 16 invoices, 4 notes, 4 direct, 4 drafts
    assert selectors.verify_ledger() == []


# --- the document and the e-mail ----------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The text drawn in a ReportLab PDF (its page streams are ASCII85 + Flate encoded)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = stream.strip()
        try:
            data = zlib.decompress(base64.a85decode(data.removesuffix(b"~>"), adobe=False))
        except (ValueError, zlib.error):
            try:
                data = zlib.decompress(data)
            except zlib.error:
                continue
        text += [part.decode("latin-1") for part in re.findall(rb"\((.*?)\) Tj", data)]
    return " ".join(text)


def test_the_invoice_is_e_mailed_with_its_pdf_once_issued(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order_payload(customer))
    with django_capture_on_commit_callbacks(execute=True):
        run_bus()
    invoice = Invoice.objects.get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["faktura@kund.example"] and "F-2026-00001" in message.subject
    assert "120260000126" in message.body and "7306.73 SEK" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("F-2026-00001.pdf", "application/pdf") and content.startswith(b"%PDF")
    assert invoice.sent_at is not None
    text = pdf_text(content)
    for expected in ("F-2026-00001", "120260000126", "SO-000501", "Kund AB", "SE556000000101", "Stockholm"):
        assert expected in text, expected
    from backoffice.finance.mail import send_invoice_mail

    assert send_invoice_mail(invoice_id=invoice.pk) is False  # sent once only
    assert len(mail.outbox) == 1


def test_a_credit_note_pdf_says_what_it_credits(customer):
    payload = order_payload(customer)
    confirm(payload)
    run_bus()
    cancel(payload)
    run_bus()
    note = Invoice.objects.get(kind="credit_note")
    text = pdf_text(invoice_pdf(note))
    assert "K-2026-00001" in text and "F-2026-00001" in text and "Customer changed their mind" in text


def test_a_customer_without_an_e_mail_address_is_left_on_the_unsent_list(django_capture_on_commit_callbacks):
    organization = OrganizationFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order_payload(organization))
    with django_capture_on_commit_callbacks(execute=True):
        run_bus()
    assert mail.outbox == []
    assert list(selectors.invoices_not_sent()) == [Invoice.objects.get()]


def test_source_event_is_unique():
    organization = OrganizationFactory()
    event = uuid.uuid4()
    line = services.InvoiceLineInput(description="x", quantity=Decimal(1), unit_price=Decimal(1), tax_rate=Decimal(25))
    services.invoice_create(actor=None, organization=organization, lines=[line], source_event=event)
    with pytest.raises(IntegrityError), transaction.atomic():
        services.invoice_create(actor=None, organization=organization, lines=[line], source_event=event)
    assert CustomerBillingPolicy.objects.count() == 0


# --- demo data and admin ------------------------------------------------------------------------------------------


def test_the_demo_bills_waiting_orders_once_and_runs_again_without_change(admin_user, customer):
    from backoffice.finance import demo

    confirm(order_payload(customer, order_id=1201))
    confirm(order_payload(OrganizationFactory(), order_id=1202))
    summary = demo.seed(admin_user)
    assert "2 order events billed" in summary and "2 manual invoices" in summary
    assert ExchangeRate.objects.filter(currency_id="EUR").count() > 30
    assert CustomerBillingPolicy.objects.get(organization=customer).invoice_on == "delivery"  # every fourth: the first
    assert Invoice.objects.get(order_id=1201).state == "draft"
    assert Invoice.objects.get(order_id=1202).state == "issued"
    assert Invoice.objects.filter(currency_id="EUR", state="issued").count() == 1
    assert Invoice.objects.filter(kind="credit_note").count() == 1
    counts = (Invoice.objects.count(), JournalEntry.objects.count(), ExchangeRate.objects.count())
    assert "0 order events billed" in demo.seed(admin_user)
    assert (Invoice.objects.count(), JournalEntry.objects.count(), ExchangeRate.objects.count()) == counts
    assert_books_clean()


def test_the_admin_lists_and_shows_invoices(admin_client, customer):
    confirm(order_payload(customer))
    run_bus()
    invoice = Invoice.objects.get()
    assert b"F-2026-00001" in admin_client.get("/admin/finance/invoice/").content
    page = admin_client.get(f"/admin/finance/invoice/{invoice.pk}/change/")
    assert page.status_code == 200 and b"120260000126" in page.content
    assert admin_client.get("/admin/finance/exchangerate/").status_code == 200
    assert admin_client.get("/admin/finance/customerbillingpolicy/").status_code == 200


def test_the_admin_issues_a_draft_through_the_service(admin_client, customer):
    services.billing_policy_set(actor=None, organization=customer, invoice_on="delivery")
    confirm(order_payload(customer))
    run_bus()
    draft = Invoice.objects.get()
    response = admin_client.post(
        "/admin/finance/invoice/", {"action": "issue_drafts", "_selected_action": [draft.pk]}, follow=True
    )
    assert b"Invoices issued: 1." in response.content
    draft.refresh_from_db()
    assert (draft.state, draft.number) == ("issued", f"F-{draft.invoice_date.year}-00001")
    assert draft.issued_by.email == "admin@kontor.example"
