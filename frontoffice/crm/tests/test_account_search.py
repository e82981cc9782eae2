"""Searching the account list: what it finds, and that the search runs once per page whatever it matches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.parties.models import Organization
from core.parties.tests.factories import OrganizationFactory
from frontoffice.crm import selectors
from frontoffice.crm.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


def _accounts(sales, names: list[str]) -> None:
    organizations = Organization.objects.bulk_create(
        [Organization(name=name, country="SE", roles=["customer"]) for name in names]
    )
    Account.objects.bulk_create([Account(organization=organization, owner=sales) for organization in organizations])


def _names(**filters) -> list[str]:
    return [account.organization.name for account in selectors.account_list(**filters)]


def test_search_by_name_org_number_vat_number_or_email(sales):
    for organization in (
        OrganizationFactory(name="Fjällbacka Fisk AB", org_number="556677-8899"),
        OrganizationFactory(name="Norrsken AB", email="order@norrsken.example", vat_number="SE556000111101"),
        OrganizationFactory(name="Söder Bygg AB"),
    ):
        Account.objects.create(organization=organization, owner=sales)
    assert _names(search="backa fisk") == ["Fjällbacka Fisk AB"]
    assert _names(search="5566778899") == ["Fjällbacka Fisk AB"]
    assert _names(search="ORDER@norrsken.example") == ["Norrsken AB"]
    assert _names(search="se556000111101") == ["Norrsken AB"]
    assert _names(search="AB") == ["Fjällbacka Fisk AB", "Norrsken AB", "Söder Bygg AB"]
    assert _names(search="nothing like it") == []


def test_a_wide_search_gives_the_same_accounts(sales, monkeypatch):
    _accounts(sales, [f"Bred {number:02d} AB" for number in range(12)])
    narrow = _names(search="Bred 1")
    monkeypatch.setattr(selectors, "SEARCH_ID_LIMIT", 2)  # more matches than that: a subquery instead of ids
    assert _names(search="Bred 1") == narrow == ["Bred 10 AB", "Bred 11 AB"]
    assert len(_names(search="bred")) == 12


def test_the_search_runs_once_per_page_and_the_queries_do_not_grow(client, sales):
    _accounts(sales, [f"Sökbolag {number:03d} AB" for number in range(30)])
    client.force_login(sales)
    url = reverse("crm:account-list")
    client.get(url, {"q": "sökbolag"})
    with CaptureQueriesContext(connection) as few:
        html = client.get(url, {"q": "sökbolag"}).content.decode()
    assert "Showing 1–25 of 30" in html
    _accounts(sales, [f"Sökbolag {number:03d} AB" for number in range(30, 300)])
    with CaptureQueriesContext(connection) as many:
        html = client.get(url, {"q": "sökbolag", "page": 2}).content.decode()
    assert "Showing 26–50 of 300" in html and "Sökbolag 025 AB" in html
    assert len(many) == len(few) <= 8
    searches = [query["sql"] for query in many.captured_queries if "LIKE" in query["sql"]]
    assert len(searches) == 1
    # A narrow search is one statement: the matching organizations, the page and its count.
    accounts = [query["sql"] for query in many.captured_queries if "crm_account" in query["sql"]]
    assert len(accounts) == 1 and "OVER ()" in accounts[0] and "LIKE" in accounts[0]


def test_a_wide_search_still_pages_and_counts(client, sales, monkeypatch):
    _accounts(sales, [f"Bred {number:02d} AB" for number in range(30)])
    monkeypatch.setattr(selectors, "SEARCH_ID_LIMIT", 2)
    client.force_login(sales)
    html = client.get(reverse("crm:account-list"), {"q": "bred", "page": 2}).content.decode()
    assert "Showing 26–30 of 30" in html and "Bred 29 AB" in html and "Bred 24 AB" not in html


def test_the_one_statement_search_page_is_account_lists_answer(make_staff):
    """selectors.account_search_page (the page's fast path) gives account_list's rows, order and total."""
    import random

    from django.utils import timezone

    from frontoffice.crm.models import Activity
    from frontoffice.crm.templatetags.account_rows import account_rows

    rng = random.Random(7)
    owners = [make_staff("Sales", full_name="Sara Säljare"), make_staff("Sales", full_name=""), None]
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"Sökbar {rng.choice('ABC')}{index:02d} AB", country="SE") for index in range(40)]
        + [Organization(name="Annat AB", country="SE")]
    )
    accounts = Account.objects.bulk_create(
        [
            Account(
                organization=organization,
                owner=rng.choice(owners),
                lifecycle_stage=rng.choice(list(Account.Stage)),
                segment=rng.choice(["", *Account.Segment]),
                industry=rng.choice(["", "Bygg <&>"]),
                tags=rng.sample(["vip", "norr", "söder"], rng.randrange(3)),
            )
            for organization in organizations
        ]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                account=rng.choice(accounts),
                assignee=owners[0],
                subject="Ring",
                done_at=rng.choice([None, timezone.now()]),
            )
            for _ in range(60)
        ]
    )
    for filters in [
        {},
        {"stage": "customer"},
        {"segment": "enterprise"},
        {"owner_id": owners[0].pk},
        *({"ordering": ordering} for ordering in selectors.ACCOUNT_ORDERINGS),
    ]:
        expected = list(selectors.account_list(search="sökbar", **filters))
        for offset in (0, 10, 35):
            found = selectors.account_search_page(search="sökbar", offset=offset, limit=11, **filters)
            page = expected[offset : offset + 11]
            assert found.narrow and found.total == (len(expected) if page else None), filters
            assert [row.pk for row in found.rows] == [account.pk for account in page], filters
            assert [(row.open_activities, str(row.owner or "")) for row in found.rows] == [
                (account.open_activities, str(account.owner or "")) for account in page
            ]
            assert account_rows(found.rows) == account_rows(page)
