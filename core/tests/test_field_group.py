"""The form field tag gives exactly the markup of the template it replaced (kept here as the reference)."""

from pathlib import Path

import pytest
from django import forms
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

FORMER_TEMPLATE = (Path(__file__).parent / "field_template.html").read_text()


class Everything(forms.Form):
    subject = forms.CharField(max_length=10, help_text="Short <please>", label="Subject & <b>more</b>")
    body = forms.CharField(widget=forms.Textarea, required=False, help_text=mark_safe("<em>Markdown</em>"))
    kind = forms.ChoiceField(choices=[("a", "A & B"), ("c", "C")])
    count = forms.DecimalField(decimal_places=2, required=False)
    agree = forms.BooleanField(label="I <agree>")
    copies = forms.MultipleChoiceField(
        choices=[(1, "Anna <A>"), (2, "Bo & co")], widget=forms.CheckboxSelectMultiple, required=False
    )


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("data", [None, {}, {"subject": "far too long a subject", "count": "x", "copies": ["2"]}])
@pytest.mark.parametrize("stacked", [False, True])
def test_the_tag_gives_the_former_markup(language, data, stacked):
    form = Everything(data)
    with translation.override(language):
        for field in form:
            context = {"field": field, "stacked": stacked}
            former = Engine.get_default().from_string(FORMER_TEMPLATE).render(Context(context))
            assert render_to_string("includes/field.html", context) == former, field.name
