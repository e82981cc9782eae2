"""The public help center of the portal: browse, search, read, vote, and "this solved my problem".

Readable without signing in. Drafts exist only for staff: anyone else gets
a 404, as if the address did not exist.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.lists import ListPaginator
from frontoffice.helpcenter import selectors, services
from frontoffice.helpcenter.models import Article, ArticleVote

SEARCH_PER_PAGE = 10
QUERY_MAX_LENGTH = 200


def _query(request: HttpRequest) -> str:
    """What the visitor typed: ?q=, or ?subject= when a ticket form sends its subject field as it is."""
    text = request.GET.get("q") or request.GET.get("subject") or ""
    return " ".join(text.split())[:QUERY_MAX_LENGTH]


def _language(request: HttpRequest) -> str:
    language = request.GET.get("language", "")
    return language if language in Article.Language.values else ""


def _current_language() -> str:
    language = (get_language() or "en")[:2]
    return language if language in Article.Language.values else Article.Language.ENGLISH


def _published_or_404(slug: str) -> Article:
    return get_object_or_404(Article, slug=slug, status=Article.Status.PUBLISHED)


@require_safe
def help_index(request: HttpRequest) -> HttpResponse:
    """The help center's front page: a search box, the categories, and the articles readers found most helpful."""
    return render(
        request,
        "helpcenter/portal/index.html",
        {"categories": selectors.portal_categories(), "popular": selectors.popular_articles()},
    )


@require_safe
def help_search(request: HttpRequest) -> HttpResponse:
    """Search results, best first; the search box asks again as the visitor types (htmx gets the results only)."""
    query = _query(request)
    language = _language(request)
    queryset = selectors.article_search(query=query, language=language)
    page = ListPaginator(queryset, SEARCH_PER_PAGE).get_page(request.GET.get("page"))
    template = "helpcenter/portal/search.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(
        request,
        template,
        {
            "query": query,
            "language": language,
            "languages": Article.Language.choices,
            "page": page,
            "rows": page.object_list,
        },
    )


@require_safe
def help_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(selectors.active_categories(), slug=slug)
    articles = list(selectors.published_articles(category=category, first_language=_current_language()))
    return render(request, "helpcenter/portal/category.html", {"category": category, "articles": articles})


def _own_vote(request: HttpRequest, article: Article) -> ArticleVote | None:
    if request.user.is_authenticated:
        return ArticleVote.objects.filter(article=article, user=request.user).first()
    if request.session.session_key:
        return ArticleVote.objects.filter(article=article, session_key=request.session.session_key).first()
    return None


@require_safe
def article_page(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_reader(slug=slug, user=request.user)
    if article is None:
        raise Http404
    return render(
        request,
        "helpcenter/portal/article.html",
        {
            "article": article,
            "related": selectors.related_articles(article=article),
            "vote": _own_vote(request, article) if article.is_published else None,
        },
    )


@require_POST
def article_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Was this helpful?": a form post that works without JavaScript; with htmx only the box is replaced."""
    article = _published_or_404(slug)
    answer = request.POST.get("helpful")
    if answer not in {"yes", "no"}:
        return HttpResponseBadRequest(_("Answer yes or no."))
    user = request.user if request.user.is_authenticated else None
    session_key = ""
    if user is None:
        if not request.session.session_key:
            request.session.save()  # a visitor's first vote gives them a session, so it is counted once
        session_key = request.session.session_key
    try:
        vote = services.article_vote(article=article, helpful=answer == "yes", user=user, session_key=session_key)
    except ValidationError:
        raise Http404 from None  # unpublished between the page and the click
    if request.htmx:
        return render(request, "helpcenter/portal/_vote.html", {"article": article, "vote": vote, "thanked": True})
    messages.success(request, _("Thank you for your feedback."))
    return redirect(f"{article.get_portal_url()}#feedback")


@require_safe
def help_suggest(request: HttpRequest) -> HttpResponse:
    """Up to five articles for what a customer is typing (htmx, on a pause in typing): a partial, never a page."""
    query = _query(request)
    suggestions = selectors.article_suggestions(text=query)
    if not suggestions:
        return HttpResponse("")  # nothing to show: the ticket form's target stays empty (and :empty)
    return render(request, "helpcenter/portal/_suggestions.html", {"query": query, "suggestions": suggestions})


@require_POST
def article_solved(request: HttpRequest, slug: str) -> HttpResponse:
    """The customer's "This solved my problem": counted as a request that did not need to be written."""
    article = _published_or_404(slug)
    query = " ".join(request.POST.get("q", "").split())[:QUERY_MAX_LENGTH]
    try:
        services.deflection_record(article=article, query=query, user=request.user)
    except ValidationError:
        raise Http404 from None
    context = {"article": article}
    if request.htmx:
        return render(request, "helpcenter/portal/_solved.html", context)
    return render(request, "helpcenter/portal/solved.html", context)
