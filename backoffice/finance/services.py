"""Every write of the ledger: draft entries, posting (gapless number, hash chain), reversal."""

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.finance import bankfiles, invoicing, selectors
from backoffice.finance.models import (
    ZERO,
    Account,
    BankStatement,
    BankStatementLine,
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
    Payment,
    PaymentAllocation,
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


def _check_date(day: date, settings_row: LedgerSettings | None = None) -> None:
    settings_row = settings_row or LedgerSettings.objects.get_or_create(pk=1)[0]
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
    so a second poster waits, and a rollback gives the number back. One statement (the row is made on the year's
    first number; two first numbers at once meet on the unique index and the second one waits, then counts on)."""
    table = NumberSeries._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, year, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (key, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [key, year],
        )
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class JournalHead:
    """A journal locked for one posting: the entry's number in the journal's series for the year, where the chain
    stands (position 0 and no hash for an empty journal), and the number of a document booked with the entry."""

    journal: Journal
    year: int
    number: int
    position: int
    hash: str
    document_number: int | None = None


def journal_lock(journal: Journal | str, year: int, *, document_series: str = "") -> JournalHead:
    """Lock the journal (one poster at a time, so the chain stays clean), then in one statement take its next
    number for the year, read the chain's last position and hash, and, for a document numbered with its entry (an
    invoice), the next number of `document_series`. The rows stay locked until the transaction ends, so the
    numbers have no gaps and a rollback gives them back; every poster takes the journal first. The journal is given
    as a row or by its code."""
    journals = Journal.objects.select_for_update()
    journal = journals.get(code=journal) if isinstance(journal, str) else journals.get(pk=journal.pk)
    series = NumberSeries._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(  # a new statement, so it sees every entry committed before the lock was ours
            f"""
            WITH entry_number AS (
                INSERT INTO {series} (key, year, last) VALUES (%(entry_series)s, %(year)s, 1)
                ON CONFLICT (key, year) DO UPDATE SET last = {series}.last + 1 RETURNING last
            ), document_number AS (
                INSERT INTO {series} (key, year, last) SELECT %(document_series)s, %(year)s, 1
                WHERE %(document_series)s <> ''
                ON CONFLICT (key, year) DO UPDATE SET last = {series}.last + 1 RETURNING last
            )
            SELECT (SELECT last FROM entry_number), (SELECT last FROM document_number),
                   coalesce(head.chain_position, 0), coalesce(head.hash, '')
            FROM (SELECT 1) AS one LEFT JOIN LATERAL (
                SELECT chain_position, hash FROM {JournalEntry._meta.db_table}
                WHERE journal_id = %(journal)s AND chain_position IS NOT NULL
                ORDER BY chain_position DESC LIMIT 1
            ) AS head ON true
            """,
            {
                "entry_series": f"journal:{journal.code}",
                "document_series": document_series,
                "year": year,
                "journal": journal.pk,
            },
        )
        number, document_number, position, last_hash = cursor.fetchone()
    return JournalHead(journal, year, number, position, last_hash, document_number)


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
    lines = list(entry.lines.select_related("account"))
    _clean_lines(Line(account=line.account, debit=line.debit, credit=line.credit) for line in lines)
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
    entry.lines.update(posted_on=entry.date)  # still a draft: the lines may change, then never again
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
    ledger: LedgerSettings | None = None,
    date_checked: bool = False,
    audit: bool = True,
    head: JournalHead | None = None,
) -> JournalEntry:
    """Create and post in one step: what invoices, payments and other services book. The same rules and the
    same result as entry_create then entry_post, without reading back what was just written (the hot path of
    issuing invoices and booking payments). A caller that has checked the date in this transaction says so
    (`date_checked`), one that writes the audit row itself with its own (`audit=False`, see `_audit`), and one
    that locked the journal to number a document with the entry gives what it got (`head`, see journal_lock)."""
    description = (description or "").strip()
    if not description:
        raise ServiceError({"description": _("Say what the entry is for.")})
    lines = _clean_lines(lines)
    if not date_checked:
        _check_date(date, ledger)  # before the journal's lock: it reads only what posting cannot change
    # No savepoint of its own: every caller is a service in its own transaction (or savepoint) and lets an error
    # go, and two round trips fewer while the journal is locked count for every poster.
    with transaction.atomic(savepoint=False):
        if head is None:
            head = journal_lock(journal, date.year)
        elif (head.journal.pk, head.year) != (journal.pk, date.year):
            raise ValueError("The journal was locked for another journal or year.")
        journal = head.journal
        user = actor if actor and actor.is_authenticated else None
        entry = JournalEntry.objects.create(
            journal=journal,
            date=date,
            description=description[:200],
            reference=(reference or "")[:60],
            created_by=user,
        )
        rows = JournalLine.objects.bulk_create(
            JournalLine(
                entry=entry,
                account=line.account,
                debit=_cents(line.debit),
                credit=_cents(line.credit),
                partner=line.partner,
                description=(line.description or "")[:200],
                currency=line.currency,
                amount_currency=None if line.amount_currency is None else _cents(line.amount_currency),
                posted_on=date,  # in this transaction only: the entry is posted before anyone can see it
            )
            for line in lines
        )
        entry.number = f"{journal.code}-{date.year}-{head.number:05d}"
        entry.chain_position = head.position + 1
        entry.previous_hash = head.hash
        entry.hash = entry_hash(entry, rows, entry.previous_hash)
        entry.state = JournalEntry.State.POSTED
        entry.posted_at = timezone.now()
        entry.posted_by = user
        entry.save(
            update_fields=["number", "chain_position", "previous_hash", "hash", "state", "posted_at", "posted_by"]
        )
        if audit:
            audit_record(actor=actor, instance=entry, action=AuditEntry.Action.ACTION, message=_("Posted"))
        return entry


def _audit(actor: User | None, *records: tuple[models.Model, str]) -> None:
    """The rows audit_record writes (an action with a message), for several records in one INSERT."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=user,
            action=AuditEntry.Action.ACTION,
            content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
            object_id=str(instance.pk),
            object_repr=str(instance)[:200],
            changes={},
            message=message[:300],
        )
        for instance, message in records
    )


def _cents(amount) -> Decimal:
    """An amount as the database stores it (two decimals, half away from zero), so the hash is of what is kept."""
    return Decimal(amount or 0).quantize(CENT, rounding=ROUND_HALF_UP)


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
    """The billing address (the default one first), else any address: one query (a customer has a few)."""
    fields = ("line1", "line2", "postal_code", "city", "country")
    rows = organization.addresses.values_list("kind", "is_default", "pk", *fields)
    if not rows:
        return None
    best = min(rows, key=lambda row: (row[0] != Address.Kind.BILLING, not row[1], row[2]))
    return dict(zip(fields, best[3:], strict=True))


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
    the exchange rate of its date, tell the others, and e-mail it to the customer once all of that is committed.

    Everything that does not need the number is read and checked first. The number series and then the sales
    journal stay locked from the number to the commit (so numbers and the hash chain have no gaps), and every
    other issue waits for them: what is left after the number is only what has to say it."""
    invoice = lock_invoice(invoice.pk)
    if invoice.state != Invoice.State.DRAFT:
        raise ServiceError(_("Only a draft invoice can be issued."))
    lines = list(invoice.lines.select_related("account"))
    if not lines:
        raise ServiceError({"lines": _("An invoice needs at least one line.")})
    day = invoice_date or timezone.localdate()
    ledger = selectors.ledger_settings()
    base = ledger.base_currency
    if invoice.is_credit_note:
        # A credit note undoes its invoice to the öre: it books at the invoice's own rate.
        rate = Invoice.objects.values_list("exchange_rate", flat=True).get(pk=invoice.credited_invoice_id)
    else:
        rate = selectors.exchange_rate_for(currency=invoice.currency_id, day=day, base=base)
    _check_date(day, ledger)
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
    foreign = invoice.currency_id != base
    plan = _invoice_posting_plan(invoice=invoice, lines=lines, by_rate=totals.by_rate, foreign=foreign)
    if invoice.is_credit_note:
        _add_credit(invoice)
    # From here to the commit other issues wait: the sales journal is locked, and with it the series is numbered.
    series = INVOICE_SERIES[invoice.kind]
    if plan:
        head = journal_lock("SALE", day.year, document_series=f"invoice:{series}")
        sequence = head.document_number
    else:
        head, sequence = None, next_number(f"invoice:{series}", day.year)  # nothing to book: no journal
    invoice.number = f"{series}-{day.year}-{sequence:05d}"
    invoice.ocr = invoicing.ocr_reference(series=series, year=day.year, sequence=sequence)
    invoice.entry = (
        _post_invoice(actor=actor, invoice=invoice, head=head, plan=plan, foreign=foreign, ledger=ledger)
        if head
        else None
    )
    invoice.state = Invoice.State.ISSUED
    invoice.issued_at = timezone.now()
    invoice.issued_by = actor if actor and actor.is_authenticated else None
    invoice.save(update_fields=ISSUED_FIELDS)
    _audit(actor, *([(invoice.entry, _("Posted"))] if invoice.entry else []), (invoice, _("Issued")))
    _publish_issued(invoice)
    invoice_id = invoice.pk
    transaction.on_commit(lambda: _queue_invoice_mail(invoice_id), robust=True)
    _keep_loaded(invoice, lines)
    return invoice


def _keep_loaded(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    """Leave the lines issuing read on the invoice it returns, as a prefetch would (they never change again), so
    an answer about it need not read them again."""
    rows = invoice.lines.all()
    rows._result_cache, rows._prefetch_done = lines, True
    invoice._prefetched_objects_cache = {"lines": rows}


# What issuing writes on the invoice (the rest it only reads).
ISSUED_FIELDS = [
    "number",
    "ocr",
    "invoice_date",
    "due_date",
    "exchange_rate",
    "customer_name",
    "billing_address",
    "entry",
    "state",
    "issued_at",
    "issued_by",
    "updated_at",
]


def _add_credit(note: Invoice) -> None:
    """A credit note lowers what its invoice is owed, by its total; never below nothing."""
    credited = lock_invoice(note.credited_invoice_id)
    if credited.amount_credited + note.total > credited.total:
        raise ServiceError(
            _("Invoice %(number)s has only %(left)s %(currency)s left to credit.")
            % {
                "number": credited.number,
                "left": credited.total - credited.amount_credited,
                "currency": credited.currency_id,
            }
        )
    credited.amount_credited += note.total
    credited.save(update_fields=["amount_credited", "updated_at"])
    note.credited_invoice = credited


def _invoice_posting_plan(
    *, invoice: Invoice, lines: list[InvoiceLine], by_rate: list[invoicing.RateTotal], foreign: bool
) -> list[tuple[Account, invoicing.PostingLine]]:
    """What the invoice books on which account (an invoice of nothing books nothing)."""
    net_accounts: dict[Decimal, dict[str, Decimal]] = {}
    for line in lines:
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
        return []
    accounts = {
        account.code: account for account in Account.objects.filter(code__in={line.account_code for line in plan})
    }
    return [(accounts[line.account_code], line) for line in plan]


def _post_invoice(
    *,
    actor: User | None,
    invoice: Invoice,
    head: JournalHead,
    plan: list[tuple[Account, invoicing.PostingLine]],
    foreign: bool,
    ledger: LedgerSettings,
) -> JournalEntry:
    if invoice.is_credit_note:
        text = _("Credit note %(number)s to %(customer)s (credits %(invoice)s)") % {
            "number": invoice.number,
            "customer": invoice.customer_name,
            "invoice": invoice.credited_invoice.number,
        }
    else:
        text = _("Invoice %(number)s to %(customer)s") % {"number": invoice.number, "customer": invoice.customer_name}
    return entry_record(
        ledger=ledger,
        date_checked=True,  # invoice_issue checked the day in this transaction
        audit=False,  # invoice_issue writes the entry's audit row with the invoice's
        head=head,
        actor=actor,
        journal=head.journal,
        date=invoice.invoice_date,
        description=text,
        reference=invoice.number,
        lines=[
            Line(
                account=account,
                debit=line.debit,
                credit=line.credit,
                partner=invoice.organization,
                description=invoice.number,
                currency=invoice.currency_id if foreign else "",
                amount_currency=line.amount_currency,
            )
            for account, line in plan
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


@transaction.atomic
def invoice_send(*, actor: User | None, invoice: Invoice) -> Invoice:
    """E-mail an issued invoice or credit note (again) with its PDF, e.g. when the customer lost it or the first
    mail bounced; the mail goes out after commit, through the same retried task as on issue."""
    invoice = lock_invoice(invoice.pk)
    if invoice.state not in {Invoice.State.ISSUED, Invoice.State.PAID}:
        raise ServiceError(_("Only an issued invoice can be sent."))
    if not invoice.organization.email:
        raise ServiceError(
            _("%(customer)s has no e-mail address to send the invoice to.") % {"customer": invoice.organization.name}
        )
    audit_record(
        actor=actor,
        instance=invoice,
        action=AuditEntry.Action.ACTION,
        message=_("Sent to %(email)s") % {"email": invoice.organization.email},
    )
    invoice_id = invoice.pk
    transaction.on_commit(lambda: _queue_invoice_mail(invoice_id), robust=True)
    return invoice


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
    audit_record(
        actor=actor,
        instance=invoice,
        action=AuditEntry.Action.ACTION,
        message=_("Credited by %(number)s") % {"number": note.number},
    )
    return note


@transaction.atomic
def invoice_credit_lines(
    *,
    actor: User | None,
    invoice: Invoice,
    lines: list[tuple[int, Decimal]],
    reason: str,
    source_event: uuid.UUID | str | None = None,
) -> Invoice | None:
    """A draft credit note for part of an issued invoice — some quantity of some of its order lines (goods that
    came back) — priced as the invoice priced them, for Finance to check and issue. None when nothing of the
    invoice matches. The same event a second time finds its draft."""
    if source_event is not None:
        existing = Invoice.objects.filter(source_event=source_event).first()
        if existing is not None:
            return existing
    invoice = lock_invoice(invoice.pk)
    if invoice.is_credit_note or invoice.state not in {Invoice.State.ISSUED, Invoice.State.PAID}:
        raise ServiceError(_("Only an issued invoice can be credited."))
    by_order_line = {line.order_line_id: line for line in invoice.lines.all() if line.order_line_id}
    wanted = []
    for order_line_id, quantity in lines:
        line = by_order_line.get(order_line_id)
        if line is None or Decimal(quantity) <= 0:
            continue
        wanted.append(
            InvoiceLineInput(
                description=line.description,
                quantity=min(Decimal(quantity), line.quantity),
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                sku=line.sku,
                order_line_id=line.order_line_id,
                account_code=line.account.code,
            )
        )
    if not wanted:
        return None
    note = Invoice(
        kind=Invoice.Kind.CREDIT_NOTE,
        credited_invoice=invoice,
        organization=invoice.organization,
        customer_name=invoice.customer_name,
        customer_vat_number=invoice.customer_vat_number,
        order_id=invoice.order_id,
        order_number=invoice.order_number,
        customer_reference=invoice.customer_reference,
        source_event=source_event,
        currency_id=invoice.currency_id,
        exchange_rate=invoice.exchange_rate,
        tax_rounding=invoice.tax_rounding,
        payment_terms_days=0,
        reason=(reason or "").strip()[:200],
    )
    note.save()
    built = _invoice_lines(note, wanted)
    InvoiceLine.objects.bulk_create(built)
    totals = invoicing.totals(
        ((line.tax_rate, line.net_amount, line.tax_amount) for line in built), rounding=note.tax_rounding
    )
    note.subtotal, note.tax_total, note.total = totals.subtotal, totals.tax, totals.total
    note.save(update_fields=["subtotal", "tax_total", "total", "updated_at"])
    audit_record(
        actor=actor,
        instance=note,
        action=AuditEntry.Action.CREATE,
        message=_("Draft crediting part of %(number)s: %(reason)s") % {"number": invoice.number, "reason": note.reason},
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


# --- customer payments ---------------------------------------------------------------------------------------

BANK_ACCOUNT = "1930"  # Företagskonto
CUSTOMER_ADVANCES_ACCOUNT = "2420"  # Förskott från kunder: what a customer paid that settles no invoice yet
EXCHANGE_GAIN_ACCOUNT = "3960"
EXCHANGE_LOSS_ACCOUNT = "7960"


@dataclass(frozen=True)
class Allocation:
    """Part of a payment to put on one invoice, in the invoice's currency."""

    invoice: Invoice
    amount: Decimal


def _lock_open_invoices(allocations: list[Allocation], *, organization_id: int, currency: str) -> list[Allocation]:
    """Lock the invoices a payment settles (in pk order, so two payments cannot deadlock) and check each may take
    its part: the customer's own issued invoice, in the payment's currency, and no more than it still owes."""
    wanted: dict[int, Decimal] = {}
    for allocation in allocations:
        amount = Decimal(allocation.amount)
        if amount <= 0:
            raise ServiceError({"allocations": _("Each amount put on an invoice must be more than zero.")})
        wanted[allocation.invoice.pk] = wanted.get(allocation.invoice.pk, ZERO) + amount
    locked = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk")
    }
    checked = []
    for pk, amount in wanted.items():
        invoice = locked.get(pk)
        if invoice is None or invoice.organization_id != organization_id:
            raise ServiceError({"allocations": _("An invoice of another customer cannot be paid by this payment.")})
        if invoice.is_credit_note or invoice.state != Invoice.State.ISSUED:
            raise ServiceError({"allocations": _("Invoice %(number)s is not open for payment.") % {"number": invoice}})
        if invoice.currency_id != currency:
            raise ServiceError(
                {
                    "allocations": _("Invoice %(number)s is in %(currency)s; the payment is not.")
                    % {"number": invoice.number, "currency": invoice.currency_id}
                }
            )
        if amount > invoice.amount_due:
            raise ServiceError(
                {
                    "allocations": _("Invoice %(number)s has only %(due)s %(currency)s left to pay.")
                    % {"number": invoice.number, "due": invoice.amount_due, "currency": invoice.currency_id}
                }
            )
        checked.append(Allocation(invoice=invoice, amount=amount))
    return checked


def _settle(
    *, payment: Payment, allocations: list[Allocation], day: date, paid_base: Decimal
) -> tuple[list[PaymentAllocation], list[Line]]:
    """Put `allocations` on their invoices: the receivable leaves at each invoice's own rate; what the customer
    paid in SEK for them (`paid_base`, at the payment's rate) differs by the exchange gain or loss."""
    rows, lines = [], []
    remaining_base = paid_base
    for position, allocation in enumerate(allocations, start=1):
        invoice = allocation.invoice
        receivable = invoicing.to_base(allocation.amount, invoice.exchange_rate)
        # The last invoice takes what rounding left, so the entry balances to the öre.
        paid = (
            remaining_base
            if position == len(allocations)
            else invoicing.to_base(allocation.amount, payment.exchange_rate)
        )
        remaining_base -= paid
        difference = paid - receivable
        rows.append(
            PaymentAllocation(
                payment=payment,
                invoice=invoice,
                date=day,
                amount=allocation.amount,
                amount_base=receivable,
                exchange_difference=difference,
            )
        )
        foreign = invoice.currency_id != selectors.base_currency()
        text = _("Payment of %(number)s") % {"number": invoice.number}
        if receivable:
            lines.append(
                Line(
                    account=_account(invoicing.RECEIVABLE_ACCOUNT),
                    credit=receivable,
                    partner=invoice.organization,
                    description=text,
                    currency=invoice.currency_id if foreign else "",
                    amount_currency=-allocation.amount if foreign else None,
                )
            )
        if difference > 0:
            lines.append(Line(account=_account(EXCHANGE_GAIN_ACCOUNT), credit=difference, description=text))
        elif difference < 0:
            lines.append(Line(account=_account(EXCHANGE_LOSS_ACCOUNT), debit=-difference, description=text))
        invoice.amount_paid += allocation.amount
        if invoice.amount_paid + invoice.amount_credited >= invoice.total:
            invoice.state = Invoice.State.PAID
        invoice.save(update_fields=["amount_paid", "state", "updated_at"])
    PaymentAllocation.objects.bulk_create(rows)
    payment.amount_allocated += sum((allocation.amount for allocation in allocations), ZERO)
    return rows, lines


def _account(code: str) -> Account:
    try:
        return Account.objects.get(code=code)
    except Account.DoesNotExist:
        raise ServiceError(_("Account %(code)s is missing from the chart of accounts.") % {"code": code}) from None


def _publish_payment(payment: Payment, rows: list[PaymentAllocation]) -> None:
    """One event per invoice the payment went to (sales marks that order paid when settled), or one for money
    on account."""
    for row in rows:
        publish(
            "finance.payment_received",
            {
                "payment_id": payment.pk,
                "organization_id": payment.organization_id,
                "amount": row.amount,
                "currency": payment.currency_id,
                "invoice_id": row.invoice_id,
                "order_id": row.invoice.order_id,
                "invoice_settled": row.invoice.state == Invoice.State.PAID,
            },
            aggregate=row.invoice,
        )
    if not rows:
        publish(
            "finance.payment_received",
            {
                "payment_id": payment.pk,
                "organization_id": payment.organization_id,
                "amount": payment.amount,
                "currency": payment.currency_id,
            },
            aggregate=payment,
        )


def _after_payment(organization_id: int) -> None:
    # Paying may end a credit hold set by the dunning policy.
    from backoffice.finance.dunning import credit_hold_review

    credit_hold_review(organization_id=organization_id)


@transaction.atomic
def payment_register(
    *,
    actor: User | None,
    organization: Organization,
    date: date,
    amount: Decimal,
    currency: str,
    allocations: list[Allocation] | None = None,
    reference: str = "",
    payer_name: str = "",
    bank_line: BankStatementLine | None = None,
) -> Payment:
    """Book money received from a customer: the bank account is debited at the rate of the payment date, each
    invoice it pays is settled at its own rate (the difference is an exchange gain or loss), and what is left
    over is the customer's advance (2420) until it is put on an invoice."""
    amount = Decimal(amount)
    if amount <= 0:
        raise ServiceError({"amount": _("A payment must be more than zero.")})
    if not Currency.objects.filter(pk=currency).exists():
        raise ServiceError({"currency": _("Unknown currency %(code)s.") % {"code": currency}})
    _check_date(date)
    base = selectors.base_currency()
    rate = Decimal(1) if currency == base else selectors.exchange_rate_for(currency=currency, day=date)
    allocations = _lock_open_invoices(allocations or [], organization_id=organization.pk, currency=currency)
    allocated = sum((allocation.amount for allocation in allocations), ZERO)
    if allocated > amount:
        raise ServiceError(
            {
                "allocations": _("The amounts put on invoices (%(allocated)s) exceed the payment.")
                % {"allocated": allocated}
            }
        )
    if bank_line is not None:
        bank_line = BankStatementLine.objects.select_for_update().get(pk=bank_line.pk)
        if bank_line.state != BankStatementLine.State.NEW:
            raise ServiceError(_("This bank line has already been handled."))
        bank_line.state = BankStatementLine.State.MATCHED
        bank_line.save(update_fields=["state"])
    payment = Payment.objects.create(
        organization=organization,
        date=date,
        currency_id=currency,
        amount=amount,
        exchange_rate=rate,
        reference=(reference or "").strip()[:140],
        payer_name=(payer_name or "").strip()[:200],
        method=Payment.Method.BANK_FILE if bank_line else Payment.Method.MANUAL,
        bank_line=bank_line,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    foreign = currency != base
    bank_base = invoicing.to_base(amount, rate)
    on_account = amount - allocated
    on_account_base = invoicing.to_base(on_account, rate) if on_account else ZERO
    rows, lines = _settle(payment=payment, allocations=allocations, day=date, paid_base=bank_base - on_account_base)
    text = _("Payment from %(customer)s") % {"customer": organization.name}
    lines.insert(
        0,
        Line(
            account=_account(BANK_ACCOUNT),
            debit=bank_base,
            partner=organization,
            description=payment.reference or text,
            currency=currency if foreign else "",
            amount_currency=amount if foreign else None,
        ),
    )
    if on_account_base:
        lines.append(
            Line(
                account=_account(CUSTOMER_ADVANCES_ACCOUNT),
                credit=on_account_base,
                partner=organization,
                description=_("Paid on account"),
                currency=currency if foreign else "",
                amount_currency=-on_account if foreign else None,
            )
        )
    payment.entry = entry_record(
        actor=actor,
        journal=Journal.objects.get(code="BANK"),
        date=date,
        description=text,
        reference=payment.reference[:60],
        lines=lines,
    )
    for row in rows:
        row.entry = payment.entry
    PaymentAllocation.objects.bulk_update(rows, ["entry"])
    payment.save(update_fields=["entry", "amount_allocated"])
    audit_record(
        actor=actor,
        instance=payment,
        action=AuditEntry.Action.CREATE,
        message=_("%(amount)s %(currency)s, %(count)s invoice(s)")
        % {"amount": amount, "currency": currency, "count": len(rows)},
    )
    _publish_payment(payment, rows)
    _after_payment(organization.pk)
    return payment


@transaction.atomic
def payment_allocate(
    *, actor: User | None, payment: Payment, allocations: list[Allocation], date: date | None = None
) -> Payment:
    """Put what a customer paid on account (an overpayment, an unidentified payment) on open invoices later:
    the advance (2420) is cleared at the payment's rate and the receivable at each invoice's rate."""
    payment = Payment.objects.select_for_update().select_related("organization").get(pk=payment.pk)
    day = max(date or timezone.localdate(), payment.date)
    _check_date(day)
    allocations = _lock_open_invoices(
        allocations, organization_id=payment.organization_id, currency=payment.currency_id
    )
    if not allocations:
        raise ServiceError({"allocations": _("Choose at least one invoice.")})
    allocated = sum((allocation.amount for allocation in allocations), ZERO)
    if allocated > payment.amount_unallocated:
        raise ServiceError(
            {
                "allocations": _("Only %(left)s %(currency)s of this payment is left to allocate.")
                % {"left": payment.amount_unallocated, "currency": payment.currency_id}
            }
        )
    foreign = payment.currency_id != selectors.base_currency()
    # The advance leaves at what it was booked at: the share of the remaining advance in SEK.
    advance_left_base = invoicing.to_base(payment.amount_unallocated, payment.exchange_rate)
    advance_base = (
        advance_left_base
        if allocated == payment.amount_unallocated
        else invoicing.to_base(allocated, payment.exchange_rate)
    )
    rows, lines = _settle(payment=payment, allocations=allocations, day=day, paid_base=advance_base)
    lines.insert(
        0,
        Line(
            account=_account(CUSTOMER_ADVANCES_ACCOUNT),
            debit=advance_base,
            partner=payment.organization,
            description=_("Advance put on invoices"),
            currency=payment.currency_id if foreign else "",
            amount_currency=allocated if foreign else None,
        ),
    )
    entry = entry_record(
        actor=actor,
        journal=Journal.objects.get(code="BANK"),
        date=day,
        description=_("Payment from %(customer)s put on invoices") % {"customer": payment.organization.name},
        reference=payment.reference[:60],
        lines=lines,
    )
    for row in rows:
        row.entry = entry
    PaymentAllocation.objects.bulk_update(rows, ["entry"])
    payment.save(update_fields=["amount_allocated"])
    audit_record(
        actor=actor,
        instance=payment,
        action=AuditEntry.Action.UPDATE,
        message=_("Allocated %(amount)s to %(count)s invoice(s)") % {"amount": allocated, "count": len(rows)},
    )
    _publish_payment(payment, rows)
    _after_payment(payment.organization_id)
    return payment


def allocations_oldest_first(*, organization: Organization, currency: str, amount: Decimal) -> list[Allocation]:
    """Spread an amount over the customer's open invoices in that currency, the oldest due first (what an
    accountant does with a payment that names no invoice)."""
    left = Decimal(amount)
    found = []
    for invoice in selectors.open_invoices(organization_id=organization.pk, currency=currency):
        if left <= 0:
            break
        part = min(left, invoice.amount_due)
        if part > 0:
            found.append(Allocation(invoice=invoice, amount=part))
            left -= part
    return found


# --- bank files ------------------------------------------------------------------------------------------------


@transaction.atomic
def bank_statement_import(*, actor: User | None, file_name: str, content: bytes) -> BankStatement:
    """Store a bank file's transactions (CSV or camt.053) and match them in the background. A file that cannot be
    read is refused whole; the same file twice is refused too, so no payment is ever booked twice."""
    digest = hashlib.sha256(content).hexdigest()
    previous = BankStatement.objects.filter(file_sha256=digest).first()
    if previous is not None:
        raise ServiceError(
            {
                "file": _("This file was already imported on %(day)s as %(name)s.")
                % {"day": timezone.localdate(previous.imported_at), "name": previous.file_name}
            }
        )
    try:
        parsed = bankfiles.read(content, default_currency=selectors.base_currency())
    except bankfiles.BankFileError as error:
        raise ServiceError({"file": error.errors}) from None
    statement = BankStatement.objects.create(
        file_name=(file_name or "bank-file")[:200],
        file_sha256=digest,
        format=parsed.format,
        account_iban=parsed.account_iban[:34],
        statement_date=parsed.statement_date,
        line_count=len(parsed.transactions),
        imported_by=actor if actor and actor.is_authenticated else None,
    )
    BankStatementLine.objects.bulk_create(
        BankStatementLine(
            statement=statement,
            position=position,
            date=item.date,
            amount=item.amount,
            currency=item.currency,
            reference=item.reference,
            counterparty=item.counterparty,
            bank_reference=item.bank_reference,
        )
        for position, item in enumerate(parsed.transactions, start=1)
    )
    audit_record(
        actor=actor,
        instance=statement,
        action=AuditEntry.Action.CREATE,
        message=_("%(count)s transactions") % {"count": statement.line_count},
    )
    statement_id = statement.pk
    transaction.on_commit(lambda: _queue_statement_matching(statement_id), robust=True)
    return statement


def _queue_statement_matching(statement_id: int) -> None:
    from backoffice.finance.tasks import match_bank_statement

    match_bank_statement.delay(statement_id=statement_id)


def bank_line_auto_match(*, actor: User | None, line: BankStatementLine) -> Payment | None:
    """Money in whose reference names an invoice (OCR or number) becomes a payment on that invoice: the whole
    amount due when it pays enough, the rest on account when it pays more, a part when it pays less."""
    if line.amount <= 0 or line.state != BankStatementLine.State.NEW:
        return None
    invoice = selectors.invoice_by_payment_reference(reference=line.reference, currency=line.currency)
    if invoice is None:
        return None
    due = invoice.amount_due
    allocations = [Allocation(invoice=invoice, amount=min(due, line.amount))] if due > 0 else []
    return payment_register(
        actor=actor,
        organization=invoice.organization,
        date=line.date,
        amount=line.amount,
        currency=line.currency,
        allocations=allocations,
        reference=line.reference,
        payer_name=line.counterparty,
        bank_line=line,
    )


def bank_statement_match(*, actor: User | None, statement_id: int) -> BankStatement:
    """Match every open line of a statement, each in its own transaction: a line that cannot be booked (a closed
    period, a missing exchange rate) stays on the exceptions list with the reason, the others go on."""
    BankStatement.objects.filter(pk=statement_id).update(match_state=BankStatement.MatchState.RUNNING)
    processed = matched = 0
    try:
        for line in BankStatementLine.objects.filter(statement_id=statement_id).order_by("position").iterator():
            try:
                with transaction.atomic():
                    if bank_line_auto_match(actor=actor, line=line) is not None:
                        matched += 1
            except ServiceError as error:
                BankStatementLine.objects.filter(pk=line.pk).update(note=" ".join(error.messages)[:200])
            processed += 1
            if processed % 25 == 0:
                BankStatement.objects.filter(pk=statement_id).update(processed_lines=processed, matched_lines=matched)
    except Exception as error:
        BankStatement.objects.filter(pk=statement_id).update(
            match_state=BankStatement.MatchState.FAILED,
            processed_lines=processed,
            matched_lines=matched,
            match_error=str(error)[:2000],
        )
        raise
    BankStatement.objects.filter(pk=statement_id).update(
        match_state=BankStatement.MatchState.DONE, processed_lines=processed, matched_lines=matched
    )
    return BankStatement.objects.get(pk=statement_id)


@transaction.atomic
def bank_line_match(
    *,
    actor: User | None,
    line: BankStatementLine,
    organization: Organization,
    invoices: list[Invoice] | None = None,
) -> Payment:
    """Someone decided whose money an unmatched bank line is: it pays the chosen invoices (oldest due first, up
    to the amount), or, with no invoice chosen, the customer's oldest open invoices; anything left is on account."""
    if line.amount <= 0:
        raise ServiceError(_("Money going out is not a customer payment; ignore it with a note instead."))
    allocations: list[Allocation] = []
    left = line.amount
    if invoices:
        for invoice in sorted(invoices, key=lambda item: (item.due_date or date.max, item.pk)):
            invoice.refresh_from_db()
            part = min(left, invoice.amount_due)
            if part > 0:
                allocations.append(Allocation(invoice=invoice, amount=part))
                left -= part
    else:
        allocations = allocations_oldest_first(organization=organization, currency=line.currency, amount=line.amount)
    return payment_register(
        actor=actor,
        organization=organization,
        date=line.date,
        amount=line.amount,
        currency=line.currency,
        allocations=allocations,
        reference=line.reference,
        payer_name=line.counterparty,
        bank_line=line,
    )


@transaction.atomic
def bank_line_ignore(*, actor: User | None, line: BankStatementLine, note: str) -> BankStatementLine:
    """Take a bank line off the exceptions list without booking it (a transfer between own accounts, a supplier
    payment the payment run booked): the note says why."""
    note = (note or "").strip()
    if not note:
        raise ServiceError({"note": _("Say why this line is not booked.")})
    line = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if line.state != BankStatementLine.State.NEW:
        raise ServiceError(_("This bank line has already been handled."))
    line.state = BankStatementLine.State.IGNORED
    line.note = note[:200]
    line.save(update_fields=["state", "note"])
    audit_record(
        actor=actor,
        instance=line.statement,
        action=AuditEntry.Action.ACTION,
        message=_("Line %(position)s ignored: %(note)s") % {"position": line.position, "note": line.note},
    )
    return line


# --- stock valuation (from logistics) ----------------------------------------------------------------------------

INVENTORY_ACCOUNT = "1460"  # Lager av handelsvaror
INVENTORY_CHANGE_ACCOUNT = "4990"  # Förändring av lager: with purchases (4010) it makes the cost of goods sold


@transaction.atomic
def stock_valuation_post(
    *, move_id: int, kind: str, value: Decimal, from_kind: str, to_kind: str, sku: str, quantity: str, day: date
) -> JournalEntry | None:
    """Book what a stock move did to the stock's value: goods into the warehouses raise 1460 against 4990, goods
    out (delivered, scrapped, lost) lower it. One entry per move in the STOCK journal, found again by its
    reference if logistics' event arrives twice."""
    value = Decimal(value)
    if value <= 0 or (from_kind == "internal") == (to_kind == "internal"):
        return None
    reference = f"MOVE-{move_id}"
    journal = Journal.objects.get(code="STOCK")
    existing = JournalEntry.objects.filter(journal=journal, reference=reference).first()
    if existing is not None:
        return existing
    inventory, change = _account(INVENTORY_ACCOUNT), _account(INVENTORY_CHANGE_ACCOUNT)
    incoming = to_kind == "internal"
    text = _("Stock %(kind)s %(quantity)s × %(sku)s") % {"kind": kind, "quantity": quantity, "sku": sku}
    return entry_record(
        actor=None,
        journal=journal,
        date=max(day, _first_open_day()),
        description=text[:200],
        reference=reference,
        lines=[
            Line(account=inventory if incoming else change, debit=value, description=text[:200]),
            Line(account=change if incoming else inventory, credit=value, description=text[:200]),
        ],
    )


def _first_open_day() -> date:
    """The first day the books are open (the day after the lock date): a move made in a closed period is booked
    on it rather than refused, since the goods did move."""
    lock = selectors.ledger_settings().lock_date
    return lock + timedelta(days=1) if lock else date.min
