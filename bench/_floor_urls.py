"""Kontor's URLs plus the floor pages: a bare view behind session sign-in, and the staff layout with no content."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as kontor_urlpatterns
from core.accounts.decorators import staff_required

EMPTY_STAFF_PAGE = engines["django"].from_string(
    '{% extends "staff/layout.html" %}{% block title %}Floor{% endblock %}{% block content %}<p>-</p>{% endblock %}'
)


@staff_required
def hello(request: HttpRequest) -> HttpResponse:
    """Whole middleware stack, session and user loaded, no template and no other query."""
    return HttpResponse(f"hello {request.user.pk}", content_type="text/plain")


@staff_required
def empty_staff_page(request: HttpRequest) -> HttpResponse:
    """The staff layout (sidebar, user menu, bell) around an empty page."""
    return HttpResponse(EMPTY_STAFF_PAGE.render({}, request))


urlpatterns = [
    path("app/bench/hello/", hello),
    path("app/bench/empty/", empty_staff_page),
    *kontor_urlpatterns,
]
