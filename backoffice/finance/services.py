"""Every write of the ledger: draft entries, posting (gapless number, hash chain), reversal."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.finance.models import (
    ZERO,
    Account,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    NumberSeries,
)
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.exceptions import ServiceError
from core.parties.models import Organization

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
