"""The form renderer gives exactly the markup of Django's widget templates, which it replaces for speed."""

import datetime
from decimal import Decimal

from django import forms
from django.forms.renderers import TemplatesSetting
from django.forms.utils import ErrorList
from django.utils import translation
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from core.renderers import FastTemplatesSetting

FAST = FastTemplatesSetting()
TEMPLATES = TemplatesSetting()

# Text with everything that must be escaped, and text already marked safe (which must not be escaped again).
text = st.one_of(
    st.text(alphabet=st.sampled_from("ab <>&\"'åä\n"), max_size=12),
    st.text(alphabet="xyz<b>", max_size=6).map(mark_safe),
)
attribute_value = st.one_of(text, st.booleans(), st.integers(-5, 500), st.just(Decimal("0.01")))
attribute_names = st.sampled_from(["class", "placeholder", "data-x", "min", "disabled", "id"])
attributes = st.dictionaries(attribute_names, attribute_value)
choice_label = st.one_of(text, st.integers(0, 10_000), st.just(Decimal("1234.5")))
choices = st.lists(st.tuples(st.one_of(st.integers(0, 99), st.text("pq<&", max_size=3)), choice_label), max_size=5)
grouped = st.lists(st.tuples(text.filter(bool), choices.filter(bool)), min_size=1, max_size=3)

WIDGETS = [
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.URLInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.FileInput,
    forms.CheckboxInput,
    forms.Textarea,
]


def both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=FAST),
        widget.render(name, value, attrs=attrs, renderer=TEMPLATES),
    )


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(WIDGETS),
    name=text,
    value=st.one_of(st.none(), text, st.booleans(), st.integers(), st.just(Decimal("12.50"))),
    widget_attrs=attributes,
    render_attrs=attributes,
)
def test_inputs_and_textareas_match_the_templates(kind, name, value, widget_attrs, render_attrs):
    fast, template = both(kind(attrs=widget_attrs), name, value, render_attrs)
    assert fast == template


@settings(max_examples=150, deadline=None)
@given(
    options=st.one_of(choices, grouped),
    multiple=st.booleans(),
    value=st.one_of(st.none(), st.integers(0, 99), st.lists(st.integers(0, 99), max_size=3)),
    widget_attrs=attributes,
    language=st.sampled_from(["en", "sv"]),
)
def test_selects_match_the_templates(options, multiple, value, widget_attrs, language):
    widget = (forms.SelectMultiple if multiple else forms.Select)(attrs=widget_attrs, choices=options)
    with translation.override(language):
        fast, template = both(widget, "pick", value)
    assert fast == template


@settings(max_examples=60, deadline=None)
@given(errors=st.lists(text, max_size=3), field_id=st.one_of(st.none(), text.filter(bool)))
def test_error_lists_match_the_templates(errors, field_id):
    fast = ErrorList(errors, renderer=FAST, field_id=field_id)
    template = ErrorList(errors, renderer=TEMPLATES, field_id=field_id)
    assert str(fast) == str(template)


@settings(max_examples=120, deadline=None)
@given(
    options=st.one_of(choices, grouped),
    radio=st.booleans(),
    value=st.one_of(st.none(), st.integers(0, 99), st.lists(st.integers(0, 99), max_size=3)),
    widget_attrs=attributes,
)
def test_radio_buttons_and_checkbox_lists_match_the_templates(options, radio, value, widget_attrs):
    widget = (forms.RadioSelect if radio else forms.CheckboxSelectMultiple)(attrs=widget_attrs, choices=options)
    fast, template = both(widget, "pick", value)
    assert fast == template
    # One option at a time, as a template draws them ({{ choice.tag }}, {{ choice }}).
    form_class = type("Pick", (forms.Form,), {"pick": forms.MultipleChoiceField(choices=options, widget=widget)})
    data = {"pick": [str(value)] if isinstance(value, int) else [str(item) for item in value or []]}
    for fast_option, template_option in zip(
        form_class(data, renderer=FAST)["pick"], form_class(data, renderer=TEMPLATES)["pick"], strict=True
    ):
        assert fast_option.tag() == template_option.tag()
        assert str(fast_option) == str(template_option)


def test_widgets_with_their_own_template_still_render_through_it():
    """Date pickers split in two and file inputs with a clear box keep Django's templates (and markup)."""
    for widget, value in [
        (forms.SplitDateTimeWidget(), datetime.datetime(2026, 11, 27, 8, 30)),
        (forms.ClearableFileInput(), None),
    ]:
        fast, template = both(widget, "field", value)
        assert fast == template
        assert fast


def test_a_whole_form_renders_the_same():
    class Everything(forms.Form):
        subject = forms.CharField(max_length=10, help_text="Short <please>")
        body = forms.CharField(widget=forms.Textarea)
        kind = forms.ChoiceField(choices=[("a", "A & B"), ("c", "C")])
        count = forms.DecimalField(decimal_places=2)
        agree = forms.BooleanField()

    data = {"subject": "far too long a subject <b>", "body": "", "kind": "x", "count": "1,5"}
    fast = Everything(data, renderer=FAST)
    template = Everything(data, renderer=TEMPLATES)
    assert fast.errors and str(fast) == str(template)


def test_plain_widgets_skip_the_template_engine(monkeypatch):
    """The point of it: after the one-time override check, no template is rendered for the plain widgets."""
    FAST._python_allowed()
    rendered = []
    monkeypatch.setattr(TemplatesSetting, "render", lambda self, name, *args, **kwargs: rendered.append(name))
    forms.Select(choices=[(1, "One")]).render("pick", 1, renderer=FAST)
    forms.TextInput().render("name", "x", renderer=FAST)
    forms.Textarea().render("body", "x", renderer=FAST)
    str(ErrorList(["Wrong"], renderer=FAST))
    forms.RadioSelect(choices=[(1, "One")]).render("pick", 1, renderer=FAST)
    forms.ClearableFileInput().render("file", None, renderer=FAST)
    assert rendered == ["django/forms/widgets/clearable_file_input.html"]


def test_a_project_template_overriding_a_widget_turns_the_python_off(settings, tmp_path):
    (tmp_path / "django/forms/widgets").mkdir(parents=True)
    (tmp_path / "django/forms/widgets/select_option.html").write_text("<option>{{ widget.label }}!</option>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    renderer = FastTemplatesSetting()
    assert "One!" in forms.Select(choices=[(1, "One")]).render("pick", 1, renderer=renderer)
