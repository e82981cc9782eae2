"""Template filters of the service pages: badge tones for statuses and priorities, SLA time left in words."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

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
