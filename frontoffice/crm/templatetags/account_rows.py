"""The account list's table rows, rendered in Python.

The list shows 25 accounts a page; through the template language (three
{% if %}, a {% for %} over the tags, the display, number and date filters)
the rows cost a few milliseconds of a page whose whole budget is about ten.
The markup is below, in an f-string, the same as the template's was: what
differs per account is escaped there. Change the row here; the table around
it is in crm/account_list.html.
"""

from datetime import date
from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import DateFormat
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core.templatetags.kontor import _choice_labels, number
from frontoffice.crm.models import Account

register = template.Library()

_STAGE_BADGE = {"customer": "badge-success", "former": "badge-muted"}


@lru_cache(maxsize=16)
def _date_format(language: str) -> str:
    return get_format("SHORT_DATE_FORMAT", language)


@lru_cache(maxsize=4096)
def _short_date(day: date, date_format: str) -> str:
    """A day in the short date format (rows of a page share few days: formatted once each)."""
    return DateFormat(day).format(date_format)


@register.simple_tag
def account_rows(rows) -> SafeString:
    """The <tr> rows of the account list for these accounts (with organization, owner and open_activities)."""
    language = get_language() or ""
    stages = _choice_labels(Account._meta.get_field("lifecycle_stage"), language)
    segments = _choice_labels(Account._meta.get_field("segment"), language)
    date_format = _date_format(language)
    current_timezone = timezone.get_current_timezone()
    # One reverse() for the rows' links: the URL of account 0 with the pk put in its place.
    head, tail = reverse("crm:account-detail", args=[0]).rsplit("/0/", 1)
    html = []
    for account in rows:
        industry = (
            f'<div class="small text-body-secondary">{escape(account.industry)}</div>' if account.industry else ""
        )
        tags = "".join(f'<span class="badge badge-role">{escape(tag)}</span> ' for tag in account.tags)
        stage = account.lifecycle_stage
        segment = segments.get(account.segment, account.segment) or "—"
        owner = account.owner
        created = account.created_at
        if timezone.is_aware(created):
            created = timezone.localtime(created, current_timezone)
        html.append(
            f"""
      <tr>
        <td><a class="fw-medium" href="{escape(f"{head}/{account.pk}/{tail}")}">{escape(account.organization.name)}</a>\
{industry}
          {tags}</td>
        <td><span class="badge badge-status {_STAGE_BADGE.get(stage, "badge-info")}">\
{escape(str(stages.get(stage, stage)))}</span></td>
        <td class="d-none d-md-table-cell">{escape(str(segment))}</td>
        <td class="d-none d-md-table-cell">{escape(str(owner)) if owner else "—"}</td>
        <td class="text-end">{escape(number(account.open_activities))}</td>
        <td class="d-none d-lg-table-cell text-nowrap">{escape(_short_date(created.date(), date_format))}</td>
      </tr>"""
        )
    return SafeString("".join(html))
