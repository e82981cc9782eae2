"""Reads of the ledger: entries, the trial balance (one SQL aggregate), and the check of every journal's chain."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from backoffice.finance.models import ZERO, Account, Journal, JournalEntry, JournalLine


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
    lines = JournalLine.objects.filter(entry__state=JournalEntry.State.POSTED)
    if date_from:
        lines = lines.filter(entry__date__gte=date_from)
    if date_to:
        lines = lines.filter(entry__date__lte=date_to)
    rows = (
        lines.values("account_id", "account__code", "account__name", "account__kind")
        .annotate(debit=Sum("debit"), credit=Sum("credit"), lines=Count("pk"))
        .order_by("account__code")
    )
    return [{**row, "balance": row["debit"] - row["credit"]} for row in rows]


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
            if problem:
                problems.append(LedgerProblem(journal=journal.code, entry=entry.number, problem=problem))
                break
            previous_hash = entry.hash
            expected_position += 1
    return problems


def accounts() -> QuerySet[Account]:
    return Account.objects.order_by("code")
