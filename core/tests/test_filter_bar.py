"""The filter bar tag gives exactly the markup of the template it replaced (kept here as the reference)."""

import pytest
from django import forms
from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from core.lists import FilterForm
from core.parties.models import Organization

# templates/includes/filter_bar.html before it became the {% filter_bar %} tag.
FORMER_TEMPLATE = """{% load i18n %}
<form class="filter-bar row g-2 align-items-end mb-3" method="get" hx-get="{{ request.path }}" hx-target="#results" hx-push-url="true" hx-trigger="input changed delay:300ms from:input[type=search], change from:select, submit" role="search">
  <div class="col-12 col-md">
    <label class="form-label small text-body-secondary" for="list-search">{% translate "Search" %}</label>
    <input id="list-search" class="form-control" type="search" name="q" value="{{ filter_form.q.value|default:'' }}" placeholder="{{ search_placeholder|default:_('Search…') }}" autocomplete="off">
  </div>
  {% for field in filter_form.visible_fields %}{% if field.name != "q" and field.name != "sort" %}
  <div class="col-6 col-md-auto">
    <label class="form-label small text-body-secondary" for="{{ field.id_for_label }}">{{ field.label }}</label>
    <select id="{{ field.id_for_label }}" name="{{ field.html_name }}" class="form-select">
      {% for value, label in field.field.choices %}<option value="{{ value }}"{% if field.value|stringformat:"s" == value|stringformat:"s" %} selected{% endif %}>{{ label }}</option>{% endfor %}
    </select>
  </div>
  {% endif %}{% endfor %}
  {% for field in filter_form.hidden_fields %}{% if field.value %}<input type="hidden" name="{{ field.html_name }}" value="{{ field.value }}">{% endif %}{% endfor %}
  <input type="hidden" name="sort" value="{{ filter_form.sort.value|default:'' }}">
  <div class="col-auto"><noscript><button class="btn btn-outline-secondary" type="submit">{% translate "Filter" %}</button></noscript>
    {% if is_filtered %}<a class="btn btn-link" href="{{ request.path }}">{% translate "Clear filters" %}</a>{% endif %}
  </div>
</form>
"""


class Filters(FilterForm):
    status = forms.ChoiceField(required=False, choices=[("", "All <statuses>"), ("open", "Open & waiting"), (7, 7)])
    amount = forms.ChoiceField(required=False, choices=[("", "Any"), ("1234", 1234), ("2.5", 2.5)])
    organization = forms.ModelChoiceField(required=False, queryset=Organization.objects.order_by("pk"))
    owner = forms.CharField(required=False, widget=forms.HiddenInput)


CASES = [
    ({}, {}),
    ({"q": 'Bolag "<AB>"', "status": "open", "sort": "-name"}, {"is_filtered": True}),
    ({"status": "7", "amount": "2.5", "owner": "12"}, {"search_placeholder": "Quote number <or> customer"}),
    ({"organization": "ORG", "sort": "x&y"}, {"is_filtered": True}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize(("data", "extra"), CASES)
def test_the_tag_gives_the_former_markup(language, data, extra):
    organizations = Organization.objects.bulk_create(
        [Organization(name=name, country="SE", roles=["customer"]) for name in ("Ett & Två AB", "<b>Tre</b> AB")]
    )
    data = {key: str(organizations[1].pk) if value == "ORG" else value for key, value in data.items()}
    request = RequestFactory().get("/app/list/<odd>/", data)
    form = Filters(request.GET)
    form.is_valid()
    context = {"request": request, "filter_form": form, **extra}
    with translation.override(language):
        former = Template(FORMER_TEMPLATE, engine=Engine.get_default()).render(Context(context))
        now = render_to_string("includes/filter_bar.html", context)
    assert now == former
    assert "<b>Tre</b>" not in now
