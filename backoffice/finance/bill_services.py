"""Every write of supplier bills and payment runs: a bill is drafted (by hand or from a goods receipt), approved by
someone else than the one who entered it (booking the payable, the expense and the input VAT) and paid in a
payment run (booking the payables against the bank, with any exchange difference)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.finance import bill_selectors, invoicing, selectors, services
from backoffice.finance.models import (
    ZERO,
    Account,
    Journal,
    JournalEntry,
    JournalLine,
    PaymentRun,
    PaymentRunItem,
    SupplierBill,
    SupplierBillLine,
)
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.catalog.models import Currency
from core.exceptions import ServiceError
from core.parties.models import Organization, PartyRole

PAYABLE_ACCOUNT = "2440"  # Leverantörsskulder
INPUT_VAT_ACCOUNT = "2640"  # Ingående moms
BANK_ACCOUNT = "1930"  # Företagskonto
EXCHANGE_GAIN_ACCOUNT = "3960"
EXCHANGE_LOSS_ACCOUNT = "7960"
GOODS_ACCOUNT = "4010"  # Inköp av handelsvaror: where a goods receipt's lines are booked
BILL_ACCOUNT_KINDS = (Account.Kind.EXPENSE, Account.Kind.ASSET)
DEFAULT_TERMS_DAYS = 30
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class BillLineInput:
    """A line of a supplier bill. Lines from a goods receipt also say what was ordered and received."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    account_code: str = GOODS_ACCOUNT
    sku: str = ""
    purchase_order_line_id: int | None = None
    ordered_quantity: Decimal | None = None
    ordered_unit_price: Decimal | None = None
    received_quantity: Decimal | None = None


def lock_bill(pk: int) -> SupplierBill:
    return SupplierBill.objects.select_for_update(of=("self",)).select_related("supplier").get(pk=pk)


def lock_run(pk: int) -> PaymentRun:
    return PaymentRun.objects.select_for_update().get(pk=pk)


# --- three-way match --------------------------------------------------------------------------------------------


class MatchLine(Protocol):
    description: str
    quantity: Decimal
    unit_price: Decimal
    ordered_quantity: Decimal | None
    ordered_unit_price: Decimal | None
    received_quantity: Decimal | None


def _plain(number: Decimal) -> str:
    """12.000 as "12", 2.50 as "2.5" (never "1E+1")."""
    return f"{number.normalize():f}"


def match_problems(lines: Sequence[MatchLine], price_tolerance_percent: Decimal = Decimal("2")) -> list[dict[str, Any]]:
    """What differs between the bill, the purchase order and the goods receipt, line by line (three-way match).

    A line is a problem when more is billed than was received, when its price differs from the ordered price by
    more than the tolerance (in percent of the ordered price), or when it is not on the order at all. Pure: no
    database, so the rule is tested on its own. An empty list means the bill matches.
    """
    problems: list[dict[str, Any]] = []
    tolerance = Decimal(price_tolerance_percent)
    for position, line in enumerate(lines, start=1):
        quantity, price = Decimal(line.quantity), Decimal(line.unit_price)
        if line.ordered_quantity is None:
            problems.append(
                {
                    "line": position,
                    "code": "not_on_order",
                    "message": _("Line %(line)s (%(description)s) is not on the purchase order.")
                    % {"line": position, "description": line.description},
                }
            )
            continue
        received = Decimal(line.received_quantity or 0)
        if quantity > received:
            problems.append(
                {
                    "line": position,
                    "code": "quantity_not_received",
                    "billed": str(quantity),
                    "received": str(received),
                    "message": _("Line %(line)s (%(description)s): %(billed)s billed, %(received)s received.")
                    % {
                        "line": position,
                        "description": line.description,
                        "billed": _plain(quantity),
                        "received": _plain(received),
                    },
                }
            )
        if line.ordered_unit_price is not None:
            ordered_price = Decimal(line.ordered_unit_price)
            if abs(price - ordered_price) > ordered_price * tolerance / HUNDRED:
                problems.append(
                    {
                        "line": position,
                        "code": "price_differs",
                        "billed": str(price),
                        "ordered": str(ordered_price),
                        "message": _(
                            "Line %(line)s (%(description)s): billed at %(billed)s, ordered at %(ordered)s "
                            "(more than %(tolerance)s %% apart)."
                        )
                        % {
                            "line": position,
                            "description": line.description,
                            "billed": price,
                            "ordered": ordered_price,
                            "tolerance": _plain(tolerance),
                        },
                    }
                )
    return problems


# --- bills ------------------------------------------------------------------------------------------------------


def _check_head(
    *,
    supplier: Organization,
    supplier_reference: str,
    bill_date: date,
    due_date: date,
    currency: str,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if not supplier_reference:
        errors["supplier_reference"] = _("Give the supplier's invoice number.")
    elif (
        SupplierBill.objects.filter(supplier=supplier, supplier_reference__iexact=supplier_reference)
        .exclude(state=SupplierBill.State.CANCELLED)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors["supplier_reference"] = _("%(supplier)s's invoice %(reference)s is already entered.") % {
            "supplier": supplier.name,
            "reference": supplier_reference,
        }
    if due_date < bill_date:
        errors["due_date"] = _("The due date is before the bill date.")
    if not Currency.objects.filter(pk=currency, is_active=True).exists():
        errors["currency"] = _("%(currency)s is not a currency in use.") % {"currency": currency}
    if errors:
        raise ServiceError(errors)


def _bill_lines(bill: SupplierBill, lines: Sequence[BillLineInput]) -> list[SupplierBillLine]:
    if not lines:
        raise ServiceError({"lines": _("A bill needs at least one line.")})
    accounts = {
        account.code: account
        for account in Account.objects.filter(
            code__in={line.account_code for line in lines}, kind__in=BILL_ACCOUNT_KINDS, is_active=True
        )
    }
    built = []
    for position, line in enumerate(lines, start=1):
        quantity, price, rate = Decimal(line.quantity), Decimal(line.unit_price), Decimal(line.tax_rate)
        if quantity <= 0 or price < 0 or not 0 <= rate <= 100:
            raise ServiceError(
                {
                    "lines": _(
                        "Line %(line)s: the quantity must be more than zero, the price not negative "
                        "and the VAT between 0 and 100 %%."
                    )
                    % {"line": position}
                }
            )
        account = accounts.get(line.account_code)
        if account is None:
            raise ServiceError(
                {
                    "lines": _("Line %(line)s: %(account)s is not an open expense or asset account.")
                    % {"line": position, "account": line.account_code or "—"}
                }
            )
        amounts = invoicing.line_amounts(quantity=quantity, unit_price=price, tax_rate=rate)
        built.append(
            SupplierBillLine(
                bill=bill,
                position=position,
                description=(line.description or "").strip()[:300] or "—",
                sku=(line.sku or "")[:64],
                quantity=quantity,
                unit_price=price,
                tax_rate=rate,
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                account=account,
                purchase_order_line_id=line.purchase_order_line_id,
                ordered_quantity=line.ordered_quantity,
                ordered_unit_price=line.ordered_unit_price,
                received_quantity=line.received_quantity,
            )
        )
    return built


def _set_totals(bill: SupplierBill, lines: Iterable[SupplierBillLine]) -> None:
    lines = list(lines)
    bill.subtotal = sum((line.net_amount for line in lines), ZERO)
    bill.tax_total = sum((line.tax_amount for line in lines), ZERO)
    bill.total = bill.subtotal + bill.tax_total


def _save_new(bill: SupplierBill) -> None:
    """Insert the bill; a twin entered at the same moment by someone else hits the unique index, not the books."""
    try:
        with transaction.atomic():
            bill.save()
    except IntegrityError:
        raise ServiceError(
            {
                "supplier_reference": _("This supplier's invoice %(reference)s is already entered.")
                % {"reference": bill.supplier_reference}
            }
        ) from None


@transaction.atomic
def bill_create(
    *,
    actor: User | None,
    supplier: Organization,
    supplier_reference: str,
    bill_date: date,
    due_date: date | None,
    currency: str,
    lines: Sequence[BillLineInput],
    payment_reference: str = "",
) -> SupplierBill:
    """Enter a supplier's invoice as a bill to approve; nothing is in the books until someone approves it."""
    supplier_reference = (supplier_reference or "").strip()[:60]
    due_date = due_date or bill_date + timedelta(days=DEFAULT_TERMS_DAYS)
    if PartyRole.SUPPLIER not in (supplier.roles or []):
        raise ServiceError({"supplier": _("%(name)s is not a supplier.") % {"name": supplier.name}})
    _check_head(
        supplier=supplier,
        supplier_reference=supplier_reference,
        bill_date=bill_date,
        due_date=due_date,
        currency=currency,
    )
    bill = SupplierBill(
        supplier=supplier,
        supplier_reference=supplier_reference,
        bill_date=bill_date,
        due_date=due_date,
        currency_id=currency,
        payment_reference=(payment_reference or "").strip()[:40],
        created_by=actor if actor and actor.is_authenticated else None,
    )
    built = _bill_lines(bill, lines)
    _set_totals(bill, built)
    _save_new(bill)
    SupplierBillLine.objects.bulk_create(built)
    audit_record(actor=actor, instance=bill, action=AuditEntry.Action.CREATE)
    return bill


@transaction.atomic
def bill_update(
    *,
    actor: User | None,
    bill: SupplierBill,
    supplier: Organization,
    supplier_reference: str,
    bill_date: date,
    due_date: date | None,
    currency: str,
    lines: Sequence[BillLineInput],
    payment_reference: str = "",
) -> SupplierBill:
    """Correct a bill that is still to approve: its head and all its lines are replaced."""
    bill = lock_bill(bill.pk)
    if bill.state != SupplierBill.State.DRAFT:
        raise ServiceError(_("Only a bill still to approve can be changed."))
    if bill.purchase_order_id:
        raise ServiceError(
            _("A bill from a goods receipt keeps the order's lines: approve it (accepting differences) or cancel it.")
        )
    supplier_reference = (supplier_reference or "").strip()[:60]
    due_date = due_date or bill_date + timedelta(days=DEFAULT_TERMS_DAYS)
    if PartyRole.SUPPLIER not in (supplier.roles or []):
        raise ServiceError({"supplier": _("%(name)s is not a supplier.") % {"name": supplier.name}})
    _check_head(
        supplier=supplier,
        supplier_reference=supplier_reference,
        bill_date=bill_date,
        due_date=due_date,
        currency=currency,
        exclude_pk=bill.pk,
    )
    before = {
        "supplier": str(bill.supplier_id),
        "supplier_reference": bill.supplier_reference,
        "bill_date": str(bill.bill_date),
        "due_date": str(bill.due_date),
        "currency": bill.currency_id,
        "total": str(bill.total),
    }
    bill.supplier = supplier
    bill.supplier_reference = supplier_reference
    bill.bill_date = bill_date
    bill.due_date = due_date
    bill.currency_id = currency
    bill.payment_reference = (payment_reference or "").strip()[:40]
    built = _bill_lines(bill, lines)
    _set_totals(bill, built)
    bill.lines.all().delete()
    try:
        with transaction.atomic():
            bill.save()
    except IntegrityError:
        raise ServiceError(
            {
                "supplier_reference": _("This supplier's invoice %(reference)s is already entered.")
                % {"reference": supplier_reference}
            }
        ) from None
    SupplierBillLine.objects.bulk_create(built)
    after = {
        "supplier": str(bill.supplier_id),
        "supplier_reference": bill.supplier_reference,
        "bill_date": str(bill.bill_date),
        "due_date": str(bill.due_date),
        "currency": bill.currency_id,
        "total": str(bill.total),
    }
    audit_record(
        actor=actor,
        instance=bill,
        action=AuditEntry.Action.UPDATE,
        changes={name: [before[name], after[name]] for name in before if before[name] != after[name]},
    )
    return bill


@transaction.atomic
def bill_cancel(*, actor: User | None, bill: SupplierBill, reason: str = "") -> SupplierBill:
    """Drop a bill that will never be approved (entered twice, not ours); it has no number, so no gap is left."""
    bill = lock_bill(bill.pk)
    if bill.state != SupplierBill.State.DRAFT:
        raise ServiceError(_("Only a bill still to approve can be cancelled."))
    bill.state = SupplierBill.State.CANCELLED
    bill.save(update_fields=["state"])
    audit_record(
        actor=actor,
        instance=bill,
        action=AuditEntry.Action.ACTION,
        message=_("Cancelled: %(reason)s") % {"reason": (reason or "").strip()[:200] or "—"},
    )
    return bill


@transaction.atomic
def bill_approve(*, actor: User | None, bill: SupplierBill, accept_differences: bool = False) -> SupplierBill:
    """Approve a bill for payment: four eyes (not the person who entered it), differences from the order accepted
    on purpose, then the next number of the year and the purchase entry at the bill date's rate."""
    bill = lock_bill(bill.pk)
    if bill.state != SupplierBill.State.DRAFT:
        raise ServiceError(_("Only a bill still to approve can be approved."))
    is_superuser = bool(actor and actor.is_superuser)
    if bill.created_by_id and actor is not None and bill.created_by_id == actor.pk and not is_superuser:
        raise ServiceError(_("You entered this bill: someone else must approve it (four eyes)."))
    if bill.match_state == SupplierBill.Match.EXCEPTION and not accept_differences:
        raise ServiceError(
            {
                "accept_differences": _(
                    "The bill differs from the purchase order or the goods receipt: accept the differences to "
                    "approve it."
                )
            }
        )
    lines = list(bill.lines.select_related("account"))
    if not lines:
        raise ServiceError({"lines": _("A bill needs at least one line.")})
    day = bill.bill_date
    bill.exchange_rate = selectors.exchange_rate_for(currency=bill.currency_id, day=day)
    bill.number = f"L-{day.year}-{services.next_number('bill:L', day.year):05d}"
    bill.entry = _post_bill(actor=actor, bill=bill, lines=lines)
    bill.state = SupplierBill.State.APPROVED
    bill.approved_by = actor if actor and actor.is_authenticated else None
    bill.approved_at = timezone.now()
    bill.save(update_fields=["exchange_rate", "number", "entry", "state", "approved_by", "approved_at"])
    message = _("Approved")
    if bill.match_state == SupplierBill.Match.EXCEPTION:
        message = _("Approved, accepting the differences from the order")
    audit_record(actor=actor, instance=bill, action=AuditEntry.Action.ACTION, message=message)
    return bill


def bill_posting_lines(bill: SupplierBill, lines: Sequence[SupplierBillLine]) -> list[services.Line]:
    """The purchase entry: each account's net and the input VAT as debits in SEK (each rounded on its own), the
    payable as their sum, so the entry balances to the öre whatever the rate."""
    foreign = bill.currency_id != selectors.base_currency()
    rate = bill.exchange_rate
    nets: dict[int, tuple[Account, Decimal]] = {}
    for line in lines:
        account, amount = nets.get(line.account_id, (line.account, ZERO))
        nets[line.account_id] = (account, amount + line.net_amount)
    tax = sum((line.tax_amount for line in lines), ZERO)
    wanted = {PAYABLE_ACCOUNT, INPUT_VAT_ACCOUNT}
    accounts = {account.code: account for account in Account.objects.filter(code__in=wanted)}
    parts = [*nets.values(), (accounts[INPUT_VAT_ACCOUNT], tax)]
    plan: list[services.Line] = []
    for account, amount in parts:
        base = invoicing.to_base(amount, rate)
        if not base:
            continue
        plan.append(
            services.Line(
                account=account,
                debit=base,
                partner=bill.supplier,
                description=bill.number,
                currency=bill.currency_id if foreign else "",
                amount_currency=amount if foreign else None,
            )
        )
    payable = sum((line.debit for line in plan), ZERO)
    if payable:
        plan.append(
            services.Line(
                account=accounts[PAYABLE_ACCOUNT],
                credit=payable,
                partner=bill.supplier,
                description=bill.number,
                currency=bill.currency_id if foreign else "",
                amount_currency=-bill.total if foreign else None,
            )
        )
    return plan


def _post_bill(*, actor: User | None, bill: SupplierBill, lines: Sequence[SupplierBillLine]) -> JournalEntry | None:
    plan = bill_posting_lines(bill, lines)
    if len(plan) < 2:
        if bill.total:
            raise ServiceError(_("The bill comes to less than an öre in SEK: there is nothing to book."))
        return None
    return services.entry_record(
        actor=actor,
        journal=Journal.objects.get(code="PURCH"),
        date=bill.bill_date,
        description=_("Bill %(number)s from %(supplier)s (their invoice %(reference)s)")
        % {"number": bill.number, "supplier": bill.supplier.name, "reference": bill.supplier_reference},
        reference=bill.supplier_reference,
        lines=plan,
    )


@transaction.atomic
def bill_create_from_receipt(
    *,
    actor: User | None,
    event_id: uuid.UUID | str,
    supplier_id: int,
    purchase_order_id: int,
    purchase_order_number: str,
    supplier_reference: str,
    bill_date: date,
    currency: str,
    lines: Sequence[BillLineInput],
    due_date: date | None = None,
    payment_reference: str = "",
    price_tolerance_percent: Decimal = Decimal("2"),
) -> SupplierBill:
    """A supplier's invoice that logistics matched to a purchase order and its goods receipt: a bill to approve,
    marked matched or exception (with the problems listed). The same event a second time finds its bill."""
    existing = SupplierBill.objects.filter(source_event=event_id).first()
    if existing is not None:
        return existing
    supplier = Organization.objects.filter(pk=supplier_id).first()
    if supplier is None:
        raise ServiceError(
            _("Purchase order %(order)s: supplier %(id)s does not exist.")
            % {"order": purchase_order_number, "id": supplier_id}
        )
    supplier_reference = (supplier_reference or "").strip()[:60]
    due_date = due_date or bill_date + timedelta(days=DEFAULT_TERMS_DAYS)
    _check_head(
        supplier=supplier,
        supplier_reference=supplier_reference,
        bill_date=bill_date,
        due_date=due_date,
        currency=currency,
    )
    problems = match_problems(lines, price_tolerance_percent=price_tolerance_percent)
    bill = SupplierBill(
        supplier=supplier,
        supplier_reference=supplier_reference,
        bill_date=bill_date,
        due_date=due_date,
        currency_id=currency,
        payment_reference=(payment_reference or "").strip()[:40],
        purchase_order_id=purchase_order_id,
        purchase_order_number=(purchase_order_number or "")[:40],
        source_event=event_id,
        match_state=SupplierBill.Match.EXCEPTION if problems else SupplierBill.Match.MATCHED,
        match_problems=problems,
    )
    built = _bill_lines(bill, lines)
    _set_totals(bill, built)
    _save_new(bill)
    SupplierBillLine.objects.bulk_create(built)
    audit_record(
        actor=actor,
        instance=bill,
        action=AuditEntry.Action.CREATE,
        message=_("From the goods receipt of purchase order %(order)s") % {"order": bill.purchase_order_number},
    )
    return bill


# --- payment runs -----------------------------------------------------------------------------------------------


@transaction.atomic
def payment_run_create(*, actor: User | None, payment_date: date, due_by: date | None = None) -> PaymentRun:
    """A draft run paying, in full, every approved bill that is due by `due_by` (the payment date when left out)
    and not already in another draft run."""
    due_by = due_by or payment_date
    bills = list(bill_selectors.bills_to_pay(due_by=due_by).select_for_update(of=("self",)))
    # A run drafted at the same moment may have taken some of them while this one waited for their locks.
    taken = set(
        PaymentRunItem.objects.filter(bill__in=bills, run__state=PaymentRun.State.DRAFT).values_list(
            "bill_id", flat=True
        )
    )
    bills = [bill for bill in bills if bill.pk not in taken]
    if not bills:
        raise ServiceError({"due_by": _("No approved bill is due by %(day)s.") % {"day": due_by}})
    run = PaymentRun.objects.create(
        payment_date=payment_date, created_by=actor if actor and actor.is_authenticated else None
    )
    PaymentRunItem.objects.bulk_create(PaymentRunItem(run=run, bill=bill, amount=bill.amount_due) for bill in bills)
    audit_record(
        actor=actor,
        instance=run,
        action=AuditEntry.Action.CREATE,
        message=ngettext("%(count)s bill due by %(day)s", "%(count)s bills due by %(day)s", len(bills))
        % {"count": len(bills), "day": due_by},
    )
    return run


def _draft(run: PaymentRun) -> PaymentRun:
    run = lock_run(run.pk)
    if run.state != PaymentRun.State.DRAFT:
        raise ServiceError(_("This payment run is confirmed: it can no longer change."))
    return run


@transaction.atomic
def payment_run_add_item(
    *, actor: User | None, run: PaymentRun, bill: SupplierBill, amount: Decimal | None = None
) -> PaymentRunItem:
    """Put one more approved bill in a draft run (its whole amount due unless a part is given)."""
    run = _draft(run)
    bill = lock_bill(bill.pk)
    if bill.state != SupplierBill.State.APPROVED or bill.amount_due <= 0:
        raise ServiceError({"bill": _("Only an approved bill with something left to pay can be paid.")})
    if PaymentRunItem.objects.filter(bill=bill, run__state=PaymentRun.State.DRAFT).exists():
        raise ServiceError({"bill": _("Bill %(bill)s is already in a payment run.") % {"bill": bill}})
    amount = bill.amount_due if amount is None else Decimal(amount)
    if amount <= 0 or amount > bill.amount_due or amount != amount.quantize(services.CENT):
        raise ServiceError({"amount": _("Pay more than zero and at most %(due)s.") % {"due": bill.amount_due}})
    item = PaymentRunItem.objects.create(run=run, bill=bill, amount=amount)
    audit_record(
        actor=actor, instance=run, action=AuditEntry.Action.UPDATE, message=_("Added %(bill)s") % {"bill": bill}
    )
    return item


@transaction.atomic
def payment_run_remove_item(*, actor: User | None, run: PaymentRun, item: PaymentRunItem) -> PaymentRun:
    """Take a bill out of a draft run; it stays approved and is picked by a later run."""
    run = _draft(run)
    item = PaymentRunItem.objects.select_related("bill").filter(pk=item.pk, run=run).first()
    if item is None:
        raise ServiceError(_("That bill is not in this payment run."))
    bill = item.bill
    item.delete()
    audit_record(
        actor=actor, instance=run, action=AuditEntry.Action.UPDATE, message=_("Removed %(bill)s") % {"bill": bill}
    )
    return run


def booked_payables(bills: Sequence[SupplierBill]) -> dict[int, Decimal]:
    """The payable in SEK that approving each bill credited to 2440 (from its purchase entry)."""
    entries = {bill.entry_id: bill.pk for bill in bills if bill.entry_id}
    rows = (
        JournalLine.objects.filter(entry_id__in=entries, account__code=PAYABLE_ACCOUNT)
        .values("entry_id")
        .annotate(amount=Sum("credit"))
    )
    return {entries[row["entry_id"]]: row["amount"] for row in rows}


@dataclass(frozen=True)
class RunPosting:
    lines: list[services.Line]
    paid: Decimal  # what left the bank, in SEK


def payment_run_posting_lines(run: PaymentRun, items: Sequence[PaymentRunItem]) -> RunPosting:
    """The bank entry of a run: each bill's payable cleared at the bill's own rate, the bank credited at the payment
    date's rate (one line per currency), the difference an exchange gain (3960) or loss (7960)."""
    base = selectors.base_currency()
    codes = {PAYABLE_ACCOUNT, BANK_ACCOUNT, EXCHANGE_GAIN_ACCOUNT, EXCHANGE_LOSS_ACCOUNT}
    accounts = {account.code: account for account in Account.objects.filter(code__in=codes)}
    booked = booked_payables([item.bill for item in items])
    lines: list[services.Line] = []
    per_currency: dict[str, Decimal] = {}
    for item in items:
        bill = item.bill
        foreign = bill.currency_id != base

        def cleared_by(paid: Decimal, bill: SupplierBill = bill) -> Decimal:
            # What paying `paid` of the bill clears of its payable in SEK: in full, exactly what approval booked
            # (each of its lines was rounded on its own); in part, the part at the bill's rate.
            return booked.get(bill.pk, ZERO) if paid >= bill.total else invoicing.to_base(paid, bill.exchange_rate)

        lines.append(
            services.Line(
                account=accounts[PAYABLE_ACCOUNT],
                debit=cleared_by(bill.amount_paid + item.amount) - cleared_by(bill.amount_paid),
                partner=bill.supplier,
                description=f"{bill.number} {bill.supplier_reference}"[:200],
                currency=bill.currency_id if foreign else "",
                amount_currency=item.amount if foreign else None,
            )
        )
        per_currency[bill.currency_id] = per_currency.get(bill.currency_id, ZERO) + item.amount
    paid = ZERO
    for currency, amount in sorted(per_currency.items()):
        rate = selectors.exchange_rate_for(currency=currency, day=run.payment_date)
        sek = invoicing.to_base(amount, rate)
        paid += sek
        foreign = currency != base
        lines.append(
            services.Line(
                account=accounts[BANK_ACCOUNT],
                credit=sek,
                description=_("Payment run %(day)s") % {"day": run.payment_date},
                currency=currency if foreign else "",
                amount_currency=-amount if foreign else None,
            )
        )
    cleared = sum((line.debit for line in lines), ZERO)
    difference = cleared - paid
    if difference > 0:
        lines.append(
            services.Line(account=accounts[EXCHANGE_GAIN_ACCOUNT], credit=difference, description=_("Exchange gain"))
        )
    elif difference < 0:
        lines.append(
            services.Line(account=accounts[EXCHANGE_LOSS_ACCOUNT], debit=-difference, description=_("Exchange loss"))
        )
    return RunPosting(lines=[line for line in lines if line.debit or line.credit], paid=paid)


@transaction.atomic
def payment_run_confirm(*, actor: User | None, run: PaymentRun) -> PaymentRun:
    """The bank has the run: book it as one bank entry, mark what each bill has been paid, and freeze the run."""
    run = _draft(run)
    items = list(run.items.select_related("bill").order_by("pk"))
    if not items:
        raise ServiceError(_("The payment run has no bills to pay."))
    bills = {bill.pk: bill for bill in (lock_bill(item.bill_id) for item in sorted(items, key=lambda i: i.bill_id))}
    for item in items:
        item.bill = bills[item.bill_id]
        if item.bill.state != SupplierBill.State.APPROVED or item.amount > item.bill.amount_due:
            raise ServiceError(
                _("Bill %(bill)s no longer has %(amount)s to pay: remove it from the run.")
                % {"bill": item.bill, "amount": item.amount}
            )
    posting = payment_run_posting_lines(run, items)
    run.entry = None  # a run of less than an öre in SEK books nothing
    if posting.lines:
        run.entry = services.entry_record(
            actor=actor,
            journal=Journal.objects.get(code="BANK"),
            date=run.payment_date,
            description=ngettext(
                "Supplier payments %(day)s (%(count)s bill)", "Supplier payments %(day)s (%(count)s bills)", len(items)
            )
            % {"day": run.payment_date, "count": len(items)},
            reference=_("Payment run %(id)s") % {"id": run.pk},
            lines=posting.lines,
        )
    for item in items:
        bill = item.bill
        bill.amount_paid += item.amount
        if bill.amount_paid == bill.total:
            bill.state = SupplierBill.State.PAID
        bill.save(update_fields=["amount_paid", "state"])
        audit_record(
            actor=actor,
            instance=bill,
            action=AuditEntry.Action.ACTION,
            message=_("Paid %(amount)s %(currency)s in the payment run of %(day)s")
            % {"amount": item.amount, "currency": bill.currency_id, "day": run.payment_date},
        )
    run.total = posting.paid
    run.state = PaymentRun.State.CONFIRMED
    run.confirmed_at = timezone.now()
    run.save(update_fields=["entry", "total", "state", "confirmed_at"])
    audit_record(actor=actor, instance=run, action=AuditEntry.Action.ACTION, message=_("Confirmed"))
    return run
