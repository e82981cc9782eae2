"""Template filters of the service pages: badge tones for statuses and priorities, SLA time left in words; the
list's rows and the ticket page's conversation rendered in Python."""

from datetime import timedelta
from functools import lru_cache
from html import escape

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import filesizeformat, linebreaksbr, truncatechars
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dateformat import DateFormat
from django.utils.formats import date_format, get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.templatetags.kontor import _choice_labels, styled
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


@lru_cache(maxsize=8)
def _ticket_url(script_prefix: str, urlconf) -> str:
    """Ticket.get_absolute_url with a placeholder for the number, reversed once (not once a row)."""
    return escape(reverse("service:ticket-detail", args=[987654321]).replace("987654321", "{number}"))


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
    select = _("Select %(reference)s")
    detail_url = _ticket_url(get_script_prefix(), get_urlconf())
    html = []
    for ticket in rows:
        reference = escape(ticket.reference)
        checkbox = ""
        if bulk:
            label = escape(select % {"reference": ticket.reference})
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
        <td><a class="fw-medium" href="{detail_url.format(number=ticket.number)}">{reference}</a> \
{escape(ticket.subject)}
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


@lru_cache(maxsize=8)
def _conversation_urls(script_prefix: str, urlconf) -> tuple[str, str]:
    """The attachment and help-center-draft URLs with placeholders, reversed once (not once a message)."""
    return (
        reverse("service:attachment", args=[987654321]).replace("987654321", "{file}"),
        reverse("service:reply-to-article", args=[987654321, 123456789])
        .replace("987654321", "{ticket}")
        .replace("123456789", "{message}"),
    )


def _author(message: dict, requester) -> str:
    """The name the template printed: the person's or the user's str, the requester or "System" without one."""
    if message["from_customer"]:
        if message["author_person_id"] is None:
            return str(requester)
        name = f"{message['author_person__first_name']} {message['author_person__last_name']}".strip()
        return name or message["author_person__email"]
    if message["author_user_id"] is None:
        return SafeString(_("System"))  # a translated literal: the template did not escape it
    return message["author_user__full_name"] or message["author_user__email"]


@register.simple_tag(takes_context=True)
def ticket_conversation(context, messages: list[dict], *, ticket: Ticket, can_draft_articles: bool) -> SafeString:
    """The agent's ticket page's messages (rows of selectors.ticket_page_conversation) as the <li> cards the
    template drew, rendered in Python: the template language spent a fifth of the page's time on them."""
    language = get_language() or ""
    date_format = _datetime_format(language)
    current_timezone = timezone.get_current_timezone()
    attachment_url, article_url = _conversation_urls(get_script_prefix(), get_urlconf())
    note_badge = f'<span class="badge badge-status badge-warning">{_("Internal note")}</span>'
    reply_badge = f'<span class="badge badge-status badge-info">{_("Reply")}</span>'
    by_email = f'<i class="bi bi-envelope" aria-label="{_("by e-mail")}"></i>'
    draft_label = _("Turn into a help-center draft")
    csrf_token = context.get("csrf_token")
    csrf_input = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(csrf_token))}">'
        if csrf_token and csrf_token != "NOTPROVIDED"
        else ""
    )
    html = []
    for message in messages:
        note = message["kind"] == "note"
        staff = not message["from_customer"]
        card = " border-warning bg-warning-subtle" if note else " border-primary-subtle" if staff else ""
        badge = note_badge if note else reply_badge if staff else ""
        created = DateFormat(timezone.localtime(message["created_at"], current_timezone))
        files = ""
        if message["files"]:
            items = "".join(
                f'<li class="list-inline-item"><a href="{attachment_url.format(file=pk)}">'
                f'<i class="bi bi-paperclip" aria-hidden="true"></i> {escape(name)}</a> '
                f'<span class="small text-body-secondary">({escape(filesizeformat(size))})</span></li>'
                for pk, name, size in message["files"]
            )
            files = f'\n            <ul class="list-inline mt-2 mb-0">{items}</ul>\n            '
        draft = ""
        if message["kind"] == "reply" and staff and can_draft_articles:
            action = article_url.format(ticket=ticket.number, message=message["pk"])
            draft = (
                f'\n            <form class="mt-2" method="post" action="{action}">{csrf_input}'
                f'<button class="btn btn-sm btn-link px-0" type="submit"><i class="bi bi-journal-plus" '
                f'aria-hidden="true"></i> {draft_label}</button></form>\n            '
            )
        html.append(
            f"""
        <li class="card{card}" id="message-{message["pk"]}">
          <div class="card-body">
            <div class="d-flex flex-wrap justify-content-between gap-2 small text-body-secondary mb-2">
              <span><strong class="text-body">{conditional_escape(_author(message, ticket.requester))}</strong>
                {badge}
                {by_email if message["source"] == "email" else ""}</span>
              <time datetime="{created.format("c")}">{escape(created.format(date_format))}</time>
            </div>
            <div class="text-break">{linebreaksbr(message["body"])}</div>
            {files}
            {draft}
          </div>
        </li>
      """
        )
    return SafeString("".join(html))


@lru_cache(maxsize=8)
def _portal_ticket_url(script_prefix: str, urlconf) -> str:
    """Ticket.get_portal_url with a placeholder for the number, reversed once (not once a row)."""
    return escape(reverse("portal-ticket", args=[987654321]).replace("987654321", "{number}"))


def _portal_badges() -> dict[str, str]:
    """The status badges of service/portal/_status_badge.html by status ("" for the others): the customer's words.
    (The include ended in a line break, which the rows keep.)"""
    info = '<span class="badge badge-status badge-info">{}</span>'
    return {
        "pending-customer": '<span class="badge badge-status badge-warning"><i class="bi bi-hourglass-split" '
        f'aria-hidden="true"></i> {_("Waiting for you")}</span>',
        "new": info.format(_("Received")),
        "resolved": f'<span class="badge badge-status badge-success">{_("Resolved")}</span>',
        "closed": f'<span class="badge badge-status badge-muted">{_("Closed")}</span>',
        "": info.format(_("In progress")),
    }


@register.simple_tag
def portal_ticket_rows(rows, *, user) -> SafeString:
    """The <li> rows of the customer's ticket list, rendered in Python with the markup the template drew (the
    template language spent two thirds of the page's time on 20 rows). The list around them is in
    service/portal/ticket_list.html."""
    language = get_language() or ""
    date_format = _date_format(language)
    current_timezone = timezone.get_current_timezone()
    detail_url = _portal_ticket_url(get_script_prefix(), get_urlconf())
    opened, by, updated = _("Opened %(date)s"), _("by %(name)s"), _("updated %(when)s")
    badges = _portal_badges()
    html = []
    for ticket in rows:
        waiting = " ticket-waiting border-start border-4 border-warning" if ticket.status == "pending-customer" else ""
        created = DateFormat(timezone.localtime(ticket.created_at, current_timezone)).format(date_format)
        requested_by = ""
        if ticket.requester.user_id != user.pk:
            requested_by = " · " + by % {"name": escape(str(ticket.requester))}
        activity = DateFormat(timezone.localtime(ticket.last_activity_at, current_timezone)).format("c")
        html.append(
            f"""
    <li class="list-group-item list-group-item-action position-relative py-3{waiting}">
      <div class="d-flex flex-wrap align-items-start justify-content-between gap-2">
        <div class="flex-grow-1" style="min-width: 0">
          <a class="fw-medium stretched-link text-break" href="{detail_url.format(number=ticket.number)}">\
<span class="text-body-secondary">{escape(ticket.reference)}</span> {escape(ticket.subject)}</a>
          <div class="small text-body-secondary">
            {opened % {"date": escape(created)}}{requested_by} · <time datetime="{escape(activity)}">\
{updated % {"when": escape(naturaltime(ticket.last_activity_at))}}</time>
          </div>
        </div>
        <div>{badges.get(ticket.status, badges[""])}
</div>
      </div>
    </li>
    """
        )
    return SafeString("".join(html))


@lru_cache(maxsize=16)
def _date_format(language: str) -> str:
    return get_format("SHORT_DATE_FORMAT", language)


@register.simple_tag
def ticket_customer_card(ticket: Ticket, *, cc: list[str], other_tickets: list, open_orders=None) -> SafeString:
    """The ticket page's customer card (who asked, who is copied, the customer's other tickets and open orders),
    with the markup the template drew, rendered in Python: the rows and their links cost the template language
    more than the rest of the side column."""
    organization = ""
    if ticket.organization_id:
        url = escape(reverse("customer360:customer", args=[ticket.organization_id]))
        organization = f'<p class="mb-1 fw-medium"><a href="{url}">{escape(ticket.organization.name)}</a></p>'
    requester = ticket.requester
    email = escape(requester.email)
    mail_link = f' · <a href="mailto:{email}">{email}</a>' if requester.email else ""
    phone = f'<p class="mb-1">{escape(requester.phone)}</p>' if requester.phone else ""
    copied = (
        f'<p class="small text-body-secondary mb-0">{_("CC:")} {", ".join(escape(name) for name in cc)}</p>'
        if cc
        else ""
    )
    html = [
        f"""<section class="card"><div class="card-header bg-transparent"><h2 class="h6 mb-0">\
{_("Customer")}</h2></div>
      <div class="card-body">
        {organization}
        <p class="mb-1">{escape(str(requester))}{mail_link}</p>
        {phone}
        {copied}
      </div>
      """
    ]
    if other_tickets:
        detail_url = _ticket_url(get_script_prefix(), get_urlconf())
        statuses = _choice_labels(Ticket._meta.get_field("status"), get_language() or "")  # get_status_display
        items = "".join(
            '<li class="list-group-item small d-flex justify-content-between gap-2">'
            f'<a href="{detail_url.format(number=other.number)}">{escape(other.reference)} '
            f"{escape(truncatechars(other.subject, 40))}</a>"
            f'<span class="badge badge-status badge-{status_tone(other.status)}">'
            f"{escape(statuses.get(other.status, other.status))}</span></li>"
            for other in other_tickets
        )
        html.append(
            f"""
      <div class="card-header bg-transparent border-top"><h3 class="h6 mb-0">{_("Other tickets")}</h3></div>
      <ul class="list-group list-group-flush">{items}</ul>
      """
        )
    html.append("\n      ")
    if open_orders:
        items = "".join(
            '<li class="list-group-item small d-flex justify-content-between gap-2">'
            f'<a href="{escape(order.get_absolute_url())}">{escape(str(order.number))}</a>'
            f"<span>{escape(str(order.get_delivery_status_display()))} · "
            f"{escape(str(order.get_invoice_status_display()))}</span></li>"
            for order in open_orders
        )
        html.append(
            f"""
      <div class="card-header bg-transparent border-top"><h3 class="h6 mb-0">{_("Open orders")}</h3></div>
      <ul class="list-group list-group-flush">{items}</ul>
      """
        )
    html.append("\n    </section>")
    return SafeString("".join(html))


def _csrf_input(context) -> str:
    """What {% csrf_token %} writes."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'


def _label(bound_field, css: str) -> str:
    return f'<label class="{css}" for="{escape(bound_field.id_for_label)}">{escape(str(bound_field.label))}</label>'


@register.simple_tag(takes_context=True)
def ticket_side_cards(context, ticket: Ticket, *, can_change: bool, can_log_time: bool) -> SafeString:
    """The ticket page's Ticket, Time and Merge cards with the markup the template drew, rendered in Python (the
    template language spent more on these three cards than on the rest of the page's body). The forms' widgets
    are still drawn by the `styled` filter, as before."""
    csrf_input = _csrf_input(context)
    editable = can_change and not ticket.merged_into_id
    edit = ""
    if editable:
        url = escape(reverse("service:ticket-edit", args=[ticket.number]))
        edit = (
            f'<a class="btn btn-sm btn-outline-primary" href="{url}"><i class="bi bi-pencil" aria-hidden="true"></i> '
            f"{_('Edit')}</a>"
        )
    assignee = escape(str(ticket.assignee)) if ticket.assignee_id else _("Nobody")
    category = escape(ticket.category.name) if ticket.category_id and ticket.category.name else "—"
    tags = ", ".join(escape(tag) for tag in ticket.tags) or "—"
    entries = context.get("time_entries") or []
    logged = _("%(total)s min logged, %(billable)s min billable.") % {
        "total": escape(localize(context.get("total_minutes"))),
        "billable": escape(localize(context.get("billable_minutes"))),
    }
    entry_list = ""
    if entries:
        billable = _("billable")
        items = "".join(
            f"<li>{escape(date_format(entry.worked_on, 'SHORT_DATE_FORMAT'))} · {escape(str(entry.user))} · "
            f"{escape(localize(entry.minutes))} min{f' · {billable}' if entry.billable else ''}"
            f"{f' · {escape(entry.note)}' if entry.note else ''}</li>"
            for entry in entries
        )
        entry_list = f'<ul class="list-unstyled small mb-3">{items}</ul>'
    time_form = ""
    if can_log_time:
        form = context["time_form"]
        small = "form-label small mb-1"
        action = escape(reverse("service:ticket-time", args=[ticket.number]))
        time_form = f"""
        <form method="post" action="{action}" class="row g-2 align-items-end">{csrf_input}
          <div class="col-6">{_label(form["minutes"], small)}{styled(form["minutes"])}</div>
          <div class="col-6">{_label(form["worked_on"], small)}{styled(form["worked_on"])}</div>
          <div class="col-12">{_label(form["note"], small)}{styled(form["note"])}</div>
          <div class="col-12 d-flex justify-content-between align-items-center"><div class="form-check">\
{styled(form["billable"])}{_label(form["billable"], "form-check-label small")}</div>
            <button class="btn btn-sm btn-outline-primary" type="submit">{_("Log time")}</button></div>
        </form>
        """
    merge = ""
    if editable:
        form = context["merge_form"]
        action = escape(reverse("service:ticket-merge", args=[ticket.number]))
        merge = f"""
    <section class="card"><div class="card-header bg-transparent"><h2 class="h6 mb-0">{_("Merge")}</h2></div>
      <form class="card-body" method="post" action="{action}">{csrf_input}
        {_label(form["target"], "form-label small mb-1")}{styled(form["target"])}
        <div class="form-text">{escape(str(form["target"].help_text))} \
{_("This ticket's messages, files and time move there; this one closes.")}</div>
        <button class="btn btn-sm btn-outline-danger mt-2" type="submit">{_("Merge")}</button>
      </form>
    </section>
    """
    return SafeString(
        f"""<section class="card"><div class="card-header bg-transparent d-flex justify-content-between \
align-items-center"><h2 class="h6 mb-0">{_("Ticket")}</h2>
      {edit}</div>
      <div class="card-body"><dl class="facts mb-0">
        <div><dt>{_("Assignee")}</dt><dd>{assignee}</dd></div>
        <div><dt>{_("Queue")}</dt><dd>{escape(ticket.queue.name)}</dd></div>
        <div><dt>{_("Category")}</dt><dd>{category}</dd></div>
        <div><dt>{_("Priority")}</dt><dd>{escape(str(ticket.get_priority_display()))}</dd></div>
        <div><dt>{_("Tags")}</dt><dd>{tags}</dd></div>
      </dl></div>
    </section>

    <section class="card"><div class="card-header bg-transparent"><h2 class="h6 mb-0">{_("Time")}</h2></div>
      <div class="card-body">
        <p class="small mb-2">{logged}</p>
        {entry_list}
        {time_form}
      </div>
    </section>

    {merge}"""
    )


@register.simple_tag(takes_context=True)
def ticket_header(context, ticket: Ticket, *, can_change: bool, status_choices) -> SafeString:
    """The ticket page's header (reference, subject, badges, where it came from, tags, the status form) with the
    markup the template drew, rendered in Python."""
    category = f" · {escape(ticket.category.name)}" if ticket.category_id else ""
    opened = _("opened %(when)s ago") % {"when": escape(timesince(ticket.created_at))}
    tags = "".join(f'<span class="badge badge-role">{escape(tag)}</span>' for tag in ticket.tags)
    form = ""
    if can_change and not ticket.merged_into_id:
        action = escape(reverse("service:ticket-status", args=[ticket.number]))
        options = "".join(
            f'<option value="{escape(str(value))}"{" selected" if value == ticket.status else ""}>'
            f"{escape(str(label))}</option>"
            for value, label in status_choices
        )
        form = f"""
  <form class="d-flex gap-2 align-items-end" method="post" action="{action}">{_csrf_input(context)}
    <div><label class="form-label small mb-0" for="status-select">{_("Status")}</label>
      <select class="form-select" id="status-select" name="status">{options}</select></div>
    <button class="btn btn-outline-primary" type="submit">{_("Change")}</button>
  </form>
  """
    return SafeString(
        f"""<div class="page-header">
  <div>
    <h1 class="h3 mb-1"><span class="text-body-secondary">{escape(ticket.reference)}</span> \
{escape(ticket.subject)}</h1>
    <div class="d-flex flex-wrap gap-2 align-items-center">
      <span class="badge badge-status badge-{status_tone(ticket.status)}">\
{escape(str(ticket.get_status_display()))}</span>
      <span class="badge badge-status badge-{priority_tone(ticket.priority)}">\
{escape(str(ticket.get_priority_display()))}</span>
      <span class="text-body-secondary small">{escape(ticket.queue.name)}{category} · \
{escape(str(ticket.get_source_display()))} · {opened}</span>
      {tags}
    </div>
  </div>
  {form}
</div>"""
    )
