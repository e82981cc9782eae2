"""Purchase to pay across the back office: logistics receives goods against a purchase order, finance makes the
supplier bill from the receipt and matches order, receipt and bill; a price or quantity that differs lands on
the bill exceptions list, and the stock's value reaches the ledger."""

from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.finance import selectors as finance_selectors
from backoffice.finance.models import FiscalYear, JournalEntry, SupplierBill
from backoffice.logistics import purchase_services
from backoffice.logistics.models import Warehouse
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    year = timezone.localdate().year
    FiscalYear.objects.get_or_create(name=str(year), defaults={"start": f"{year}-01-01", "end": f"{year}-12-31"})
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def deliver_all() -> None:
    bus.relay_pending()
    for delivery_id in (
        Delivery.objects.filter(status__in=Delivery.OPEN_STATES).order_by("pk").values_list("pk", flat=True)
    ):
        bus.deliver(delivery_id)


def test_a_receipt_becomes_a_matched_bill_or_an_exception():
    supplier = OrganizationFactory(name="Leverantören AB")
    tent, stove = ProductFactory(name="Tält"), ProductFactory(name="Kök")
    order = purchase_services.purchase_create(
        actor=None,
        supplier=supplier,
        warehouse=Warehouse.objects.get(code="WH"),
        lines=[
            purchase_services.PurchaseLineInput(product=tent, quantity=Decimal(10), unit_price=Decimal("400.00")),
            purchase_services.PurchaseLineInput(product=stove, quantity=Decimal(5), unit_price=Decimal("200.00")),
        ],
    )
    order = purchase_services.purchase_confirm(actor=None, order=order)
    tent_line, stove_line = order.lines.order_by("position")
    purchase_services.purchase_receive(
        actor=None,
        order=order,
        supplier_reference="INV-100",
        lines=[purchase_services.ReceiveLineInput(order_line=tent_line, quantity=Decimal(10))],
    )
    purchase_services.purchase_receive(
        actor=None,
        order=order,
        supplier_reference="INV-100",  # the same supplier invoice covered both deliveries
        lines=[
            purchase_services.ReceiveLineInput(
                order_line=stove_line,
                quantity=Decimal(4),
                billed_quantity=Decimal(5),
                billed_unit_price=Decimal("230.00"),
            )
        ],
    )
    deliver_all()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}

    matched = SupplierBill.objects.get(supplier_reference="INV-100")
    assert (matched.state, matched.match_state, matched.purchase_order_number, matched.total) == (
        "draft",
        "matched",
        str(order),
        Decimal("5000.00"),  # 10 × 400 + 25 % VAT
    )
    exception = SupplierBill.objects.exclude(pk=matched.pk).get()
    assert exception.supplier_reference.startswith("INV-100/")
    assert exception.match_state == "exception"
    problems = " ".join(str(problem) for problem in exception.match_problems)
    assert "5" in problems and "4" in problems  # billed 5, received 4
    assert "230" in problems and "200" in problems  # billed 230, ordered 200

    # The stock's value reached the ledger: 10 × 400 + 4 × 200 into inventory.
    stock_entries = JournalEntry.objects.filter(journal__code="STOCK")
    assert stock_entries.count() == 2
    inventory = sum(line.debit for entry in stock_entries for line in entry.lines.filter(account__code="1460"))
    assert inventory == Decimal("4800.00")
    assert finance_selectors.verify_ledger() == []
