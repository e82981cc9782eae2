"""The pagination tag gives exactly the markup of the template it replaced (kept here as the reference)."""

from pathlib import Path

import pytest
from django.template import Engine, RequestContext
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from core import lists
from core.lists import ListPaginator
from core.parties.models import Organization

FORMER_TEMPLATE = (Path(__file__).parent / "pagination_template.html").read_text()


@pytest.fixture
def organizations(db):
    Organization.objects.bulk_create(
        [Organization(name=f"Sida {index:03d} AB", country="SE", roles=["customer"]) for index in range(60)]
    )


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("page_number", [1, 2, 3, 9])
@pytest.mark.parametrize("count", ["exact", "estimate", "lower bound", "one page", "empty"])
@pytest.mark.parametrize("target", [None, "ticket-<list>"])
def test_the_tag_gives_the_former_markup(organizations, monkeypatch, language, page_number, count, target):
    queryset = Organization.objects.order_by("name", "pk")
    if count in ("estimate", "lower bound"):
        monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
        monkeypatch.setattr(lists, "_estimated_rows", lambda rows: 12_345 if count == "estimate" else 3)
    elif count == "one page":
        queryset = queryset.filter(name__lt="Sida 005")
    elif count == "empty":
        queryset = queryset.none()
    request = RequestFactory().get("/app/list/", {"q": 'a&b "c"', "page": page_number, "sort": "-name"})
    paginator = ListPaginator(queryset, 25)
    page = paginator.get_page(page_number)
    context = {"page": page, **({"target": target} if target else {})}
    with translation.override(language):
        former = Engine.get_default().from_string(FORMER_TEMPLATE).render(RequestContext(request, context))
        now = render_to_string("includes/pagination.html", context, request=request)
    assert now == former
