"""Template helpers used across Kontor: sortable headers, money and numbers per locale, badges."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# English pages use British number style ("SEK 1,234.50"); Swedish pages Swedish ("1 234,50 kr").
_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
_CURRENCY_PATTERNS = {"en": "\u00a4\u00a0#,##0.00"}


def _locale() -> str:
    return _LOCALES.get((get_language() or "en")[:2], "en_GB")


@register.filter
def money(amount: Decimal | None, currency: object = "SEK") -> str:
    """1234.5|money:"SEK" -> '1 234,50 kr' in Swedish, 'SEK 1,234.50' in English."""
    if amount in (None, ""):
        return "—"
    language = (get_language() or "en")[:2]
    return format_currency(
        Decimal(amount), str(currency or "SEK"), format=_CURRENCY_PATTERNS.get(language), locale=_locale()
    )


@register.filter
def number(value, decimals: int = 0) -> str:
    if value in (None, ""):
        return "—"
    pattern = "#,##0" + ("." + "0" * int(decimals) if int(decimals) else "")
    return format_decimal(value, format=pattern, locale=_locale())


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str) -> str:
    """A column header that sorts by `field`, toggling direction, keeping the other filters."""
    request = context["request"]
    current = request.GET.get("sort", "")
    if current == field:
        next_sort, direction, icon = f"-{field}", "ascending", "bi-sort-up"
    elif current == f"-{field}":
        next_sort, direction, icon = field, "descending", "bi-sort-down"
    else:
        next_sort, direction, icon = field, "none", "bi-arrow-down-up text-body-tertiary"
    params = request.GET.copy()
    params["sort"] = next_sort
    params.pop("page", None)
    return format_html(
        '<a class="sort-link" href="?{}" hx-get="?{}" hx-target="#results" hx-push-url="true" '
        'aria-sort="{}">{} <i class="bi {}" aria-hidden="true"></i></a>',
        params.urlencode(),
        params.urlencode(),
        direction,
        label,
        icon,
    )


@register.simple_tag
def active_badge(is_active: bool) -> str:
    if is_active:
        return format_html('<span class="badge badge-status badge-success">{}</span>', _("Active"))
    return format_html('<span class="badge badge-status badge-muted">{}</span>', _("Inactive"))


_CSS = {
    "CheckboxInput": "form-check-input",
    "Select": "form-select",
    "SelectMultiple": "form-select",
    "NullBooleanSelect": "form-select",
}


@register.filter
def styled(bound_field) -> str:
    """Render a form field's widget with Bootstrap's class and its error state, whatever form it came from."""
    widget = bound_field.field.widget
    css = _CSS.get(widget.__class__.__name__, "form-control")
    classes = widget.attrs.get("class", "")
    attrs = {}
    if css not in classes.split():
        attrs["class"] = f"{classes} {css}".strip()
    if bound_field.errors:
        attrs["class"] = f"{attrs.get('class', classes)} is-invalid".strip()
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_error"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def field_type(bound_field) -> str:
    return bound_field.field.widget.__class__.__name__


@register.simple_tag
def audit_field_label(entry, field_name: str) -> str:
    """The human name of a changed field ('postal_code' -> 'postal code'), from the model it belongs to."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.exceptions import FieldDoesNotExist

    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    try:
        return str(model._meta.get_field(field_name).verbose_name).capitalize()
    except (FieldDoesNotExist, AttributeError):
        return field_name.replace("_", " ").capitalize()


@register.filter
def audit_value(value) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
