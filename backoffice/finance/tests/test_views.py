"""Staff pages of the ledger: entries drafted, posted and reversed through the pages, the reports, the lock date."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from backoffice.finance import services
from backoffice.finance.models import Account, FiscalYear, Journal, JournalEntry, LedgerSettings
from backoffice.finance.services import Line
from core.audit.models import AuditEntry
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _year(db):
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})


@pytest.fixture
def finance(make_staff):
    return make_staff("Finance", full_name="Fia Finans")


@pytest.fixture
def management(make_staff):
    return make_staff("Management")


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def _record(amount: str = "100.00", *, day: date = DAY, post: bool = True, description: str = "Bank charge"):
    lines = [
        Line(account=account("6570"), debit=Decimal(amount)),
        Line(account=account("1930"), credit=Decimal(amount)),
    ]
    journal = Journal.objects.get(code="GEN")
    if post:
        return services.entry_record(actor=None, journal=journal, date=day, description=description, lines=lines)
    return services.entry_create(actor=None, journal=journal, date=day, description=description, lines=lines)


def _formset(lines: list[dict], prefix: str = "lines") -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, line in enumerate(lines):
        data.update({f"{prefix}-{index}-{name}": value for name, value in line.items()})
    return data


def _entry_data(lines: list[dict], **head) -> dict:
    values = {
        "journal": Journal.objects.get(code="GEN").pk,
        "date": DAY.isoformat(),
        "description": "Office chairs",
        "reference": "R-17",
        **head,
    }
    return {**values, **_formset(lines)}


# --- journal entries ------------------------------------------------------------------


def test_finance_drafts_posts_and_reverses_an_entry_through_the_pages(client, finance):
    supplier = OrganizationFactory(name="Möbel AB")
    client.force_login(finance)
    page = client.get(reverse("finance:entry-create")).content.decode()
    assert 'name="lines-TOTAL_FORMS"' in page and "5410 Förbrukningsinventarier" in page

    response = client.post(
        reverse("finance:entry-create"),
        _entry_data(
            [
                {"account": account("5410").pk, "debit": "800.00", "description": "Two chairs"},
                {"account": account("2640").pk, "debit": "200.00"},
                {"account": account("2440").pk, "credit": "1000.00", "partner": supplier.pk},
                {},  # an untouched extra line is left out
            ]
        ),
    )

    entry = JournalEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert (entry.state, entry.number, entry.reference, entry.created_by) == ("draft", "", "R-17", finance)
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines.order_by("pk")] == [
        ("5410", Decimal("800.00"), Decimal("0.00")),
        ("2640", Decimal("200.00"), Decimal("0.00")),
        ("2440", Decimal("0.00"), Decimal("1000.00")),
    ]
    assert entry.lines.get(account__code="2440").partner == supplier
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "Draft" in html and "Two chairs" in html and "Möbel AB" in html
    assert reverse("finance:entry-post", args=[entry.pk]) in html

    response = client.post(reverse("finance:entry-post", args=[entry.pk]), follow=True)
    entry.refresh_from_db()
    assert entry.state == "posted" and entry.number == "GEN-2026-00001" and entry.posted_by == finance
    html = response.content.decode()
    assert "Entry GEN-2026-00001 is posted." in html
    assert entry.hash[:12] in html and entry.hash not in html.replace(f'title="{entry.hash}"', "")
    assert reverse("finance:entry-reverse", args=[entry.pk]) in html
    assert "Posted" in html  # the audit trail

    response = client.post(
        reverse("finance:entry-reverse", args=[entry.pk]),
        {"date": "2026-11-20", "reason": "Wrong supplier"},
        follow=True,
    )
    reversal = JournalEntry.objects.get(reversal_of=entry)
    assert response.redirect_chain[-1][0] == reversal.get_absolute_url()
    assert (reversal.number, reversal.date, reversal.state) == ("GEN-2026-00002", date(2026, 11, 20), "posted")
    assert reversal.description == "Reversal of GEN-2026-00001: Wrong supplier"
    html = response.content.decode()
    assert "Entry GEN-2026-00002 reverses it and is posted." in html
    assert entry.get_absolute_url() in html and "This entry reverses GEN-2026-00001." in html
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "Reversed by entry GEN-2026-00002." in html and reversal.get_absolute_url() in html
    assert reverse("finance:entry-reverse", args=[entry.pk]) not in html  # reversed once only


def test_an_unbalanced_draft_shows_the_error_at_the_top_and_creates_nothing(client, finance):
    client.force_login(finance)
    response = client.post(
        reverse("finance:entry-create"),
        _entry_data(
            [
                {"account": account("6570").pk, "debit": "100.00", "description": "kept"},
                {"account": account("1930").pk, "credit": "90.00"},
            ]
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Debits (100.00) and credits (90.00) must be equal." in html
    assert 'id="line-errors"' in html and "Please correct the errors below." in html
    assert 'value="kept"' in html and 'value="Office chairs"' in html  # nothing typed is lost
    assert not JournalEntry.objects.exists()


def test_line_and_head_errors_show_next_to_their_fields(client, finance):
    client.force_login(finance)
    response = client.post(
        reverse("finance:entry-create"),
        _entry_data([{"debit": "10"}, {"account": account("1930").pk}], date="2031-01-01"),
    )
    html = response.content.decode()
    assert "Choose an account." in html and "Give a debit or a credit." in html
    assert not JournalEntry.objects.exists()
    response = client.post(
        reverse("finance:entry-create"),
        _entry_data(
            [{"account": account("6570").pk, "debit": "10"}, {"account": account("1930").pk, "credit": "10"}],
            description="   ",
        ),
    )
    assert "Say what the entry is for." in response.content.decode() or "This field is required." in (
        response.content.decode()
    )
    assert not JournalEntry.objects.exists()


def test_posting_outside_a_fiscal_year_is_refused_with_a_message(client, finance):
    entry = _record(day=date(2027, 3, 1), post=False)
    client.force_login(finance)
    response = client.post(reverse("finance:entry-post", args=[entry.pk]), follow=True)
    entry.refresh_from_db()
    assert entry.state == "draft"
    assert "No fiscal year covers" in response.content.decode()


def test_a_draft_is_deleted_and_a_posted_entry_is_not(client, finance):
    draft, posted = _record(post=False), _record()
    client.force_login(finance)
    response = client.post(reverse("finance:entry-delete", args=[draft.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("finance:entry-list")
    assert "The draft is deleted." in response.content.decode()
    assert not JournalEntry.objects.filter(pk=draft.pk).exists()
    response = client.post(reverse("finance:entry-delete", args=[posted.pk]), follow=True)
    assert "A posted entry is never deleted; reverse it." in response.content.decode()
    assert JournalEntry.objects.filter(pk=posted.pk).exists()


def test_the_entry_list_filters_by_journal_state_dates_and_search(client, finance):
    march = _record(day=date(2026, 3, 5), description="March rent")
    _record(day=date(2026, 6, 5), description="June rent")
    draft = _record(day=date(2026, 6, 7), post=False, description="June draft")
    client.force_login(finance)

    def listed(**params) -> str:
        return client.get(reverse("finance:entry-list"), params).content.decode()

    html = listed()
    assert "March rent" in html and "June rent" in html and "June draft" in html
    html = listed(state="draft")
    assert "June draft" in html and "June rent" not in html and f"Draft {draft.pk}" in html
    html = listed(date_from="2026-06-01", date_to="2026-06-06")
    assert "June rent" in html and "March rent" not in html and "June draft" not in html
    assert "March rent" in listed(q=march.number) and "June rent" not in listed(q=march.number)
    html = listed(journal="BANK")
    assert "Nothing matches these filters" in html
    html = listed(journal="GEN", date_from="not a date")
    assert "Enter a valid date." in html and "March rent" in html  # a bad filter is ignored, and said


def test_the_empty_entry_list_says_what_it_is_for(client, finance):
    client.force_login(finance)
    html = client.get(reverse("finance:entry-list")).content.decode()
    assert "No journal entries yet" in html and reverse("finance:entry-create") in html


def test_the_entry_list_takes_the_same_queries_for_3_or_15_entries(client, finance):
    client.force_login(finance)
    for _ in range(3):
        _record()
    client.get(reverse("finance:entry-list"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("finance:entry-list")).status_code == 200
    for number in range(12):
        _record(post=number % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("finance:entry-list")).content.decode()
    assert html.count('href="/app/finance/entries/') >= 15
    assert len(many) == len(few)


def test_an_htmx_request_gets_only_the_results(client, finance):
    _record()
    client.force_login(finance)
    html = client.get(reverse("finance:entry-list"), headers={"HX-Request": "true"}).content.decode()
    assert "GEN-2026-00001" in html and "<html" not in html


# --- chart of accounts ----------------------------------------------------------------


def test_the_chart_shows_balances_to_date_and_links_to_each_ledger(client, finance):
    _record("100.00")
    _record("50.00")
    _record("999.00", post=False)  # a draft is not in the books
    client.force_login(finance)
    html = client.get(reverse("finance:account-list")).content.decode()
    assert "Bankkostnader" in html and "SEK\xa0150.00" in html and "-SEK\xa0150.00" in html
    assert reverse("finance:account-ledger", args=[account("6570").pk]) in html
    html = client.get(reverse("finance:account-list"), {"q": "1930"}).content.decode()
    assert "Företagskonto" in html and "Bankkostnader" not in html
    html = client.get(reverse("finance:account-list"), {"kind": "equity"}).content.decode()
    assert "Aktiekapital" in html and "Företagskonto" not in html


def test_the_chart_takes_the_same_queries_however_many_entries(client, finance):
    client.force_login(finance)
    client.get(reverse("finance:account-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("finance:account-list"))
    for _ in range(5):
        _record()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("finance:account-list"))
    assert len(many) == len(few)


# --- reports ----------------------------------------------------------------------------


def test_the_trial_balance_totals_balance_and_each_row_drills_down(client, management):
    _record("100.00", day=date(2026, 2, 1))
    sale = [
        Line(account=account("1510"), debit=Decimal("1250.00")),
        Line(account=account("3001"), credit=Decimal("1000.00")),
        Line(account=account("2610"), credit=Decimal("250.00")),
    ]
    services.entry_record(actor=None, journal=Journal.objects.get(code="SALE"), date=DAY, description="Inv", lines=sale)
    _record("7.00", day=date(2026, 12, 20))  # after the period
    client.force_login(management)

    response = client.get(reverse("finance:trial-balance"), {"date_from": "2026-01-01", "date_to": "2026-11-30"})

    report = response.context["report"]
    assert (report.debit, report.credit, report.balance) == (Decimal("1350.00"), Decimal("1350.00"), Decimal("0"))
    assert [row["account__code"] for row in report.rows] == ["1510", "1930", "2610", "3001", "6570"]
    html = response.content.decode()
    assert 'id="total-debit">SEK\xa01,350.00' in html and 'id="total-credit">SEK\xa01,350.00' in html
    assert "Debits equal credits" in html
    ledger = reverse("finance:account-ledger", args=[account("3001").pk])
    assert f'href="{ledger}?date_from=2026-01-01&amp;date_to=2026-11-30"' in html


def test_the_trial_balance_defaults_to_this_fiscal_year_and_refuses_a_reversed_period(client, finance):
    from django.utils import timezone

    client.force_login(finance)
    response = client.get(reverse("finance:trial-balance"))
    form = response.context["form"]
    today = timezone.localdate()
    year = FiscalYear.objects.filter(start__lte=today, end__gte=today).first()
    assert form.cleaned_data == {"date_from": year.start if year else today.replace(month=1, day=1), "date_to": today}
    response = client.get(reverse("finance:trial-balance"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["report"] is None


def test_the_trial_balance_downloads_as_csv_and_xlsx(client, finance):
    _record("100.00")
    client.force_login(finance)
    period = {"date_from": "2026-01-01", "date_to": "2026-12-31"}

    response = client.get(reverse("finance:trial-balance"), {**period, "format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="trial-balance-2026-01-01-2026-12-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Account", "Name", "Debit", "Credit", "Balance"],
        ["1930", "Företagskonto", "0.00", "100.00", "-100.00"],
        ["6570", "Bankkostnader", "100.00", "0.00", "100.00"],
        ["", "Total", "100.00", "100.00", "0.00"],
    ]

    response = client.get(reverse("finance:trial-balance"), {**period, "format": "xlsx"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Account", "Name", "Debit", "Credit", "Balance"]
    assert values[1] == ["1930", "Företagskonto", 0, 100, -100]
    assert values[-1] == [None, "Total", 100, 100, 0]


def test_the_general_ledger_has_the_opening_balance_and_a_running_balance(client, management):
    _record("40.00", day=date(2026, 1, 10))  # before the period: the opening balance
    _record("100.00", day=date(2026, 3, 1))
    _record("25.50", day=date(2026, 3, 2))
    _record("10.00", day=date(2026, 4, 1), post=False)  # a draft is not in the books
    _record("5.00", day=date(2026, 5, 1))  # after the period
    client.force_login(management)

    response = client.get(
        reverse("finance:account-ledger", args=[account("6570").pk]),
        {"date_from": "2026-02-01", "date_to": "2026-04-30"},
    )

    ledger = response.context["ledger"]
    assert (ledger.opening_balance, ledger.debit, ledger.credit, ledger.closing_balance) == (
        Decimal("40.00"),
        Decimal("125.50"),
        Decimal("0.00"),
        Decimal("165.50"),
    )
    rows = response.context["rows"]
    assert [(line.debit, line.running_balance) for line in rows] == [
        (Decimal("100.00"), Decimal("140.00")),
        (Decimal("25.50"), Decimal("165.50")),
    ]
    html = response.content.decode()
    assert 'id="opening-balance">SEK\xa040.00' in html and "SEK\xa0165.50" in html
    assert rows[0].entry.get_absolute_url() in html


def test_the_running_balance_carries_over_to_the_next_page(client, finance):
    for number in range(52):
        _record("1.00", day=date(2026, 3, 1 + number % 28))
    client.force_login(finance)
    url = reverse("finance:account-ledger", args=[account("1930").pk])
    period = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    first = client.get(url, period).context["rows"]
    second = client.get(url, {**period, "page": 2}).context["rows"]
    assert len(first) == 50 and len(second) == 2
    assert first[-1].running_balance == Decimal("-50.00")
    assert [line.running_balance for line in second] == [Decimal("-51.00"), Decimal("-52.00")]


# --- lock date ------------------------------------------------------------------------


def test_finance_moves_the_lock_date_forward_not_back(client, finance):
    client.force_login(finance)
    html = client.get(reverse("finance:settings")).content.decode()
    assert "Not locked" in html and "2026" in html

    response = client.post(reverse("finance:settings"), {"lock_date": "2026-03-31"}, follow=True)

    assert LedgerSettings.objects.get().lock_date == date(2026, 3, 31)
    assert "The books are locked up to and including" in response.content.decode()
    assert AuditEntry.objects.filter(object_id="1", changes__lock_date=["", "2026-03-31"]).exists()
    response = client.post(reverse("finance:settings"), {"lock_date": "2026-01-31"})
    assert response.status_code == 200 and "The lock date only moves forward." in response.content.decode()
    assert LedgerSettings.objects.get().lock_date == date(2026, 3, 31)


# --- rights ---------------------------------------------------------------------------


def test_management_reads_the_books_but_changes_nothing(client, management):
    entry = _record(post=False)
    posted = _record()
    client.force_login(management)
    for url in [
        reverse("finance:account-list"),
        reverse("finance:entry-list"),
        entry.get_absolute_url(),
        reverse("finance:trial-balance"),
        reverse("finance:account-ledger", args=[account("1930").pk]),
        reverse("finance:settings"),
    ]:
        assert client.get(url).status_code == 200, url
    html = client.get(entry.get_absolute_url()).content.decode()
    assert reverse("finance:entry-post", args=[entry.pk]) not in html
    assert client.get(reverse("finance:entry-create")).status_code == 403
    assert client.post(reverse("finance:entry-post", args=[entry.pk])).status_code == 403
    assert client.post(reverse("finance:entry-reverse", args=[posted.pk])).status_code == 403
    assert client.post(reverse("finance:entry-delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("finance:settings"), {"lock_date": "2026-03-31"}).status_code == 403
    entry.refresh_from_db()
    assert entry.state == "draft" and not JournalEntry.objects.filter(reversal_of=posted).exists()


def test_sales_sees_no_ledger_page(client, make_staff):
    entry = _record()
    client.force_login(make_staff("Sales"))
    for url in [
        reverse("finance:account-list"),
        reverse("finance:entry-list"),
        reverse("finance:entry-create"),
        entry.get_absolute_url(),
        reverse("finance:trial-balance"),
        reverse("finance:account-ledger", args=[account("1930").pk]),
        reverse("finance:settings"),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("finance:entry-reverse", args=[entry.pk])).status_code == 403
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("finance:entry-list") not in html


def test_the_sidebar_shows_the_ledger_to_finance(client, finance):
    client.force_login(finance)
    html = client.get(reverse("finance:entry-list")).content.decode()
    for name in ["finance:entry-list", "finance:account-list", "finance:trial-balance", "finance:settings"]:
        assert f'href="{reverse(name)}"' in html
