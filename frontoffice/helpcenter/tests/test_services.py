"""The help center's writes: articles, publishing, votes, deflections, drafts from tickets."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit.models import AuditEntry
from frontoffice.helpcenter import services
from frontoffice.helpcenter.models import Article, ArticleDeflection, ArticleVote
from frontoffice.helpcenter.tests.factories import CategoryFactory, make_article

pytestmark = pytest.mark.django_db


def _entries(instance) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_id=str(instance.pk), content_type__model=instance._meta.model_name)
        .order_by("pk")
        .values_list("action", "message")
    )


def test_a_new_article_is_a_sanitized_draft_with_a_slug_from_its_title(agent):
    article = services.article_create(
        actor=agent, title="  Återställ lösenord ", body="Hej <script>x</script> **du**", language="sv"
    )
    assert (article.title, article.slug, article.status, article.author) == (
        "Återställ lösenord",
        "aterstall-losenord",
        "draft",
        agent,
    )
    assert article.body_html == "<p>Hej &lt;script&gt;x&lt;/script&gt; <strong>du</strong></p>\n"
    assert article.excerpt == "Hej <script>x</script> du"
    assert article.published_at is None
    assert _entries(article) == [("create", "")]


def test_slugs_stay_unique_and_avoid_reserved_words(agent):
    first = services.article_create(actor=agent, title="Delivery times")
    second = services.article_create(actor=agent, title="Delivery times")
    search = services.article_create(actor=agent, title="Search")
    assert (first.slug, second.slug, search.slug) == ("delivery-times", "delivery-times-2", "search-2")
    with pytest.raises(ValidationError) as error:
        services.article_create(actor=agent, title="Other", slug="delivery-times")
    assert "slug" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.article_create(actor=agent, title="Other", slug="suggest")
    assert "slug" in error.value.message_dict


def test_an_article_needs_a_title(agent):
    with pytest.raises(ValidationError) as error:
        services.article_create(actor=agent, title="   ", body="x")
    assert list(error.value.message_dict) == ["title"]


def test_unknown_language_is_refused(agent):
    with pytest.raises(ValidationError) as error:
        services.article_create(actor=agent, title="Hallo", language="de")
    assert "language" in error.value.message_dict


def test_update_rerenders_and_audits_what_moved(agent):
    article = make_article(actor=agent, title="Old title", body="one")
    article = services.article_update(actor=agent, article=article, title="New title", body="two **2**")
    assert (article.title, article.body_html, article.status) == (
        "New title",
        "<p>two <strong>2</strong></p>\n",
        "published",
    )
    entry = AuditEntry.objects.filter(object_id=str(article.pk), action="update").get()
    assert entry.changes == {"title": ["Old title", "New title"], "body": ["3 characters", "9 characters"]}


def test_an_update_that_changes_nothing_writes_no_audit_row(agent):
    article = make_article(actor=agent)
    services.article_update(actor=agent, article=article, title=article.title, body=article.body)
    assert not AuditEntry.objects.filter(object_id=str(article.pk), action="update").exists()


def test_publishing_needs_a_category_and_text(agent):
    article = services.article_create(actor=agent, title="No home")
    with pytest.raises(ValidationError) as error:
        services.article_publish(actor=agent, article=article)
    assert set(error.value.message_dict) == {"category", "body"}
    inactive = CategoryFactory(is_active=False)
    services.article_update(actor=agent, article=article, category=inactive, body="Text")
    with pytest.raises(ValidationError) as error:
        services.article_publish(actor=agent, article=article)
    assert list(error.value.message_dict) == ["category"]


def test_publish_and_unpublish(agent):
    article = make_article(actor=agent, published=False)
    before = timezone.now()
    article = services.article_publish(actor=agent, article=article)
    assert article.status == "published"
    assert article.published_at >= before
    with pytest.raises(ValidationError):
        services.article_publish(actor=agent, article=article)
    article = services.article_unpublish(actor=agent, article=article)
    assert article.status == "draft"
    assert article.published_at is not None  # when it was last published
    with pytest.raises(ValidationError):
        services.article_unpublish(actor=agent, article=article)
    assert _entries(article) == [("create", ""), ("action", "Published"), ("action", "Unpublished")]


def test_a_published_article_cannot_lose_its_category_nor_move_into_a_hidden_one(agent):
    article = make_article(actor=agent)
    with pytest.raises(ValidationError) as error:
        services.article_update(actor=agent, article=article, category=None)
    assert "category" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.article_update(actor=agent, article=article, category=CategoryFactory(is_active=False))
    assert "category" in error.value.message_dict
    services.category_update(actor=agent, category=article.category, is_active=False)
    article = services.article_update(actor=agent, article=article, title="Still editable")
    assert (article.title, article.status) == ("Still editable", "published")


def test_the_database_refuses_a_published_article_without_time_or_category():
    article = make_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(published_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(category=None)


def test_a_user_votes_once_and_may_change_their_answer(customer_user):
    article = make_article()
    services.article_vote(article=article, helpful=True, user=customer_user)
    services.article_vote(article=article, helpful=True, user=customer_user)
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    services.article_vote(article=article, helpful=False, user=customer_user)
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (0, 1)
    assert ArticleVote.objects.filter(article=article).count() == 1
    vote = ArticleVote.objects.get()
    assert _entries(vote) == [("create", ""), ("update", "")]


def test_visitors_vote_once_per_session(customer_user):
    article = make_article()
    services.article_vote(article=article, helpful=True, session_key="session-a")
    services.article_vote(article=article, helpful=True, session_key="session-a")
    services.article_vote(article=article, helpful=False, session_key="session-b")
    services.article_vote(article=article, helpful=True, user=customer_user, session_key="ignored")
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (2, 1)
    assert ArticleVote.objects.filter(user=customer_user).get().session_key == ""


def test_a_vote_needs_a_voter_and_a_published_article():
    with pytest.raises(ValidationError):
        services.article_vote(article=make_article(), helpful=True)
    draft = make_article(published=False)
    with pytest.raises(ValidationError):
        services.article_vote(article=draft, helpful=True, session_key="s")
    assert not ArticleVote.objects.exists()


def test_the_database_keeps_one_vote_per_user_and_article(customer_user):
    article = make_article()
    ArticleVote.objects.create(article=article, helpful=True, user=customer_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(article=article, helpful=False, user=customer_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(article=article, helpful=False)  # neither user nor session


def test_deflection_records_the_question(customer_user):
    article = make_article()
    deflection = services.deflection_record(article=article, query="  how do I\n reset  ", user=customer_user)
    assert (deflection.article, deflection.query, deflection.user) == (article, "how do I reset", customer_user)
    anonymous = services.deflection_record(article=article, query="x" * 500)
    assert (len(anonymous.query), anonymous.user) == (300, None)
    assert _entries(deflection) == [("create", "")]


def test_a_draft_deflects_nothing():
    with pytest.raises(ValidationError):
        services.deflection_record(article=make_article(published=False), query="x")
    assert not ArticleDeflection.objects.exists()


def test_draft_from_a_ticket_reply(agent):
    agent.language = "sv"
    article = services.article_draft_from_text(
        actor=agent, title="Byta leveransadress", body="Svara med **ordernumret**.", source_ticket_number=1042
    )
    assert (article.status, article.language, article.source_ticket_number, article.author, article.category) == (
        "draft",
        "sv",
        1042,
        agent,
        None,
    )
    assert article.slug == "byta-leveransadress"
    assert article.body_html == "<p>Svara med <strong>ordernumret</strong>.</p>\n"
    assert _entries(article) == [("create", "")]


def test_draft_from_text_falls_back_to_english_and_cuts_a_long_subject(agent):
    agent.language = "de"
    article = services.article_draft_from_text(actor=agent, title="x" * 300, body="")
    assert (article.language, len(article.title), article.source_ticket_number) == ("en", 200, None)


def test_categories_get_a_slug_and_a_valid_icon(agent):
    category = services.category_create(actor=agent, name="Fakturor & betalning", icon="receipt")
    assert (category.slug, category.is_active) == ("fakturor-betalning", True)
    with pytest.raises(ValidationError) as error:
        services.category_update(actor=agent, category=category, icon='x" onmouseover="y')
    assert list(error.value.message_dict) == ["icon"]
    category = services.category_update(actor=agent, category=category, name="Fakturor", is_active=False)
    assert (category.name, category.slug, category.is_active) == ("Fakturor", "fakturor-betalning", False)
    assert _entries(category) == [("create", ""), ("update", "")]
