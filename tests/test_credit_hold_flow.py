"""Credit hold across the offices: finance's dunning run holds a customer whose invoice is long overdue, the bus
tells sales, sales refuses to confirm the customer's next order; the customer pays, finance releases the hold, and
sales confirms. The same with a hold set and released by hand. Real services on both sides, the real bus."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.finance import dunning
from backoffice.finance import services as finance
from backoffice.finance.models import CreditHold, DunningLetter, FiscalYear, Invoice
from core.catalog.models import Currency
from core.parties.tests.factories import OrganizationFactory
from frontoffice.crm import services as crm
from frontoffice.sales import services as sales
from frontoffice.sales.models import CreditHold as SalesCreditHold
from frontoffice.sales.models import SalesOrder
from integration.bus import services as bus
from integration.bus.models import Delivery
from integration.customer360.models import TimelineEntry

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


def order(seller, account) -> SalesOrder:
    return sales.order_create(
        actor=seller,
        account=account,
        currency=Currency.objects.get(code="SEK"),
        lines=[{"description": "Tält", "quantity": Decimal("2"), "unit_price": Decimal("2495.00"), "tax_rate": 25}],
    )


def sales_hold(account) -> bool:
    hold = SalesCreditHold.objects.filter(organization=account.organization).first()
    return bool(hold and hold.on_hold)


def test_an_overdue_customer_is_held_by_the_dunning_run_and_released_when_it_pays(seller, account):
    first = sales.order_confirm(actor=seller, order=order(seller, account))
    deliver_all()
    invoice = Invoice.objects.get(order_id=first.pk)
    assert (invoice.state, invoice.total) == ("issued", Decimal("6237.50"))

    # Finance's run, 31 days after the due date: a second reminder with its fee invoice, and a credit hold.
    summary = dunning.dunning_run(invoice.due_date + timedelta(days=31))
    assert (summary.letters, summary.fee_invoices, summary.holds_placed) == (1, 1, 1)
    letter = DunningLetter.objects.get()
    assert (letter.level, letter.days_overdue, letter.fee) == (2, 31, Decimal("60.00"))
    hold = CreditHold.objects.get(organization=account.organization)
    assert (hold.on_hold, hold.reason) == (True, "An invoice is 31 days overdue (limit 30)")
    deliver_all()
    assert sales_hold(account)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    titles = set(TimelineEntry.objects.filter(organization=account.organization).values_list("title", flat=True))
    assert "Put on credit hold: An invoice is 31 days overdue (limit 30)" in titles
    assert f"Second reminder sent: invoice {invoice.number} is 31 days overdue (6237.50 SEK)" in titles

    second = order(seller, account)
    with pytest.raises(ValidationError, match="Fjällbo AB is on credit hold"):
        sales.order_confirm(actor=seller, order=second)
    second.refresh_from_db()
    assert second.status == "draft"

    # The customer pays the invoice; the payment service asks dunning to review the customer's credit.
    finance.payment_register(
        actor=None,
        organization=account.organization,
        date=timezone.localdate(),
        amount=invoice.total,
        currency="SEK",
        allocations=[finance.Allocation(invoice=invoice, amount=invoice.total)],
    )
    hold.refresh_from_db()
    assert (hold.on_hold, hold.is_manual) == (False, False)
    deliver_all()
    assert not sales_hold(account)
    assert "Released from credit hold" in set(
        TimelineEntry.objects.filter(organization=account.organization).values_list("title", flat=True)
    )
    assert sales.order_confirm(actor=seller, order=second).status == "confirmed"


def test_a_hold_set_by_hand_blocks_sales_until_finance_releases_it(seller, account, make_staff):
    controller = make_staff("Finance")
    draft = order(seller, account)
    dunning.credit_hold_set(
        actor=controller, organization=account.organization, on_hold=True, reason="Disputed delivery"
    )
    deliver_all()
    with pytest.raises(ValidationError, match=r"credit hold \(Disputed delivery\)"):
        sales.order_confirm(actor=seller, order=draft)

    dunning.dunning_run(timezone.localdate())  # nothing overdue: the policy leaves a hold set by hand alone
    deliver_all()
    assert sales_hold(account)

    dunning.credit_hold_set(actor=controller, organization=account.organization, on_hold=False, reason="Settled")
    deliver_all()
    assert not sales_hold(account)
    assert sales.order_confirm(actor=seller, order=draft).status == "confirmed"
