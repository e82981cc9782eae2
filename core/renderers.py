"""The form renderer: Django's widget templates, with the common ones written in Python.

Django renders every widget, every select option and every error list through a template. On a form page that is
a few hundred template nodes for a handful of fields, and on the filter bar of every list the same again per option;
measured, it was a quarter of the portal's new-ticket page. `FastTemplatesSetting` renders the plain widgets
(inputs of every type, textarea, select with its options and groups, the error list) in Python with exactly the
markup Django's templates give (a test compares them, escaping included), and hands everything else to the
templates as before: a project template that overrides one of those widgets, or a widget with its own template
(the autocomplete), takes the template path.
"""

from collections.abc import Callable

from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

_INPUT = "django/forms/widgets/input.html"
_INPUT_TYPES = (
    "text",
    "email",
    "number",
    "password",
    "hidden",
    "url",
    "date",
    "datetime",
    "time",
    "search",
    "tel",
    "color",
    "file",
    "checkbox",
)
_OPTION = "django/forms/widgets/select_option.html"


def template_text(value) -> str:
    """`{{ value }}` in a template: in local time, localized, as text, then escaped unless marked safe."""
    if isinstance(value, Promise):  # a lazy translation: its text (what localize would end with)
        value = str(value)
    elif not isinstance(value, str):
        value = localize(template_localtime(value))
        if not isinstance(value, str):
            value = str(value)
    return conditional_escape(value)


_text = template_text


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"` per attribute, a bare name for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>"
    )


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None  # an option with a template of its own: the template path renders the whole select
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _input_option(option: dict) -> str:
    """radio_option.html / checkbox_option.html: the input, wrapped in its label when asked.

    With the line breaks the three nested templates end with, as an {% include %} of them gives.
    """
    if not option.get("wrap_label"):
        return f"{_input(option)}\n\n\n"
    identifier = option["attrs"].get("id")
    label_for = f' for="{conditional_escape(identifier)}"' if identifier else ""
    return f"<label{label_for}>{_input(option)}\n {_text(option['label'])}</label>\n\n"


_OPTION_INPUTS = ("django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html")


def _multiple_input(widget: dict) -> str | None:
    """multiple_input.html (RadioSelect, CheckboxSelectMultiple): a <div> per option, optgroups as labelled divs."""
    identifier = widget["attrs"].get("id")
    css = widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{_text(identifier)}"' if identifier else "",
        f' class="{_text(css)}"' if css else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            if option["template_name"] not in _OPTION_INPUTS:
                return None
            parts.append(f"<div>\n    {_input_option(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _error_list(context: dict) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    identifier = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_text(error)}</li>" for error in errors)
    return f'<ul class="{conditional_escape(context["error_class"])}"{identifier}>{items}</ul>'


_WIDGETS: dict[str, Callable[[dict], str | None]] = {
    _INPUT: _input,
    **{f"django/forms/widgets/{kind}.html": _input for kind in _INPUT_TYPES},
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    _OPTION: _option,
    "django/forms/widgets/radio.html": _multiple_input,
    "django/forms/widgets/checkbox_select.html": _multiple_input,
    "django/forms/widgets/multiple_input.html": _multiple_input,
    **dict.fromkeys(_OPTION_INPUTS, _input_option),
}
_ERROR_LISTS = ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")


class FastTemplatesSetting(TemplatesSetting):
    """TemplatesSetting (widget templates found through TEMPLATES) with the plain widgets rendered in Python."""

    def __init__(self) -> None:
        super().__init__()
        self._python: bool | None = None

    def _python_allowed(self) -> bool:
        """False when a project or app template replaces any of Django's templates written here (then they render)."""
        if self._python is None:
            included = ("django/forms/widgets/attrs.html", "django/forms/widgets/input_option.html")
            names = [*_WIDGETS, *_ERROR_LISTS, *included]
            origins = [self.get_template(name).origin.name.replace("\\", "/") for name in names]
            self._python = all("/django/forms/templates/django/forms/" in origin for origin in origins)
        return self._python

    def render(self, template_name, context, request=None):
        if self._python_allowed():
            if template_name in _ERROR_LISTS:
                return SafeString(_error_list(context))
            python = _WIDGETS.get(template_name)
            if python is not None and "widget" in context:
                html = python(context["widget"])
                if html is not None:
                    return SafeString(html.strip())
        return super().render(template_name, context, request=request)
