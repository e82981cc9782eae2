"""/api/v1/service/articles/: everyone signed in reads published articles; staff with the rights write them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit.models import AuditEntry
from frontoffice.helpcenter.models import Article
from frontoffice.helpcenter.tests.factories import CategoryFactory, make_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/service/articles/"


@pytest.fixture
def agent_api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def customer_api(api_client_for, customer_user):
    return api_client_for(customer_user)


def _titles(response) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


def test_signing_in_is_needed(api_client):
    assert api_client.get(ARTICLES).status_code == 401


def test_customers_read_published_articles_only(customer_api):
    published = make_article(title="Reset your password", body="Click **Forgot**.", source_ticket_number=5)
    draft = make_article(title="Coming soon", published=False)
    response = customer_api.get(ARTICLES)
    assert response.status_code == 200
    assert _titles(response) == ["Reset your password"]
    row = response.json()["results"][0]
    assert row["body_html"] == "<p>Click <strong>Forgot</strong>.</p>\n"
    assert row["portal_url"] == f"/portal/help/{published.slug}/"
    assert (row["author_name"], row["source_ticket_number"], row["status"]) == (None, None, "published")
    assert customer_api.get(f"{ARTICLES}{published.pk}/").status_code == 200
    assert customer_api.get(f"{ARTICLES}{draft.pk}/").status_code == 404
    assert customer_api.get(ARTICLES, {"status": "draft"}).json()["results"] == []


def test_staff_who_may_read_articles_see_drafts(agent_api, api_client_for, seller):
    make_article(title="Published one")
    draft = make_article(title="Coming soon", published=False, source_ticket_number=42)
    assert set(_titles(agent_api.get(ARTICLES))) == {"Published one", "Coming soon"}
    detail = agent_api.get(f"{ARTICLES}{draft.pk}/").json()
    assert (detail["status"], detail["source_ticket_number"]) == ("draft", 42)
    assert _titles(agent_api.get(ARTICLES, {"status": "draft"})) == ["Coming soon"]
    sales_api = api_client_for(seller)  # signed in, but no help center rights: a reader like a customer
    assert _titles(sales_api.get(ARTICLES)) == ["Published one"]
    assert sales_api.get(f"{ARTICLES}{draft.pk}/").status_code == 404


def test_search_is_ranked_in_both_languages(customer_api):
    make_article(title="Payment terms", body="Every invoice has a due date.")
    make_article(title="Understand your invoice", body="Line by line.")
    make_article(title="Så läser du din faktura", body="OCR-nummer.", language="sv")
    make_article(title="Invoice draft", published=False)
    assert _titles(customer_api.get(ARTICLES, {"q": "invoices"})) == ["Understand your invoice", "Payment terms"]
    assert _titles(customer_api.get(ARTICLES, {"q": "fakturor"})) == ["Så läser du din faktura"]
    assert _titles(customer_api.get(ARTICLES, {"q": "fakturor", "language": "en"})) == []


def test_filters_by_category_and_language(customer_api):
    billing = CategoryFactory(slug="billing")
    make_article(title="Invoice", category=billing)
    make_article(title="Faktura", category=billing, language="sv")
    make_article(title="Delivery")
    assert set(_titles(customer_api.get(ARTICLES, {"category": "billing"}))) == {"Invoice", "Faktura"}
    assert _titles(customer_api.get(ARTICLES, {"category": "billing", "language": "sv"})) == ["Faktura"]


@pytest.mark.parametrize("params,field", [({"category": "nope"}, "category"), ({"language": "de"}, "language")])
def test_a_bad_filter_is_a_400_naming_it(customer_api, params, field):
    response = customer_api.get(ARTICLES, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_agent_writes_a_draft_and_publishes_it(agent_api, agent):
    CategoryFactory(slug="billing")
    response = agent_api.post(
        ARTICLES,
        {
            "title": "Change your invoice address",
            "category": "billing",
            "language": "en",
            "body": "Send a **request**.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["slug"], data["status"], data["body_html"], data["author_name"]) == (
        "change-your-invoice-address",
        "draft",
        "<p>Send a <strong>request</strong>.</p>\n",
        "Sara Support",
    )
    pk = data["id"]
    response = agent_api.patch(f"{ARTICLES}{pk}/", {"body": "<script>x</script>"}, format="json")
    assert response.json()["body_html"] == "<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
    response = agent_api.post(f"{ARTICLES}{pk}/publish/")
    assert (response.status_code, response.json()["status"]) == (200, "published")
    assert response.json()["published_at"]
    assert agent_api.post(f"{ARTICLES}{pk}/publish/").status_code == 400
    response = agent_api.post(f"{ARTICLES}{pk}/unpublish/")
    assert response.json()["status"] == "draft"
    assert AuditEntry.objects.filter(object_id=str(pk), actor=agent).count() == 4


def test_service_errors_name_their_field(agent_api):
    make_article(title="Taken", slug="taken")
    response = agent_api.post(ARTICLES, {"title": "Mine", "slug": "taken"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["slug"])
    draft = agent_api.post(ARTICLES, {"title": "No category", "body": "x"}, format="json").json()
    response = agent_api.post(f"{ARTICLES}{draft['id']}/publish/")
    assert (response.status_code, list(response.json())) == (400, ["category"])


def test_readers_cannot_write(customer_api, api_client_for, seller, manager):
    article = make_article(published=False)
    for client in (customer_api, api_client_for(seller), api_client_for(manager)):
        assert client.post(ARTICLES, {"title": "Mine"}, format="json").status_code == 403
        assert client.patch(f"{ARTICLES}{article.pk}/", {"title": "Mine"}, format="json").status_code in {403, 404}
        assert client.post(f"{ARTICLES}{article.pk}/publish/").status_code in {403, 404}
    article.refresh_from_db()
    assert (article.status, Article.objects.count()) == ("draft", 1)


def test_nothing_is_deleted_through_the_api(agent_api):
    article = make_article()
    assert agent_api.delete(f"{ARTICLES}{article.pk}/").status_code == 405


def _queries(client, params: dict, rows: int) -> int:
    client.get(ARTICLES, params)  # the user's rights are cached after the first request
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(ARTICLES, params).json()["results"]) == rows
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"q": "invoice"}])
def test_the_list_takes_the_same_number_of_queries_for_one_row_or_many(agent_api, agent, params):
    make_article(title="Invoice one", actor=agent)
    few = _queries(agent_api, params, 1)
    for number in range(5):
        make_article(title=f"Invoice {number}", actor=agent, published=number % 2 == 0)
    assert _queries(agent_api, params, 6) == few
