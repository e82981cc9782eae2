"""{% url %} remembers reverse() answers, and gives exactly Django's answers (and errors)."""

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.engine import Engine as BareEngine
from django.test import override_settings
from django.urls import NoReverseMatch, path, set_script_prefix

from core.templatetags import fast_url

CASES = [
    "{% url 'dashboard' %}",
    "{% url 'crm:account-detail' 42 %}",
    "{% url 'crm:account-detail' pk=pk %}",
    "{% url 'crm:account-detail' account %}",  # a model-like argument: Django's path
    "{% url 'crm:activity-create' account_pk=pk %}?next={% url 'crm:account-list' %}",
    "{% url 'crm:account-list' as link %}[{{ link }}]",
    "{% url 'no-such-page' as link %}[{{ link }}]",
    "{% url name %}",
]


class Account:
    def __str__(self) -> str:
        return "7"


def _render(engine: Engine, source: str) -> str:
    return Template(source, engine=engine).render(Context({"pk": 42, "account": Account(), "name": "search"}))


@pytest.mark.parametrize("source", CASES)
def test_the_same_answers_as_djangos_own_tag(source):
    ours = Engine.get_default()
    assert ours.template_builtins[-1].tags["url"] is fast_url.url
    djangos = BareEngine()
    for _repeat in range(2):
        assert _render(ours, source) == _render(djangos, source)


def test_the_same_errors():
    with pytest.raises(NoReverseMatch):
        _render(Engine.get_default(), "{% url 'no-such-page' %}")
    with pytest.raises(TemplateSyntaxError):
        _render(Engine.get_default(), "{% url %}")


def test_answers_are_remembered_per_script_prefix(monkeypatch):
    calls = []
    real = fast_url.reverse
    monkeypatch.setattr(fast_url, "reverse", lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs))
    fast_url._reverse.cache_clear()
    try:
        assert fast_url.cached_reverse("crm:account-detail", args=[5]) == "/app/crm/accounts/5/"
        assert fast_url.cached_reverse("crm:account-detail", args=[5]) == "/app/crm/accounts/5/"
        assert len(calls) == 1
        set_script_prefix("/kontor/")
        assert fast_url.cached_reverse("crm:account-detail", args=[5]) == "/kontor/app/crm/accounts/5/"
        assert len(calls) == 2
    finally:
        set_script_prefix("/")


def page(request):
    raise AssertionError


urlpatterns = [path("elsewhere/", page, name="dashboard")]


def test_another_urlconf_forgets_the_answers():
    assert fast_url.cached_reverse("dashboard") == "/app/"
    with override_settings(ROOT_URLCONF=__name__):
        assert fast_url.cached_reverse("dashboard") == "/elsewhere/"
    assert fast_url.cached_reverse("dashboard") == "/app/"
