"""Every write of the help center: articles and their categories, readers' votes and deflections."""

import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot
from core.exceptions import ServiceError
from frontoffice.helpcenter.models import Article, ArticleCategory, ArticleDeflection, ArticleVote
from frontoffice.helpcenter.rendering import plain_excerpt, render_markdown

ARTICLE_FIELDS = ["title", "slug", "category", "language", "body"]
CATEGORY_FIELDS = ["name", "slug", "description", "icon", "position", "is_active"]
# Slugs that would hide a portal page of the same path (/portal/help/search/, ...).
RESERVED_SLUGS = {"search", "suggest", "category", "new"}
ICON_NAME = re.compile(r"[a-z0-9-]+")
QUERY_LENGTH = ArticleDeflection._meta.get_field("query").max_length


def _apply(instance, fields: list[str], values: dict[str, Any]) -> None:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(instance, name, value)


def _unique_slug(text: str, *, model: type, exclude_pk: int | None = None) -> str:
    """A slug made from `text` that no other row has: "reset-password", then "reset-password-2", ..."""
    max_length = model._meta.get_field("slug").max_length
    base = slugify(text)[: max_length - 6].strip("-") or "article"
    taken = set(model.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    taken |= RESERVED_SLUGS
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _check_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ServiceError({"slug": _("“%(slug)s” is reserved for a page of the help center.") % {"slug": slug}})


def _render(article: Article) -> None:
    article.body_html = render_markdown(article.body)
    article.excerpt = plain_excerpt(article.body_html)


def _clean_article(article: Article, *, category_changed: bool = True) -> None:
    article.title = (article.title or "").strip()
    article.slug = (article.slug or "").strip().lower()
    if not article.title:
        raise ServiceError({"title": _("Give the article a title.")})
    if article.slug:
        _check_slug(article.slug)
    else:
        article.slug = _unique_slug(article.title, model=Article, exclude_pk=article.pk)
    if article.is_published:
        # An article may stay in a category hidden since, but not be moved into one.
        _check_publishable(article, require_active_category=category_changed)
    _render(article)
    article.full_clean(exclude=["search_vector"])


def _check_publishable(article: Article, *, require_active_category: bool = True) -> None:
    errors = {}
    if article.category_id is None:
        errors["category"] = _("Choose a category: customers find published articles by it.")
    elif require_active_category and not article.category.is_active:
        errors["category"] = _("The category is inactive; choose an active one.")
    if not article.body.strip():
        errors["body"] = _("Write the article before publishing it.")
    if errors:
        raise ServiceError(errors)


def _body_change(before: str, after: str) -> dict[str, list[Any]]:
    """The text itself is too long for the audit row: record that it changed, and its length."""
    if before == after:
        return {}
    return {
        "body": [_("%(count)s characters") % {"count": len(before)}, _("%(count)s characters") % {"count": len(after)}]
    }


def lock_article(pk: int) -> Article:
    return Article.objects.select_for_update(of=("self",)).select_related("category").get(pk=pk)


@transaction.atomic
def article_create(
    *,
    actor: User | None,
    title: str,
    body: str = "",
    category: ArticleCategory | None = None,
    language: str = Article.Language.ENGLISH,
    slug: str = "",
    source_ticket_number: int | None = None,
) -> Article:
    """Write a new article; it starts as a draft that only staff see until it is published."""
    article = Article(
        title=title,
        body=body or "",
        category=category,
        language=language,
        slug=slug,
        source_ticket_number=source_ticket_number,
        author=actor if actor is not None and actor.is_authenticated else None,
        status=Article.Status.DRAFT,
    )
    _clean_article(article)
    article.save()
    audit_record(actor=actor, instance=article, action=AuditEntry.Action.CREATE)
    return article


@transaction.atomic
def article_update(*, actor: User | None, article: Article, **values: Any) -> Article:
    """Change an article's title, address, category, language or text; a published one stays published."""
    article = lock_article(article.pk)
    fields = [name for name in values if name != "body"]
    before = snapshot(article, fields)
    body_before, category_before = article.body, article.category_id
    _apply(article, ARTICLE_FIELDS, values)
    if "body" in values:
        article.body = values["body"] or ""
    _clean_article(article, category_changed=article.category_id != category_before)
    changes = {**changes_between(before, snapshot(article, fields)), **_body_change(body_before, article.body)}
    if changes:
        article.save()
        audit_record(actor=actor, instance=article, action=AuditEntry.Action.UPDATE, changes=changes)
    return article


@transaction.atomic
def article_publish(*, actor: User | None, article: Article) -> Article:
    """Show the article to customers on the portal, in search and in suggestions."""
    article = lock_article(article.pk)
    if article.is_published:
        raise ServiceError(_("The article is already published."))
    _check_publishable(article)
    article.status = Article.Status.PUBLISHED
    article.published_at = timezone.now()
    article.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(actor=actor, instance=article, action=AuditEntry.Action.ACTION, message=_("Published"))
    return article


@transaction.atomic
def article_unpublish(*, actor: User | None, article: Article) -> Article:
    """Take the article back to a draft: customers no longer see it; its votes and deflections are kept."""
    article = lock_article(article.pk)
    if not article.is_published:
        raise ServiceError(_("The article is not published."))
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, instance=article, action=AuditEntry.Action.ACTION, message=_("Unpublished"))
    return article


def article_draft_from_text(
    *,
    actor: User,
    title: str,
    body: str,
    source_ticket_number: int | None = None,
    language: str = "",
) -> Article:
    """A draft article from an agent's ticket reply, to be edited and published in the help center.

    The language is the agent's own when it is one the help center has (else
    English); the category is chosen when the draft is edited.
    """
    if not language:
        own = getattr(actor, "language", "") or ""
        language = own if own in Article.Language.values else Article.Language.ENGLISH
    return article_create(
        actor=actor,
        title=(title or "").strip()[: Article._meta.get_field("title").max_length],
        body=body,
        language=language,
        source_ticket_number=source_ticket_number,
    )


def _published(article: Article) -> Article:
    article = lock_article(article.pk)
    if not article.is_published:
        raise ServiceError(_("This article is not published."))
    return article


@transaction.atomic
def article_vote(*, article: Article, helpful: bool, user: User | None = None, session_key: str = "") -> ArticleVote:
    """Record "Was this helpful?" once per signed-in user, else per browser session.

    A second answer from the same reader replaces the first one (and moves the counts).
    """
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and not session_key:
        raise ServiceError(_("A vote needs a user or a browser session."))
    article = _published(article)  # the lock also serializes votes on one article
    voter = {"user": user} if user is not None else {"user": None, "session_key": session_key}
    vote = ArticleVote.objects.filter(article=article, **voter).first()
    if vote is None:
        vote = ArticleVote.objects.create(article=article, helpful=helpful, **voter)
        counter = "helpful_count" if helpful else "unhelpful_count"
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
        audit_record(actor=user, instance=vote, action=AuditEntry.Action.CREATE)
    elif vote.helpful != helpful:
        vote.helpful = helpful
        vote.save(update_fields=["helpful", "updated_at"])
        up, down = ("helpful_count", "unhelpful_count") if helpful else ("unhelpful_count", "helpful_count")
        Article.objects.filter(pk=article.pk).update(**{up: F(up) + 1, down: Greatest(F(down) - 1, 0)})
        audit_record(
            actor=user, instance=vote, action=AuditEntry.Action.UPDATE, changes={"helpful": [not helpful, helpful]}
        )
    return vote


@transaction.atomic
def deflection_record(*, article: Article, query: str, user: User | None = None) -> ArticleDeflection:
    """A customer found their answer in this article instead of submitting a request: count it."""
    if user is not None and not user.is_authenticated:
        user = None
    article = _published(article)
    deflection = ArticleDeflection.objects.create(
        article=article, query=" ".join((query or "").split())[:QUERY_LENGTH], user=user
    )
    audit_record(actor=user, instance=deflection, action=AuditEntry.Action.CREATE)
    return deflection


# --- categories ------------------------------------------------------------------------


def _clean_category(category: ArticleCategory) -> None:
    category.name = (category.name or "").strip()
    category.slug = (category.slug or "").strip().lower()
    category.icon = (category.icon or "").strip()
    if not category.name:
        raise ServiceError({"name": _("Give the category a name.")})
    if not category.slug:
        category.slug = _unique_slug(category.name, model=ArticleCategory, exclude_pk=category.pk)
    if category.icon and not ICON_NAME.fullmatch(category.icon):
        raise ServiceError({"icon": _("An icon name has only letters, digits and dashes, e.g. receipt.")})
    category.full_clean()


@transaction.atomic
def category_create(*, actor: User | None, **values: Any) -> ArticleCategory:
    """Add a shelf to the help center."""
    category = ArticleCategory()
    _apply(category, CATEGORY_FIELDS, values)
    _clean_category(category)
    category.save()
    audit_record(actor=actor, instance=category, action=AuditEntry.Action.CREATE)
    return category


@transaction.atomic
def category_update(*, actor: User | None, category: ArticleCategory, **values: Any) -> ArticleCategory:
    """Rename, reorder or hide a category; hiding one hides it from the portal's index, not its articles' pages."""
    category = ArticleCategory.objects.select_for_update().get(pk=category.pk)
    before = snapshot(category, list(values))
    _apply(category, CATEGORY_FIELDS, values)
    _clean_category(category)
    changes = changes_between(before, snapshot(category, list(values)))
    if changes:
        category.save()
        audit_record(actor=actor, instance=category, action=AuditEntry.Action.UPDATE, changes=changes)
    return category
