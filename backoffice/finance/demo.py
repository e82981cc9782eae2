"""Demo finance: fiscal years, EUR and USD rates, billing policies, and the invoices of the demo orders.

Finance learns about orders only from events, so the invoices come the way they would in production: the
sales orders the demo confirmed published `sales.order_confirmed`, and here the bus runs finance's own
deliveries once, synchronously (a running worker would do the same; either way each order is billed once).
Idempotent: everything is looked up before it is made.
"""

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from backoffice.finance import services
from backoffice.finance.models import CustomerBillingPolicy, ExchangeRate, FiscalYear, Invoice
from core.parties.models import Organization
from integration.bus import services as bus
from integration.bus.models import Delivery, OutboxEvent

FINANCE_SUBSCRIBERS = "backoffice.finance.handlers."
RATES = {"EUR": Decimal("11.45"), "USD": Decimal("10.60")}
ON_DELIVERY = ["556123-4567", "556234-5678"]  # the two portal customers: they see draft invoices wait for delivery
DEMO_REFERENCE = "Demo"


def register() -> None:
    from core import demo

    demo.register("finance", seed)
    demo.register("finance bills", seed_supplier_bills)

    from backoffice.finance import payment_demo

    demo.register("finance-payments", payment_demo.seed)

    from backoffice.finance import dunning_demo

    demo.register("finance-dunning", dunning_demo.seed)


def seed(admin) -> str:
    years = _fiscal_years()
    rates = _exchange_rates()
    policies = _billing_policies(admin)
    billed = _bill_confirmed_orders()
    manual = _manual_invoices(admin)
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE).count()
    return (
        f"{years} fiscal years, {rates} exchange rates, {policies} customers invoiced on delivery, "
        f"{billed} order events billed, {manual} manual invoices; {invoices} invoices in all"
    )


def _fiscal_years() -> int:
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )
    return FiscalYear.objects.count()


def _exchange_rates() -> int:
    """A banking day's rate for each of the last 60 days, a gentle random walk (the same every run)."""
    today = timezone.localdate()
    rows = []
    for currency, start in RATES.items():
        rng = random.Random(currency)
        rate = start
        for days_ago in range(60, -1, -1):
            day = today - timedelta(days=days_ago)
            rate = (rate * (1 + Decimal(rng.uniform(-0.004, 0.004)))).quantize(Decimal("0.000001"))
            if day.weekday() < 5:
                rows.append(ExchangeRate(currency_id=currency, date=day, rate=rate))
    ExchangeRate.objects.bulk_create(rows, ignore_conflicts=True)
    return ExchangeRate.objects.count()


def _billing_policies(admin) -> int:
    """The portal customers and every fourth customer with a confirmed order are invoiced on delivery."""
    ordering = OutboxEvent.objects.filter(name="sales.order_confirmed").order_by("pk")
    ids = list(dict.fromkeys(payload["organization_id"] for payload in ordering.values_list("payload", flat=True)))
    chosen = set(ids[::4]) | set(Organization.objects.filter(org_number__in=ON_DELIVERY).values_list("pk", flat=True))
    have_policy = set(CustomerBillingPolicy.objects.values_list("organization_id", flat=True))
    for organization in Organization.objects.filter(pk__in=chosen - have_policy):
        services.billing_policy_set(actor=admin, organization=organization, invoice_on="delivery")
    return CustomerBillingPolicy.objects.filter(invoice_on="delivery").count()


def _bill_confirmed_orders() -> int:
    """Run finance's deliveries of events still waiting (oldest first): invoices issued or drafted per policy."""
    bus.relay_pending()
    waiting = Delivery.objects.filter(subscriber__startswith=FINANCE_SUBSCRIBERS, status__in=Delivery.OPEN_STATES)
    done = 0
    for delivery_id in waiting.order_by("pk").values_list("pk", flat=True):
        done += bus.deliver(delivery_id) == "done"
    return done


def _manual_invoices(admin) -> int:
    """Two invoices made by hand: one in euro, and one that was credited (a credit note to look at)."""
    if Invoice.objects.filter(customer_reference=DEMO_REFERENCE).exists():
        return 0
    customer = Organization.objects.filter(org_number=ON_DELIVERY[1]).first() or Organization.objects.first()
    if customer is None:
        return 0
    line = services.InvoiceLineInput
    euro = services.invoice_create(
        actor=admin,
        organization=customer,
        currency="EUR",
        payment_terms_days=20,
        customer_reference=DEMO_REFERENCE,
        lines=[
            line(description="Konsulttimmar, export", quantity=Decimal(12), unit_price=Decimal("95.00"), tax_rate=25),
            line(description="Fjällkarta Jämtland", quantity=Decimal(40), unit_price=Decimal("12.50"), tax_rate=6),
        ],
    )
    services.invoice_issue(actor=admin, invoice=euro)
    returned = services.invoice_create(
        actor=admin,
        organization=customer,
        customer_reference=DEMO_REFERENCE,
        lines=[line(description="Gasolkök kompakt", quantity=Decimal(4), unit_price=Decimal("695.00"), tax_rate=25)],
    )
    returned = services.invoice_issue(actor=admin, invoice=returned)
    services.invoice_credit(actor=admin, invoice=returned, reason="Goods returned unopened")
    return 2


# --- supplier bills and a payment run ---------------------------------------------------------------------------

BILL_PREFIX = "DEMO-"


def seed_supplier_bills(admin) -> str:
    """Bills from three suppliers: two paid in a confirmed payment run (one in euro), a few approved and open (one
    overdue), one waiting for approval and one from a goods receipt that differs from its purchase order."""
    from backoffice.finance import bill_services as bills
    from backoffice.finance.models import SupplierBill

    if SupplierBill.objects.filter(supplier_reference__startswith=BILL_PREFIX).exists():
        return "supplier bills already there"
    suppliers = list(Organization.objects.filter(roles__contains=["supplier"], is_active=True).order_by("pk")[:3])
    if not suppliers:
        return "no suppliers, no bills"
    first, second, third = (suppliers * 3)[:3]
    today = timezone.localdate()
    line = bills.BillLineInput

    def bill(supplier, number, days_ago, terms, lines, currency="SEK", approve=True):
        made = bills.bill_create(
            actor=admin,
            supplier=supplier,
            supplier_reference=f"{BILL_PREFIX}{number}",
            bill_date=today - timedelta(days=days_ago),
            due_date=today - timedelta(days=days_ago - terms),
            currency=currency,
            lines=lines,
        )
        return bills.bill_approve(actor=admin, bill=made) if approve else made

    office = [
        line("Kopieringspapper A4, 5 kartonger", Decimal(5), Decimal("389.00"), Decimal(25), "6110"),
        line("Kaffe mellanrost 1 kg", Decimal(6), Decimal("129.00"), Decimal(12), "6110"),
    ]
    bill(first, "1001", 40, 30, office)
    bill(second, "2001", 25, 20, [line("Tält Fjäll 2, inköp", Decimal(20), Decimal("149.00"), Decimal(25))], "EUR")
    run = bills.payment_run_create(actor=admin, payment_date=today - timedelta(days=3))
    bills.payment_run_confirm(actor=admin, run=run)

    bill(first, "1002", 10, 30, [line("Lokalhyra december", Decimal(1), Decimal("18500.00"), Decimal(25), "5010")])
    bill(third, "3001", 45, 30, [line("Mobilabonnemang oktober", Decimal(8), Decimal("249.00"), Decimal(25), "6212")])
    bill(third, "3002", 3, 30, [line("Skrivbordslampor", Decimal(4), Decimal("595.00"), Decimal(25), "5410")])
    bill(
        second,
        "2002",
        1,
        30,
        [line("Sovsäckar, inköp", Decimal(30), Decimal("42.50"), Decimal(25))],
        "EUR",
        approve=False,
    )
    bills.bill_create_from_receipt(
        actor=admin,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, "kontor-demo-receipt-1"),
        supplier_id=first.pk,
        purchase_order_id=900001,
        purchase_order_number="PO-DEMO-0001",
        supplier_reference=f"{BILL_PREFIX}1003",
        bill_date=today - timedelta(days=2),
        currency="SEK",
        lines=[
            line(
                "Gasolkök kompakt",
                Decimal(12),
                Decimal("310.00"),
                Decimal(25),
                sku="STOVE-1",
                purchase_order_line_id=1,
                ordered_quantity=Decimal(12),
                ordered_unit_price=Decimal("295.00"),
                received_quantity=Decimal(10),
            ),
            line(
                "Pannset titan",
                Decimal(10),
                Decimal("189.00"),
                Decimal(25),
                sku="POT-2",
                purchase_order_line_id=2,
                ordered_quantity=Decimal(10),
                ordered_unit_price=Decimal("189.00"),
                received_quantity=Decimal(10),
            ),
        ],
    )
    counts = {state: SupplierBill.objects.filter(state=state).count() for state in SupplierBill.State.values}
    return (
        f"{counts['paid']} bills paid in a payment run, {counts['approved']} approved, {counts['draft']} to approve "
        f"(one differs from its purchase order)"
    )
