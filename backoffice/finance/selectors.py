"""Reads of the ledger: entries, the trial balance (one SQL aggregate), and the check of every journal's chain."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from backoffice.finance import invoicing
from backoffice.finance.models import (
    ZERO,
    Account,
    BankStatement,
    BankStatementLine,
    CustomerBillingPolicy,
    ExchangeRate,
    FiscalYear,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    Payment,
    PaymentAllocation,
)
from core.exceptions import ServiceError


def entry_list(*, search: str = "", journal: Journal | None = None, state: str = "") -> QuerySet[JournalEntry]:
    entries = JournalEntry.objects.select_related("journal").annotate(
        total=Coalesce(Sum("lines__debit"), Value(ZERO), output_field=DecimalField(max_digits=16, decimal_places=2))
    )
    if journal is not None:
        entries = entries.filter(journal=journal)
    if state:
        entries = entries.filter(state=state)
    if search:
        entries = entries.filter(Q(number__icontains=search) | Q(description__icontains=search) | Q(reference=search))
    return entries.order_by("-date", "-pk")


def entry_detail(*, pk: int) -> JournalEntry:
    return (
        JournalEntry.objects.select_related("journal", "reversal_of", "created_by", "posted_by")
        .prefetch_related("lines__account", "lines__partner")
        .get(pk=pk)
    )


def trial_balance(*, date_to: date | None = None, date_from: date | None = None) -> list[dict]:
    """Debit, credit and balance per account over posted entries in the period: one grouped query."""
    lines = JournalLine.objects.filter(posted_on__isnull=False)
    if date_from:
        lines = lines.filter(posted_on__gte=date_from)
    if date_to:
        lines = lines.filter(posted_on__lte=date_to)
    # Summed per account id only (one scan, no join per line); the accounts are read apart.
    sums = {
        row["account_id"]: row
        for row in lines.values("account_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"), lines=Count("pk"))
        .order_by()
    }
    return [
        {
            "account_id": account.pk,
            "account__code": account.code,
            "account__name": account.name,
            "account__kind": account.kind,
            "debit": sums[account.pk]["debit"],
            "credit": sums[account.pk]["credit"],
            "lines": sums[account.pk]["lines"],
            "balance": sums[account.pk]["debit"] - sums[account.pk]["credit"],
        }
        for account in Account.objects.filter(pk__in=list(sums)).order_by("code")
    ]


@dataclass(frozen=True)
class LedgerProblem:
    journal: str
    entry: str
    problem: str


def verify_ledger() -> list[LedgerProblem]:
    """Recompute every journal's hash chain and every posted entry's balance; the first break of each journal."""
    from backoffice.finance.services import entry_hash

    problems: list[LedgerProblem] = []
    for journal in Journal.objects.order_by("code"):
        previous_hash = ""
        expected_position = 1
        entries = (
            JournalEntry.objects.filter(journal=journal, state=JournalEntry.State.POSTED)
            .select_related("journal")
            .prefetch_related("lines")
            .order_by("chain_position")
        )
        for entry in entries.iterator(chunk_size=500):
            lines = list(entry.lines.all())
            debit = sum((line.debit for line in lines), Decimal(0))
            credit = sum((line.credit for line in lines), Decimal(0))
            problem = ""
            if entry.chain_position != expected_position:
                problem = f"chain position {entry.chain_position}, expected {expected_position} (an entry is missing)"
            elif debit != credit:
                problem = f"unbalanced: debit {debit}, credit {credit}"
            elif entry.previous_hash != previous_hash:
                problem = "its previous hash is not the hash of the entry before it"
            elif entry_hash(entry, lines, previous_hash) != entry.hash:
                problem = "its content does not match its hash (changed after posting)"
            elif any(line.posted_on != entry.date for line in lines):
                problem = "a line's posted date is not the entry's date (the reports would count it elsewhere)"
            if problem:
                problems.append(LedgerProblem(journal=journal.code, entry=entry.number, problem=problem))
                break
            previous_hash = entry.hash
            expected_position += 1
    return problems


def accounts() -> QuerySet[Account]:
    return Account.objects.order_by("code")


# --- staff pages, reports and the API --------------------------------------------------

MONEY = DecimalField(max_digits=18, decimal_places=2)


def _posted_up_to(date_to: date | None, prefix: str = "") -> Q:
    condition = Q(**{f"{prefix}posted_on__isnull": False})
    if date_to:
        condition &= Q(**{f"{prefix}posted_on__lte": date_to})
    return condition


def account_list(*, search: str = "", kind: str = "", date_to: date | None = None) -> QuerySet[Account]:
    """The chart of accounts, each with its balance (debit minus credit) over posted entries up to `date_to`,
    summed in the same query as the accounts."""
    posted = _posted_up_to(date_to, prefix="lines__")
    accounts = Account.objects.annotate(
        debit_total=Coalesce(Sum("lines__debit", filter=posted), Value(ZERO), output_field=MONEY),
        credit_total=Coalesce(Sum("lines__credit", filter=posted), Value(ZERO), output_field=MONEY),
    ).annotate(balance=F("debit_total") - F("credit_total"))
    if kind:
        accounts = accounts.filter(kind=kind)
    search = (search or "").strip()
    if search:
        accounts = accounts.filter(Q(code__startswith=search) | Q(name__icontains=search))
    return accounts.order_by("code")


def entry_list_in_period(
    *,
    search: str = "",
    journal: Journal | None = None,
    state: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[JournalEntry]:
    """entry_list narrowed to a date range, with the id of the entry that reverses each one (if any)."""
    entries = entry_list(search=(search or "").strip(), journal=journal, state=state)
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    return entries.annotate(
        reversed_by_pk=Subquery(JournalEntry.objects.filter(reversal_of=OuterRef("pk")).order_by().values("pk")[:1])
    )


def entry_reversed_by(*, entry: JournalEntry) -> JournalEntry | None:
    """The posted entry that reverses this one, if it has been reversed."""
    return JournalEntry.objects.filter(reversal_of=entry).first()


@dataclass(frozen=True)
class TrialBalance:
    """The trial balance of a period: its rows (as trial_balance gives them) and their totals.

    Debits and credits of posted entries always balance, so `debit` equals `credit` and `balance` is zero.
    """

    date_from: date | None
    date_to: date | None
    rows: list[dict]
    debit: Decimal
    credit: Decimal
    balance: Decimal

    @property
    def is_balanced(self) -> bool:
        return self.debit == self.credit


def trial_balance_report(*, date_from: date | None = None, date_to: date | None = None) -> TrialBalance:
    rows = trial_balance(date_from=date_from, date_to=date_to)
    debit = sum((row["debit"] for row in rows), ZERO)
    credit = sum((row["credit"] for row in rows), ZERO)
    return TrialBalance(
        date_from=date_from, date_to=date_to, rows=rows, debit=debit, credit=credit, balance=debit - credit
    )


@dataclass(frozen=True)
class AccountLedger:
    """One account's general ledger for a period: the balance before it, its posted lines with the balance after
    each (`running_balance`, computed by the database over the whole period, so any page of it is right), and the
    period's totals."""

    account: Account
    date_from: date | None
    date_to: date | None
    opening_balance: Decimal
    debit: Decimal
    credit: Decimal
    lines: QuerySet[JournalLine]

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.debit - self.credit


def account_ledger(*, account: Account, date_from: date | None = None, date_to: date | None = None) -> AccountLedger:
    """The opening balance and the period's totals in one aggregate; the lines as a queryset to page through."""
    lines = JournalLine.objects.filter(account=account, posted_on__isnull=False)
    period = Q()
    if date_from:
        period &= Q(posted_on__gte=date_from)
    if date_to:
        period &= Q(posted_on__lte=date_to)
    sums = {
        "period_debit": Coalesce(Sum("debit", filter=period), Value(ZERO), output_field=MONEY),
        "period_credit": Coalesce(Sum("credit", filter=period), Value(ZERO), output_field=MONEY),
    }
    if date_from:
        before = Q(posted_on__lt=date_from)
        sums["opening"] = Coalesce(Sum(F("debit") - F("credit"), filter=before), Value(ZERO), output_field=MONEY)
    totals = {"opening": ZERO, **lines.aggregate(**sums)}
    order = [F("posted_on").asc(), F("entry_id").asc(), F("pk").asc()]
    period_lines = (
        lines.filter(period)
        .select_related("entry__journal", "partner")
        .annotate(
            running_balance=ExpressionWrapper(
                Window(Sum(F("debit") - F("credit")), order_by=order) + Value(totals["opening"]),
                output_field=MONEY,
            )
        )
        .order_by(*order)
    )
    return AccountLedger(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening_balance=totals["opening"],
        debit=totals["period_debit"],
        credit=totals["period_credit"],
        lines=period_lines,
    )


def fiscal_years() -> QuerySet[FiscalYear]:
    return FiscalYear.objects.order_by("-start")


def fiscal_year_on(day: date) -> FiscalYear | None:
    """The fiscal year a day falls in, if one is set up."""
    return FiscalYear.objects.filter(start__lte=day, end__gte=day).first()


def ledger_settings() -> LedgerSettings:
    """The one settings row (created with the chart after migrate; made here if a test flushed it)."""
    return LedgerSettings.objects.get_or_create(pk=1)[0]


# --- customer invoices ---------------------------------------------------------------------------------------

# A rate older than this on the invoice date is not used: a missing feed should stop invoicing, not misprice it.
RATE_MAX_AGE_DAYS = 10


def base_currency() -> str:
    """The ledger's currency (SEK): amounts in the books are in it, and its rate is 1."""
    return LedgerSettings.objects.filter(pk=1).values_list("base_currency", flat=True).first() or "SEK"


def exchange_rate_for(*, currency: str, day: date, base: str | None = None) -> Decimal:
    """SEK per unit of `currency` on `day`: the latest rate on or before it; ServiceError when there is none.
    (`base` saves the settings' read when the caller has it.)"""
    if currency == (base or base_currency()):
        return Decimal(1)
    row = ExchangeRate.objects.filter(currency_id=currency, date__lte=day).order_by("-date").first()
    if row is None or (day - row.date).days > RATE_MAX_AGE_DAYS:
        raise ServiceError(
            {
                "currency": _("No exchange rate for %(currency)s on or shortly before %(day)s: enter one first.")
                % {"currency": currency, "day": day}
            }
        )
    return row.rate


def billing_policy_for(*, organization_id: int) -> str:
    """When the customer is invoiced: "order" (the default) or "delivery"."""
    policy = CustomerBillingPolicy.objects.filter(organization_id=organization_id).values_list("invoice_on", flat=True)
    return policy.first() or CustomerBillingPolicy.InvoiceOn.ORDER


def invoice_list(
    *, search: str = "", state: str = "", kind: str = "", organization_id: int | None = None
) -> QuerySet[Invoice]:
    """Invoices and credit notes, newest first, with their customer loaded."""
    invoices = Invoice.objects.select_related("organization", "currency")
    if state:
        invoices = invoices.filter(state=state)
    if kind:
        invoices = invoices.filter(kind=kind)
    if organization_id is not None:
        invoices = invoices.filter(organization_id=organization_id)
    search = (search or "").strip()
    if search:
        invoices = invoices.filter(
            Q(number__icontains=search)
            | Q(ocr=search)
            | Q(order_number__iexact=search)
            | Q(customer_name__icontains=search)
            | Q(organization__name__icontains=search)
        )
    return invoices.order_by(F("invoice_date").desc(nulls_first=True), "-pk")


def portal_invoices(*, organization_id: int) -> QuerySet[Invoice]:
    """What a customer's portal shows: the organization's issued (or paid) invoices and credit notes, never a draft
    or a cancelled draft."""
    return invoice_list(organization_id=organization_id).filter(state__in=[Invoice.State.ISSUED, Invoice.State.PAID])


def invoice_detail(*, pk: int) -> Invoice:
    return (
        Invoice.objects.select_related("organization", "currency", "entry", "credited_invoice", "issued_by")
        .prefetch_related("lines__account", "credit_notes")
        .get(pk=pk)
    )


def invoice_for_order(*, order_id: int) -> Invoice | None:
    """The invoice (not a credit note) that bills a sales order, if finance has heard of the order."""
    return Invoice.objects.filter(kind=Invoice.Kind.INVOICE, order_id=order_id).first()


def invoice_tax_breakdown(invoice: Invoice) -> list[invoicing.RateTotal]:
    """Net and VAT per rate (highest rate first), rounded the way the invoice was priced."""
    lines = invoice.lines.all()
    return invoicing.totals(
        ((line.tax_rate, line.net_amount, line.tax_amount) for line in lines), rounding=invoice.tax_rounding
    ).by_rate


def invoices_not_sent() -> QuerySet[Invoice]:
    """Issued invoices and credit notes whose e-mail has not gone out (no address, or the mail is still failing)."""
    return Invoice.objects.filter(
        state__in=[Invoice.State.ISSUED, Invoice.State.PAID], sent_at__isnull=True
    ).select_related("organization")


# --- payments and bank files -----------------------------------------------------------------------------------

AMOUNT_DUE = ExpressionWrapper(
    F("total") - F("amount_paid") - F("amount_credited"), output_field=DecimalField(max_digits=16, decimal_places=2)
)


def open_invoices(*, organization_id: int, currency: str | None = None) -> QuerySet[Invoice]:
    """A customer's issued invoices that still have something to pay, the oldest due first."""
    invoices = Invoice.objects.filter(
        organization_id=organization_id, kind=Invoice.Kind.INVOICE, state=Invoice.State.ISSUED
    ).annotate(due=AMOUNT_DUE)
    if currency:
        invoices = invoices.filter(currency_id=currency)
    return invoices.filter(due__gt=0).select_related("currency").order_by("due_date", "pk")


def payment_list(
    *,
    search: str = "",
    organization_id: int | None = None,
    method: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Payment]:
    """Payments received, newest first, with the customer and the entry's number loaded."""
    payments = Payment.objects.select_related("organization", "entry")
    if organization_id is not None:
        payments = payments.filter(organization_id=organization_id)
    if method:
        payments = payments.filter(method=method)
    if date_from:
        payments = payments.filter(date__gte=date_from)
    if date_to:
        payments = payments.filter(date__lte=date_to)
    search = (search or "").strip()
    if search:
        payments = payments.filter(
            Q(reference__icontains=search)
            | Q(payer_name__icontains=search)
            | Q(organization__name__icontains=search)
            | Q(allocations__invoice__number=search)
        ).distinct()
    return payments.order_by("-date", "-pk")


def payment_detail(*, pk: int) -> Payment:
    return (
        Payment.objects.select_related("organization", "currency", "entry", "created_by", "bank_line__statement")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related("invoice", "entry").order_by("pk"),
            )
        )
        .get(pk=pk)
    )


def invoice_payments(*, invoice: Invoice) -> QuerySet[PaymentAllocation]:
    """What has been paid on an invoice, by which payment and when."""
    return invoice.allocations.select_related("payment", "entry").order_by("date", "pk")


def bank_statement_list() -> QuerySet[BankStatement]:
    return BankStatement.objects.select_related("imported_by").annotate(
        open_lines=Count("lines", filter=Q(lines__state=BankStatementLine.State.NEW))
    )


def bank_statement_detail(*, pk: int) -> BankStatement:
    return BankStatement.objects.select_related("imported_by").get(pk=pk)


def bank_statement_lines(*, statement: BankStatement) -> QuerySet[BankStatementLine]:
    return statement.lines.select_related("payment").order_by("position")


def bank_exceptions(*, search: str = "", direction: str = "") -> QuerySet[BankStatementLine]:
    """Bank lines nobody has matched or ignored yet: money in that named no open invoice, money out."""
    lines = BankStatementLine.objects.filter(state=BankStatementLine.State.NEW).select_related("statement")
    if direction == "in":
        lines = lines.filter(amount__gt=0)
    elif direction == "out":
        lines = lines.filter(amount__lt=0)
    search = (search or "").strip()
    if search:
        lines = lines.filter(
            Q(reference__icontains=search) | Q(counterparty__icontains=search) | Q(bank_reference=search)
        )
    return lines.order_by("date", "pk")


def match_suggestions(lines: list[BankStatementLine], *, per_line: int = 3) -> dict[int, list[Invoice]]:
    """For each incoming bank line, open invoices it may pay: the same currency and exactly the amount due.
    One query for the whole page of lines."""
    incoming = [line for line in lines if line.amount > 0]
    if not incoming:
        return {}
    wanted = Q()
    for line in incoming:
        wanted |= Q(currency_id=line.currency, due=line.amount)
    candidates = (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, state=Invoice.State.ISSUED)
        .annotate(due=AMOUNT_DUE)
        .filter(wanted)
        .select_related("organization")
        .order_by("due_date", "pk")[: 20 * len(incoming)]
    )
    by_key: dict[tuple[str, Decimal], list[Invoice]] = {}
    for invoice in candidates:
        by_key.setdefault((invoice.currency_id, invoice.due), []).append(invoice)
    return {line.pk: by_key.get((line.currency, line.amount), [])[:per_line] for line in incoming}


def invoice_by_payment_reference(*, reference: str, currency: str) -> Invoice | None:
    """The invoice a bank reference names: its OCR number (spaces ignored, check digit valid) or its number."""
    compact = re.sub(r"\s", "", reference or "")
    tokens = [token for token in re.findall(r"\d{4,25}", compact) if invoicing.is_valid_ocr(token)]
    numbers = re.findall(r"[A-Z]-\d{4}-\d{5}", (reference or "").upper())
    if not tokens and not numbers:
        return None
    return (
        Invoice.objects.filter(
            Q(ocr__in=tokens) | Q(number__in=numbers), kind=Invoice.Kind.INVOICE, currency_id=currency
        )
        .exclude(state__in=[Invoice.State.DRAFT, Invoice.State.CANCELLED])
        .select_related("organization")
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class CustomerBalance:
    """What a customer owes and has paid ahead, in SEK, and the open invoices behind it."""

    due: Decimal
    overdue: Decimal
    on_account: Decimal
    open_invoices: list[Invoice]
    dunning_level: int


def customer_balance(*, organization_id: int, today: date, limit: int = 5) -> CustomerBalance:
    """The customer's balance for its 360 page: amounts due and overdue (each invoice at its own rate), money paid
    on account, the highest reminder sent, and the oldest open invoices. Three queries."""
    open_ = Invoice.objects.filter(
        organization_id=organization_id, kind=Invoice.Kind.INVOICE, state=Invoice.State.ISSUED
    ).annotate(due=AMOUNT_DUE)
    in_sek = ExpressionWrapper(
        F("due") * F("exchange_rate"), output_field=DecimalField(max_digits=20, decimal_places=8)
    )
    totals = open_.filter(due__gt=0).aggregate(
        total_due=Coalesce(Sum(in_sek), Value(ZERO), output_field=DecimalField()),
        total_overdue=Coalesce(Sum(in_sek, filter=Q(due_date__lt=today)), Value(ZERO), output_field=DecimalField()),
        level=Coalesce(Max("dunning_level"), Value(0)),
    )
    on_account = Payment.objects.filter(organization_id=organization_id).aggregate(
        left=Coalesce(
            Sum(
                ExpressionWrapper(
                    (F("amount") - F("amount_allocated")) * F("exchange_rate"),
                    output_field=DecimalField(max_digits=20, decimal_places=8),
                )
            ),
            Value(ZERO),
            output_field=DecimalField(),
        )
    )["left"]
    return CustomerBalance(
        due=invoicing.round_money(totals["total_due"]),
        overdue=invoicing.round_money(totals["total_overdue"]),
        on_account=invoicing.round_money(on_account),
        open_invoices=list(open_.filter(due__gt=0).order_by("due_date", "pk")[:limit]),
        dunning_level=totals["level"],
    )
