"""The sidebar and the session: kept between requests, and never out of date."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix
from django.utils import translation

from core import navigation

pytestmark = pytest.mark.django_db

ACTIVE_ACCOUNTS = '<a class="nav-link active" href="/app/crm/accounts/" aria-current="page">'


def test_users_with_the_same_rights_share_one_rendered_sidebar(make_staff):
    first, second, hr = make_staff("Sales"), make_staff("Sales"), make_staff("HR")
    with translation.override("en"):
        html = navigation.sidebar_html(first, "/app/crm/accounts/")
        assert navigation.sidebar_html(second, "/app/crm/accounts/") is html
        assert ACTIVE_ACCOUNTS in html and "Pipeline" in html
        assert "Accounts" not in navigation.sidebar_html(hr, "/app/")
        assert navigation.sidebar_html(first, "/app/") is not html  # another active item
    with translation.override("sv"):
        assert "Konton" in navigation.sidebar_html(first, "/app/crm/accounts/")


def test_the_sidebar_is_the_sections_rendered(make_staff):
    user = make_staff("Sales", "Finance")
    sections = navigation.sections_for(user, "/app/organizations/")
    html = navigation.sidebar_html(user, "/app/organizations/")
    for section in sections:
        assert f'<h2 class="sidebar-heading">{section["label"]}</h2>' in html
        for item in section["items"]:
            assert f'href="{item["url"]}"' in html
    assert [item["active"] for section in sections for item in section["items"]].count(True) == 1


def test_a_change_of_rights_shows_in_the_sidebar_at_once(client, make_staff):
    user = make_staff("HR")
    client.force_login(user)
    assert 'href="/app/crm/accounts/"' not in client.get("/app/").content.decode()
    user.groups.add(Group.objects.get(name="Sales"))
    assert 'href="/app/crm/accounts/"' in client.get("/app/").content.decode()


def test_the_sidebar_follows_the_script_prefix(make_staff):
    user = make_staff("Sales")
    try:
        set_script_prefix("/kontor/")
        assert 'href="/kontor/app/crm/accounts/"' in navigation.sidebar_html(user, "/kontor/app/")
    finally:
        set_script_prefix("/")
    assert 'href="/app/crm/accounts/"' in navigation.sidebar_html(user, "/app/")


def test_a_page_reads_the_session_from_the_cache(client, make_staff):
    client.force_login(make_staff("Sales"))
    client.get("/app/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/app/").status_code == 200
    assert not [query for query in queries.captured_queries if "django_session" in query["sql"]]


def test_an_emptied_cache_signs_no_one_out(client, make_staff):
    client.force_login(make_staff("Sales"))
    assert client.get("/app/").status_code == 200
    cache.clear()
    assert client.get("/app/").status_code == 200
