"""Staff pages of the help center: writing and publishing articles, their categories, the deflection report."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, save_form_with_service
from core.lists import cleaned_filters, list_page
from frontoffice.helpcenter import selectors, services
from frontoffice.helpcenter.forms import ArticleFilterForm, ArticleForm, CategoryForm, DeflectionPeriodForm
from frontoffice.helpcenter.models import Article, ArticleCategory
from frontoffice.helpcenter.rendering import render_markdown


@staff_permission_required("helpcenter.view_article")
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleFilterForm(request.GET)
    filters = cleaned_filters(form)
    category = filters.get("category")
    queryset = selectors.article_list(
        search=filters.get("q") or "",
        status=filters.get("status") or "",
        category_id=category.pk if category else None,
        language=filters.get("language") or "",
        ordering=filters.get("sort") or "-updated_at",
    )
    return list_page(request, template="helpcenter/article_list.html", queryset=queryset, filter_form=form)


def _editor(request: HttpRequest, *, form: ArticleForm, save, article: Article | None, message: str | None):
    """The create and edit page: "Preview" (the button without JavaScript) shows the text without saving."""
    if request.method == "POST" and "preview" in request.POST:
        form.is_valid()  # show what is wrong already, but save nothing
        return render(
            request,
            "helpcenter/article_form.html",
            {"form": form, "article": article, "preview_html": render_markdown(request.POST.get("body", ""))},
        )
    return save_form_with_service(
        request,
        form=form,
        save=save,
        template="helpcenter/article_form.html",
        context={"article": article, "preview_html": render_markdown(form["body"].value() or "")},
        success_message=message,
    )


@staff_permission_required("helpcenter.add_article")
def article_create(request: HttpRequest) -> HttpResponse:
    language = request.user.language if request.user.language in Article.Language.values else "en"
    return _editor(
        request,
        form=ArticleForm(request.POST or None, initial={"language": language}),
        save=lambda values: services.article_create(actor=request.user, **values),
        article=None,
        message=_("The draft %(name)s is saved. Publish it when it is ready."),
    )


@staff_permission_required("helpcenter.change_article")
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    return _editor(
        request,
        form=ArticleForm(request.POST or None, instance=article),
        save=lambda values: services.article_update(actor=request.user, article=article, **values),
        article=article,
        message=None,
    )


@staff_permission_required("helpcenter.view_article")
@require_POST
def article_preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview (htmx): the Markdown as readers will see it."""
    if not (request.user.has_perm("helpcenter.add_article") or request.user.has_perm("helpcenter.change_article")):
        raise PermissionDenied
    return render(
        request, "helpcenter/article_form.html#preview", {"preview_html": render_markdown(request.POST.get("body", ""))}
    )


@staff_permission_required("helpcenter.view_article")
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("category", "author"), pk=pk)
    return render(
        request,
        "helpcenter/article_detail.html",
        {
            "article": article,
            "deflection_count": article.deflections.count(),
            "audit_entries": audit_entries_for(instance=article),
        },
    )


@staff_permission_required("helpcenter.change_article")
@require_POST
def article_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Publish or unpublish, then back to the article with a message saying what happened."""
    article = get_object_or_404(Article, pk=pk)
    try:
        if action == "publish":
            services.article_publish(actor=request.user, article=article)
            messages.success(request, _("Published: customers can read %(title)s now.") % {"title": article})
        else:
            services.article_unpublish(actor=request.user, article=article)
            messages.success(request, _("%(title)s is a draft again: customers no longer see it.") % {"title": article})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(article)


# --- categories ------------------------------------------------------------------------


@staff_permission_required("helpcenter.view_articlecategory")
def category_list(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/category_list.html", {"categories": list(selectors.category_list())})


def _category_form(request: HttpRequest, *, form: CategoryForm, save, category: ArticleCategory | None, message: str):
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, message % {"name": saved})
            return redirect("helpcenter:category-list")
    return render(request, "helpcenter/category_form.html", {"form": form, "category": category})


@staff_permission_required("helpcenter.add_articlecategory")
def category_create(request: HttpRequest) -> HttpResponse:
    next_position = (ArticleCategory.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 10
    return _category_form(
        request,
        form=CategoryForm(request.POST or None, initial={"position": next_position, "is_active": True}),
        save=lambda values: services.category_create(actor=request.user, **values),
        category=None,
        message=_("The category %(name)s is added."),
    )


@staff_permission_required("helpcenter.change_articlecategory")
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(ArticleCategory, pk=pk)
    return _category_form(
        request,
        form=CategoryForm(request.POST or None, instance=category),
        save=lambda values: services.category_update(actor=request.user, category=category, **values),
        category=category,
        message=_("Your changes to %(name)s are saved."),
    )


# --- report ----------------------------------------------------------------------------


@staff_permission_required("helpcenter.view_articledeflection")
def deflection_report(request: HttpRequest) -> HttpResponse:
    """Which articles answered customers' questions before they became tickets, and how many."""
    form = DeflectionPeriodForm(request.GET)
    period = cleaned_filters(form).get("period") or "30"
    since = None if period == "all" else timezone.now() - timedelta(days=int(period))
    return render(
        request,
        "helpcenter/deflection_report.html",
        {"form": form, "period": period, "stats": selectors.deflection_stats(since=since)},
    )
