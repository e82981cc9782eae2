"""The list page every app uses: search, filters and sort kept in the URL, pagination, htmx updates."""

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PER_PAGE = 25


def list_page(
    request: HttpRequest,
    *,
    template: str,
    queryset: QuerySet,
    filter_form: forms.Form,
    context: dict[str, Any] | None = None,
    per_page: int = PER_PAGE,
) -> HttpResponse:
    """Render a list page; an htmx request (search as you type, sort, page) gets only the results partial."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    is_filtered = any(
        value for name, value in filter_form.cleaned_data.items() if name not in {"sort"} and value not in (None, "")
    )
    page_context = {
        "page": page,
        "rows": page.object_list,
        "filter_form": filter_form,
        "is_filtered": is_filtered,
        "sort": filter_form.cleaned_data.get("sort", ""),
        **(context or {}),
    }
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template = f"{template}#results"
    return render(request, template, page_context)


def cleaned_filters(form: forms.Form) -> dict[str, Any]:
    """Valid filter values; a filter with a bad value is ignored rather than failing the page."""
    form.is_valid()
    return dict(form.cleaned_data)


class FilterForm(forms.Form):
    """Base of list filters: a search box and a sort key; subclasses add their filters."""

    q = forms.CharField(required=False, max_length=100)
    sort = forms.CharField(required=False, max_length=40)
