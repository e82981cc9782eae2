"""Financial reports read from the ledger and the open documents: profit and loss, balance sheet, aged receivables
and payables, the VAT return and a customer's statement.

Every figure is computed by the database (grouped sums, conditional sums, a window function for running balances),
so a report takes the same few queries however many entries, invoices or bills there are. Python only sorts the
database's rows into the report's sections.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext_lazy as _

from backoffice.finance.models import ZERO, Account, Invoice, JournalLine, SupplierBill
from core.parties.models import Organization

MONEY = DecimalField(max_digits=18, decimal_places=2)
RECEIVABLES_ACCOUNT = "1510"


def _money_sum(expression, *, filter: Q | None = None) -> Coalesce:
    return Coalesce(Sum(expression, filter=filter, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _posted_lines(*, date_from: date | None = None, date_to: date | None = None) -> QuerySet[JournalLine]:
    lines = JournalLine.objects.filter(posted_on__isnull=False)
    if date_from:
        lines = lines.filter(posted_on__gte=date_from)
    if date_to:
        lines = lines.filter(posted_on__lte=date_to)
    return lines


def account_sums(lines: QuerySet[JournalLine]) -> dict[int, tuple[Decimal, Decimal, int]]:
    """(debit, credit, line count) per account: one scan of the lines grouped by account id only, so a million
    lines are summed without joining each one to its account (the ~100 accounts are read apart)."""
    rows = lines.values("account_id").annotate(debit=Sum("debit"), credit=Sum("credit"), lines=Count("pk")).order_by()
    return {row["account_id"]: (row["debit"], row["credit"], row["lines"]) for row in rows}


def _section_key(code: str) -> str:
    for key, _label, digits in PROFIT_AND_LOSS_SECTIONS:
        if code[:1] in digits:
            return key
    return "other"


# --- profit and loss ----------------------------------------------------------------------------------------------

#: The sections of the profit and loss account, by the first digit of the BAS account number.
PROFIT_AND_LOSS_SECTIONS: list[tuple[str, object, tuple[str, ...]]] = [
    ("net_sales", _("Net sales"), ("3",)),
    ("goods", _("Goods, materials and services"), ("4",)),
    ("external", _("Other external costs"), ("5", "6")),
    ("personnel", _("Personnel costs"), ("7",)),
    ("financial", _("Financial items"), ("8",)),
    ("other", _("Other accounts"), ()),
]
OPERATING_SECTIONS = ("net_sales", "goods", "external", "personnel")


def _section_of_code() -> Case:
    """The P&L section of a line's account, from its BAS class, in SQL."""
    whens = [
        When(account__code__startswith=digit, then=Value(key))
        for key, _label, digits in PROFIT_AND_LOSS_SECTIONS
        for digit in digits
    ]
    return Case(*whens, default=Value("other"), output_field=CharField())


@dataclass
class ReportSection:
    key: str
    label: str
    rows: list[dict] = field(default_factory=list)
    total: Decimal = ZERO


@dataclass
class ProfitAndLoss:
    """Income and expenses of a period by BAS class. Every amount is its effect on the result: income positive,
    costs negative (credit minus debit), so sections and the result are plain sums."""

    date_from: date
    date_to: date
    sections: list[ReportSection]
    operating_result: Decimal
    result: Decimal

    @property
    def has_rows(self) -> bool:
        return any(section.rows for section in self.sections)


def profit_and_loss(*, date_from: date, date_to: date) -> ProfitAndLoss:
    """The period's income and expense accounts with their net amounts, section totals and the result: the lines
    summed per account in SQL (one scan), the few accounts read apart and grouped into sections."""
    accounts = list(Account.objects.filter(kind__in=[Account.Kind.INCOME, Account.Kind.EXPENSE]).order_by("code"))
    sums = account_sums(
        _posted_lines(date_from=date_from, date_to=date_to).filter(account_id__in=[account.pk for account in accounts])
    )
    rows = [
        {
            "section": _section_key(account.code),
            "account_id": account.pk,
            "account__code": account.code,
            "account__name": account.name,
            "account__kind": account.kind,
            "amount": sums[account.pk][1] - sums[account.pk][0],  # credit minus debit: its effect on the result
        }
        for account in accounts
        if account.pk in sums
    ]
    totals = {
        key: sum((row["amount"] for row in rows if row["section"] == key), ZERO)
        for key, _l, _d in PROFIT_AND_LOSS_SECTIONS
    }
    totals["operating_result"] = sum((totals[key] for key in OPERATING_SECTIONS), ZERO)
    totals["result"] = sum((row["amount"] for row in rows), ZERO)
    sections = [
        ReportSection(key=key, label=str(label), rows=[row for row in rows if row["section"] == key], total=totals[key])
        for key, label, _digits in PROFIT_AND_LOSS_SECTIONS
    ]
    sections = [section for section in sections if section.rows or section.key != "other"]
    return ProfitAndLoss(
        date_from=date_from,
        date_to=date_to,
        sections=sections,
        operating_result=totals["operating_result"],
        result=totals["result"],
    )


# --- balance sheet ------------------------------------------------------------------------------------------------


@dataclass
class BalanceSheet:
    """Balances of the asset, equity and liability accounts on a day. The result not yet closed (every income minus
    every expense posted up to the day) is shown as its own equity line, so assets equal equity plus liabilities."""

    date: date
    assets: list[dict]
    equity: list[dict]
    liabilities: list[dict]
    total_assets: Decimal
    total_equity: Decimal
    unclosed_result: Decimal
    total_liabilities: Decimal

    @property
    def total_equity_and_liabilities(self) -> Decimal:
        return self.total_equity + self.unclosed_result + self.total_liabilities

    @property
    def is_balanced(self) -> bool:
        return self.total_assets == self.total_equity_and_liabilities


def balance_sheet(*, day: date) -> BalanceSheet:
    """The lines up to the day summed per account in SQL (one scan), the accounts read apart. Assets are shown as
    debit minus credit, equity and liabilities as credit minus debit."""
    accounts = list(Account.objects.order_by("code"))
    sums = account_sums(_posted_lines(date_to=day))
    rows, totals = [], {"assets": ZERO, "equity": ZERO, "liabilities": ZERO, "result": ZERO}
    for account in accounts:
        if account.pk not in sums:
            continue
        debit, credit, _count = sums[account.pk]
        if account.kind in {Account.Kind.INCOME, Account.Kind.EXPENSE}:
            totals["result"] += credit - debit
            continue
        amount = debit - credit if account.kind == Account.Kind.ASSET else credit - debit
        totals[{"asset": "assets", "equity": "equity", "liability": "liabilities"}[account.kind]] += amount
        if amount:
            rows.append(
                {
                    "account_id": account.pk,
                    "account__code": account.code,
                    "account__name": account.name,
                    "account__kind": account.kind,
                    "amount": amount,
                }
            )
    return BalanceSheet(
        date=day,
        assets=[row for row in rows if row["account__kind"] == Account.Kind.ASSET],
        equity=[row for row in rows if row["account__kind"] == Account.Kind.EQUITY],
        liabilities=[row for row in rows if row["account__kind"] == Account.Kind.LIABILITY],
        total_assets=totals["assets"],
        total_equity=totals["equity"],
        unclosed_result=totals["result"],
        total_liabilities=totals["liabilities"],
    )


# --- aged receivables and payables --------------------------------------------------------------------------------

AGING_BUCKETS: list[tuple[str, object]] = [
    ("current", _("Not yet due")),
    ("days_1_30", _("1–30 days")),
    ("days_31_60", _("31–60 days")),
    ("days_61_90", _("61–90 days")),
    ("days_over_90", _("Over 90 days")),
]


def _bucket_conditions(day: date) -> dict[str, Q]:
    """Which documents fall in each bucket, by how many days past due they are on `day` (due on the day: not yet
    due; 30 days past due: 1–30; 31: 31–60; and so on)."""
    return {
        "current": Q(due_date__isnull=True) | Q(due_date__gte=day),
        "days_1_30": Q(due_date__lt=day, due_date__gte=day - timedelta(days=30)),
        "days_31_60": Q(due_date__lt=day - timedelta(days=30), due_date__gte=day - timedelta(days=60)),
        "days_61_90": Q(due_date__lt=day - timedelta(days=60), due_date__gte=day - timedelta(days=90)),
        "days_over_90": Q(due_date__lt=day - timedelta(days=90)),
    }


def _bucket_of(day: date) -> Case:
    return Case(
        *[When(condition, then=Value(key)) for key, condition in _bucket_conditions(day).items()],
        output_field=CharField(),
    )


@dataclass
class AgedBalances:
    """What is owed on a day, per organization, in SEK, by how long it has been due. Amounts are what is due now
    (payments and credits booked after the day are already deducted) of the documents dated on or before the day."""

    date: date
    rows: list[dict]
    totals: dict[str, Decimal]
    documents: list = field(default_factory=list)
    organization: Organization | None = None

    @property
    def total(self) -> Decimal:
        return self.totals["total"]


def _aged(documents: QuerySet, *, day: date, party: str, organization_id: int | None) -> AgedBalances:
    """The grouped query (per organization), the totals in one aggregate and, for one organization, its documents
    with their SEK amount, days past due and bucket."""
    conditions = _bucket_conditions(day)
    sums = {key: _money_sum("due_sek", filter=condition) for key, condition in conditions.items()}
    rows = list(
        documents.values(party_id=F(f"{party}_id"), party_name=F(f"{party}__name"))
        .annotate(**sums, total=_money_sum("due_sek"))
        .order_by("party_name", "party_id")
    )
    totals = documents.aggregate(**sums, total=_money_sum("due_sek"))
    result = AgedBalances(date=day, rows=rows, totals=totals)
    if organization_id is not None:
        result.organization = Organization.objects.filter(pk=organization_id).first()
        result.documents = list(
            documents.filter(**{f"{party}_id": organization_id})
            .select_related("currency")
            .annotate(
                bucket=_bucket_of(day),
                days_overdue=Case(
                    When(
                        due_date__lt=day,
                        then=Func(Value(day), F("due_date"), template="(%(expressions)s)", arg_joiner=" - "),
                    ),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
            )
            .order_by("due_date", "pk")
        )
    return result


def _due_in_sek(due: ExpressionWrapper) -> Round:
    return Round(ExpressionWrapper(due * F("exchange_rate"), output_field=MONEY), 2, output_field=MONEY)


def aged_receivables(*, day: date, organization_id: int | None = None) -> AgedBalances:
    """Customer invoices dated on or before the day, issued or paid, with an amount due now (total minus paid minus
    credited), converted at the invoice's own exchange rate and rounded to öre per invoice."""
    due = ExpressionWrapper(F("total") - F("amount_paid") - F("amount_credited"), output_field=MONEY)
    invoices = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            state__in=[Invoice.State.ISSUED, Invoice.State.PAID],
            invoice_date__lte=day,
        )
        .annotate(due=due, due_sek=_due_in_sek(due))
        .filter(due__gt=0)
    )
    return _aged(invoices, day=day, party="organization", organization_id=organization_id)


def aged_payables(*, day: date, organization_id: int | None = None) -> AgedBalances:
    """Approved supplier bills dated on or before the day with an amount due now (total minus paid), in SEK at the
    bill's exchange rate."""
    due = ExpressionWrapper(F("total") - F("amount_paid"), output_field=MONEY)
    bills = (
        SupplierBill.objects.filter(
            state__in=[SupplierBill.State.APPROVED, SupplierBill.State.PAID], bill_date__lte=day
        )
        .annotate(due=due, due_sek=_due_in_sek(due))
        .filter(due__gt=0)
    )
    return _aged(bills, day=day, party="supplier", organization_id=organization_id)


# --- VAT return ---------------------------------------------------------------------------------------------------

#: Skatteverket's VAT return boxes read from the ledger: (box, label, accounts, sign) where sign "credit" means
#: credit minus debit (sales, output VAT) and "debit" debit minus credit (input VAT).
VAT_BOXES: list[tuple[str, object, tuple[str, ...], str]] = [
    ("05", _("Sales liable to VAT (net)"), ("3001", "3002", "3003"), "credit"),
    ("06", _("Withdrawals liable to VAT"), (), "credit"),
    ("07", _("Taxable base on profit margin taxation"), (), "credit"),
    ("42", _("Other sales (exempt from VAT)"), ("3004",), "credit"),
    ("10", _("Output VAT 25 %"), ("2610",), "credit"),
    ("11", _("Output VAT 12 %"), ("2620",), "credit"),
    ("12", _("Output VAT 6 %"), ("2630",), "credit"),
    ("48", _("Input VAT to deduct"), ("2640",), "debit"),
]
VAT_ACCOUNTS = sorted({code for _box, _label, codes, _sign in VAT_BOXES for code in codes})


@dataclass
class VatReturn:
    """The boxes of the VAT return for a period, from the posted lines on the VAT and sales accounts. Box 49 is the
    VAT to pay (negative: to get back): 10 + 11 + 12 − 48."""

    date_from: date
    date_to: date
    boxes: list[dict]
    to_pay: Decimal


def vat_return(*, date_from: date, date_to: date) -> VatReturn:
    """One conditional aggregate gives every account's amount, every box and box 49; one query finds the accounts
    to drill down to."""
    lines = _posted_lines(date_from=date_from, date_to=date_to).filter(account__code__in=VAT_ACCOUNTS)
    credit_side = F("credit") - F("debit")

    def signed(sign: str):
        return credit_side if sign == "credit" else F("debit") - F("credit")

    sums = {
        **{
            f"account_{code}": _money_sum(signed("debit" if code == "2640" else "credit"), filter=Q(account__code=code))
            for code in VAT_ACCOUNTS
        },
        **{
            f"box_{box}": _money_sum(signed(sign), filter=Q(account__code__in=codes))
            for box, _label, codes, sign in VAT_BOXES
            if codes
        },
        "to_pay": _money_sum(credit_side, filter=Q(account__code__in=["2610", "2620", "2630", "2640"])),
    }
    amounts = lines.aggregate(**sums)
    accounts = dict(Account.objects.filter(code__in=VAT_ACCOUNTS).values_list("code", "pk"))
    boxes = [
        {
            "box": box,
            "label": str(label),
            "amount": amounts[f"box_{box}"] if codes else ZERO,
            "accounts": [
                {"code": code, "account_id": accounts.get(code), "amount": amounts[f"account_{code}"]} for code in codes
            ],
        }
        for box, label, codes, _sign in VAT_BOXES
    ]
    to_pay = amounts["to_pay"]  # credit minus debit over output and input VAT: 10 + 11 + 12 - 48
    boxes.append({"box": "49", "label": str(_("VAT to pay (or get back)")), "amount": to_pay, "accounts": []})
    return VatReturn(date_from=date_from, date_to=date_to, boxes=boxes, to_pay=to_pay)


# --- customer statement -------------------------------------------------------------------------------------------


@dataclass
class CustomerStatement:
    """A customer's account with us over a period: what it owed before (the receivables account 1510 with the
    customer as partner), every posted line in the period with the balance after it, and what it owes after."""

    organization: Organization
    date_from: date
    date_to: date
    opening_balance: Decimal
    debit: Decimal
    credit: Decimal
    lines: list[JournalLine]

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.debit - self.credit


def customer_statement(*, organization: Organization, date_from: date, date_to: date) -> CustomerStatement:
    """The opening balance and the period's totals in one aggregate; the lines with their running balance (a SQL
    window over the period, plus the opening balance) in another."""
    lines = JournalLine.objects.filter(posted_on__isnull=False, account__code=RECEIVABLES_ACCOUNT, partner=organization)
    period = Q(posted_on__gte=date_from, posted_on__lte=date_to)
    sums = lines.aggregate(
        opening=_money_sum(F("debit") - F("credit"), filter=Q(posted_on__lt=date_from)),
        debit=_money_sum("debit", filter=period),
        credit=_money_sum("credit", filter=period),
    )
    order = [F("posted_on").asc(), F("entry_id").asc(), F("pk").asc()]
    period_lines = list(
        lines.filter(period)
        .select_related("entry", "entry__journal")
        .annotate(
            running_balance=ExpressionWrapper(
                Window(Sum(F("debit") - F("credit"), output_field=MONEY), order_by=order) + Value(sums["opening"]),
                output_field=MONEY,
            )
        )
        .order_by(*order)
    )
    return CustomerStatement(
        organization=organization,
        date_from=date_from,
        date_to=date_to,
        opening_balance=sums["opening"],
        debit=sums["debit"],
        credit=sums["credit"],
        lines=period_lines,
    )


def statement_customers() -> QuerySet[Organization]:
    """The organizations that have ever had a line on the receivables account: the customer picker's choices."""
    partners = JournalLine.objects.filter(account__code=RECEIVABLES_ACCOUNT, partner__isnull=False).values("partner_id")
    invoiced = Invoice.objects.values("organization_id")
    return Organization.objects.filter(Q(pk__in=partners) | Q(pk__in=invoiced)).order_by("name")
