"""Every write of the ledger: draft entries, posting (gapless number, hash chain), reversal."""

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.finance import invoicing, selectors
from backoffice.finance.models import (
    ZERO,
    Account,
    CustomerBillingPolicy,
    ExchangeRate,
    FiscalYear,
    Invoice,
    InvoiceLine,
    Journal,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    NumberSeries,
)
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.catalog.models import Currency
from core.exceptions import ServiceError
from core.parties.models import Address, Organization
from integration.bus import publish

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One line to book: an account and either a debit or a credit (positive, in the ledger currency)."""

    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    partner: Organization | None = None
    description: str = ""
    currency: str = ""
    amount_currency: Decimal | None = None


def _clean_lines(lines: Iterable[Line]) -> list[Line]:
    lines = list(lines)
    if len(lines) < 2:
        raise ServiceError({"lines": _("An entry needs at least two lines.")})
    for number, line in enumerate(lines, start=1):
        debit, credit = Decimal(line.debit or 0), Decimal(line.credit or 0)
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            raise ServiceError(
                {
                    "lines": _("Line %(number)d: give a positive debit or a positive credit, not both.")
                    % {"number": number}
                }
            )
        if debit != debit.quantize(CENT) or credit != credit.quantize(CENT):
            raise ServiceError({"lines": _("Line %(number)d: amounts have at most two decimals.") % {"number": number}})
        if not line.account.is_active:
            raise ServiceError({"lines": _("Account %(account)s is closed.") % {"account": line.account}})
    debits = sum((Decimal(line.debit or 0) for line in lines), ZERO)
    credits = sum((Decimal(line.credit or 0) for line in lines), ZERO)
    if debits != credits:
        raise ServiceError(
            {
                "lines": _("Debits (%(debit)s) and credits (%(credit)s) must be equal.")
                % {"debit": debits, "credit": credits}
            }
        )
    return lines


@transaction.atomic
def entry_create(
    *,
    actor: User | None,
    journal: Journal,
    date: date,
    description: str,
    lines: Iterable[Line],
    reference: str = "",
    reversal_of: JournalEntry | None = None,
) -> JournalEntry:
    """A draft entry with balanced lines; nothing is in the books until it is posted."""
    description = (description or "").strip()
    if not description:
        raise ServiceError({"description": _("Say what the entry is for.")})
    lines = _clean_lines(lines)
    entry = JournalEntry.objects.create(
        journal=journal,
        date=date,
        description=description[:200],
        reference=(reference or "")[:60],
        reversal_of=reversal_of,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    JournalLine.objects.bulk_create(
        JournalLine(
            entry=entry,
            account=line.account,
            debit=Decimal(line.debit or 0),
            credit=Decimal(line.credit or 0),
            partner=line.partner,
            description=(line.description or "")[:200],
            currency=line.currency,
            amount_currency=line.amount_currency,
        )
        for line in lines
    )
    audit_record(actor=actor, instance=entry, action=AuditEntry.Action.CREATE)
    return entry


def _check_date(day: date) -> None:
    settings_row = LedgerSettings.objects.get_or_create(pk=1)[0]
    if settings_row.lock_date and day <= settings_row.lock_date:
        raise ServiceError(
            {"date": _("The books are locked up to %(day)s: choose a later date.") % {"day": settings_row.lock_date}}
        )
    year = FiscalYear.objects.filter(start__lte=day, end__gte=day).first()
    if year is None:
        raise ServiceError({"date": _("No fiscal year covers %(day)s.") % {"day": day}})
    if year.is_closed:
        raise ServiceError({"date": _("Fiscal year %(year)s is closed.") % {"year": year.name}})


def next_number(key: str, year: int) -> int:
    """The next number of a series, without gaps: the series row stays locked until the caller's transaction ends,
    so a second poster waits, and a rollback gives the number back."""
    series, _created = NumberSeries.objects.select_for_update().get_or_create(key=key, year=year)
    series.last += 1
    series.save(update_fields=["last"])
    return series.last


def entry_hash(entry: JournalEntry, lines: Iterable[JournalLine], previous_hash: str) -> str:
    """sha256 over what the entry says and the hash before it: change any of it and every later hash breaks."""
    parts = [
        previous_hash,
        entry.journal.code,
        entry.number,
        entry.date.isoformat(),
        entry.description,
        entry.reference,
        str(entry.reversal_of_id or ""),
    ]
    for line in sorted(lines, key=lambda line: line.pk):
        parts.append(
            "|".join(
                [
                    str(line.account_id),
                    f"{line.debit:.2f}",
                    f"{line.credit:.2f}",
                    str(line.partner_id or ""),
                    line.description,
                    line.currency,
                    "" if line.amount_currency is None else f"{line.amount_currency:.2f}",
                ]
            )
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@transaction.atomic
def entry_post(*, actor: User | None, entry: JournalEntry) -> JournalEntry:
    """Put a draft in the books: check its date, give it the next number of its journal and year, chain its hash."""
    journal = Journal.objects.select_for_update().get(pk=entry.journal_id)  # one poster per journal: a clean chain
    entry = JournalEntry.objects.select_for_update().select_related("journal").get(pk=entry.pk)
    if entry.is_posted:
        raise ServiceError(_("Entry %(number)s is already posted.") % {"number": entry.number})
    lines = list(entry.lines.all())
    _clean_lines(
        Line(account=line.account, debit=line.debit, credit=line.credit)
        for line in entry.lines.select_related("account")
    )
    _check_date(entry.date)
    last = (
        JournalEntry.objects.filter(journal=journal, chain_position__isnull=False)
        .order_by("-chain_position")
        .values("chain_position", "hash")
        .first()
    )
    entry.number = f"{journal.code}-{entry.date.year}-{next_number(f'journal:{journal.code}', entry.date.year):05d}"
    entry.chain_position = (last["chain_position"] + 1) if last else 1
    entry.previous_hash = last["hash"] if last else ""
    entry.hash = entry_hash(entry, lines, entry.previous_hash)
    entry.state = JournalEntry.State.POSTED
    entry.posted_at = timezone.now()
    entry.posted_by = actor if actor and actor.is_authenticated else None
    entry.save(update_fields=["number", "chain_position", "previous_hash", "hash", "state", "posted_at", "posted_by"])
    audit_record(actor=actor, instance=entry, action=AuditEntry.Action.ACTION, message=_("Posted"))
    return entry


def entry_record(
    *,
    actor: User | None,
    journal: Journal,
    date: date,
    description: str,
    lines: Iterable[Line],
    reference: str = "",
) -> JournalEntry:
    """Create and post in one step: what invoices, payments and other services book."""
    with transaction.atomic():
        entry = entry_create(
            actor=actor, journal=journal, date=date, description=description, lines=lines, reference=reference
        )
        return entry_post(actor=actor, entry=entry)


@transaction.atomic
def entry_reverse(
    *, actor: User | None, entry: JournalEntry, date: date | None = None, reason: str = ""
) -> JournalEntry:
    """Correct a posted entry the only way the books allow: a new, posted entry with every line turned around."""
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if not entry.is_posted:
        raise ServiceError(_("Only a posted entry is reversed; a draft can simply be changed or deleted."))
    if entry.reversal_of_id:
        raise ServiceError(_("This entry is itself a reversal; post a new entry instead."))
    if JournalEntry.objects.filter(reversal_of=entry).exists():
        raise ServiceError(_("Entry %(number)s is already reversed.") % {"number": entry.number})
    lines = [
        Line(
            account=line.account,
            debit=line.credit,
            credit=line.debit,
            partner=line.partner,
            description=line.description,
            currency=line.currency,
            amount_currency=-line.amount_currency if line.amount_currency is not None else None,
        )
        for line in entry.lines.select_related("account", "partner")
    ]
    text = _("Reversal of %(number)s") % {"number": entry.number}
    reversal = entry_create(
        actor=actor,
        journal=entry.journal,
        date=date or timezone.localdate(),
        description=f"{text}: {reason}" if reason else text,
        lines=lines,
        reference=entry.number,
        reversal_of=entry,
    )
    return entry_post(actor=actor, entry=reversal)


@transaction.atomic
def entry_delete_draft(*, actor: User | None, entry: JournalEntry) -> None:
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.is_posted:
        raise ServiceError(_("A posted entry is never deleted; reverse it."))
    audit_record(actor=actor, instance=entry, action=AuditEntry.Action.DELETE)
    entry.delete()


@transaction.atomic
def lock_date_set(*, actor: User, lock_date: date | None) -> LedgerSettings:
    row = LedgerSettings.objects.select_for_update().get_or_create(pk=1)[0]
    if row.lock_date and lock_date and lock_date < row.lock_date:
        raise ServiceError({"lock_date": _("The lock date only moves forward.")})
    if row.lock_date and lock_date is None:
        raise ServiceError({"lock_date": _("The lock date only moves forward; it cannot be removed.")})
    old = row.lock_date
    row.lock_date = lock_date
    row.save(update_fields=["lock_date"])
    audit_record(
        actor=actor,
        instance=row,
        action=AuditEntry.Action.UPDATE,
        changes={"lock_date": [str(old or ""), str(lock_date or "")]},
    )
    return row


# --- customer invoices ---------------------------------------------------------------------------------------

INVOICE_SERIES = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "K"}


@dataclass(frozen=True)
class InvoiceLineInput:
    """A line to invoice. An order's lines bring their rounded net and VAT; a line without them is priced here."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_percent: Decimal = Decimal(0)
    net_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    sku: str = ""
    order_line_id: int | None = None
    # An income account other than the rate's sales account (a reminder fee, late-payment interest).
    account_code: str = ""


def lock_invoice(pk: int) -> Invoice:
    return Invoice.objects.select_for_update(of=("self",)).select_related("organization").get(pk=pk)


@transaction.atomic
def exchange_rate_set(*, actor: User | None, currency: str, date: date, rate: Decimal) -> ExchangeRate:
    """Record what one unit of `currency` cost in SEK on `date` (replacing that day's rate)."""
    if Decimal(rate) <= 0:
        raise ServiceError({"rate": _("A rate must be more than zero.")})
    if currency == selectors.base_currency():
        raise ServiceError({"currency": _("The ledger's own currency has no exchange rate.")})
    row, created = ExchangeRate.objects.update_or_create(
        currency_id=currency, date=date, defaults={"rate": Decimal(rate)}
    )
    audit_record(actor=actor, instance=row, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE)
    return row


@transaction.atomic
def billing_policy_set(*, actor: User | None, organization: Organization, invoice_on: str) -> CustomerBillingPolicy:
    """Say when a customer is invoiced for its orders: on confirmation or on delivery."""
    if invoice_on not in CustomerBillingPolicy.InvoiceOn.values:
        raise ServiceError({"invoice_on": _("Choose order or delivery.")})
    policy, created = CustomerBillingPolicy.objects.update_or_create(
        organization=organization, defaults={"invoice_on": invoice_on}
    )
    audit_record(actor=actor, instance=policy, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE)
    return policy


def _billing_address(organization: Organization) -> dict[str, str] | None:
    addresses = organization.addresses.order_by("-is_default", "pk")
    address = addresses.filter(kind=Address.Kind.BILLING).first() or addresses.first()
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def _invoice_lines(invoice: Invoice, lines: list[InvoiceLineInput]) -> list[InvoiceLine]:
    wanted = set(invoicing.SALES_ACCOUNTS.values()) | {line.account_code for line in lines if line.account_code}
    accounts = {
        account.code: account
        for account in Account.objects.filter(code__in=wanted, kind=Account.Kind.INCOME, is_active=True)
    }
    built = []
    for position, line in enumerate(lines, start=1):
        if (
            Decimal(line.quantity) <= 0
            or Decimal(line.unit_price) < 0
            or not 0 <= Decimal(line.discount_percent) <= 100
        ):
            raise ServiceError(
                {
                    "lines": _(
                        "Line %(line)s: the quantity must be more than zero, the price not negative "
                        "and the discount between 0 and 100 %%."
                    )
                    % {"line": position}
                }
            )
        try:
            account = accounts[line.account_code or invoicing.sales_account_code(line.tax_rate)]
        except KeyError:
            raise ServiceError(
                {
                    "lines": _("Line %(line)s: %(account)s is not an income account.")
                    % {"line": position, "account": line.account_code}
                }
            ) from None
        except invoicing.UnknownTaxRate:
            raise ServiceError(
                {
                    "lines": _("Line %(line)s: no sales account for VAT %(rate)s %%.")
                    % {"line": position, "rate": line.tax_rate}
                }
            ) from None
        if line.net_amount is None or line.tax_amount is None:
            amounts = invoicing.line_amounts(
                quantity=Decimal(line.quantity),
                unit_price=Decimal(line.unit_price),
                tax_rate=Decimal(line.tax_rate),
                discount_percent=Decimal(line.discount_percent),
            )
            net, tax = amounts.net, amounts.tax
        else:
            net, tax = Decimal(line.net_amount), Decimal(line.tax_amount)
            if net < 0 or tax < 0:
                raise ServiceError({"lines": _("Line %(line)s: amounts are not negative.") % {"line": position}})
        built.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                order_line_id=line.order_line_id,
                sku=(line.sku or "")[:64],
                description=(line.description or "")[:300] or "—",
                quantity=Decimal(line.quantity),
                unit_price=Decimal(line.unit_price),
                discount_percent=Decimal(line.discount_percent),
                tax_rate=Decimal(line.tax_rate),
                net_amount=net,
                tax_amount=tax,
                account=account,
            )
        )
    return built


@transaction.atomic
def invoice_create(
    *,
    actor: User | None,
    organization: Organization,
    lines: list[InvoiceLineInput],
    currency: str = "SEK",
    payment_terms_days: int = 30,
    tax_rounding: str = Invoice.TaxRounding.TOTAL,
    customer_reference: str = "",
    customer_vat_number: str = "",
    delivery_address: dict[str, str] | None = None,
    order_id: int | None = None,
    order_number: str = "",
    source_event: uuid.UUID | str | None = None,
    expected_totals: tuple[Decimal, Decimal, Decimal] | None = None,
) -> Invoice:
    """A draft invoice with its lines and totals; nothing is in the books until it is issued.

    `expected_totals` (net, VAT, total) are what the order says it costs: if the lines do not add up to them
    the invoice is refused rather than billing another amount than the customer agreed to.
    """
    if not lines:
        raise ServiceError({"lines": _("An invoice needs at least one line.")})
    if not Currency.objects.filter(pk=currency, is_active=True).exists():
        raise ServiceError({"currency": _("%(currency)s is not a currency in use.") % {"currency": currency}})
    if tax_rounding not in Invoice.TaxRounding.values:
        raise ServiceError({"tax_rounding": _("Unknown VAT rounding.")})
    invoice = Invoice(
        organization=organization,
        customer_name=organization.name,
        customer_vat_number=customer_vat_number or organization.vat_number,
        delivery_address=delivery_address,
        order_id=order_id,
        order_number=order_number[:40],
        customer_reference=customer_reference[:100],
        source_event=source_event,
        currency_id=currency,
        tax_rounding=tax_rounding,
        payment_terms_days=payment_terms_days,
    )
    built = _invoice_lines(invoice, lines)
    totals = invoicing.totals(
        ((line.tax_rate, line.net_amount, line.tax_amount) for line in built), rounding=tax_rounding
    )
    if expected_totals is not None and (totals.subtotal, totals.tax, totals.total) != tuple(
        Decimal(amount) for amount in expected_totals
    ):
        raise ServiceError(
            _("The lines come to %(net)s + %(tax)s VAT = %(total)s, not what the order says (%(expected)s).")
            % {
                "net": totals.subtotal,
                "tax": totals.tax,
                "total": totals.total,
                "expected": " / ".join(str(amount) for amount in expected_totals),
            }
        )
    invoice.subtotal, invoice.tax_total, invoice.total = totals.subtotal, totals.tax, totals.total
    invoice.save()
    InvoiceLine.objects.bulk_create(built)
    audit_record(actor=actor, instance=invoice, action=AuditEntry.Action.CREATE)
    return invoice


@transaction.atomic
def invoice_issue(*, actor: User | None, invoice: Invoice, invoice_date: date | None = None) -> Invoice:
    """Give a draft its number (gapless per series and year) and OCR reference, post it to the sales journal at
    the exchange rate of its date, tell the others, and e-mail it to the customer once all of that is committed."""
    invoice = lock_invoice(invoice.pk)
    if invoice.state != Invoice.State.DRAFT:
        raise ServiceError(_("Only a draft invoice can be issued."))
    lines = list(invoice.lines.all())
    if not lines:
        raise ServiceError({"lines": _("An invoice needs at least one line.")})
    day = invoice_date or timezone.localdate()
    base = selectors.base_currency()
    if invoice.is_credit_note:
        # A credit note undoes its invoice to the öre: it books at the invoice's own rate.
        rate = Invoice.objects.values_list("exchange_rate", flat=True).get(pk=invoice.credited_invoice_id)
    else:
        rate = selectors.exchange_rate_for(currency=invoice.currency_id, day=day)
    _check_date(day)
    series = INVOICE_SERIES[invoice.kind]
    sequence = next_number(f"invoice:{series}", day.year)
    invoice.number = f"{series}-{day.year}-{sequence:05d}"
    invoice.ocr = invoicing.ocr_reference(series=series, year=day.year, sequence=sequence)
    invoice.invoice_date = day
    invoice.due_date = day if invoice.is_credit_note else day + timedelta(days=invoice.payment_terms_days)
    invoice.exchange_rate = rate
    invoice.customer_name = invoice.organization.name
    invoice.billing_address = _billing_address(invoice.organization)
    totals = invoicing.totals(
        ((line.tax_rate, line.net_amount, line.tax_amount) for line in lines), rounding=invoice.tax_rounding
    )
    if totals.total != invoice.total:
        raise ServiceError(_("The invoice's lines no longer add up to its total."))
    invoice.entry = _post_invoice(
        actor=actor, invoice=invoice, by_rate=totals.by_rate, foreign=invoice.currency_id != base
    )
    invoice.state = Invoice.State.ISSUED
    invoice.issued_at = timezone.now()
    invoice.issued_by = actor if actor and actor.is_authenticated else None
    invoice.save()
    audit_record(actor=actor, instance=invoice, action=AuditEntry.Action.ACTION, message=_("Issued"))
    _publish_issued(invoice)
    invoice_id = invoice.pk
    transaction.on_commit(lambda: _queue_invoice_mail(invoice_id), robust=True)
    return invoice


def _post_invoice(
    *, actor: User | None, invoice: Invoice, by_rate: list[invoicing.RateTotal], foreign: bool
) -> JournalEntry | None:
    net_accounts: dict[Decimal, dict[str, Decimal]] = {}
    for line in invoice.lines.select_related("account"):
        split = net_accounts.setdefault(invoicing.rate_key(line.tax_rate), {})
        split[line.account.code] = split.get(line.account.code, ZERO) + line.net_amount
    plan = invoicing.posting_lines(
        by_rate,
        exchange_rate=invoice.exchange_rate,
        foreign=foreign,
        credit=invoice.is_credit_note,
        net_accounts=net_accounts,
    )
    if len(plan) < 2:
        if invoice.total:
            raise ServiceError(_("The invoice comes to less than an öre in SEK: there is nothing to book."))
        return None  # an invoice of nothing books nothing
    accounts = {
        account.code: account for account in Account.objects.filter(code__in={line.account_code for line in plan})
    }
    if invoice.is_credit_note:
        text = _("Credit note %(number)s to %(customer)s (credits %(invoice)s)") % {
            "number": invoice.number,
            "customer": invoice.customer_name,
            "invoice": invoice.credited_invoice.number,
        }
    else:
        text = _("Invoice %(number)s to %(customer)s") % {"number": invoice.number, "customer": invoice.customer_name}
    return entry_record(
        actor=actor,
        journal=Journal.objects.get(code="SALE"),
        date=invoice.invoice_date,
        description=text,
        reference=invoice.number,
        lines=[
            Line(
                account=accounts[line.account_code],
                debit=line.debit,
                credit=line.credit,
                partner=invoice.organization,
                description=invoice.number,
                currency=invoice.currency_id if foreign else "",
                amount_currency=line.amount_currency,
            )
            for line in plan
        ],
    )


def _publish_issued(invoice: Invoice) -> None:
    if invoice.is_credit_note:
        credited = invoice.credited_invoice
        publish(
            "finance.credit_note_issued",
            {
                "credit_note_id": invoice.pk,
                "credit_note_number": invoice.number,
                "invoice_id": credited.pk,
                "invoice_number": credited.number,
                "organization_id": invoice.organization_id,
                "currency": invoice.currency_id,
                "total": invoice.total,
                "order_id": invoice.order_id,
                "order_number": invoice.order_number,
                "reason": invoice.reason,
            },
            aggregate=credited,
        )
        return
    publish(
        "finance.invoice_issued",
        {
            "invoice_id": invoice.pk,
            "invoice_number": invoice.number,
            "organization_id": invoice.organization_id,
            "currency": invoice.currency_id,
            "total": invoice.total,
            "due_date": invoice.due_date,
            "order_id": invoice.order_id,
            "order_number": invoice.order_number,
        },
        aggregate=invoice,
    )


def _queue_invoice_mail(invoice_id: int) -> None:
    from backoffice.finance.tasks import send_invoice

    send_invoice.delay(invoice_id=invoice_id)


def invoice_mark_sent(*, invoice_id: int) -> None:
    """The invoice's e-mail went out (stamped once: a resend keeps the first time)."""
    Invoice.objects.filter(pk=invoice_id, sent_at__isnull=True).update(sent_at=timezone.now())


@transaction.atomic
def invoice_cancel(*, actor: User | None, invoice: Invoice, reason: str = "") -> Invoice:
    """Drop a draft that will never be issued; it keeps no number, so the series has no gap."""
    invoice = lock_invoice(invoice.pk)
    if invoice.state != Invoice.State.DRAFT:
        raise ServiceError(_("Only a draft is cancelled; an issued invoice is credited."))
    invoice.state = Invoice.State.CANCELLED
    invoice.cancelled_at = timezone.now()
    invoice.reason = reason.strip()[:200]
    invoice.save(update_fields=["state", "cancelled_at", "reason", "updated_at"])
    audit_record(
        actor=actor,
        instance=invoice,
        action=AuditEntry.Action.ACTION,
        message=_("Cancelled: %(reason)s") % {"reason": invoice.reason or "—"},
    )
    return invoice


@transaction.atomic
def invoice_credit(
    *,
    actor: User | None,
    invoice: Invoice,
    reason: str,
    credit_date: date | None = None,
    source_event: uuid.UUID | str | None = None,
) -> Invoice:
    """Credit an issued invoice in full: a credit note with the same lines, issued and posted with every line of
    the invoice's entry turned around (at the invoice's rate), so the customer owes nothing more for it."""
    invoice = lock_invoice(invoice.pk)
    if invoice.is_credit_note or invoice.state not in {Invoice.State.ISSUED, Invoice.State.PAID}:
        raise ServiceError(_("Only an issued invoice can be credited."))
    if invoice.amount_credited:
        raise ServiceError(_("Invoice %(number)s is already credited.") % {"number": invoice.number})
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        credited_invoice=invoice,
        organization=invoice.organization,
        customer_name=invoice.customer_name,
        customer_vat_number=invoice.customer_vat_number,
        delivery_address=invoice.delivery_address,
        order_id=invoice.order_id,
        order_number=invoice.order_number,
        customer_reference=invoice.customer_reference,
        source_event=source_event,
        currency_id=invoice.currency_id,
        exchange_rate=invoice.exchange_rate,
        tax_rounding=invoice.tax_rounding,
        payment_terms_days=0,
        subtotal=invoice.subtotal,
        tax_total=invoice.tax_total,
        total=invoice.total,
        reason=(reason or "").strip()[:200],
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            position=line.position,
            order_line_id=line.order_line_id,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
            account=line.account,
        )
        for line in invoice.lines.all()
    )
    audit_record(
        actor=actor,
        instance=note,
        action=AuditEntry.Action.CREATE,
        message=_("Credits %(number)s") % {"number": invoice.number},
    )
    note = invoice_issue(
        actor=actor, invoice=note, invoice_date=max(credit_date or timezone.localdate(), invoice.invoice_date)
    )
    invoice.amount_credited = invoice.total
    invoice.save(update_fields=["amount_credited", "updated_at"])
    audit_record(
        actor=actor,
        instance=invoice,
        action=AuditEntry.Action.ACTION,
        message=_("Credited by %(number)s") % {"number": note.number},
    )
    return note


# --- what finance does when sales and logistics report -----------------------------------------------------


@transaction.atomic
def invoice_create_for_order(
    *,
    actor: User | None,
    event_id: uuid.UUID | str,
    order_id: int,
    order_number: str,
    organization_id: int,
    currency: str,
    payment_terms_days: int,
    tax_rounding: str,
    order_date: date,
    lines: list[InvoiceLineInput],
    totals: tuple[Decimal, Decimal, Decimal],
    customer_reference: str = "",
    customer_vat_number: str = "",
    delivery_address: dict[str, str] | None = None,
) -> Invoice:
    """Bill a confirmed order: a draft with the order's lines, issued at once when the customer is invoiced on
    order (else it waits for the delivery). A second event about the same order finds the invoice it made."""
    existing = Invoice.objects.filter(
        Q(source_event=event_id) | Q(kind=Invoice.Kind.INVOICE, order_id=order_id)
    ).first()
    if existing is not None:
        return existing
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise ServiceError(
            _("Order %(order)s: customer %(id)s does not exist.") % {"order": order_number, "id": organization_id}
        )
    invoice = invoice_create(
        actor=actor,
        organization=organization,
        lines=lines,
        currency=currency,
        payment_terms_days=payment_terms_days,
        tax_rounding=tax_rounding,
        customer_reference=customer_reference,
        customer_vat_number=customer_vat_number,
        delivery_address=delivery_address,
        order_id=order_id,
        order_number=order_number,
        source_event=event_id,
        expected_totals=totals,
    )
    if selectors.billing_policy_for(organization_id=organization.pk) == CustomerBillingPolicy.InvoiceOn.ORDER:
        invoice = invoice_issue(actor=actor, invoice=invoice, invoice_date=order_date)
    return invoice


@transaction.atomic
def invoice_issue_for_delivery(*, actor: User | None, order_id: int, delivered_on: date) -> Invoice | None:
    """An order was delivered: issue its invoice if it was waiting for that. Finance must have heard of the
    order; if not (its confirmation is still on its way, or failed), raise so that the delivery is retried."""
    invoice = selectors.invoice_for_order(order_id=order_id)
    if invoice is None:
        raise ServiceError(_("Order %(id)s was delivered, but finance has no invoice for it yet.") % {"id": order_id})
    invoice = lock_invoice(invoice.pk)  # two deliveries reported at once: the second waits, then finds it issued
    if invoice.state != Invoice.State.DRAFT:
        return invoice  # invoiced on order, cancelled, or this delivery was already handled
    return invoice_issue(actor=actor, invoice=invoice, invoice_date=delivered_on)


@transaction.atomic
def invoice_cancel_for_order(
    *, actor: User | None, event_id: uuid.UUID | str, order_id: int, reason: str, cancelled_on: date
) -> Invoice | None:
    """A confirmed order was cancelled: drop its draft invoice, or credit the issued one in full (once)."""
    invoice = selectors.invoice_for_order(order_id=order_id)
    if invoice is None:
        return None  # finance never billed it
    invoice = lock_invoice(invoice.pk)
    if invoice.state == Invoice.State.DRAFT:
        return invoice_cancel(actor=actor, invoice=invoice, reason=reason)
    if invoice.state == Invoice.State.CANCELLED or invoice.amount_credited:
        return invoice.credit_notes.first() or invoice  # already done
    return invoice_credit(actor=actor, invoice=invoice, reason=reason, credit_date=cancelled_on, source_event=event_id)
