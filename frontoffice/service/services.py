"""Every write of customer service: opening tickets, the conversation, status and SLA clocks, assignment, merging."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.exceptions import ServiceError
from core.notifications.services import notify
from core.parties.models import Organization, Person
from frontoffice.service import mail, selectors, sla
from frontoffice.service.attachments import CheckedFile
from frontoffice.service.models import (
    Attachment,
    CannedResponse,
    Category,
    Message,
    Priority,
    Queue,
    SlaPolicy,
    Ticket,
    TimeEntry,
)
from integration.bus import publish

Status = Ticket.Status
GUEST_LINK_SALT = "service.ticket-guest-link"
SUBJECT_MAX = Ticket._meta.get_field("subject").max_length
TAG_MAX = 40

# Who may move a ticket from one status to another (agents); customers only close, reopen and answer.
_AGENT_TARGETS = {
    Status.NEW: {Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY, Status.RESOLVED, Status.CLOSED},
    Status.PENDING_CUSTOMER: {Status.OPEN, Status.PENDING_THIRD_PARTY, Status.RESOLVED, Status.CLOSED},
    Status.PENDING_THIRD_PARTY: {Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


# --- SLA clocks ------------------------------------------------------------------------------------------------


def _clock_stopped(status: str) -> bool:
    return status in Ticket.PAUSED_STATUSES or status in Ticket.DONE_STATUSES


def _set_due_times(ticket: Ticket, *, start: datetime | None = None) -> None:
    """Due times from the policy's targets, counted in business time from creation plus the time spent paused."""
    policy = ticket.sla_policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    calendar = sla.calendar_for(policy.calendar_id)
    paused = ticket.sla_paused_total or timedelta()
    start = start or ticket.created_at
    ticket.first_response_due_at = sla.add_business_time(
        start, timedelta(minutes=policy.first_response_minutes) + paused, calendar
    )
    ticket.resolution_due_at = sla.add_business_time(
        start, timedelta(minutes=policy.resolution_minutes) + paused, calendar
    )


def _clock_on_status_change(ticket: Ticket, old: str, new: str, now: datetime) -> None:
    """Stop the clocks when the ticket waits on someone else or is done; start them again, later, when not."""
    was_stopped, stops = _clock_stopped(old), _clock_stopped(new)
    if not was_stopped and stops:
        ticket.sla_paused_at = now
    elif was_stopped and not stops and ticket.sla_paused_at is not None:
        if ticket.sla_policy_id:
            calendar = sla.calendar_for(ticket.sla_policy.calendar_id)
            ticket.sla_paused_total += sla.business_time_between(ticket.sla_paused_at, now, calendar)
        ticket.sla_paused_at = None
        _set_due_times(ticket)


def sla_remaining(ticket: Ticket, *, target: str, now: datetime | None = None) -> timedelta | None:
    """Business time left before a target is due (negative when overdue); None without a policy or when met."""
    due = ticket.first_response_due_at if target == "first_response" else ticket.resolution_due_at
    done = ticket.first_response_at if target == "first_response" else ticket.resolved_at
    if due is None or done is not None or ticket.sla_policy_id is None:
        return None
    calendar = sla.calendar_for(ticket.sla_policy.calendar_id)
    now = ticket.sla_paused_at or now or timezone.now()
    if now <= due:
        return sla.business_time_between(now, due, calendar)
    return -sla.business_time_between(due, now, calendar)


# --- queues and assignment -----------------------------------------------------------------------------------


def _route(*, category: Category | None, queue: Queue | None) -> Queue:
    if queue is not None:
        return queue
    if category is not None:
        return category.queue
    default = Queue.objects.filter(is_default=True, is_active=True).first()
    if default is None:
        raise ServiceError({"queue": _("Choose a queue: there is no default queue for tickets without one.")})
    return default


def _auto_assignee(queue: Queue) -> User | None:
    """The member who gets a new ticket of the queue, per the queue's rule (the queue row is locked by the caller)."""
    if queue.assignment == Queue.Assignment.MANUAL:
        return None
    members = queue.members.filter(is_active=True, kind=User.Kind.STAFF).order_by("pk")
    if queue.assignment == Queue.Assignment.LEAST_OPEN:
        return (
            members.annotate(
                open_count=Count(
                    "assigned_tickets", filter=Q(assigned_tickets__status__in=Ticket.ACTIVE_STATUSES), distinct=True
                )
            )
            .order_by("open_count", "pk")
            .first()
        )
    after = queue.last_assigned_id or 0
    return members.filter(pk__gt=after).first() or members.first()


def _assign_new(ticket: Ticket) -> None:
    if ticket.queue.assignment == Queue.Assignment.MANUAL:
        return  # nothing to decide, so no lock on the queue: parallel tickets of the queue do not wait on each other
    queue = Queue.objects.select_for_update().get(pk=ticket.queue_id)
    assignee = _auto_assignee(queue)
    if assignee is not None:
        ticket.assignee = assignee
        Queue.objects.filter(pk=queue.pk).update(last_assigned=assignee)


# --- opening a ticket ----------------------------------------------------------------------------------------


def _clean_text(value: str, field: str, *, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError({field: _("This field is required.")})
    if max_length and len(value) > max_length:
        raise ServiceError({field: _("At most %(count)d characters.") % {"count": max_length}})
    return value


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = sorted({tag.strip().lower()[:TAG_MAX] for tag in tags if tag and tag.strip()})
    return cleaned[:20]


def _attach(ticket: Ticket, message: Message | None, files: Sequence[CheckedFile], uploaded_by: User | None) -> None:
    for checked in files:
        attachment = Attachment(
            ticket=ticket,
            message=message,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=uploaded_by if uploaded_by and uploaded_by.is_authenticated else None,
        )
        attachment.file.save(checked.name, checked.as_content_file(), save=False)
        attachment.save()


@transaction.atomic
def ticket_open(
    *,
    requester: Person,
    subject: str,
    description: str,
    source: str,
    actor: User | None = None,
    organization: Organization | None = None,
    category: Category | None = None,
    queue: Queue | None = None,
    priority: int | None = None,
    cc: Iterable[Person] = (),
    tags: Iterable[str] = (),
    attachments: Sequence[CheckedFile] = (),
    email_message_id: str = "",
) -> Ticket:
    """Open a ticket with its first message; route, assign and start its SLA clocks; acknowledge it by e-mail.

    `actor` is who entered it: the customer's own login, an agent logging a phone call, or None (e-mail).
    """
    subject = _clean_text(subject, "subject", max_length=SUBJECT_MAX)
    description = _clean_text(description, "description")
    if organization is None:
        organization = requester.organization
    if category is not None and not category.is_active:
        raise ServiceError({"category": _("This category is no longer in use.")})
    customer_side = actor is None or not actor.is_employee
    if customer_side and not (category is not None and category.customer_may_set_priority):
        priority = None  # customers choose a priority only where the category lets them
    priority = int(priority or Priority.NORMAL)
    if priority not in Priority.values:
        raise ServiceError({"priority": _("Choose a valid priority.")})
    cc = [person for person in cc if person.pk != requester.pk]
    if any(person.organization_id != organization.pk if organization else True for person in cc):
        raise ServiceError({"cc": _("Only people of the customer's own organization can be copied.")})
    queue = _route(category=category, queue=queue)
    now = timezone.now()
    ticket = Ticket(
        subject=subject,
        description=description,
        organization=organization,
        requester=requester,
        queue=queue,
        category=category,
        priority=priority,
        source=source,
        tags=_clean_tags(tags),
        created_at=now,
        last_activity_at=now,
    )
    ticket.sla_policy = selectors.sla_policy_for(
        organization_id=organization.pk if organization else None, priority=priority
    )
    _set_due_times(ticket, start=now)
    ticket.thread_message_id = email_message_id or mail.new_message_id("ticket")
    _assign_new(ticket)
    ticket.save()
    if cc:  # a new ticket copies nobody yet: one INSERT, without add()'s read of who is copied already
        Ticket.cc.through.objects.bulk_create([Ticket.cc.through(ticket=ticket, person=person) for person in cc])
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.REPLY,
        body=description,
        author_user=actor if actor and actor.is_authenticated and actor.is_customer else None,
        author_person=requester,
        from_customer=True,
        source=source,
        email_message_id=email_message_id,
    )
    _attach(ticket, message, attachments, actor)
    audit_record(actor=actor, instance=ticket, action=AuditEntry.Action.CREATE)
    # The acknowledgement mail follows from this event (handlers.acknowledge): it is as durable as the ticket,
    # retried and visible on the bus's pages when it fails, and the request does not queue a task of its own.
    publish("service.ticket_created", _created_payload(ticket), aggregate=ticket)
    if ticket.assignee_id:
        _notify_assignee(ticket)
    return ticket


def ticket_acknowledge(*, ticket_id: int) -> bool:
    """Send the "we have your ticket" mail to the requester and the people copied (after commit); False when the
    ticket is gone (merged away and deleted) by the time the acknowledgement is due."""
    ticket = Ticket.objects.select_related("requester__user", "queue").filter(pk=ticket_id).first()
    if ticket is None:
        return False
    mail.ticket_acknowledgement(ticket)
    return True


def _created_payload(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "organization_id": ticket.organization_id,
        "requester_id": ticket.requester_id,
        "queue": ticket.queue.name,
        "category": ticket.category.name if ticket.category else "",
        "priority": Priority(ticket.priority).name.lower(),
        "source": ticket.source,
        "created_at": ticket.created_at.isoformat(),
    }


def _notify_assignee(ticket: Ticket) -> None:
    notify(
        recipient=ticket.assignee,
        kind="service.ticket_assigned",
        title=_("%(reference)s was assigned to you: %(subject)s")
        % {"reference": ticket.reference, "subject": ticket.subject},
        url=ticket.get_absolute_url(),
    )


# --- the conversation ---------------------------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_policy", "queue", "requester", "organization")
        .get(pk=ticket.pk)
    )


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    author: User | None = None,
    author_person: Person | None = None,
    internal: bool = False,
    source: str = Ticket.Source.PORTAL,
    attachments: Sequence[CheckedFile] = (),
    new_status: str = "",
    email_message_id: str = "",
) -> Message:
    """Add a reply or an internal note.

    An agent's first public reply stops the first-response clock; a customer's reply reopens a ticket that waited
    on them or was resolved. A closed ticket takes no more replies (the customer opens a new one).
    """
    body = _clean_text(body, "body")
    ticket = _lock(ticket)
    from_customer = author is None or not author.is_employee
    if internal and from_customer:
        raise ServiceError(_("Only agents write internal notes."))
    if ticket.status == Status.CLOSED and not internal:
        raise ServiceError(_("This ticket is closed. Open a new ticket if you need more help."))
    if ticket.merged_into_id:
        raise ServiceError(
            _("This ticket was merged into %(reference)s.") % {"reference": ticket.merged_into.reference}
        )
    if from_customer and author_person is None:
        author_person = ticket.requester
    if new_status and not from_customer and new_status != ticket.status:
        allowed = _AGENT_TARGETS[ticket.status] | ({Status.OPEN} if ticket.status == Status.NEW else set())
        if new_status not in allowed:
            raise ServiceError(
                {
                    "new_status": _("A ticket that is %(old)s cannot become %(new)s.")
                    % {"old": ticket.get_status_display().lower(), "new": Status(new_status).label.lower()}
                }
            )
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.NOTE if internal else Message.Kind.REPLY,
        body=body,
        author_user=author if author and author.is_authenticated else None,
        author_person=author_person if from_customer else None,
        from_customer=from_customer,
        source=source,
        email_message_id=email_message_id,
    )
    _attach(ticket, message, attachments, author)
    old_status = ticket.status
    update = {"last_activity_at": now}
    if not internal and not from_customer:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            update["first_response_at"] = now
            if (
                ticket.first_response_due_at
                and now > ticket.first_response_due_at
                and not ticket.first_response_breached_at
            ):
                update["first_response_breached_at"] = now
        target = new_status or (Status.OPEN if ticket.status == Status.NEW else ticket.status)
    elif from_customer and ticket.status in (Status.PENDING_CUSTOMER, Status.RESOLVED):
        target = Status.OPEN
    else:
        target = new_status if (new_status and not from_customer) else ticket.status
    Ticket.objects.filter(pk=ticket.pk).update(**update)
    for field, value in update.items():
        setattr(ticket, field, value)
    if target != old_status:
        _change_status(ticket, target, actor=author, now=now, notify_customer=False)
    if not internal:
        if from_customer:
            if ticket.assignee_id:
                notify(
                    recipient=ticket.assignee,
                    kind="service.customer_replied",
                    title=_("%(reference)s: the customer answered") % {"reference": ticket.reference},
                    body=body[:300],
                    url=ticket.get_absolute_url(),
                )
        else:
            mail.agent_reply(ticket, message)
    return message


# --- status -------------------------------------------------------------------------------------------------


def _change_status(ticket: Ticket, status: str, *, actor: User | None, now: datetime, notify_customer: bool) -> None:
    old = ticket.status
    ticket.status = status
    _clock_on_status_change(ticket, old, status, now)
    if status in Ticket.DONE_STATUSES and ticket.resolved_at is None:
        ticket.resolved_at = now
    if status == Status.CLOSED:
        ticket.closed_at = now
    if status in Ticket.ACTIVE_STATUSES:
        ticket.resolved_at = ticket.closed_at = None
    ticket.last_activity_at = now
    ticket.save(
        update_fields=[
            "status",
            "resolved_at",
            "closed_at",
            "sla_paused_at",
            "sla_paused_total",
            "first_response_due_at",
            "resolution_due_at",
            "last_activity_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        instance=ticket,
        action=AuditEntry.Action.UPDATE,
        changes={"status": [old, status]},
    )
    if status == Status.RESOLVED and old != Status.CLOSED:
        publish("service.ticket_resolved", _resolved_payload(ticket), aggregate=ticket)
        mail.csat_request(ticket)
    elif notify_customer:
        mail.status_changed(ticket, old)


def _resolved_payload(ticket: Ticket) -> dict[str, Any]:
    billable = sum(ticket.time_entries.filter(billable=True).values_list("minutes", flat=True))
    return {
        "ticket_id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "organization_id": ticket.organization_id,
        "requester_id": ticket.requester_id,
        "queue": ticket.queue.name,
        "resolved_at": ticket.resolved_at.isoformat(),
        "first_response_at": ticket.first_response_at.isoformat() if ticket.first_response_at else None,
        "resolution_breached": bool(ticket.resolution_due_at and ticket.resolved_at > ticket.resolution_due_at),
        "billable_minutes": billable,
    }


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor: User) -> Ticket:
    """An agent moves a ticket (resolve, close, wait on someone, reopen); the customer hears of it by e-mail."""
    ticket = _lock(ticket)
    if status not in Status.values:
        raise ServiceError({"status": _("Choose a valid status.")})
    if status == ticket.status:
        return ticket
    if ticket.merged_into_id:
        raise ServiceError(_("A merged ticket stays closed."))
    if status not in _AGENT_TARGETS[ticket.status]:
        raise ServiceError(
            {
                "status": _("A ticket that is %(old)s cannot become %(new)s.")
                % {"old": ticket.get_status_display().lower(), "new": Status(status).label.lower()}
            }
        )
    _change_status(ticket, status, actor=actor, now=timezone.now(), notify_customer=True)
    return ticket


@transaction.atomic
def ticket_customer_close(*, ticket: Ticket, actor: User | None) -> Ticket:
    """The customer says the matter is settled."""
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ServiceError(_("This ticket is already closed."))
    _change_status(ticket, Status.CLOSED, actor=actor, now=timezone.now(), notify_customer=False)
    return ticket


@transaction.atomic
def ticket_customer_reopen(*, ticket: Ticket, actor: User | None) -> Ticket:
    """The customer says the problem is back; the clocks run again and the assignee hears of it."""
    ticket = _lock(ticket)
    if ticket.status not in Ticket.DONE_STATUSES or ticket.merged_into_id:
        raise ServiceError(_("Only a resolved or closed ticket can be reopened."))
    _change_status(ticket, Status.OPEN, actor=actor, now=timezone.now(), notify_customer=False)
    if ticket.assignee_id:
        notify(
            recipient=ticket.assignee,
            kind="service.customer_replied",
            title=_("%(reference)s was reopened by the customer") % {"reference": ticket.reference},
            url=ticket.get_absolute_url(),
        )
    return ticket


@transaction.atomic
def ticket_rate(*, ticket: Ticket, rating: int, comment: str = "", actor: User | None = None) -> Ticket:
    """The customer rates how the ticket was handled (1–5); a second rating replaces the first."""
    ticket = _lock(ticket)
    if ticket.status not in Ticket.DONE_STATUSES:
        raise ServiceError(_("A ticket can be rated once it is resolved."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ServiceError({"rating": _("Choose a rating from 1 to 5.")})
    now = timezone.now()
    ticket.csat_rating, ticket.csat_comment, ticket.csat_at = rating, (comment or "").strip()[:2000], now
    ticket.save(update_fields=["csat_rating", "csat_comment", "csat_at", "updated_at"])
    audit_record(actor=actor, instance=ticket, action=AuditEntry.Action.UPDATE, changes={"csat_rating": [None, rating]})
    publish(
        "service.csat_received",
        {
            "ticket_id": ticket.pk,
            "reference": ticket.reference,
            "organization_id": ticket.organization_id,
            "requester_id": ticket.requester_id,
            "rating": rating,
            "comment": ticket.csat_comment,
            "rated_at": now.isoformat(),
        },
        aggregate=ticket,
    )
    return ticket


# --- agents' changes ----------------------------------------------------------------------------------------


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    priority: int | None = None,
    queue: Queue | None = None,
    category: Category | None = None,
    tags: Iterable[str] | None = None,
    cc: Iterable[Person] | None = None,
    assignee: User | None | str = "unchanged",
) -> Ticket:
    """Change what agents decide about a ticket; a new priority brings the policy and due times of that priority."""
    ticket = _lock(ticket)
    changes: dict[str, list] = {}
    if priority is not None and int(priority) != ticket.priority:
        if int(priority) not in Priority.values:
            raise ServiceError({"priority": _("Choose a valid priority.")})
        changes["priority"] = [ticket.priority, int(priority)]
        ticket.priority = int(priority)
        ticket.sla_policy = selectors.sla_policy_for(organization_id=ticket.organization_id, priority=ticket.priority)
        _set_due_times(ticket)
    if queue is not None and queue.pk != ticket.queue_id:
        changes["queue"] = [ticket.queue.name, queue.name]
        ticket.queue = queue
    if category is not None and category.pk != ticket.category_id:
        changes["category"] = [str(ticket.category or ""), category.name]
        ticket.category = category
    if tags is not None:
        cleaned = _clean_tags(tags)
        if cleaned != ticket.tags:
            changes["tags"] = [ticket.tags, cleaned]
            ticket.tags = cleaned
    if assignee != "unchanged":
        _check_assignee(assignee)
        if (assignee.pk if assignee else None) != ticket.assignee_id:
            changes["assignee"] = [str(ticket.assignee or ""), str(assignee or "")]
            ticket.assignee = assignee
    if cc is not None:
        cc = [person for person in cc if person.pk != ticket.requester_id]
        if any(person.organization_id != ticket.organization_id or ticket.organization_id is None for person in cc):
            raise ServiceError({"cc": _("Only people of the customer's own organization can be copied.")})
        ticket.cc.set(cc)
    if not changes:
        return ticket
    ticket.save()
    audit_record(actor=actor, instance=ticket, action=AuditEntry.Action.UPDATE, changes=changes)
    if "assignee" in changes and ticket.assignee_id and ticket.assignee_id != actor.pk:
        _notify_assignee(ticket)
    return ticket


def _check_assignee(assignee: User | None) -> None:
    if assignee is not None and (not assignee.is_active or not assignee.is_employee):
        raise ServiceError({"assignee": _("Tickets are assigned to active staff only.")})


def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, assignee=assignee)


@transaction.atomic
def tickets_bulk(
    *, tickets: Sequence[Ticket], actor: User, assignee: User | None | str = "unchanged", status: str = ""
) -> int:
    """Assign and/or move many tickets at once; a ticket whose status cannot change is left as it is and counted out."""
    if assignee == "unchanged" and not status:
        raise ServiceError(_("Choose an assignee or a status for the selected tickets."))
    if assignee != "unchanged":
        _check_assignee(assignee)
    changed = 0
    for ticket in tickets:
        try:
            with transaction.atomic():
                if assignee != "unchanged":
                    ticket_update(ticket=ticket, actor=actor, assignee=assignee)
                if status:
                    ticket_set_status(ticket=ticket, status=status, actor=actor)
        except ServiceError:
            continue
        changed += 1
    return changed


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Fold a duplicate into another ticket: its messages, files, time and copies move; it closes, pointing there."""
    if source.pk == target.pk:
        raise ServiceError(_("A ticket cannot be merged into itself."))
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id or target.merged_into_id:
        raise ServiceError(_("A ticket that was merged already cannot be merged again."))
    if source.organization_id != target.organization_id:
        raise ServiceError(_("Only tickets of the same customer can be merged."))
    Message.objects.filter(ticket=source).update(ticket=target)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    TimeEntry.objects.filter(ticket=source).update(ticket=target)
    target.cc.add(*source.cc.all(), *([source.requester] if source.requester_id != target.requester_id else []))
    now = timezone.now()
    Message.objects.create(
        ticket=target,
        kind=Message.Kind.NOTE,
        body=_("%(source)s (%(subject)s) was merged into this ticket.")
        % {"source": source.reference, "subject": source.subject},
        author_user=actor,
    )
    source.merged_into = target
    _change_status(source, Status.CLOSED, actor=actor, now=now, notify_customer=False)
    Ticket.objects.filter(pk=source.pk).update(merged_into=target)
    Ticket.objects.filter(pk=target.pk).update(last_activity_at=now)
    audit_record(
        actor=actor,
        instance=target,
        action=AuditEntry.Action.ACTION,
        message=_("%(source)s merged into this ticket") % {"source": source.reference},
    )
    return target


@transaction.atomic
def time_log(
    *, ticket: Ticket, user: User, minutes: int, billable: bool = False, note: str = "", worked_on=None
) -> TimeEntry:
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 0 < minutes <= 24 * 60:
        raise ServiceError({"minutes": _("Log between 1 and 1440 minutes.")})
    entry = TimeEntry.objects.create(
        ticket=ticket,
        user=user,
        minutes=minutes,
        billable=billable,
        note=(note or "").strip()[:200],
        worked_on=worked_on or timezone.localdate(),
    )
    audit_record(actor=user, instance=entry, action=AuditEntry.Action.CREATE)
    return entry


def canned_render(*, response: CannedResponse, ticket: Ticket, agent: User) -> str:
    """The canned text with its placeholders filled; an unknown placeholder is left as written."""
    values = {
        "customer_name": ticket.requester.full_name or ticket.requester.email,
        "ticket_number": ticket.reference,
        "agent_name": agent.get_full_name(),
        "subject": ticket.subject,
    }

    class _Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return response.body.format_map(_Keep(values))


# --- the SLA beat job ---------------------------------------------------------------------------------------


def sla_check_breaches(*, now: datetime | None = None) -> int:
    """Mark the targets missed since the last run, escalate each, publish service.sla_breached. Returns how many."""
    now = now or timezone.now()
    found = 0
    running = Ticket.objects.filter(status__in=[Status.NEW, Status.OPEN], sla_paused_at__isnull=True)
    late_response = running.filter(
        first_response_at__isnull=True, first_response_due_at__lt=now, first_response_breached_at__isnull=True
    )
    late_resolution = running.filter(resolution_due_at__lt=now, resolution_breached_at__isnull=True)
    for target, queryset in (("first_response", late_response), ("resolution", late_resolution)):
        for pk in queryset.values_list("pk", flat=True)[:500]:
            found += _breach(pk, target, now)
    return found


@transaction.atomic
def _breach(pk: int, target: str, now: datetime) -> int:
    ticket = (
        Ticket.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("sla_policy", "queue__lead")
        .filter(pk=pk)
        .first()
    )
    field = f"{target}_breached_at"
    due = getattr(ticket, f"{target}_due_at") if ticket else None
    if ticket is None or getattr(ticket, field) is not None or ticket.sla_paused_at or due is None or due >= now:
        return 0
    setattr(ticket, field, now)
    fields = [field]
    if ticket.sla_policy and ticket.sla_policy.raise_priority_on_breach and ticket.priority < Priority.URGENT:
        ticket.priority += 1
        fields.append("priority")
    Ticket.objects.filter(pk=ticket.pk).update(**{name: getattr(ticket, name) for name in fields})
    label = _("first response") if target == "first_response" else _("resolution")
    audit_record(
        actor=None,
        instance=ticket,
        action=AuditEntry.Action.ACTION,
        message=_("SLA %(target)s target missed (due %(due)s)") % {"target": label, "due": due.isoformat()},
    )
    for recipient in {user for user in (ticket.queue.lead, ticket.assignee) if user is not None}:
        notify(
            recipient=recipient,
            kind="service.sla_breached",
            title=_("%(reference)s missed its %(target)s target") % {"reference": ticket.reference, "target": label},
            body=ticket.subject,
            url=ticket.get_absolute_url(),
        )
    publish(
        "service.sla_breached",
        {
            "ticket_id": ticket.pk,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "organization_id": ticket.organization_id,
            "queue": ticket.queue.name,
            "target": target,
            "due_at": due.isoformat(),
            "breached_at": now.isoformat(),
            "priority": Priority(ticket.priority).name.lower(),
        },
        aggregate=ticket,
    )
    return 1


# --- guests: people who wrote by e-mail follow their ticket through a secret link -----------------------------


def guest_token(ticket: Ticket) -> str:
    return signing.dumps({"t": ticket.pk, "s": ticket.guest_secret[:12]}, salt=GUEST_LINK_SALT, compress=True)


def ticket_from_guest_token(token: str) -> Ticket:
    """The ticket a guest link names, or ServiceError when the link is forged, expired or revoked."""
    try:
        data = signing.loads(token, salt=GUEST_LINK_SALT, max_age=settings.SERVICE_GUEST_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ServiceError(_("This link has expired. Reply to any of our e-mails to get a new one.")) from None
    except signing.BadSignature:
        raise ServiceError(_("This link is not valid.")) from None
    ticket = Ticket.objects.select_related("requester", "organization").filter(pk=data.get("t")).first()
    if ticket is None or ticket.guest_secret[:12] != data.get("s"):
        raise ServiceError(_("This link is not valid."))
    return ticket


# --- other offices' news ------------------------------------------------------------------------------------


def tickets_move_customer(*, merged_id: int, survivor_id: int) -> int:
    """Two customers turned out to be one (crm.customers_merged): their tickets and SLA terms follow the survivor."""
    moved = Ticket.objects.filter(organization_id=merged_id).update(organization_id=survivor_id)
    SlaPolicy.objects.filter(organization_id=merged_id).exclude(
        priority__in=SlaPolicy.objects.filter(organization_id=survivor_id).values("priority")
    ).update(organization_id=survivor_id)
    selectors.forget_sla_policies()  # an update sends no signal
    return moved
