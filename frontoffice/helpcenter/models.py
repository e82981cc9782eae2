"""The help center: articles customers read before (or instead of) asking, and what they said about them."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Case, Q, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The PostgreSQL text search configuration of each article language: it decides the stemming
# ("fakturor" and "faktura" are one word in Swedish) and the stop words.
SEARCH_CONFIGS = {"en": "english", "sv": "swedish"}


def _article_vector(config: str) -> SearchVector:
    return SearchVector("title", weight="A", config=config) + SearchVector("body", weight="B", config=config)


class ArticleCategory(models.Model):
    """A shelf of the help center ("Billing and invoices"): customers browse the articles by it."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=_("The category's part of its web address.")
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    icon = models.CharField(
        _("icon"),
        max_length=40,
        blank=True,
        help_text=_("The name of a Bootstrap icon, e.g. receipt or truck; a book when left empty."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Lower comes first."))
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive categories are hidden."))

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="helpcenter_category_has_name"),
            models.CheckConstraint(condition=~Q(slug=""), name="helpcenter_category_has_slug"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal-help-category", args=[self.slug])


class Article(models.Model):
    """A help article in one language, written in Markdown by customer service and read on the portal.

    Only a published article is shown to customers. The sanitized HTML is
    rendered once, when the text is saved, so a page view never parses
    Markdown; the search vector is kept by PostgreSQL itself.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("article status", "Draft")
        PUBLISHED = "published", pgettext_lazy("article status", "Published")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        SWEDISH = "sv", _("Swedish")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=200, unique=True, help_text=_("The article's part of its web address.")
    )
    category = models.ForeignKey(
        ArticleCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    body = models.TextField(
        _("text"), blank=True, help_text=_("Markdown: **bold**, _italic_, # headings, lists, links.")
    )
    body_html = models.TextField(_("text as HTML"), blank=True, editable=False)
    excerpt = models.CharField(_("excerpt"), max_length=300, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": "staff"},
    )
    source_ticket_number = models.BigIntegerField(
        _("from ticket"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The ticket whose reply an agent turned into this article."),
    )
    helpful_count = models.PositiveIntegerField(_("found it helpful"), default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(_("did not find it helpful"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    search_vector = models.GeneratedField(
        expression=Case(
            When(language="sv", then=_article_vector(SEARCH_CONFIGS["sv"])),
            default=_article_vector(SEARCH_CONFIGS["en"]),
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            GinIndex(fields=["search_vector"], name="helpcenter_article_search_idx"),
            models.Index(fields=["status", "category", "-published_at"], name="helpcenter_article_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="helpcenter_article_has_title"),
            models.CheckConstraint(condition=~Q(slug=""), name="helpcenter_article_has_slug"),
            models.CheckConstraint(condition=Q(language__in=["en", "sv"]), name="helpcenter_article_language_known"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="helpcenter_article_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="helpcenter_published_article_has_time",
                violation_error_message=_("A published article has a publication time."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(category__isnull=False),
                name="helpcenter_published_article_has_category",
                violation_error_message=_("A published article belongs to a category."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("helpcenter:article-detail", args=[self.pk])

    def get_portal_url(self) -> str:
        return reverse("portal-article", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def search_config(self) -> str:
        return SEARCH_CONFIGS[self.language]


class ArticleVote(models.Model):
    """A reader's answer to "Was this helpful?": one per signed-in user, or per browser session, and article."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="votes")
    helpful = models.BooleanField(_("helpful"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    session_key = models.CharField(
        _("session"), max_length=64, blank=True, help_text=_("The browser session of a visitor who is not signed in.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="helpcenter_vote_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=~Q(session_key=""),
                name="helpcenter_vote_once_per_session",
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(session_key="")) | (Q(user__isnull=True) & ~Q(session_key="")),
                name="helpcenter_vote_has_one_voter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article}: {'+1' if self.helpful else '-1'}"


class ArticleDeflection(models.Model):
    """A customer who said "this solved my problem" to an article instead of submitting a request.

    Counted in the deflection report: each one is a ticket nobody had to answer.
    """

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="deflections"
    )
    query = models.CharField(_("what they typed"), max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["article", "-created_at"], name="helpcenter_deflection_idx")]

    def __str__(self) -> str:
        return f"{self.article}: {self.query}" if self.query else str(self.article)
