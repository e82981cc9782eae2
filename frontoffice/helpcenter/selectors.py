"""Reads of the help center for the portal, the staff pages and the API, in a fixed number of queries."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Case, Count, F, FloatField, IntegerField, Max, Q, QuerySet, Value, When

from frontoffice.helpcenter.models import SEARCH_CONFIGS, Article, ArticleCategory, ArticleDeflection

ARTICLE_ORDERINGS = {"-updated_at", "updated_at", "title", "-title", "-published_at", "published_at"}
# What a suggestion shows; the text and its HTML stay in the database.
SUGGESTION_FIELDS = ["pk", "slug", "title", "excerpt", "language", "category__name", "category__slug"]
SUGGESTION_WORDS = 8
SUGGESTION_MIN_LENGTH = 3
_WORD = re.compile(r"[^\W_]+")


def _category_id(category: ArticleCategory | int | None) -> int | None:
    return category.pk if isinstance(category, ArticleCategory) else category


def _ranked(queryset: QuerySet[Article], *, language: str, queries: dict[str, SearchQuery]) -> QuerySet[Article]:
    """Keep the articles that match the query parsed in their own language, best first.

    Each language's articles are matched against the query as that language
    understands it (Swedish stems "fakturor" to the word of "faktura"), so
    one search box serves both.
    """
    languages = [language] if language else list(SEARCH_CONFIGS)
    matches = Q()
    for code in languages:
        matches |= Q(language=code, search_vector=queries[code])
    rank = Case(
        *(When(language=code, then=SearchRank(F("search_vector"), queries[code])) for code in languages),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return queryset.filter(matches).annotate(rank=rank).order_by("-rank", "-published_at", "-pk")


def article_search(
    *,
    query: str,
    language: str = "",
    published_only: bool = True,
    category: ArticleCategory | int | None = None,
) -> QuerySet[Article]:
    """Articles matching words a reader typed, ranked (title words weigh more than text words).

    The query is read like a web search: `"exact phrase"`, `or`, `-without`.
    An empty language searches English and Swedish articles alike.
    """
    query = (query or "").strip()
    if not query or (language and language not in SEARCH_CONFIGS):
        return Article.objects.none()
    queryset = Article.objects.select_related("category")
    if published_only:
        queryset = queryset.filter(status=Article.Status.PUBLISHED)
    if category is not None:
        queryset = queryset.filter(category_id=_category_id(category))
    queries = {
        code: SearchQuery(query, config=config, search_type="websearch") for code, config in SEARCH_CONFIGS.items()
    }
    return _ranked(queryset, language=language, queries=queries)


def _any_word_query(text: str) -> str:
    """A to_tsquery expression matching any of the first words typed, the last one also as a prefix.

    Only letters and digits reach the expression, so it is always valid.
    """
    words = [word for word in _WORD.findall(text.lower()) if len(word) > 1][:SUGGESTION_WORDS]
    if not words:
        return ""
    if not text[-1:].isspace():  # still typing the last word
        words[-1] = f"{words[-1]}:*"
    return " | ".join(words)


def article_suggestions(*, text: str, limit: int = 5) -> list[Article]:
    """Published articles that may answer what a customer is typing (a ticket's subject), best first.

    Called on every pause in typing, so it is one indexed query reading only
    what a suggestion shows. Any word may match, and the last one as a
    prefix: "reset passw" already finds "Reset your password".
    """
    text = (text or "")[:200]
    if len(text.strip()) < SUGGESTION_MIN_LENGTH:
        return []
    expression = _any_word_query(text)
    if not expression:
        return []
    queries = {
        code: SearchQuery(expression, config=config, search_type="raw") for code, config in SEARCH_CONFIGS.items()
    }
    queryset = (
        Article.objects.filter(status=Article.Status.PUBLISHED).select_related("category").only(*SUGGESTION_FIELDS)
    )
    return list(_ranked(queryset, language="", queries=queries)[:limit])


def article_list(
    *,
    search: str = "",
    status: str = "",
    category_id: int | None = None,
    language: str = "",
    ordering: str = "-updated_at",
) -> QuerySet[Article]:
    """The staff list of articles, drafts included; a search matches the title or the words of the text."""
    queryset = Article.objects.select_related("category", "author").defer("body", "body_html")
    if status:
        queryset = queryset.filter(status=status)
    if category_id:
        queryset = queryset.filter(category_id=category_id)
    if language:
        queryset = queryset.filter(language=language)
    search = (search or "").strip()
    if search:
        words = Q(title__icontains=search)
        for code, config in SEARCH_CONFIGS.items():
            words |= Q(language=code, search_vector=SearchQuery(search, config=config, search_type="websearch"))
        queryset = queryset.filter(words)
    return queryset.order_by(ordering if ordering in ARTICLE_ORDERINGS else "-updated_at", "-pk")


def published_articles(
    *, category: ArticleCategory | int | None = None, language: str = "", first_language: str = ""
) -> QuerySet[Article]:
    """Published articles for the portal, optionally of one category; `first_language`'s come first."""
    queryset = (
        Article.objects.filter(status=Article.Status.PUBLISHED).select_related("category").defer("body", "body_html")
    )
    if category is not None:
        queryset = queryset.filter(category_id=_category_id(category))
    if language:
        queryset = queryset.filter(language=language)
    if first_language:
        queryset = queryset.annotate(
            in_other_language=Case(
                When(language=first_language, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        ).order_by("in_other_language", "title", "pk")
    else:
        queryset = queryset.order_by("title", "pk")
    return queryset


def popular_articles(*, limit: int = 6) -> list[Article]:
    """The published articles readers found most helpful, for the help center's front page."""
    return list(
        published_articles()
        .filter(category__is_active=True)
        .order_by("-helpful_count", "unhelpful_count", "-published_at", "pk")[:limit]
    )


def article_for_reader(*, slug: str, user) -> Article | None:
    """The article a portal visitor asked for: published, or any when staff with the right to read drafts."""
    queryset = Article.objects.select_related("category")
    if not may_read_drafts(user=user):
        queryset = queryset.filter(status=Article.Status.PUBLISHED)
    return queryset.filter(slug=slug).first()


def may_read_drafts(*, user) -> bool:
    """Whether a user sees draft articles (staff with the right to read articles) or only published ones."""
    return bool(
        user is not None
        and user.is_authenticated
        and getattr(user, "is_employee", False)
        and user.has_perm("helpcenter.view_article")
    )


def related_articles(*, article: Article, limit: int = 5) -> list[Article]:
    """Other published articles of the same category, the article's language first."""
    if article.category_id is None:
        return []
    return list(
        published_articles(category=article.category_id, first_language=article.language).exclude(pk=article.pk)[:limit]
    )


def category_list(*, active_only: bool = False) -> QuerySet[ArticleCategory]:
    """Categories in their order, each with its number of published and of all articles."""
    queryset = ArticleCategory.objects.annotate(
        published_count=Count("articles", filter=Q(articles__status=Article.Status.PUBLISHED)),
        article_count=Count("articles"),
    ).order_by("position", "name", "pk")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset


def portal_categories() -> list[ArticleCategory]:
    """The active categories that have something to read, for the portal's front page."""
    return [category for category in category_list(active_only=True) if category.published_count]


def active_categories() -> QuerySet[ArticleCategory]:
    return ArticleCategory.objects.filter(is_active=True).order_by("position", "name")


@dataclass(frozen=True)
class DeflectionRow:
    """One article in the deflection report."""

    article_id: int
    title: str
    slug: str
    language: str
    status: str
    deflections: int
    last_at: datetime
    helpful_count: int
    unhelpful_count: int

    @property
    def helpful_percent(self) -> int | None:
        votes = self.helpful_count + self.unhelpful_count
        return round(100 * self.helpful_count / votes) if votes else None


@dataclass(frozen=True)
class DeflectionStats:
    """How many requests the help center answered before they were written, and by which articles."""

    total: int
    articles: int
    rows: list[DeflectionRow]


def deflection_stats(*, since: datetime | None = None, limit: int = 100) -> DeflectionStats:
    """Deflections per article (most first) and overall, since a time or ever; two queries."""
    deflections = ArticleDeflection.objects.all()
    if since is not None:
        deflections = deflections.filter(created_at__gte=since)
    rows = (
        deflections.values("article_id")
        .annotate(count=Count("pk"), last_at=Max("created_at"))
        .order_by("-count", "-last_at", "article_id")
        .values_list(
            "article_id",
            "article__title",
            "article__slug",
            "article__language",
            "article__status",
            "count",
            "last_at",
            "article__helpful_count",
            "article__unhelpful_count",
        )
    )
    total = deflections.aggregate(total=Count("pk"), articles=Count("article", distinct=True))
    return DeflectionStats(
        total=total["total"], articles=total["articles"], rows=[DeflectionRow(*row) for row in rows[:limit]]
    )
