"""The filter bar tag gives exactly the markup of the template it replaced (kept here as the reference)."""

from pathlib import Path

import pytest
from django import forms
from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from core.lists import FilterForm
from core.parties.models import Organization

# templates/includes/filter_bar.html before it became the {% filter_bar %} tag.
FORMER_TEMPLATE = (Path(__file__).parent / "filter_bar_template.html").read_text()


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
