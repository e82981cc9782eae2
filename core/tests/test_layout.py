"""The layouts' parts filled from per-language copies give exactly the markup of the templates they replaced.

core/tests/layouts_before/ keeps the layouts as they were; an engine that finds them first renders the former
markup, the project's engine the new one, for the same request.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.template import Engine, RequestContext
from django.template.backends.django import get_installed_libraries
from django.test import RequestFactory
from django.utils import translation

from core.notifications.models import Notification

BEFORE = Path(__file__).parent / "layouts_before"
PAGE = '{% extends "staff/layout.html" %}{% block title %}T{% endblock %}{% block content %}<p>x</p>{% endblock %}'


def _engines() -> tuple[Engine, Engine]:
    options = settings.TEMPLATES[0]["OPTIONS"]
    common = {
        "app_dirs": True,
        "context_processors": options["context_processors"],
        "builtins": options["builtins"],
        "libraries": get_installed_libraries(),
    }
    return (
        Engine(dirs=[BEFORE, *settings.TEMPLATES[0]["DIRS"]], **common),
        Engine(dirs=list(settings.TEMPLATES[0]["DIRS"]), **common),
    )


def _request(user, path="/app/crm/accounts/?q=a%26b&x=<y>"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.META["CSRF_COOKIE"] = "k" * 32
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("unread", [0, 3])
@pytest.mark.parametrize("query", [None, 'Bolag "<AB>" & co'])
def test_the_staff_layout_is_the_former_markup(make_staff, language, unread, query):
    user = make_staff("Sales", full_name="Åsa <Öberg>")
    for number in range(unread):
        Notification.objects.create(recipient=user, kind="test", title=f"N{number}")
    before, now = _engines()
    request = _request(user)
    with translation.override(language):
        token_context = {"query": query}
        former = before.from_string(PAGE).render(RequestContext(request, token_context))
        current = now.from_string(PAGE).render(RequestContext(request, token_context))
    assert _unmasked(current) == _unmasked(former)
    assert "Åsa &lt;Öberg&gt;" in current and "<y>" not in current


def test_the_staff_layout_for_someone_not_signed_in():
    before, now = _engines()
    request = _request(AnonymousUser())
    former = before.from_string(PAGE).render(RequestContext(request))
    current = now.from_string(PAGE).render(RequestContext(request))
    assert _unmasked(current) == _unmasked(former)


def _unmasked(html: str) -> str:
    """CSRF tokens are masked differently on every read; the markup around them must be identical."""
    import re

    html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": "…"', html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="…"', html)


PORTAL_PAGE = (
    '{% extends "portal/layout.html" %}{% block title %}T{% endblock %}'
    "{% block portal_nav %}<a href='/portal/help/'>Help</a>{% endblock %}{% block content %}<p>x</p>{% endblock %}"
)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("who", ["anonymous", "customer", "staff"])
@pytest.mark.parametrize("page", [PORTAL_PAGE, '{% extends "portal/layout.html" %}'])
def test_the_portal_layout_is_the_former_markup(make_staff, customer_user, language, who, page):
    user = {"anonymous": AnonymousUser(), "customer": customer_user, "staff": make_staff("Sales")}[who]
    before, now = _engines()
    request = _request(user, path="/portal/tickets/?q=ä&b=<c>")
    with translation.override(language):
        former = before.from_string(page).render(RequestContext(request))
        current = now.from_string(page).render(RequestContext(request))
    assert _unmasked(current) == _unmasked(former)
    assert ("Sign in" in current or "Logga in" in current) == (who == "anonymous")
