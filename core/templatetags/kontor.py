"""Template helpers used across Kontor: sortable headers, money and numbers per locale, badges."""

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_currency, format_decimal, get_currency_precision, parse_pattern
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# English pages use British number style ("SEK 1,234.50"); Swedish pages Swedish ("1 234,50 kr").
_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
_CURRENCY_PATTERNS = {"en": "\u00a4\u00a0#,##0.00"}

# Lists and boards format a number in every row. Babel parses the locale and the pattern on every
# call; both are kept here, and plain non-negative amounts take a shortcut that was checked against
# Babel's own output for that locale and currency when it was built (else Babel formats them).
_PROBES = (Decimal("0"), Decimal("7.5"), Decimal("0.125"), Decimal("1234567.891"), Decimal("999.995"))


def _language() -> str:
    return (get_language() or "en")[:2]


@lru_cache(maxsize=16)
def _babel_locale(language: str) -> Locale:
    return Locale.parse(_LOCALES.get(language, "en_GB"))


def _locale() -> str:
    return _LOCALES.get(_language(), "en_GB")


@lru_cache(maxsize=16)
def _currency_pattern(language: str) -> NumberPattern:
    pattern = _CURRENCY_PATTERNS.get(language)
    return parse_pattern(pattern) if pattern else _babel_locale(language).currency_formats["standard"]


def _grouped(value: Decimal | int, digits: int, group: str, decimal_symbol: str) -> str:
    integer, _point, fraction = f"{value:,.{digits}f}".partition(".")
    return integer.replace(",", group) + (decimal_symbol + fraction if digits else "")


@lru_cache(maxsize=128)
def _money_shortcut(language: str, currency: str) -> tuple[str, str, str, str, int] | None:
    """(prefix, suffix, group symbol, decimal symbol, digits), or None where only Babel gets it right."""
    locale = _babel_locale(language)
    pattern = _currency_pattern(language)
    if pattern.grouping != (3, 3) or pattern.scale or pattern.exp_prec or pattern.int_prec[0] != 1:
        return None
    formatted = format_currency(Decimal("1"), currency, format=pattern, locale=locale)
    digits = get_currency_precision(currency)
    symbols = locale.number_symbols["latn"]
    number = _grouped(Decimal("1"), digits, symbols["group"], symbols["decimal"])
    prefix, _number, suffix = formatted.partition(number)
    shortcut = (prefix, suffix, symbols["group"], symbols["decimal"], digits)
    for probe in _PROBES:
        expected = format_currency(probe, currency, format=pattern, locale=locale)
        if prefix + _grouped(probe, digits, symbols["group"], symbols["decimal"]) + suffix != expected:
            return None
    return shortcut


@lru_cache(maxsize=64)
def _number_shortcut(language: str, decimals: int) -> tuple[NumberPattern, str, str, bool]:
    """The parsed pattern, the group and decimal symbols, and whether the shortcut matches Babel."""
    locale = _babel_locale(language)
    pattern = parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))
    symbols = locale.number_symbols["latn"]
    exact = all(
        _grouped(probe, decimals, symbols["group"], symbols["decimal"]) == pattern.apply(probe, locale)
        for probe in (*_PROBES, 0, 12, 1234567)
    )
    return pattern, symbols["group"], symbols["decimal"], exact


@register.filter
def money(amount: Decimal | None, currency: object = "SEK") -> str:
    """1234.5|money:"SEK" -> '1 234,50 kr' in Swedish, 'SEK 1,234.50' in English."""
    if amount in (None, ""):
        return "—"
    return money_formatter(str(currency or "SEK"))(amount if isinstance(amount, Decimal) else Decimal(amount))


def money_formatter(currency: str) -> Callable[[Decimal], str]:
    """The `money` filter for one currency in the current language, for code that formats many amounts."""
    language = _language()
    shortcut = _money_shortcut(language, currency)

    def format_amount(amount: Decimal) -> str:
        if shortcut and amount >= 0 and amount.is_finite():
            prefix, suffix, group, decimal_symbol, digits = shortcut
            return prefix + _grouped(amount, digits, group, decimal_symbol) + suffix
        return format_currency(amount, currency, format=_currency_pattern(language), locale=_babel_locale(language))

    return format_amount


@register.filter
def number(value, decimals: int = 0) -> str:
    if value in (None, ""):
        return "—"
    language = _language()
    pattern, group, decimal_symbol, exact = _number_shortcut(language, int(decimals))
    if exact and type(value) in (int, Decimal) and value >= 0 and (type(value) is int or value.is_finite()):
        return _grouped(value, int(decimals), group, decimal_symbol)
    return format_decimal(value, format=pattern, locale=_babel_locale(language))


@lru_cache(maxsize=256)
def _choice_labels(field, language: str) -> dict:
    return {value: str(label) for value, label in field.flatchoices}


@register.filter
def plain(value) -> str:
    """A quantity or a rate as people write it, per locale: 3.000 -> "3", 1.500 -> "1.5" ("1,5" in Swedish)."""
    if value in (None, ""):
        return "—"
    exponent = Decimal(value).normalize().as_tuple().exponent
    return number(value, max(0, -exponent) if isinstance(exponent, int) else 0)


@register.filter
def display(instance, field_name: str) -> str:
    """account|display:"segment" is account.get_segment_display(), with the labels translated once per language.

    Django's get_FOO_display() translates every choice of the field on every
    call, which adds up in a list of 25 rows.
    """
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field.attname)
    try:
        return _choice_labels(field, get_language() or "").get(value, value)
    except TypeError:  # an unhashable value (a list): Django's way
        return getattr(instance, f"get_{field_name}_display")()


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


@register.simple_tag(takes_context=True)
def filter_bar(context) -> str:
    """A list's filter bar: the search box, a select per filter, hidden filters and the sort, "Clear filters".

    Written in Python (it was templates/includes/filter_bar.html, which still renders through this tag) with the
    same markup: every list page draws it, and in the template language each option of each select cost a dozen
    lookups and filters.
    """
    from core.renderers import template_text as text

    request, form = context["request"], context.get("filter_form")
    path = text(request.path)
    search_value = form["q"].value() if form is not None and "q" in form.fields else ""
    placeholder = context.get("search_placeholder") or _("Search…")
    parts = [
        f'\n<form class="filter-bar row g-2 align-items-end mb-3" method="get" hx-get="{path}" hx-target="#results" '
        'hx-push-url="true" hx-trigger="input changed delay:300ms from:input[type=search], change from:select, '
        'submit" role="search">\n  <div class="col-12 col-md">\n    <label class="form-label small '
        f'text-body-secondary" for="list-search">{text(_("Search"))}</label>\n    <input id="list-search" '
        f'class="form-control" type="search" name="q" value="{text(search_value or "")}" '
        f'placeholder="{text(placeholder)}" autocomplete="off">\n  </div>\n  '
    ]
    fields = [] if form is None else form.visible_fields()
    for field in fields:
        if field.name in ("q", "sort"):
            continue
        current = str(field.value())
        options = "".join(
            f'<option value="{text(value)}"{" selected" if current == str(value) else ""}>{text(label)}</option>'
            for value, label in field.field.choices
        )
        parts.append(
            f'\n  <div class="col-6 col-md-auto">\n    <label class="form-label small text-body-secondary" '
            f'for="{text(field.id_for_label)}">{text(field.label)}</label>\n    '
            f'<select id="{text(field.id_for_label)}" '
            f'name="{text(field.html_name)}" class="form-select">\n      {options}\n    </select>\n  </div>\n  '
        )
    parts.append("\n  ")
    for field in [] if form is None else form.hidden_fields():
        value = field.value()
        if value:
            parts.append(f'<input type="hidden" name="{text(field.html_name)}" value="{text(value)}">')
    sort = form["sort"].value() if form is not None and "sort" in form.fields else ""
    clear = (
        f'<a class="btn btn-link" href="{path}">{text(_("Clear filters"))}</a>' if context.get("is_filtered") else ""
    )
    parts.append(
        f'\n  <input type="hidden" name="sort" value="{text(sort or "")}">\n  <div class="col-auto"><noscript>'
        f'<button class="btn btn-outline-secondary" type="submit">{text(_("Filter"))}</button></noscript>\n    '
        f"{clear}\n  </div>\n</form>\n"
    )
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def staff_topbar(context) -> str:
    """The staff layout's top bar (templates/staff/_topbar.html), from a per-language copy: core/layout.py."""
    from core.layout import staff_topbar as topbar

    return topbar(context)


@register.simple_tag(takes_context=True)
def portal_header_start(context) -> str:
    from core.layout import portal_header_start as start

    return start(context)


@register.simple_tag(takes_context=True)
def portal_header_end(context) -> str:
    from core.layout import portal_header_end as end

    return end(context)


@register.simple_tag(takes_context=True)
def pagination(context) -> str:
    """A list's "Showing 1–25 of N" and its Previous / Page / Next links (was templates/includes/pagination.html).

    Written in Python with the same markup, which every list page draws; a test compares it with the template.
    """
    from django.template.defaulttags import querystring
    from django.utils.html import conditional_escape
    from django.utils.translation import gettext

    from core.renderers import template_text as text

    page = context.get("page")
    paginator = getattr(page, "paginator", None)
    if paginator is None or not (paginator.num_pages > 1 or paginator.count):
        return mark_safe("\n\n")
    estimate = getattr(paginator, "count_is_estimate", False)
    lower_bound = getattr(paginator, "count_is_lower_bound", False)
    start, end = text(page.start_index()), text(page.end_index())
    if estimate:
        showing = gettext("Showing %(start)s–%(end)s of about %(total)s")
        showing %= {"start": start, "end": end, "total": text(number(paginator.count))}
    elif lower_bound:
        showing = gettext("Showing %(start)s–%(end)s of more than %(total)s")
        showing %= {"start": start, "end": end, "total": text(number(paginator.count - 1))}
    else:
        showing = gettext("Showing %(start)s–%(end)s of %(total)s")
        showing %= {"start": start, "end": end, "total": text(number(paginator.count))}
    parts = [
        '\n\n<div class="d-flex flex-wrap align-items-center justify-content-between gap-2 mt-3">\n  '
        f'<p class="small text-body-secondary mb-0">{showing}</p>\n  '
    ]
    if page.has_previous() or page.has_next():
        target = text(context.get("target") or "results")

        def link(number_: int, rel: str, label: str) -> str:
            href = conditional_escape(querystring(context, page=number_))
            return (
                f'<li class="page-item"><a class="page-link" href="{href}" hx-get="{href}" hx-target="#{target}" '
                f'hx-push-url="true" rel="{rel}">{text(label)}</a></li>'
            )

        def disabled(label: str) -> str:
            return f'<li class="page-item disabled"><span class="page-link">{text(label)}</span></li>'

        previous = (
            f"\n      {link(page.previous_page_number(), 'prev', gettext('Previous'))}\n      "
            if page.has_previous()
            else disabled(gettext("Previous"))
        )
        next_ = (
            f"\n      {link(page.next_page_number(), 'next', gettext('Next'))}\n      "
            if page.has_next()
            else disabled(gettext("Next"))
        )
        number_text = text(page.number)
        if estimate:
            current = gettext("Page %(number)s of about %(pages)s") % {
                "number": number_text,
                "pages": text(number(paginator.num_pages)),
            }
        elif lower_bound:
            current = gettext("Page %(number)s") % {"number": number_text}
        else:
            current = gettext("Page %(number)s of %(pages)s") % {
                "number": number_text,
                "pages": text(paginator.num_pages),
            }
        parts.append(
            f'\n  <nav aria-label="{text(gettext("Pages"))}">\n    <ul class="pagination pagination-sm mb-0">\n      '
            f"{previous}\n"
            '      <li class="page-item active" aria-current="page">'
            f'<span class="page-link">{current}</span></li>\n      '
            f"{next_}\n    </ul>\n  </nav>\n  "
        )
    parts.append("\n</div>\n\n")
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def field_group(context) -> str:
    """One form field with its label, errors and help text (was templates/includes/field.html, which calls this).

    Written in Python with the template's markup (a test compares them): every form draws it once per field.
    """
    from core.renderers import template_text as text

    field, stacked = context["field"], context.get("stacked")
    kind = field_type(field)
    column = "col-12" if stacked or kind in ("Textarea", "CheckboxSelectMultiple") else "col-md-6"
    required = ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
    if kind == "CheckboxInput":
        body = (
            f'\n  <div class="form-check{"" if stacked else " mt-md-4"}">\n    {styled(field)}\n    '
            f'<label class="form-check-label" for="{text(field.id_for_label)}">{text(field.label)}</label>'
            "\n  </div>\n  "
        )
    elif kind == "CheckboxSelectMultiple":
        choices = "".join(
            f'\n      <div class="form-check">{choice.tag()}<label class="form-check-label" '
            f'for="{text(choice.id_for_label)}">{text(choice.choice_label)}</label></div>\n    '
            for choice in field
        )
        body = (
            f'\n  <fieldset>\n    <legend class="form-label fs-6">{text(field.label)}{required}</legend>\n    '
            f'<div class="d-flex flex-wrap gap-3">\n    {choices}\n    </div>\n  </fieldset>\n  '
        )
    else:
        body = (
            f'\n  <label class="form-label" for="{text(field.id_for_label)}">{text(field.label)}{required}</label>\n'
            f"  {styled(field)}\n  "
        )
    errors = "".join(
        f'<div class="invalid-feedback d-block" id="{text(field.auto_id)}_error">{text(error)}</div>'
        for error in field.errors
    )
    help_text = (
        f'<div class="form-text" id="{text(field.auto_id)}_helptext">{text(field.help_text)}</div>'
        if field.help_text
        else ""
    )
    return mark_safe(f'\n<div class="{column}">\n  {body}\n  {errors}\n  {help_text}\n</div>\n\n')
