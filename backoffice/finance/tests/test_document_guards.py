"""The database itself keeps issued invoices and approved bills as they were issued: a raw UPDATE or DELETE
fails, while what may happen afterwards (payment, crediting, sending, dunning) still goes through."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice.finance import services
from backoffice.finance.models import Account, FiscalYear, Invoice, InvoiceLine, SupplierBill, SupplierBillLine
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def issued() -> Invoice:
    invoice = services.invoice_create(
        actor=None,
        organization=OrganizationFactory(),
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(1), unit_price=Decimal("1000.00"), tax_rate=Decimal(25)
            )
        ],
    )
    return services.invoice_issue(actor=None, invoice=invoice, invoice_date=DAY)


def refused(sql: str, params: list) -> str:
    with pytest.raises(IntegrityError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


@pytest.mark.parametrize(
    "change",
    [
        "total = 1.00, subtotal = 1.00, tax_total = 0",
        "due_date = due_date + 30",
        "number = 'F-2026-99999'",
        "state = 'draft', number = '', ocr = '', entry_id = NULL",
        "customer_name = 'Someone else'",
    ],
)
def test_a_raw_update_of_an_issued_invoice_fails(change):
    invoice = issued()
    assert "cannot be changed" in refused(f"UPDATE finance_invoice SET {change} WHERE id = %s", [invoice.pk])
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("1250.00")


def test_an_issued_invoice_and_its_lines_cannot_be_deleted_or_edited():
    invoice = issued()
    line = invoice.lines.get()
    assert "cannot be deleted" in refused("DELETE FROM finance_invoice WHERE id = %s", [invoice.pk])
    assert "lines of an issued invoice" in refused(
        "UPDATE finance_invoiceline SET unit_price = 1, net_amount = 1 WHERE id = %s", [line.pk]
    )
    assert "lines of an issued invoice" in refused("DELETE FROM finance_invoiceline WHERE id = %s", [line.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=invoice,
            description="Smuggled",
            quantity=1,
            unit_price=1,
            tax_rate=0,
            net_amount=1,
            tax_amount=0,
            account=line.account,
        )


def test_what_happens_after_issuing_still_goes_through():
    invoice = issued()
    services.payment_register(
        actor=None,
        organization=invoice.organization,
        date=DAY,
        amount=Decimal("1250.00"),
        currency="SEK",
        allocations=[services.Allocation(invoice=invoice, amount=Decimal("1250.00"))],
    )
    Invoice.objects.filter(pk=invoice.pk).update(dunning_level=1, sent_at=None)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_paid, invoice.dunning_level) == ("paid", Decimal("1250.00"), 1)
    draft = services.invoice_create(
        actor=None,
        organization=invoice.organization,
        lines=[services.InvoiceLineInput(description="X", quantity=1, unit_price=Decimal(5), tax_rate=Decimal(25))],
    )
    draft.lines.update(description="Changed while a draft")  # a draft may change
    services.invoice_cancel(actor=None, invoice=draft)
    assert "stays cancelled" in refused("UPDATE finance_invoice SET state = 'draft' WHERE id = %s", [draft.pk])


def test_an_approved_supplier_bill_cannot_be_changed():
    supplier = OrganizationFactory()
    bill = SupplierBill.objects.create(
        supplier=supplier,
        supplier_reference="INV-1",
        bill_date=DAY,
        due_date=DAY,
        currency_id="SEK",
        subtotal=Decimal("100.00"),
        tax_total=Decimal("25.00"),
        total=Decimal("125.00"),
    )
    line = SupplierBillLine.objects.create(
        bill=bill,
        description="Papper",
        quantity=1,
        unit_price=Decimal("100.00"),
        tax_rate=25,
        net_amount=Decimal("100.00"),
        tax_amount=Decimal("25.00"),
        account=Account.objects.get(code="6110"),
    )
    with connection.cursor() as cursor:  # approval as the service does it, without the entry (total 0 rule aside)
        cursor.execute(
            "UPDATE finance_supplierbill SET state = 'approved', number = 'L-2026-00001', approved_at = now(), "
            "subtotal = 0, tax_total = 0, total = 0 WHERE id = %s",
            [bill.pk],
        )
    assert "cannot be changed" in refused(
        "UPDATE finance_supplierbill SET due_date = due_date + 1 WHERE id = %s", [bill.pk]
    )
    assert "cannot be deleted" in refused("DELETE FROM finance_supplierbill WHERE id = %s", [bill.pk])
    assert "approved supplier bill" in refused("DELETE FROM finance_supplierbillline WHERE id = %s", [line.pk])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE finance_supplierbill SET amount_paid = 0, state = 'paid' WHERE id = %s", [bill.pk])
