"""The ledger: balanced or not posted, immutable once posted (also to raw SQL), gapless numbers, a hash chain."""

import threading
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice.finance import selectors, services
from backoffice.finance.models import Account, FiscalYear, Journal, JournalEntry, JournalLine
from backoffice.finance.services import Line
from core.exceptions import ServiceError

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _year(db):
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def sale(amount: str = "100.00", vat: str = "25.00") -> list[Line]:
    net, tax = Decimal(amount), Decimal(vat)
    return [
        Line(account=account("1510"), debit=net + tax),
        Line(account=account("3001"), credit=net),
        Line(account=account("2610"), credit=tax),
    ]


def journal(code: str = "GEN") -> Journal:
    return Journal.objects.get(code=code)


def test_the_chart_and_journals_are_there():
    assert account("1930").kind == "asset" and account("3001").kind == "income"
    assert set(Journal.objects.values_list("code", flat=True)) >= {"SALE", "PURCH", "BANK", "GEN"}


def test_posting_numbers_chains_and_balances():
    first = services.entry_record(actor=None, journal=journal("SALE"), date=DAY, description="Invoice 1", lines=sale())
    second = services.entry_record(actor=None, journal=journal("SALE"), date=DAY, description="Invoice 2", lines=sale())
    assert (first.number, second.number) == ("SALE-2026-00001", "SALE-2026-00002")
    assert second.previous_hash == first.hash and len(second.hash) == 64
    rows = {row["account__code"]: row for row in selectors.trial_balance()}
    assert rows["1510"]["balance"] == Decimal("250.00")
    assert rows["3001"]["balance"] == Decimal("-200.00")
    assert sum(row["balance"] for row in rows.values()) == 0
    assert selectors.verify_ledger() == []


def test_an_unbalanced_entry_is_refused():
    with pytest.raises(ServiceError) as error:
        services.entry_create(
            actor=None,
            journal=journal(),
            date=DAY,
            description="Wrong",
            lines=[
                Line(account=account("1930"), debit=Decimal("10")),
                Line(account=account("3001"), credit=Decimal("9")),
            ],
        )
    assert "lines" in error.value.message_dict
    assert not JournalEntry.objects.exists()


def test_the_database_refuses_to_post_an_unbalanced_entry_even_behind_the_service():
    entry = services.entry_create(actor=None, journal=journal(), date=DAY, description="Draft", lines=sale())
    JournalLine.objects.filter(entry=entry, account__code="2610").update(credit=Decimal("24.00"))  # a draft may change
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(
            state="posted", number="X-1", hash="h" * 64, chain_position=1, posted_at=entry.created_at
        )


def test_a_posted_line_cannot_be_changed_or_deleted_by_raw_sql():
    entry = services.entry_record(actor=None, journal=journal(), date=DAY, description="Posted", lines=sale())
    line = entry.lines.first()
    for statement in (
        "UPDATE finance_journalline SET debit = debit + 1 WHERE id = %s",
        "DELETE FROM finance_journalline WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [line.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE finance_journalentry SET description = 'changed' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM finance_journalentry WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=account("1930"), debit=Decimal("1"))
    assert JournalLine.objects.get(pk=line.pk).debit == line.debit


def test_a_forged_row_breaks_the_chain_and_verify_ledger_says_where(capsys):
    first = services.entry_record(actor=None, journal=journal(), date=DAY, description="One", lines=sale())
    services.entry_record(actor=None, journal=journal(), date=DAY, description="Two", lines=sale())
    call_command("verify_ledger", stdout=StringIO())
    with connection.cursor() as cursor:  # a forger who can switch the guard off for a moment
        cursor.execute("SET session_replication_role = replica")  # ordinary triggers off for this session
        cursor.execute(
            "UPDATE finance_journalline SET credit = credit - 10 WHERE entry_id = %s AND credit > 0 AND id = "
            "(SELECT min(id) FROM finance_journalline WHERE entry_id = %s AND credit > 0)",
            [first.pk, first.pk],
        )
        cursor.execute(
            "UPDATE finance_journalline SET debit = debit - 10 WHERE entry_id = %s AND debit > 0", [first.pk]
        )
        cursor.execute("SET session_replication_role = origin")
    problems = selectors.verify_ledger()
    assert [(problem.journal, problem.entry) for problem in problems] == [("GEN", first.number)]
    assert "changed after posting" in problems[0].problem
    errors = StringIO()
    with pytest.raises(CommandError) as exit_error:
        call_command("verify_ledger", stdout=StringIO(), stderr=errors)
    assert exit_error.value.returncode == 1 and first.number in errors.getvalue()


def test_posted_lines_carry_their_entrys_date_and_a_moved_one_is_found():
    entry = services.entry_record(actor=None, journal=journal(), date=DAY, description="One", lines=sale())
    assert set(entry.lines.values_list("posted_on", flat=True)) == {DAY}
    draft = services.entry_create(actor=None, journal=journal(), date=DAY, description="Draft", lines=sale())
    assert set(draft.lines.values_list("posted_on", flat=True)) == {None}  # a draft counts in no report
    with connection.cursor() as cursor:  # moving a line to another period, with the guard switched off
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE finance_journalline SET posted_on = posted_on - 40 WHERE entry_id = %s", [entry.pk])
        cursor.execute("SET session_replication_role = origin")
    [problem] = selectors.verify_ledger()
    assert (problem.entry, problem.problem) == (
        entry.number,
        "a line's posted date is not the entry's date (the reports would count it elsewhere)",
    )


def test_reversal_is_a_new_posted_entry_that_cancels_the_first():
    entry = services.entry_record(actor=None, journal=journal(), date=DAY, description="Oops", lines=sale())
    reversal = services.entry_reverse(actor=None, entry=entry, date=DAY, reason="wrong customer")
    assert reversal.reversal_of == entry and reversal.is_posted and "wrong customer" in reversal.description
    assert all(row["balance"] == 0 for row in selectors.trial_balance())
    with pytest.raises(ServiceError):
        services.entry_reverse(actor=None, entry=entry)


def test_dates_outside_an_open_year_or_before_the_lock_date_are_refused(admin_user):
    with pytest.raises(ServiceError) as error:
        services.entry_record(actor=None, journal=journal(), date=date(2030, 1, 1), description="x", lines=sale())
    assert "date" in error.value.message_dict
    services.lock_date_set(actor=admin_user, lock_date=date(2026, 6, 30))
    with pytest.raises(ServiceError):
        services.entry_record(actor=None, journal=journal(), date=date(2026, 6, 30), description="x", lines=sale())
    with pytest.raises(ServiceError):
        services.lock_date_set(actor=admin_user, lock_date=date(2026, 1, 1))
    services.entry_record(actor=None, journal=journal(), date=date(2026, 7, 1), description="x", lines=sale())
    assert not JournalEntry.objects.filter(state="draft").exists()


@pytest.mark.django_db(transaction=True)
def test_numbers_have_no_gaps_when_many_post_at_once():
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})
    drafts = [
        services.entry_create(actor=None, journal=journal("SALE"), date=DAY, description=f"D{n}", lines=sale())
        for n in range(12)
    ]
    errors: list[Exception] = []

    def post(entries):
        try:
            for entry in entries:
                services.entry_post(actor=None, entry=entry)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(drafts[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(JournalEntry.objects.filter(journal__code="SALE").values_list("number", flat=True))
    assert numbers == [f"SALE-2026-{n:05d}" for n in range(1, 13)]
    assert selectors.verify_ledger() == []


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


class LedgerProperties(HypothesisTestCase):
    @settings(max_examples=25)
    @given(st.lists(st.tuples(st.sampled_from(["post", "reverse"]), amounts, amounts), min_size=1, max_size=8))
    def test_any_sequence_of_postings_and_reversals_keeps_every_journal_balanced(self, steps):
        FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})
        posted = []
        for action, net, tax in steps:
            if action == "reverse" and posted:
                services.entry_reverse(actor=None, entry=posted.pop(0), date=DAY)
            else:
                posted.append(
                    services.entry_record(
                        actor=None, journal=journal("SALE"), date=DAY, description="p", lines=sale(str(net), str(tax))
                    )
                )
        balance = selectors.trial_balance()
        assert sum((row["balance"] for row in balance), Decimal(0)) == 0
        assert sum((row["debit"] for row in balance), Decimal(0)) == sum((row["credit"] for row in balance), Decimal(0))
        assert selectors.verify_ledger() == []
