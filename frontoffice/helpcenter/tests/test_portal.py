"""The public help center under /portal/help/: readable without signing in; drafts exist only for staff."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontoffice.helpcenter import services
from frontoffice.helpcenter.models import ArticleDeflection, ArticleVote
from frontoffice.helpcenter.tests.factories import CategoryFactory, make_article

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_the_portal_url_names():
    assert reverse("portal-help") == "/portal/help/"
    assert reverse("portal-help-search") == "/portal/help/search/"
    assert reverse("portal-help-suggest") == "/portal/help/suggest/"
    assert reverse("portal-article", args=["reset"]) == "/portal/help/reset/"
    assert reverse("portal-help-vote", args=["reset"]) == "/portal/help/reset/vote/"
    assert reverse("portal-help-solved", args=["reset"]) == "/portal/help/reset/solved/"
    assert reverse("portal-help-category", args=["billing"]) == "/portal/help/category/billing/"


def test_the_index_shows_topics_and_popular_articles_to_anyone(client, customer_user):
    billing = CategoryFactory(name="Invoices and payment", icon="receipt")
    CategoryFactory(name="Nothing here yet")
    popular = make_article(title="Understand your invoice", category=billing)
    make_article(title="Secret draft", category=billing, published=False)
    services.article_vote(article=popular, helpful=True, user=customer_user)

    response = client.get(reverse("portal-help"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "How can we help?" in body
    assert "Invoices and payment" in body and "1 article" in body
    assert "Nothing here yet" not in body
    assert "Understand your invoice" in body
    assert "Secret draft" not in body


def test_the_empty_help_center_says_so(client):
    assert "No help articles yet" in client.get(reverse("portal-help")).content.decode()


def test_a_category_lists_its_published_articles(client):
    category = CategoryFactory(name="Delivery")
    make_article(title="Delivery times", category=category)
    make_article(title="Leveranstider", category=category, language="sv")
    make_article(title="Unfinished", category=category, published=False)
    response = client.get(category.get_absolute_url())
    assert [article.title for article in response.context["articles"]] == ["Delivery times", "Leveranstider"]
    swedish = client.get(category.get_absolute_url(), headers={"Accept-Language": "sv"})
    assert [article.title for article in swedish.context["articles"]] == ["Leveranstider", "Delivery times"]
    hidden = CategoryFactory(is_active=False)
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_search_is_ranked_and_leaves_out_drafts(client):
    in_body = make_article(title="Payment terms", body="Every invoice has a due date.")
    in_title = make_article(title="Understand your invoice", body="Line by line.")
    make_article(title="Invoice draft", published=False)
    response = client.get(reverse("portal-help-search"), {"q": "invoices"})
    assert [article.title for article in response.context["rows"]] == [in_title.title, in_body.title]
    body = response.content.decode()
    assert "2 articles found" in body
    assert "Invoice draft" not in body


def test_search_in_swedish_finds_the_stemmed_word(client):
    make_article(title="Så läser du din faktura", body="OCR-nummer.", language="sv")
    response = client.get(reverse("portal-help-search"), {"q": "fakturor", "language": "sv"})
    assert [article.title for article in response.context["rows"]] == ["Så läser du din faktura"]
    english_only = client.get(reverse("portal-help-search"), {"q": "fakturor", "language": "en"})
    assert list(english_only.context["rows"]) == []


def test_search_with_htmx_answers_with_the_results_only(client):
    make_article(title="Reset your password")
    response = client.get(reverse("portal-help-search"), {"q": "password"}, headers=HTMX)
    body = response.content.decode()
    assert "Reset your password" in body
    assert "<html" not in body and "help-search" not in body


def test_search_without_results_or_words_guides_the_visitor(client):
    assert "Type a few words" in client.get(reverse("portal-help-search")).content.decode()
    body = client.get(reverse("portal-help-search"), {"q": "xylophone"}).content.decode()
    assert "Nothing found for “xylophone”" in body


def test_search_takes_the_same_number_of_queries_for_one_result_or_many(client):
    make_article(title="Invoice one")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("portal-help-search"), {"q": "invoice"}).context["rows"]) == 1
    for number in range(8):
        make_article(title=f"Invoice {number}", category=CategoryFactory())
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("portal-help-search"), {"q": "invoice"}).context["rows"]) == 9
    assert len(many) == len(few)


def test_an_article_page_is_public(client):
    article = make_article(title="Reset your password", body="Click **Forgot**.")
    response = client.get(article.get_portal_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Click <strong>Forgot</strong>." in body
    assert "Was this article helpful?" in body


def test_a_draft_is_not_found_for_visitors_customers_and_staff_without_the_right(
    client, client_for, customer_user, seller
):
    draft = make_article(title="Coming soon", published=False)
    assert client.get(draft.get_portal_url()).status_code == 404
    assert client_for(customer_user).get(draft.get_portal_url()).status_code == 404
    assert client_for(seller).get(draft.get_portal_url()).status_code == 404


def test_staff_with_the_right_preview_a_draft_on_the_portal(client_for, agent):
    draft = make_article(title="Coming soon", published=False)
    response = client_for(agent).get(draft.get_portal_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "This is a draft" in body
    assert "Was this article helpful?" not in body


def test_an_unpublished_article_disappears(client):
    article = make_article()
    services.article_unpublish(actor=None, article=article)
    assert client.get(article.get_portal_url()).status_code == 404


def test_voting_without_javascript_redirects_back_with_thanks(client):
    article = make_article()
    response = client.post(reverse("portal-help-vote", args=[article.slug]), {"helpful": "yes"}, follow=True)
    assert response.redirect_chain == [(f"{article.get_portal_url()}#feedback", 302)]
    body = response.content.decode()
    assert "Thank you for your feedback." in body
    assert "You found this article helpful." in body
    client.post(reverse("portal-help-vote", args=[article.slug]), {"helpful": "yes"})
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    assert ArticleVote.objects.get().session_key


def test_voting_with_htmx_replaces_the_box(client_for, customer_user):
    article = make_article()
    client = client_for(customer_user)
    response = client.post(reverse("portal-help-vote", args=[article.slug]), {"helpful": "no"}, headers=HTMX)
    body = response.content.decode()
    assert body.strip().startswith('<section id="feedback"')
    assert "We will improve it." in body
    assert ArticleVote.objects.get().user == customer_user
    client.post(reverse("portal-help-vote", args=[article.slug]), {"helpful": "yes"}, headers=HTMX)
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)


def test_a_vote_needs_an_answer_a_post_and_a_published_article(client):
    article = make_article()
    url = reverse("portal-help-vote", args=[article.slug])
    assert client.post(url, {"helpful": "maybe"}).status_code == 400
    assert client.get(url).status_code == 405
    draft = make_article(published=False)
    assert client.post(reverse("portal-help-vote", args=[draft.slug]), {"helpful": "yes"}).status_code == 404
    assert not ArticleVote.objects.exists()


def test_votes_and_solved_need_the_csrf_token():
    article = make_article()
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("portal-help-vote", args=[article.slug]), {"helpful": "yes"}).status_code == 403
    assert client.post(reverse("portal-help-solved", args=[article.slug]), {"q": "x"}).status_code == 403
    page = client.get(article.get_portal_url())
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("portal-help-vote", args=[article.slug]), {"helpful": "yes", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_suggestions_for_a_subject_being_typed(client):
    password = make_article(title="Reset your password", body="Choose a new one.")
    make_article(title="Password draft", published=False)
    response = client.get(reverse("portal-help-suggest"), {"q": "I forgot my passw"}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="help-suggestions"')
    assert f'href="{password.get_portal_url()}"' in body
    assert f'hx-post="{reverse("portal-help-solved", args=[password.slug])}"' in body
    assert 'name="q" value="I forgot my passw"' in body
    assert "This solved my problem" in body
    assert "Password draft" not in body
    assert "<html" not in body


def test_suggestions_take_a_ticket_forms_subject_field_too(client):
    make_article(title="Delivery times")
    response = client.get(reverse("portal-help-suggest"), {"subject": "delivery"})
    assert "Delivery times" in response.content.decode()


def test_no_suggestions_is_an_empty_answer(client):
    make_article(title="Delivery times")
    for query in ("", "de", "nothing matches this"):
        response = client.get(reverse("portal-help-suggest"), {"q": query}, headers=HTMX)
        assert (response.status_code, response.content) == (200, b"")


def test_suggestions_are_limited_to_five_in_few_queries(client):
    for number in range(8):
        make_article(title=f"Invoice question {number}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal-help-suggest"), {"q": "invoice"})
    assert len(response.context["suggestions"]) == 5
    assert len(queries) <= 2  # the suggestions, and the session when there is one


def test_this_solved_my_problem_with_htmx(client_for, customer_user):
    article = make_article(title="Reset your password")
    response = client_for(customer_user).post(
        reverse("portal-help-solved", args=[article.slug]), {"q": "forgot my password"}, headers=HTMX
    )
    body = response.content.decode()
    assert "Glad that helped!" in body
    assert body.lstrip().startswith('<div class="help-suggestions"')
    deflection = ArticleDeflection.objects.get()
    assert (deflection.article, deflection.query, deflection.user) == (article, "forgot my password", customer_user)


def test_this_solved_my_problem_without_javascript(client):
    article = make_article(title="Reset your password")
    response = client.post(reverse("portal-help-solved", args=[article.slug]), {"q": "forgot"})
    assert response.status_code == 200
    assert "<html" in response.content.decode() and "Glad that helped!" in response.content.decode()
    assert ArticleDeflection.objects.get().user is None


def test_a_draft_solves_nothing(client):
    draft = make_article(published=False)
    assert client.post(reverse("portal-help-solved", args=[draft.slug]), {"q": "x"}).status_code == 404
    assert not ArticleDeflection.objects.exists()
