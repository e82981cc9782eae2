"""/api/v1/finance/: accounts with balances, journal entries drafted, posted and reversed, the trial balance."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.finance import services
from backoffice.finance.models import Account, FiscalYear, Journal, JournalEntry
from backoffice.finance.services import Line
from core.audit.models import AuditEntry
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/finance/accounts/"
ENTRIES = "/api/v1/finance/entries/"
TRIAL_BALANCE = "/api/v1/finance/reports/trial-balance/"
DAY = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _year(db):
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})


@pytest.fixture
def finance(api_client_for, make_staff):
    return api_client_for(make_staff("Finance"))


@pytest.fixture
def management(api_client_for, make_staff):
    return api_client_for(make_staff("Management"))


@pytest.fixture
def sales(api_client_for, make_staff):
    return api_client_for(make_staff("Sales"))


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def _record(amount: str = "100.00", *, day: date = DAY, post: bool = True, journal: str = "GEN") -> JournalEntry:
    lines = [
        Line(account=account("6570"), debit=Decimal(amount)),
        Line(account=account("1930"), credit=Decimal(amount)),
    ]
    values = {"actor": None, "journal": Journal.objects.get(code=journal), "date": day, "description": "Bank charge"}
    return services.entry_record(**values, lines=lines) if post else services.entry_create(**values, lines=lines)


def _body(**values) -> dict:
    return {
        "journal": "GEN",
        "date": "2026-11-02",
        "description": "Office chairs",
        "reference": "R-17",
        "lines": [
            {"account": "5410", "debit": "800.00", "description": "Two chairs"},
            {"account": "2640", "debit": "200.00"},
            {"account": "2440", "credit": "1000.00"},
        ],
        **values,
    }


# --- accounts -----------------------------------------------------------------------


def test_accounts_with_their_balance_and_filters(finance):
    _record("100.00")
    _record("30.00", post=False)

    response = finance.get(ACCOUNTS, {"q": "19"})

    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert set(rows) == {"1910", "1930"}
    assert rows["1930"] == {
        "id": account("1930").pk,
        "code": "1930",
        "name": "Företagskonto",
        "kind": "asset",
        "is_active": True,
        "balance": "-100.00",
    }
    assert finance.get(f"{ACCOUNTS}{account('6570').pk}/").json()["balance"] == "100.00"
    kinds = {row["kind"] for row in finance.get(ACCOUNTS, {"kind": "equity"}).json()["results"]}
    assert kinds == {"equity"}
    response = finance.get(ACCOUNTS, {"kind": "gold"})
    assert response.status_code == 400 and "kind" in response.json()


# --- entries --------------------------------------------------------------------------


def test_finance_creates_posts_and_reverses_an_entry(finance):
    supplier = OrganizationFactory(name="Möbel AB")
    body = _body()
    body["lines"][2]["partner"] = supplier.pk

    response = finance.post(ENTRIES, body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    entry = JournalEntry.objects.get()
    assert created["id"] == entry.pk
    assert (created["state"], created["number"], created["journal"], created["total"]) == (
        "draft",
        "",
        "GEN",
        "1000.00",
    )
    assert [(line["account"], line["debit"], line["credit"], line["partner"]) for line in created["lines"]] == [
        ("5410", "800.00", "0.00", None),
        ("2640", "200.00", "0.00", None),
        ("2440", "0.00", "1000.00", supplier.pk),
    ]
    assert created["lines"][2]["partner_name"] == "Möbel AB"
    assert entry.created_by == finance.user

    response = finance.post(f"{ENTRIES}{entry.pk}/post/")

    assert response.status_code == 200, response.content
    posted = response.json()
    entry.refresh_from_db()
    assert (posted["state"], posted["number"], posted["hash"]) == ("posted", "GEN-2026-00001", entry.hash)
    assert posted["chain_position"] == 1 and entry.posted_by == finance.user

    response = finance.post(f"{ENTRIES}{entry.pk}/reverse/", {"date": "2026-11-20", "reason": "Wrong"}, format="json")

    assert response.status_code == 201, response.content
    reversal = response.json()
    assert (reversal["number"], reversal["date"], reversal["reversal_of"]) == ("GEN-2026-00002", "2026-11-20", entry.pk)
    assert reversal["description"] == "Reversal of GEN-2026-00001: Wrong"
    assert [(line["account"], line["debit"], line["credit"]) for line in reversal["lines"]] == [
        ("5410", "0.00", "800.00"),
        ("2640", "0.00", "200.00"),
        ("2440", "1000.00", "0.00"),
    ]
    assert finance.get(f"{ENTRIES}{entry.pk}/").json()["reversed_by"] == reversal["id"]
    assert AuditEntry.objects.filter(object_id=str(entry.pk), message="Posted").exists()

    response = finance.post(f"{ENTRIES}{entry.pk}/reverse/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Entry GEN-2026-00001 is already reversed."]}


def test_an_unbalanced_entry_is_a_400_naming_lines_and_saves_nothing(finance):
    body = _body(lines=[{"account": "1930", "debit": "100.00"}, {"account": "6570", "credit": "90.00"}])

    response = finance.post(ENTRIES, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"lines": ["Debits (100.00) and credits (90.00) must be equal."]}
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"lines": [{"account": "1930", "debit": "1"}, {"account": "0000", "credit": "1", "partner": 0}]},
            {"lines": {"1": {"account": ["No account has this number."], "partner": ["No organization has this id."]}}},
        ),
        (
            {"lines": [{"account": "1930", "debit": "1", "credit": "1"}, {"account": "6570", "credit": "1"}]},
            {"lines": ["Line 1: give a positive debit or a positive credit, not both."]},
        ),
        ({"lines": [{"account": "1930", "debit": "1"}]}, {"lines": ["An entry needs at least two lines."]}),
        ({"journal": "NOPE"}, {"journal": ["Object with code=NOPE does not exist."]}),
        ({"date": "tomorrow"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"description": " "}, {"description": ["This field may not be blank."]}),
    ],
)
def test_bad_entries_are_400s_naming_the_field(finance, values, errors):
    response = finance.post(ENTRIES, _body(**values), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not JournalEntry.objects.exists()


def test_posting_before_the_lock_date_is_a_400_naming_the_date(finance):
    services.lock_date_set(actor=None, lock_date=date(2026, 11, 30))
    entry = _record(post=False)
    response = finance.post(f"{ENTRIES}{entry.pk}/post/")
    assert response.status_code == 400
    assert response.json() == {"date": ["The books are locked up to 2026-11-30: choose a later date."]}
    entry.refresh_from_db()
    assert entry.state == "draft"


def test_a_posted_entry_is_not_posted_again_and_a_draft_is_not_reversed(finance):
    posted, draft = _record(), _record(post=False)
    response = finance.post(f"{ENTRIES}{posted.pk}/post/")
    assert response.status_code == 400 and response.json() == {
        "non_field_errors": ["Entry GEN-2026-00001 is already posted."]
    }
    response = finance.post(f"{ENTRIES}{draft.pk}/reverse/", {}, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert finance.post(f"{ENTRIES}{draft.pk}/reverse/", {"date": "soon"}, format="json").json() == {
        "date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    }
    assert finance.post(f"{ENTRIES}999999/post/").status_code == 404


def test_the_entry_list_filters_and_answers_400_to_bad_values(finance):
    march = _record(day=date(2026, 3, 5))
    june = _record(day=date(2026, 6, 5), journal="BANK")
    draft = _record(day=date(2026, 6, 7), post=False)

    def ids(**params) -> list[int]:
        response = finance.get(ENTRIES, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [draft.pk, june.pk, march.pk]
    assert ids(journal="BANK") == [june.pk]
    assert ids(state="draft") == [draft.pk]
    assert ids(date_from="2026-06-01", date_to="2026-06-06") == [june.pk]
    assert ids(q=march.number) == [march.pk]
    row = finance.get(ENTRIES, {"journal": "BANK"}).json()["results"][0]
    assert row == {
        "id": june.pk,
        "number": "BANK-2026-00001",
        "journal": "BANK",
        "date": "2026-06-05",
        "description": "Bank charge",
        "reference": "",
        "state": "posted",
        "total": "100.00",
        "reversal_of": None,
        "reversed_by": None,
        "created_at": row["created_at"],
        "posted_at": row["posted_at"],
    }
    for params, field in [
        ({"date_from": "June"}, "date_from"),
        ({"date_to": "2026-13-01"}, "date_to"),
        ({"journal": "NOPE"}, "journal"),
        ({"state": "maybe"}, "state"),
    ]:
        response = finance.get(ENTRIES, params)
        assert response.status_code == 400, params
        assert list(response.json()) == [field]


def test_the_entry_list_takes_the_same_queries_for_3_or_15_entries(finance):
    for _ in range(3):
        _record()
    finance.get(ENTRIES)
    with CaptureQueriesContext(connection) as few:
        assert len(finance.get(ENTRIES).json()["results"]) == 3
    for number in range(12):
        entry = _record(post=number % 3 != 0)
        if number == 1:
            services.entry_reverse(actor=None, entry=entry, date=DAY)
    with CaptureQueriesContext(connection) as many:
        assert len(finance.get(ENTRIES, {"page_size": 50}).json()["results"]) == 16
    assert len(many) == len(few)


# --- the trial balance -------------------------------------------------------------------


def test_the_trial_balance_rows_and_totals(management):
    _record("100.00", day=date(2026, 2, 1))
    _record("40.00", day=date(2026, 12, 20))

    response = management.get(TRIAL_BALANCE, {"date_from": "2026-01-01", "date_to": "2026-11-30"})

    assert response.status_code == 200
    assert response.json() == {
        "date_from": "2026-01-01",
        "date_to": "2026-11-30",
        "rows": [
            {
                "account_id": account("1930").pk,
                "account": "1930",
                "name": "Företagskonto",
                "kind": "asset",
                "debit": "0.00",
                "credit": "100.00",
                "balance": "-100.00",
                "lines": 1,
            },
            {
                "account_id": account("6570").pk,
                "account": "6570",
                "name": "Bankkostnader",
                "kind": "expense",
                "debit": "100.00",
                "credit": "0.00",
                "balance": "100.00",
                "lines": 1,
            },
        ],
        "debit": "100.00",
        "credit": "100.00",
        "balance": "0.00",
    }
    assert management.get(TRIAL_BALANCE).json()["debit"] == "140.00"
    response = management.get(TRIAL_BALANCE, {"date_from": "2026-02-30"})
    assert response.status_code == 400 and list(response.json()) == ["date_from"]
    response = management.get(TRIAL_BALANCE, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 400 and response.json() == {"date_to": ["The end date is before the start date."]}


# --- rights ----------------------------------------------------------------------------


def test_management_reads_but_does_not_write(management):
    draft, posted = _record(post=False), _record()
    assert management.get(ACCOUNTS).status_code == 200
    assert management.get(ENTRIES).status_code == 200
    assert management.get(f"{ENTRIES}{draft.pk}/").status_code == 200
    assert management.post(ENTRIES, _body(), format="json").status_code == 403
    assert management.post(f"{ENTRIES}{draft.pk}/post/").status_code == 403
    assert management.post(f"{ENTRIES}{posted.pk}/reverse/", {}, format="json").status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft" and JournalEntry.objects.count() == 2


def test_sales_and_anonymous_get_nothing(sales, api_client):
    entry = _record()
    for client in (sales, api_client):
        for url in [ACCOUNTS, f"{ACCOUNTS}{account('1930').pk}/", ENTRIES, f"{ENTRIES}{entry.pk}/", TRIAL_BALANCE]:
            assert client.get(url).status_code in (401, 403), url
        assert client.post(ENTRIES, _body(), format="json").status_code in (401, 403)
        assert client.post(f"{ENTRIES}{entry.pk}/reverse/", {}, format="json").status_code in (401, 403)
    assert sales.get(ENTRIES).status_code == 403
    assert JournalEntry.objects.count() == 1


def test_entries_are_never_changed_or_deleted_through_the_api(finance):
    entry = _record(post=False)
    assert finance.patch(f"{ENTRIES}{entry.pk}/", {"description": "x"}, format="json").status_code == 405
    assert finance.delete(f"{ENTRIES}{entry.pk}/").status_code == 405
