"""A return across the back office: logistics receives goods back for an invoiced order, finance drafts a
credit note for just those lines at the invoice's prices; issuing it lowers what the invoice is owed."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.finance import selectors as finance_selectors
from backoffice.finance import services as finance
from backoffice.finance.models import FiscalYear, Invoice
from backoffice.logistics import return_services, services
from backoffice.logistics.models import Location
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import Delivery
from integration.customer360.models import TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    year = timezone.localdate().year
    FiscalYear.objects.get_or_create(name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)})
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def deliver_all() -> None:
    bus.relay_pending()
    for delivery_id in (
        Delivery.objects.filter(status__in=Delivery.OPEN_STATES).order_by("pk").values_list("pk", flat=True)
    ):
        bus.deliver(delivery_id)


def test_returned_goods_become_a_draft_credit_note_for_those_lines():
    customer = OrganizationFactory(name="Fjällbo AB")
    tent = ProductFactory(name="Tält")
    invoice = finance.invoice_create(
        actor=None,
        organization=customer,
        order_id=42,
        order_number="SO-42",
        lines=[
            finance.InvoiceLineInput(
                description="Tält",
                quantity=Decimal(3),
                unit_price=Decimal("1000.00"),
                tax_rate=Decimal(25),
                order_line_id=4201,
            ),
            finance.InvoiceLineInput(
                description="Frakt",
                quantity=Decimal(1),
                unit_price=Decimal("99.00"),
                tax_rate=Decimal(25),
                order_line_id=4202,
            ),
        ],
    )
    invoice = finance.invoice_issue(actor=None, invoice=invoice)
    services.stock_receive(
        actor=None,
        product=tent,
        quantity=Decimal(3),
        location=Location.objects.get(code="STOCK"),
        unit_cost=Decimal(400),
    )
    delivery = services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=42,
        order_number="SO-42",
        organization_id=customer.pk,
        customer_name=customer.name,
        lines=[services.DeliveryLineInput(product_id=tent.pk, quantity=Decimal(3), order_line_id=4201)],
    )
    services.delivery_pick(actor=None, delivery=delivery)
    delivery = services.delivery_dispatch(actor=None, delivery=delivery, carrier="PostNord")
    rma = return_services.return_create(
        actor=None,
        organization=customer,
        delivery=delivery,
        reason="Trasigt tält",
        lines=[return_services.ReturnLineInput(product=tent, quantity=Decimal(1), order_line_id=4201)],
    )
    return_services.return_receive(actor=None, rma=rma)
    deliver_all()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    entry = TimelineEntry.objects.get(organization=customer, event_name="logistics.return_received")
    assert entry.title == "Return received: SO-42 (Trasigt tält)"

    note = Invoice.objects.get(kind="credit_note")
    assert (note.state, note.credited_invoice_id, note.reason) == ("draft", invoice.pk, "Trasigt tält")
    assert [(line.description, line.quantity, line.net_amount) for line in note.lines.all()] == [
        ("Tält", Decimal("1.000"), Decimal("1000.00"))
    ]
    assert note.total == Decimal("1250.00")
    finance.invoice_issue(actor=None, invoice=note)
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.amount_due) == (Decimal("1250.00"), Decimal("2623.75"))
    assert finance_selectors.verify_ledger() == []
