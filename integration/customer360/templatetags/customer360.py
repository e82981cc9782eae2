"""The customer 360 timeline's rows, rendered in Python.

A page shows 25 entries with two dates each; through the template language
(an {% if %} per link and per badge, the `display` and `date` filters) a row
cost about as much as the rest of the page's own markup. The markup is below,
in an f-string, the same as the template's was: what differs per entry is
escaped there. Dates are shown in the current time zone, as the `date` filter
does, with the language's format looked up once per language.
Change the row here; the page around it is in customer360/customer.html.
"""

from functools import lru_cache
from html import escape

from django import template
from django.utils import timezone
from django.utils.dateformat import DateFormat
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core.templatetags.kontor import _choice_labels
from integration.customer360.models import TimelineEntry

register = template.Library()


@lru_cache(maxsize=16)
def _datetime_format(language: str) -> str:
    return get_format("SHORT_DATETIME_FORMAT", language)


@register.simple_tag
def timeline_rows(entries) -> SafeString:
    """The <li> rows of the timeline's <ol> for these entries (TimelineEntry instances)."""
    language = get_language() or ""
    office_labels = _choice_labels(TimelineEntry._meta.get_field("office"), language)
    datetime_format = _datetime_format(language)
    current_timezone = timezone.get_current_timezone()
    html = []
    for entry in entries:
        badge = "badge-info" if entry.office == TimelineEntry.Office.FRONT else "badge-warning"
        office = escape(str(office_labels.get(entry.office, entry.office)))
        title = escape(entry.title)
        what = f'<a href="{escape(entry.url)}">{title}</a>' if entry.url else title
        when = entry.occurred_at
        if timezone.is_aware(when):
            when = timezone.localtime(when, current_timezone)
        html.append(
            f"""
        <li class="list-group-item d-flex gap-3">
          <span class="badge {badge} badge-status align-self-start">{office}</span>
          <div class="flex-grow-1">
            <div>{what}</div>
            <div class="small text-body-secondary"><time datetime="{when.isoformat()}">\
{escape(DateFormat(when).format(datetime_format))}</time> · <code>{escape(entry.event_name)}</code></div>
          </div>
        </li>"""
        )
    return SafeString("".join(html))
