"""Template filters of the service pages: badge tones for statuses and priorities, SLA time left in words."""

from datetime import timedelta
from functools import lru_cache
from html import escape

from django import template
from django.utils import timezone
from django.utils.dateformat import DateFormat
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.templatetags.kontor import _choice_labels
from frontoffice.service.models import Ticket

register = template.Library()

_STATUS_TONES = {
    "new": "info",
    "open": "warning",
    "pending-customer": "muted",
    "pending-third-party": "muted",
    "resolved": "success",
    "closed": "muted",
}
_PRIORITY_TONES = {1: "muted", 2: "info", 3: "warning", 4: "danger"}


@register.filter
def status_tone(status: str) -> str:
    return _STATUS_TONES.get(status, "muted")


@register.filter
def priority_tone(priority: int) -> str:
    return _PRIORITY_TONES.get(priority, "muted")


@register.filter
def business_time(value: timedelta | None) -> str:
    """ "2 h 05 min" of business time; "overdue by …" when negative; "—" when there is no clock."""
    if value is None:
        return "—"
    overdue = value < timedelta()
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    text = (
        _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
        if hours
        else _("%(minutes)d min") % {"minutes": minutes}
    )
    return _("overdue by %(time)s") % {"time": text} if overdue else text


@lru_cache(maxsize=16)
def _datetime_format(language: str) -> str:
    return get_format("SHORT_DATETIME_FORMAT", language)


@register.simple_tag
def ticket_rows(rows, *, bulk: bool, now) -> SafeString:
    """The <tr> rows of the agents' ticket list, rendered in Python (as the account list's are: the template
    language spent most of the page's time on 25 rows). The table around them is in service/ticket_list.html."""
    language = get_language() or ""
    statuses = _choice_labels(Ticket._meta.get_field("status"), language)
    priorities = _choice_labels(Ticket._meta.get_field("priority"), language)
    date_format = _datetime_format(language)
    current_timezone = timezone.get_current_timezone()
    missed = escape(_("SLA missed"))
    paused = escape(_("paused"))
    html = []
    for ticket in rows:
        reference = escape(ticket.reference)
        checkbox = ""
        if bulk:
            label = escape(_("Select %(reference)s") % {"reference": ticket.reference})
            checkbox = (
                f'<td class="text-center"><input class="form-check-input" type="checkbox" name="tickets" '
                f'value="{ticket.number}" aria-label="{label}"></td>'
            )
        breached = (
            f' <span class="badge badge-status badge-danger">{missed}</span>'
            if ticket.first_response_breached_at or ticket.resolution_breached_at
            else ""
        )
        due = "—"
        if ticket.status in Ticket.ACTIVE_STATUSES and ticket.resolution_due_at:
            late = ticket.resolution_due_at < now and not ticket.sla_paused_at
            when = DateFormat(timezone.localtime(ticket.resolution_due_at, current_timezone)).format(date_format)
            due = f'<span class="{"text-danger fw-medium" if late else ""}">{escape(when)}</span>'
            if ticket.sla_paused_at:
                due += f' <span class="text-body-secondary">({paused})</span>'
        organization = escape(ticket.organization.name) if ticket.organization_id else ""
        html.append(
            f"""
      <tr>
        {checkbox}
        <td><a class="fw-medium" href="{escape(ticket.get_absolute_url())}">{reference}</a> {escape(ticket.subject)}
          <div class="small text-body-secondary">{escape(ticket.queue.name)}</div></td>
        <td>{organization}<div class="small text-body-secondary">{escape(str(ticket.requester))}</div></td>
        <td><span class="badge badge-status badge-{priority_tone(ticket.priority)}">\
{escape(str(priorities.get(ticket.priority, ticket.priority)))}</span></td>
        <td><span class="badge badge-status badge-{status_tone(ticket.status)}">\
{escape(str(statuses.get(ticket.status, ticket.status)))}</span>{breached}</td>
        <td class="d-none d-md-table-cell small">{escape(str(ticket.assignee)) if ticket.assignee_id else "—"}</td>
        <td class="d-none d-lg-table-cell small">{due}</td>
        <td class="d-none d-md-table-cell small">{escape(timesince(ticket.last_activity_at, now))}</td>
      </tr>"""
        )
    return SafeString("".join(html))
