"""Every read of supplier bills and payment runs, with what their pages need already loaded."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from backoffice.finance.models import PaymentRun, PaymentRunItem, SupplierBill
from core.parties.models import Organization, PartyRole


def suppliers() -> QuerySet[Organization]:
    """The active organizations the company buys from: the choice of supplier on a bill."""
    return Organization.objects.filter(roles__contains=[PartyRole.SUPPLIER], is_active=True).order_by("name")


# Columns the bill list sorts by (with "-" for descending); the supplier sorts by name.
BILL_SORTS = {
    "number": "number",
    "supplier": "supplier__name",
    "bill_date": "bill_date",
    "due_date": "due_date",
    "total": "total",
}


def bill_list(
    *,
    ordering: str = "",
    search: str = "",
    state: str = "",
    supplier_id: int | None = None,
    overdue: bool = False,
    due_before: date | None = None,
    match_state: str = "",
) -> QuerySet[SupplierBill]:
    """Supplier bills, newest first (or by `ordering`, a key of BILL_SORTS with an optional "-"), with their supplier
    loaded. Overdue means approved and past its due date."""
    bills = SupplierBill.objects.select_related("supplier", "currency")
    if state:
        bills = bills.filter(state=state)
    if supplier_id is not None:
        bills = bills.filter(supplier_id=supplier_id)
    if overdue:
        bills = bills.filter(state=SupplierBill.State.APPROVED, due_date__lt=timezone.localdate())
    if due_before is not None:
        bills = bills.filter(due_date__lte=due_before)
    if match_state:
        bills = bills.filter(match_state=match_state)
    search = (search or "").strip()
    if search:
        bills = bills.filter(
            Q(number__icontains=search)
            | Q(supplier_reference__icontains=search)
            | Q(purchase_order_number__iexact=search)
            | Q(supplier__name__icontains=search)
        )
    field = BILL_SORTS.get(ordering.removeprefix("-"))
    if field:
        return bills.order_by(f"-{field}" if ordering.startswith("-") else field, "-pk")
    return bills.order_by("-bill_date", "-pk")


def bill_exceptions() -> QuerySet[SupplierBill]:
    """Bills that differ from their purchase order or goods receipt, those still to decide on first."""
    return (
        bill_list(match_state=SupplierBill.Match.EXCEPTION)
        .exclude(state=SupplierBill.State.CANCELLED)
        .order_by(F("approved_at").desc(nulls_first=True), "-bill_date", "-pk")
    )


def bill_detail(*, pk: int) -> SupplierBill:
    return (
        SupplierBill.objects.select_related("supplier", "currency", "entry", "created_by", "approved_by")
        .prefetch_related("lines__account", "payment_items__run")
        .get(pk=pk)
    )


def bills_to_pay(*, due_by: date | None = None) -> QuerySet[SupplierBill]:
    """Approved bills with something left to pay, due on or before `due_by` (any day when None), that no draft run
    holds yet."""
    in_draft_runs = PaymentRunItem.objects.filter(run__state=PaymentRun.State.DRAFT).values("bill_id")
    bills = SupplierBill.objects.select_related("supplier").filter(
        state=SupplierBill.State.APPROVED, amount_paid__lt=F("total")
    )
    if due_by is not None:
        bills = bills.filter(due_date__lte=due_by)
    return bills.exclude(pk__in=in_draft_runs).order_by("due_date", "pk")


def payment_run_list(*, state: str = "") -> QuerySet[PaymentRun]:
    runs = PaymentRun.objects.select_related("entry", "created_by").annotate(item_count=Count("items"))
    if state:
        runs = runs.filter(state=state)
    return runs.order_by("-payment_date", "-pk")


def payment_run_detail(*, pk: int) -> PaymentRun:
    return PaymentRun.objects.select_related("entry", "created_by").prefetch_related("items__bill__supplier").get(pk=pk)


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    amount: Decimal
    count: int


def payment_run_totals(run: PaymentRun) -> list[CurrencyTotal]:
    """What the run pays per currency (from its prefetched items)."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for item in run.items.all():
        amount, count = totals.get(item.bill.currency_id, (Decimal(0), 0))
        totals[item.bill.currency_id] = (amount + item.amount, count + 1)
    return [CurrencyTotal(currency, amount, count) for currency, (amount, count) in sorted(totals.items())]


def payment_file_rows(run: PaymentRun) -> list[list[str]]:
    """The rows of the payment file the bank executes: who, with which reference, how much, in what currency."""
    rows = []
    for item in run.items.all():
        bill = item.bill
        rows.append(
            [
                bill.supplier.name,
                bill.supplier.org_number or "",
                bill.payment_reference or bill.supplier_reference,
                f"{item.amount:.2f}",
                bill.currency_id,
                bill.number,
            ]
        )
    return rows


def supplier_reference_taken(*, supplier_id: int, reference: str) -> bool:
    """Whether a (not cancelled) bill of the supplier already has this invoice number."""
    return (
        SupplierBill.objects.filter(supplier_id=supplier_id, supplier_reference__iexact=reference)
        .exclude(state=SupplierBill.State.CANCELLED)
        .exists()
    )
