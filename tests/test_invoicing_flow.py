"""Order to invoice across the offices: real sales services publish, the bus delivers, finance bills and books,
and sales hears back. Cross-office, so it lives here: the back office's own tests may not import the front office.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from backoffice.finance import selectors as finance_selectors
from backoffice.finance import services as finance
from backoffice.finance.models import ExchangeRate, FiscalYear, Invoice, JournalEntry
from core.catalog.models import Currency
from core.parties.tests.factories import OrganizationFactory
from frontoffice.crm import services as crm
from frontoffice.sales import services as sales
from frontoffice.sales.models import SalesOrder
from integration.bus import publish
from integration.bus import services as bus
from integration.bus.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _years(db):
    year = timezone.localdate().year
    for name in (year, year + 1):
        FiscalYear.objects.get_or_create(
            name=str(name), defaults={"start": date(name, 1, 1), "end": date(name, 12, 31)}
        )


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The bus is driven by hand; nothing goes to the broker."""
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def deliver_all() -> None:
    """What the worker would do: relay, run each open delivery once (oldest first), relay what that published."""
    tried: set[int] = set()
    bus.relay_pending()
    while True:
        waiting = Delivery.objects.filter(status__in=Delivery.OPEN_STATES).exclude(pk__in=tried).order_by("pk")
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            return
        for delivery_id in ids:
            tried.add(delivery_id)
            bus.deliver(delivery_id)
        bus.relay_pending()


@pytest.fixture
def seller(make_staff):
    return make_staff("Sales")


@pytest.fixture
def account(seller):
    organization = OrganizationFactory(name="Fjällbo AB", email="ekonomi@fjallbo.example")
    return crm.account_open(actor=seller, organization=organization, owner=seller)


def order(seller, account, *, currency: str = "SEK") -> SalesOrder:
    return sales.order_create(
        actor=seller,
        account=account,
        currency=Currency.objects.get(code=currency),
        lines=[
            {"description": "Tält", "quantity": Decimal("2"), "unit_price": Decimal("2495.00"), "tax_rate": 25},
            {"description": "Karta", "quantity": Decimal("3"), "unit_price": Decimal("149.00"), "tax_rate": 6},
        ],
    )


def test_a_confirmed_order_is_invoiced_and_sales_sees_it(seller, account):
    confirmed = sales.order_confirm(actor=seller, order=order(seller, account))
    deliver_all()
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.order_id, invoice.order_number) == ("issued", confirmed.pk, confirmed.number)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        confirmed.subtotal,
        confirmed.tax_total,
        confirmed.total,
    )
    assert invoice.total == Decimal("6711.32")  # 4990 + 1247.50 VAT, 447 + 26.82 VAT
    assert invoice.invoice_date == timezone.localdate() and invoice.number.endswith("-00001")
    confirmed.refresh_from_db()
    assert confirmed.invoice_status == "invoiced"  # finance.invoice_issued reached sales
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    assert finance_selectors.verify_ledger() == []


def test_a_cancelled_order_is_credited_and_the_books_come_back_to_zero(seller, account):
    confirmed = sales.order_confirm(actor=seller, order=order(seller, account))
    deliver_all()
    sales.order_cancel(actor=seller, order=confirmed, reason="Wrong size")
    deliver_all()
    note = Invoice.objects.get(kind="credit_note")
    assert (note.credited_invoice.order_id, note.total, note.reason) == (confirmed.pk, Decimal("6711.32"), "Wrong size")
    assert all(row["balance"] == 0 for row in finance_selectors.trial_balance())
    assert finance_selectors.verify_ledger() == []
    confirmed.refresh_from_db()
    assert confirmed.invoice_status == "credited"  # sales heard of the credit note


def test_invoice_on_delivery_waits_for_logistics(seller, account):
    finance.billing_policy_set(actor=None, organization=account.organization, invoice_on="delivery")
    confirmed = sales.order_confirm(actor=seller, order=order(seller, account))
    deliver_all()
    assert Invoice.objects.get().state == "draft" and not JournalEntry.objects.exists()
    with transaction.atomic():
        publish(
            "logistics.shipment_delivered",
            {
                "shipment_id": 1,
                "organization_id": account.organization_id,
                "order_id": confirmed.pk,
                "order_number": confirmed.number,
                "occurred_at": timezone.now().isoformat(),
            },
            aggregate=("logistics.shipment", 1),
        )
    deliver_all()
    assert Invoice.objects.get().state == "issued"
    confirmed.refresh_from_db()
    assert (confirmed.delivery_status, confirmed.invoice_status) == ("delivered", "invoiced")
    assert finance_selectors.verify_ledger() == []


def test_a_euro_order_waits_for_its_rate_then_books_sek(seller, account):
    confirmed = sales.order_confirm(actor=seller, order=order(seller, account, currency="EUR"))
    deliver_all()
    delivery = Delivery.objects.get(subscriber="backoffice.finance.handlers.order_confirmed")
    assert delivery.status == "retrying" and "No exchange rate for EUR" in delivery.last_error
    ExchangeRate.objects.create(
        currency_id="EUR", date=timezone.localdate() - timedelta(days=1), rate=Decimal("11.250000")
    )
    assert bus.deliver(delivery.pk) == "done"
    invoice = Invoice.objects.get()
    receivable = invoice.entry.lines.get(account__code="1510")
    assert (invoice.total, receivable.currency, receivable.amount_currency) == (
        confirmed.total,
        "EUR",
        confirmed.total,
    )
    assert receivable.debit == Decimal("75502.36")  # 56137.50 + 14034.38 + 5028.75 + 301.73, each rounded on its own
    assert finance_selectors.verify_ledger() == []


def test_a_bank_file_paying_the_invoice_marks_the_order_paid_in_sales_and_on_the_360(seller, account):
    from integration.customer360.models import TimelineEntry

    confirmed = sales.order_confirm(actor=seller, order=order(seller, account))
    deliver_all()
    invoice = Invoice.objects.get()
    half = (invoice.total / 2).quantize(Decimal("0.01"))
    rows = f"{timezone.localdate()};{half};{invoice.ocr};Fjällbo AB;1\n"
    statement = finance.bank_statement_import(
        actor=None, file_name="part.csv", content=f"Datum;Belopp;Referens;Namn;Id\n{rows}".encode()
    )
    finance.bank_statement_match(actor=None, statement_id=statement.pk)
    deliver_all()
    confirmed.refresh_from_db()
    assert confirmed.invoice_status == "invoiced"  # a part payment does not make the order paid

    rest = f"{timezone.localdate()};{invoice.total - half};{invoice.number};Fjällbo AB;2\n"
    statement = finance.bank_statement_import(
        actor=None, file_name="rest.csv", content=f"Datum;Belopp;Referens;Namn;Id\n{rest}".encode()
    )
    finance.bank_statement_match(actor=None, statement_id=statement.pk)
    deliver_all()
    invoice.refresh_from_db()
    confirmed.refresh_from_db()
    assert (invoice.state, confirmed.invoice_status) == ("paid", "paid")
    payments = TimelineEntry.objects.filter(organization=account.organization, event_name="finance.payment_received")
    assert payments.count() == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    assert finance_selectors.verify_ledger() == []
