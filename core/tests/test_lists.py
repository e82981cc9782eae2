"""List pages: exact counts for short lists, a capped count and the planner's estimate for long ones."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core import lists
from core.lists import ListPaginator
from core.parties.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations():
    def make(number: int) -> None:
        Organization.objects.bulk_create(
            [Organization(name=f"Lista {index:03d} AB", country="SE", roles=["customer"]) for index in range(number)]
        )

    return make


def _paginate(page_number=1, per_page: int = 5, **options) -> tuple[ListPaginator, object, CaptureQueriesContext]:
    paginator = ListPaginator(Organization.objects.order_by("name", "pk"), per_page, **options)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(page_number)
        count = paginator.count
    assert count == paginator.count
    return paginator, page, queries


def test_a_short_list_is_counted_exactly(organizations):
    organizations(12)
    paginator, page, queries = _paginate()
    assert (paginator.count, paginator.num_pages, paginator.count_is_exact, len(queries)) == (12, 3, True, 2)
    assert [organization.name for organization in page] == [f"Lista {index:03d} AB" for index in range(5)]
    assert (page.start_index(), page.end_index(), page.has_previous()) == (1, 5, False)
    assert page.has_next() and page.next_page_number() == 2


@pytest.mark.parametrize(("page_number", "names"), [(1, range(5)), (2, range(5, 10)), (3, range(10, 12))])
def test_a_short_list_counted_by_its_page_query_takes_one_query(organizations, page_number, names):
    organizations(12)
    paginator, page, queries = _paginate(page_number, count_from_rows=True)
    assert (paginator.count, paginator.num_pages, paginator.count_is_exact, len(queries)) == (12, 3, True, 1)
    assert "OVER ()" in queries.captured_queries[0]["sql"]
    assert [organization.name for organization in page] == [f"Lista {index:03d} AB" for index in names]
    assert page.has_next() == (page_number < 3)


def test_counted_by_its_page_query_past_the_end_or_empty(organizations):
    paginator, page, _queries = _paginate(count_from_rows=True)
    assert (paginator.count, page.start_index(), page.has_next()) == (0, 0, False)
    organizations(12)
    paginator, page, _queries = _paginate(9, count_from_rows=True)  # past the end: the last page
    assert (paginator.count, page.number, page.start_index()) == (12, 3, 11)


def test_the_last_page(organizations):
    organizations(12)
    paginator, page, queries = _paginate(3)
    assert (paginator.count, page.start_index(), page.end_index(), len(queries)) == (12, 11, 12, 2)
    assert not page.has_next() and page.has_previous() and page.previous_page_number() == 2


def test_an_empty_list(organizations):
    paginator, page, _queries = _paginate()
    assert (paginator.count, page.start_index(), page.end_index(), page.has_next()) == (0, 0, 0, False)


def test_past_the_limit_the_count_is_the_planners_estimate(organizations, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 40_000)
    organizations(30)
    paginator, page, queries = _paginate()
    assert (paginator.count, paginator.count_is_estimate, paginator.count_is_exact) == (40_000, True, False)
    assert "LIMIT 11" in queries.captured_queries[-1]["sql"]  # the count stopped after 11 rows
    assert page.has_next()


def test_past_the_limit_a_low_estimate_gives_only_a_lower_bound(organizations, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    organizations(30)
    connection.cursor().execute("ANALYZE parties_organization")
    monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 7)
    paginator, page, _queries = _paginate()
    assert (paginator.count, paginator.count_is_lower_bound) == (11, True)
    # A page past what the lower bound would allow is still served: its rows decide.
    paginator, page, _queries = _paginate(5)
    assert [organization.name for organization in page] == [f"Lista {index:03d} AB" for index in range(20, 25)]
    assert page.has_next() and page.start_index() == 21


def test_the_estimate_comes_from_explain(organizations):
    organizations(30)
    connection.cursor().execute("ANALYZE parties_organization")
    assert lists._estimated_rows(Organization.objects.values("pk")) == 30


def test_a_page_past_the_end_of_an_estimated_list_shows_the_last_page(organizations, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 40_000)
    organizations(30)
    paginator, page, _queries = _paginate(500)
    assert (page.number, paginator.count, paginator.count_is_exact) == (6, 30, True)
    assert [organization.name for organization in page][-1] == "Lista 029 AB"


def test_bad_page_numbers_give_the_first_page(organizations):
    organizations(12)
    assert _paginate("x")[1].number == 1
    assert _paginate(0)[1].number == 3  # like Django's: out of range goes to the last page


def test_list_page_says_about_or_more_than(client, make_staff, organizations, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    organizations(40)
    client.force_login(make_staff("Sales"))
    monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 12_345)
    html = client.get("/app/organizations/").content.decode()
    assert "Showing 1–25 of about 12,345" in html and "Page 1 of about 494" in html and 'rel="next"' in html
    monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 3)
    html = client.get("/app/organizations/").content.decode()
    assert "Showing 1–25 of more than 10" in html and ">Page 1<" in html
    html = client.get("/app/organizations/", {"page": 2}).content.decode()
    assert "Showing 26–40 of 40" in html and "Page 2 of 2" in html and 'rel="next"' not in html


def test_list_page_in_swedish(client, make_staff, organizations, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    organizations(40)
    client.force_login(make_staff("Sales"))
    with translation.override("en"):  # the Swedish requests leave Swedish active in this thread
        client.post("/i18n/setlang/", {"language": "sv", "next": "/app/"})
        monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 12_345)
        html = client.get("/app/organizations/").content.decode()
        assert "Visar 1–25 av cirka 12\xa0345" in html and "Sida 1 av cirka 494" in html
        monkeypatch.setattr(lists, "_estimated_rows", lambda queryset: 3)
        html = client.get("/app/organizations/").content.decode()
        assert "Visar 1–25 av fler än 10" in html and ">Sida 1<" in html
