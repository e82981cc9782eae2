"""Demo payments: some invoices paid by hand, and a bank file whose lines pay invoices by OCR, pay too much,
pay part, or match nothing (so the exceptions list has something to work). Idempotent: runs once."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from backoffice.finance import services
from backoffice.finance.models import BankStatement, Invoice, Payment

DEMO_FILE = "demo-bankfil.csv"


def seed(admin) -> str:
    if BankStatement.objects.filter(file_name=DEMO_FILE).exists():
        return "payments already seeded"
    today = timezone.localdate()
    open_sek = list(
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, state=Invoice.State.ISSUED, currency_id="SEK")
        .select_related("organization")
        .order_by("invoice_date", "pk")
    )
    by_hand = 0
    for invoice in open_sek[: len(open_sek) // 3]:
        services.payment_register(
            actor=admin,
            organization=invoice.organization,
            date=max(invoice.invoice_date, today - timedelta(days=2)),
            amount=invoice.amount_due,
            currency="SEK",
            allocations=[services.Allocation(invoice=invoice, amount=invoice.amount_due)],
            reference=invoice.ocr,
            payer_name=invoice.organization.name,
        )
        by_hand += 1
    rest = open_sek[len(open_sek) // 3 :]
    rows = []
    day = today - timedelta(days=1)
    for position, invoice in enumerate(rest[:6]):
        amount = invoice.amount_due
        if position == 1:
            amount += Decimal("100.00")  # pays too much: the rest is on account
        elif position == 2:
            amount = (amount / 2).quantize(Decimal("0.01"))  # pays half
        spaced = " ".join(invoice.ocr[n : n + 4] for n in range(0, len(invoice.ocr), 4))
        rows.append(f"{day};{str(amount).replace('.', ',')};{spaced};{invoice.organization.name};BG{position:04d}")
    if len(rest) > 6:
        unknown = rest[6]
        rows.append(f"{day};{str(unknown.amount_due).replace('.', ',')};Betalning;{unknown.organization.name};BG0100")
    rows.append(f"{day};1 999,00;Okänd insättning;Privatperson;BG0101")
    rows.append(f"{day};-125,00;Bankavgift november;Banken;BG0102")
    content = "Bokföringsdag;Belopp;Referens;Avsändare;Verifikationsnummer\n" + "\n".join(rows) + "\n"
    statement = services.bank_statement_import(actor=admin, file_name=DEMO_FILE, content=content.encode())
    statement = services.bank_statement_match(actor=admin, statement_id=statement.pk)
    return (
        f"{by_hand} invoices paid by hand, a bank file of {statement.line_count} lines "
        f"({statement.matched_lines} matched); {Payment.objects.count()} payments in all"
    )
