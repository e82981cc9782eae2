"""Staff pages under /app/help/: the article list, the editor with its preview, publishing, categories, report."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontoffice.helpcenter import services
from frontoffice.helpcenter.models import Article, ArticleCategory
from frontoffice.helpcenter.tests.factories import CategoryFactory, make_article

pytestmark = pytest.mark.django_db

LIST = reverse("helpcenter:article-list")


def test_the_list_shows_articles_and_filters_them(client_for, agent):
    category = CategoryFactory(name="Billing")
    make_article(title="Invoice address", category=category)
    make_article(title="Return labels", published=False, language="sv")
    client = client_for(agent)

    page = client.get(LIST).content.decode()
    assert "Invoice address" in page and "Return labels" in page
    assert 'href="/app/help/articles/new/"' in page

    drafts = client.get(LIST, {"status": "draft"})
    assert [article.title for article in drafts.context["rows"]] == ["Return labels"]
    filtered = client.get(LIST, {"category": category.pk, "language": "en", "q": "invoice"})
    assert [article.title for article in filtered.context["rows"]] == ["Invoice address"]
    bad = client.get(LIST, {"status": "nonsense", "category": "x"})  # bad filters are ignored, not a 500
    assert len(bad.context["rows"]) == 2


def test_htmx_gets_only_the_results(client_for, agent):
    make_article(title="Invoice address")
    response = client_for(agent).get(LIST, {"q": "invoice"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Invoice address" in body
    assert "<html" not in body and "filter-bar" not in body


def test_the_empty_list_explains_itself(client_for, agent):
    body = client_for(agent).get(LIST).content.decode()
    assert "No help articles yet" in body
    assert "New article" in body


def test_the_list_takes_the_same_number_of_queries_for_one_row_or_many(client_for, agent):
    client = client_for(agent)
    make_article(title="First", actor=agent)
    client.get(LIST)  # warm the per-process caches (sidebar, rights)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for number in range(6):
        make_article(title=f"More {number}", actor=agent, published=number % 2 == 0)
    client.get(LIST)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["rows"]) == 7
    assert len(many) == len(few)


def test_create_a_draft_then_publish_it(client_for, agent):
    category = CategoryFactory(name="Billing")
    client = client_for(agent)
    response = client.post(
        reverse("helpcenter:article-create"),
        {
            "title": "Change your invoice address",
            "category": category.pk,
            "language": "en",
            "slug": "",
            "body": "Send **us** a request.",
        },
        follow=True,
    )
    article = Article.objects.get()
    assert response.redirect_chain[-1][0] == article.get_absolute_url()
    assert (article.slug, article.status, article.author) == ("change-your-invoice-address", "draft", agent)
    body = response.content.decode()
    assert "Send <strong>us</strong> a request." in body
    assert "Publish it when it is ready" in body

    response = client.post(reverse("helpcenter:article-publish", args=[article.pk]), follow=True)
    article.refresh_from_db()
    assert article.status == "published"
    assert "customers can read Change your invoice address now" in response.content.decode()

    response = client.post(reverse("helpcenter:article-unpublish", args=[article.pk]), follow=True)
    article.refresh_from_db()
    assert article.status == "draft"
    assert "is a draft again" in response.content.decode()


def test_publishing_without_a_category_says_why(client_for, agent):
    article = services.article_create(actor=agent, title="Homeless", body="Text")
    response = client_for(agent).post(reverse("helpcenter:article-publish", args=[article.pk]), follow=True)
    assert "Choose a category" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "draft"


def test_the_form_keeps_what_was_typed_on_an_error(client_for, agent):
    make_article(title="Taken", slug="taken")
    response = client_for(agent).post(
        reverse("helpcenter:article-create"),
        {"title": "Mine", "language": "en", "slug": "taken", "body": "My long text"},
    )
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    assert "My long text" in response.content.decode()
    assert Article.objects.count() == 1


def test_edit_an_article(client_for, agent):
    article = make_article(title="Old", body="old")
    response = client_for(agent).post(
        reverse("helpcenter:article-edit", args=[article.pk]),
        {"title": "New", "category": article.category_id, "language": "sv", "slug": article.slug, "body": "ny"},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.language, article.body_html, article.status) == (
        "New",
        "sv",
        "<p>ny</p>\n",
        "published",
    )


def test_preview_with_htmx_and_without_javascript(client_for, agent):
    client = client_for(agent)
    partial = client.post(
        reverse("helpcenter:article-preview"), {"body": "# Hi\n<script>x</script>"}, headers={"HX-Request": "true"}
    )
    assert partial.content.decode().strip() == "<h1>Hi</h1>\n<p>&lt;script&gt;x&lt;/script&gt;</p>"

    page = client.post(
        reverse("helpcenter:article-create"),
        {"title": "Draft", "language": "en", "body": "**bold** idea", "preview": "1"},
    )
    assert page.status_code == 200
    assert "<strong>bold</strong> idea" in page.content.decode()
    assert not Article.objects.exists()  # a preview saves nothing


def test_the_detail_page_shows_the_article_its_numbers_and_history(client_for, agent, customer_user):
    article = make_article(title="Delivery times", body="Two *days*.", actor=agent, source_ticket_number=77)
    services.article_vote(article=article, helpful=True, user=customer_user)
    services.deflection_record(article=article, query="when")
    body = client_for(agent).get(article.get_absolute_url()).content.decode()
    assert "Two <em>days</em>." in body
    assert "T-77" in body
    assert "1 found it helpful" in body
    assert "1 time" in body
    assert "Unpublish" in body
    assert "Published" in body  # the history


def test_categories_list_create_and_edit(client_for, agent):
    client = client_for(agent)
    assert "No categories yet" in client.get(reverse("helpcenter:category-list")).content.decode()
    response = client.post(
        reverse("helpcenter:category-create"),
        {
            "name": "Billing",
            "slug": "",
            "description": "Invoices",
            "icon": "receipt",
            "position": 10,
            "is_active": "on",
        },
        follow=True,
    )
    category = ArticleCategory.objects.get()
    assert (category.slug, category.icon) == ("billing", "receipt")
    assert "The category Billing is added." in response.content.decode()
    response = client.post(
        reverse("helpcenter:category-edit", args=[category.pk]),
        {"name": "Billing", "slug": "billing", "icon": "bad icon!", "position": 10},
    )
    assert "icon" in response.context["form"].errors
    client.post(
        reverse("helpcenter:category-edit", args=[category.pk]),
        {"name": "Invoices", "slug": "billing", "icon": "receipt", "position": 20},
    )
    category.refresh_from_db()
    assert (category.name, category.position, category.is_active) == ("Invoices", 20, False)


def test_deflection_report(client_for, manager):
    article = make_article(title="Reset your password")
    services.deflection_record(article=article, query="forgot")
    services.deflection_record(article=article, query="locked out")
    response = client_for(manager).get(reverse("helpcenter:deflection-report"), {"period": "all"})
    assert (response.context["stats"].total, response.context["period"]) == (2, "all")
    body = response.content.decode()
    assert "Reset your password" in body
    assert client_for(manager).get(reverse("helpcenter:deflection-report"), {"period": "x"}).context["period"] == "30"


def test_management_reads_but_does_not_write(client_for, manager):
    article = make_article()
    client = client_for(manager)
    assert client.get(LIST).status_code == 200
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get(reverse("helpcenter:article-create")).status_code == 403
    assert client.post(reverse("helpcenter:article-unpublish", args=[article.pk])).status_code == 403
    assert client.post(reverse("helpcenter:article-preview"), {"body": "x"}).status_code == 403


@pytest.mark.parametrize(
    "name,args",
    [
        ("helpcenter:article-list", []),
        ("helpcenter:article-create", []),
        ("helpcenter:category-list", []),
        ("helpcenter:category-create", []),
        ("helpcenter:deflection-report", []),
    ],
)
def test_sales_staff_and_customers_are_refused(client, client_for, seller, customer_user, name, args):
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302  # to the sign-in page
    assert client_for(seller).get(url).status_code == 403
    assert client_for(customer_user).get(url).status_code == 403


def test_sales_staff_cannot_open_or_publish_an_article(client_for, seller):
    article = make_article(published=False)
    client = client_for(seller)
    assert client.get(article.get_absolute_url()).status_code == 403
    assert client.post(reverse("helpcenter:article-publish", args=[article.pk])).status_code == 403
    article.refresh_from_db()
    assert article.status == "draft"


def test_the_sidebar_shows_the_help_center_to_agents_only(client_for, agent, seller):
    assert 'href="/app/help/articles/"' in client_for(agent).get(reverse("dashboard")).content.decode()
    assert 'href="/app/help/articles/"' not in client_for(seller).get(reverse("dashboard")).content.decode()


def test_the_admin_shows_every_model(client_for, admin_user, customer_user):
    article = make_article(title="Delivery times")
    services.article_vote(article=article, helpful=True, user=customer_user)
    services.deflection_record(article=article, query="when")
    client = client_for(admin_user)
    for model in ("articlecategory", "article", "articlevote", "articledeflection"):
        assert client.get(reverse(f"admin:helpcenter_{model}_changelist")).status_code == 200, model
    page = client.get(reverse("admin:helpcenter_article_change", args=[article.pk]))
    assert page.status_code == 200
    assert "Published" in page.content.decode()  # the audit trail
    assert client.get(reverse("admin:helpcenter_articlecategory_change", args=[article.category_id])).status_code == 200


def test_the_list_sorts_by_title_and_by_update(client_for, agent):
    make_article(title="Beta")
    make_article(title="Alpha")
    client = client_for(agent)
    assert [row.title for row in client.get(LIST).context["rows"]] == ["Alpha", "Beta"]  # newest change first
    assert [row.title for row in client.get(LIST, {"sort": "updated_at"}).context["rows"]] == ["Beta", "Alpha"]
    assert [row.title for row in client.get(LIST, {"sort": "-title"}).context["rows"]] == ["Beta", "Alpha"]
    assert "sort=updated_at" in client.get(LIST).content.decode()
