"""Reads of the help center: ranked full-text search in English and Swedish, suggestions, the report."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontoffice.helpcenter import selectors, services
from frontoffice.helpcenter.models import ArticleDeflection
from frontoffice.helpcenter.tests.factories import CategoryFactory, make_article

pytestmark = pytest.mark.django_db


def _titles(articles) -> list[str]:
    return [article.title for article in articles]


def test_english_search_stems_and_ranks_title_matches_first():
    in_body = make_article(title="Payment terms", body="Every invoice states its due date.")
    in_title = make_article(title="Understand your invoices", body="What each line means.")
    make_article(title="Delivery times", body="Parcels leave the next working day.")
    results = list(selectors.article_search(query="invoice"))
    assert _titles(results) == [in_title.title, in_body.title]
    assert results[0].rank > results[1].rank > 0


def test_swedish_search_finds_a_stemmed_word():
    faktura = make_article(title="Så läser du din faktura", body="Förfallodag och OCR-nummer.", language="sv")
    make_article(title="Leveranstider", body="Paket skickas nästa arbetsdag.", language="sv")
    assert _titles(selectors.article_search(query="fakturor")) == [faktura.title]
    assert _titles(selectors.article_search(query="fakturor", language="sv")) == [faktura.title]
    assert _titles(selectors.article_search(query="fakturor", language="en")) == []


def test_each_language_is_searched_with_its_own_stemming():
    english = make_article(title="Returns", body="You may return goods within 30 days.", language="en")
    swedish = make_article(title="Returer", body="Du kan returnera varor inom 30 dagar.", language="sv")
    assert _titles(selectors.article_search(query="returning")) == [english.title]
    assert _titles(selectors.article_search(query="returnerade")) == [swedish.title]
    assert set(_titles(selectors.article_search(query="30"))) == {english.title, swedish.title}


def test_search_reads_like_a_web_search():
    both = make_article(title="Reset your password", body="Use the sign-in page.")
    make_article(title="Change your password", body="Open your profile.")
    assert _titles(selectors.article_search(query='"reset your password"')) == [both.title]
    assert _titles(selectors.article_search(query="password -profile")) == [both.title]


def test_search_leaves_out_drafts_unless_asked_and_filters_by_category():
    category = CategoryFactory()
    published = make_article(title="Invoice address", category=category)
    draft = make_article(title="Invoice copies", published=False)
    assert _titles(selectors.article_search(query="invoice")) == [published.title]
    assert set(_titles(selectors.article_search(query="invoice", published_only=False))) == {
        published.title,
        draft.title,
    }
    assert _titles(selectors.article_search(query="invoice", published_only=False, category=category)) == [
        published.title
    ]


def test_empty_or_odd_queries_find_nothing_without_failing():
    make_article(title="Invoice address")
    assert list(selectors.article_search(query="   ")) == []
    assert list(selectors.article_search(query="invoice", language="de")) == []
    assert list(selectors.article_search(query="the")) == []  # a stop word only
    assert list(selectors.article_search(query="'\":*&|!()<->")) == []


def test_suggestions_match_any_word_and_the_last_one_as_a_prefix():
    password = make_article(title="Reset your password", body="Forgot it? Choose a new one.")
    make_article(title="Delivery times", body="Parcels leave the next working day.")
    make_article(title="Password policy draft", published=False)
    assert _titles(selectors.article_suggestions(text="cannot sign in, forgot my passw")) == [password.title]
    assert _titles(selectors.article_suggestions(text="Jag har glömt lösenordet")) == []
    assert selectors.article_suggestions(text="pa") == []
    assert selectors.article_suggestions(text="!!! ???") == []


def test_suggestions_find_swedish_articles_and_stop_at_the_limit():
    for number in range(7):
        make_article(title=f"Faktura {number}", body="Om fakturan.", language="sv")
    suggestions = selectors.article_suggestions(text="fakturorna", limit=5)
    assert len(suggestions) == 5
    assert {article.language for article in suggestions} == {"sv"}


def test_suggestions_are_one_query_reading_only_what_they_show():
    make_article(title="Reset your password", body="x" * 5000)
    with CaptureQueriesContext(connection) as queries:
        suggestions = selectors.article_suggestions(text="reset password")
        assert [(item.title, item.slug, item.category.name, item.excerpt) for item in suggestions]
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"helpcenter_article"."body"' not in sql and "body_html" not in sql


def test_staff_list_filters_and_searches_titles_and_text():
    category = CategoryFactory()
    invoice = make_article(title="Invoice address", category=category)
    draft = make_article(title="Return labels", body="About invoices too.", published=False, language="sv")
    assert _titles(selectors.article_list(status="draft")) == [draft.title]
    assert _titles(selectors.article_list(category_id=category.pk)) == [invoice.title]
    assert _titles(selectors.article_list(language="sv")) == [draft.title]
    assert _titles(selectors.article_list(search="addr")) == [invoice.title]  # part of a title
    assert set(_titles(selectors.article_list(search="invoice"))) == {invoice.title, draft.title}
    assert _titles(selectors.article_list(ordering="title")) == [invoice.title, draft.title]


def test_categories_count_their_articles_and_the_portal_shows_only_those_with_something_to_read():
    full = CategoryFactory(name="Billing")
    CategoryFactory(name="Empty")
    hidden = CategoryFactory(name="Hidden")
    make_article(category=full)
    make_article(category=full, published=False)
    make_article(category=hidden)
    services.category_update(actor=None, category=hidden, is_active=False)
    counts = {
        category.name: (category.published_count, category.article_count) for category in selectors.category_list()
    }
    assert counts == {"Billing": (1, 2), "Empty": (0, 0), "Hidden": (1, 1)}
    assert [category.name for category in selectors.portal_categories()] == ["Billing"]


def test_a_reader_gets_a_draft_only_as_staff_with_the_right(agent, seller, customer_user):
    draft = make_article(published=False)
    assert selectors.article_for_reader(slug=draft.slug, user=agent) == draft
    assert selectors.article_for_reader(slug=draft.slug, user=seller) is None
    assert selectors.article_for_reader(slug=draft.slug, user=customer_user) is None


def test_deflection_stats_per_article_and_overall(customer_user):
    password = make_article(title="Reset your password")
    delivery = make_article(title="Delivery times")
    for _ in range(3):
        services.deflection_record(article=password, query="forgot password")
    services.deflection_record(article=delivery, query="when", user=customer_user)
    old = services.deflection_record(article=delivery, query="old")
    ArticleDeflection.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))
    services.article_vote(article=password, helpful=True, user=customer_user)

    stats = selectors.deflection_stats(since=timezone.now() - timedelta(days=30))
    assert (stats.total, stats.articles) == (4, 2)
    assert [(row.title, row.deflections, row.helpful_percent) for row in stats.rows] == [
        ("Reset your password", 3, 100),
        ("Delivery times", 1, None),
    ]
    everything = selectors.deflection_stats()
    assert (everything.total, [row.deflections for row in everything.rows]) == (5, [3, 2])
