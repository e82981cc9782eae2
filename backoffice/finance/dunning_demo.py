"""Demo dunning: two invoices made long ago and never paid, so the overdue list, the letters (one with its fee
invoice) and the credit holds have something to show; then today's run, as beat would do it. Idempotent."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from backoffice.finance import dunning, services
from backoffice.finance.models import CreditHold, DunningLetter, FiscalYear, Invoice
from core.parties.models import Organization

DEMO_REFERENCE = "Demo overdue"
# (days overdue today, net at 25 % VAT): a final notice with fee and interest and a credit hold; a first reminder.
OVERDUE = [(45, Decimal("14800.00")), (9, Decimal("2360.00"))]


def seed(admin) -> str:
    today = timezone.localdate()
    made = 0
    if not Invoice.objects.filter(customer_reference=DEMO_REFERENCE).exists():
        customers = list(Organization.objects.filter(is_active=True).exclude(email="").order_by("-pk")[: len(OVERDUE)])
        for customer, (days, net) in zip(customers, OVERDUE, strict=False):
            invoice_date = today - timedelta(days=30 + days)
            FiscalYear.objects.get_or_create(
                name=str(invoice_date.year),
                defaults={"start": date(invoice_date.year, 1, 1), "end": date(invoice_date.year, 12, 31)},
            )
            draft = services.invoice_create(
                actor=admin,
                organization=customer,
                payment_terms_days=30,
                customer_reference=DEMO_REFERENCE,
                lines=[
                    services.InvoiceLineInput(
                        description="Konsulttimmar, installation", quantity=Decimal(1), unit_price=net, tax_rate=25
                    )
                ],
            )
            services.invoice_issue(actor=admin, invoice=draft, invoice_date=invoice_date)
            made += 1
    summary = dunning.dunning_run(today, actor=admin)
    return (
        f"{made} overdue invoices made, {summary.letters} letters sent today; "
        f"{DunningLetter.objects.count()} letters and {CreditHold.objects.filter(on_hold=True).count()} "
        "customers on hold in all"
    )
