"""Reads of customer service: who may see which ticket, the agents' lists, the portal's lists, dashboards, reports."""

import json
import time
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from core.accounts.models import User
from core.cache import SharedVersionMemo
from core.parties.models import Organization, Person
from core.parties.selectors import portal_viewer
from frontoffice.service.models import (
    Attachment,
    CannedResponse,
    Category,
    InboundMail,
    Message,
    Queue,
    SlaPolicy,
    Ticket,
    TimeEntry,
)

Status = Ticket.Status
BREACHING_SOON = timedelta(hours=2)

ORDERINGS = {
    "activity": ("-last_activity_at", "-pk"),
    "-activity": ("last_activity_at", "pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "priority": ("priority", "-last_activity_at", "-pk"),
    "-priority": ("-priority", "-last_activity_at", "-pk"),
    "due": (F("resolution_due_at").asc(nulls_last=True), "-pk"),
    "-due": (F("resolution_due_at").desc(nulls_last=True), "-pk"),
    "number": ("number",),
    "-number": ("-number",),
}


# --- agents --------------------------------------------------------------------------------------------------


def agent_queue_ids(*, user) -> list[int] | None:
    """The queues an agent works (member or lead); None when they may see every queue."""
    if user.has_perm("service.view_all_tickets"):
        return None
    return list(Queue.objects.filter(Q(members=user) | Q(lead=user)).values_list("pk", flat=True).distinct())


def queues_with_the_agents(*, user) -> tuple[list[tuple[int, str]], list[int] | None]:
    """Every queue as (pk, name) by name, for the list's filter, and the agent's own queues as agent_queue_ids
    gives them (None when they may see every queue): one plain statement where the list page made two."""
    every = user.has_perm("service.view_all_tickets")
    mine = (
        "FALSE"
        if every
        else f"(q.lead_id = %s OR EXISTS (SELECT 1 FROM {Queue.members.through._meta.db_table} m "
        "WHERE m.queue_id = q.id AND m.user_id = %s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT q.id, q.name, {mine} FROM {Queue._meta.db_table} q ORDER BY q.name",
            [] if every else [user.pk, user.pk],
        )
        rows = cursor.fetchall()
    return [(pk, name) for pk, name, _mine in rows], None if every else [pk for pk, _name, mine in rows if mine]


_ASK = object()


def tickets_for_agent(*, user, queue_ids: Any = _ASK) -> QuerySet[Ticket]:
    """Every ticket the agent may see: those of their queues and those assigned to them (all with the right).
    `queue_ids` are agent_queue_ids' answer when the caller has it already."""
    tickets = Ticket.objects.all()
    if queue_ids is _ASK:
        queue_ids = agent_queue_ids(user=user)
    if queue_ids is None:
        return tickets
    return tickets.filter(Q(queue_id__in=queue_ids) | Q(assignee=user))


def ticket_list(
    *,
    user,
    search: str = "",
    view: str = "",
    status: str = "",
    queue: Queue | None = None,
    priority: int | None = None,
    assignee: str = "",
    ordering: str = "",
    now: datetime | None = None,
    queue_ids: Any = _ASK,
) -> QuerySet[Ticket]:
    """The agent's ticket list with the rows' related records joined; `view` is one of the saved views
    (`queue_ids` as for tickets_for_agent)."""
    now = now or timezone.now()
    tickets = tickets_for_agent(user=user, queue_ids=queue_ids).select_related(
        "requester", "organization", "queue", "assignee"
    )
    if view == "mine":
        tickets = tickets.filter(assignee=user, status__in=Ticket.ACTIVE_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=Ticket.ACTIVE_STATUSES)
    elif view == "breaching":
        tickets = tickets.filter(breaching_filter(now))
    elif view == "waiting":
        tickets = tickets.filter(status=Status.PENDING_CUSTOMER)
    elif view == "open":
        tickets = tickets.filter(status__in=Ticket.ACTIVE_STATUSES)
    if status:
        tickets = tickets.filter(status=status)
    if queue is not None:
        tickets = tickets.filter(queue=queue)
    if priority:
        tickets = tickets.filter(priority=priority)
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee == "me":
        tickets = tickets.filter(assignee=user)
    if search:
        tickets = tickets.filter(ticket_search(search))
    return tickets.order_by(*ORDERINGS.get(ordering, ORDERINGS["activity"]))


# The columns the agents' list rows show (service/templatetags/service.py ticket_rows), and nothing else: the rows'
# query is then a fifth of the width, and the four joined records give their names only.
LIST_ROW_FIELDS = (
    "number",
    "subject",
    "priority",
    "status",
    "first_response_breached_at",
    "resolution_breached_at",
    "resolution_due_at",
    "sla_paused_at",
    "last_activity_at",
    "queue__name",
    "organization__name",
    "requester__first_name",
    "requester__last_name",
    "requester__email",
    "assignee__full_name",
    "assignee__email",
)


def ticket_search(text: str) -> Q:
    """A ticket number (T-1234 or 1234), or words in the subject, the customer's or requester's name or e-mail."""
    text = text.strip()
    digits = text.upper().removeprefix("T-").removeprefix("#")
    if digits.isdigit():
        return Q(number=int(digits))
    return (
        Q(subject__icontains=text)
        | Q(organization__name__icontains=text)
        | Q(requester__email__icontains=text)
        | Q(requester__last_name__icontains=text)
    )


def breaching_filter(now: datetime) -> Q:
    """Running clocks due within BREACHING_SOON, or already past due."""
    soon = now + BREACHING_SOON
    running = Q(status__in=[Status.NEW, Status.OPEN], sla_paused_at__isnull=True)
    return running & (
        Q(first_response_at__isnull=True, first_response_due_at__lte=soon) | Q(resolution_due_at__lte=soon)
    )


def agent_conversation(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets with their whole conversation (internal notes included) and files, in a fixed number of queries."""
    return tickets.select_related(
        "requester__user", "organization", "queue__lead", "assignee", "category", "sla_policy", "merged_into"
    ).prefetch_related(
        Prefetch(
            "messages",
            queryset=Message.objects.select_related("author_user", "author_person").prefetch_related("attachments"),
        ),
        "cc",
    )


def ticket_detail(*, user, number: int) -> Ticket:
    """One ticket the agent may see, with its conversation (notes included) and files."""
    return agent_conversation(tickets_for_agent(user=user)).get(number=number)


# What the agent's ticket page reads beside the ticket (select_related in ticket_for_agent_page_orm).
_AGENT_PAGE_RELATED = ("requester", "organization", "queue", "assignee", "category", "sla_policy")
_AGENT_PAGE_DEFERRED = ("description", "thread_message_id", "guest_secret")


def ticket_for_agent_page(*, user, number: int) -> Ticket:
    """ticket_for_agent_page_orm's ticket (the same fields read, the same related records, the same has_files,
    has_cc and has_time) from ONE plain statement, built with Model.from_db: PostgreSQL planned the ORM's
    seven-table join for 1–2 ms a request (the query ran in 0.1 ms); each related record is a LATERAL subquery
    kept apart by OFFSET 0, which plans in 0.2 ms, and the ORM's query building and row parsing go too."""
    ticket_fields = [f for f in Ticket._meta.concrete_fields if f.attname not in _AGENT_PAGE_DEFERRED]
    select = [f't."{f.column}"' for f in ticket_fields]
    joins = []
    related = []
    for index, name in enumerate(_AGENT_PAGE_RELATED):
        field = Ticket._meta.get_field(name)
        model = field.related_model
        fields = model._meta.concrete_fields
        alias = f"r{index}"
        columns = ", ".join(f'x."{f.column}" AS c{i}' for i, f in enumerate(fields))
        joins.append(
            f"LEFT JOIN LATERAL (SELECT {columns} FROM {model._meta.db_table} x "
            f'WHERE x."{field.target_field.column}" = t."{field.column}" OFFSET 0) {alias} ON TRUE'
        )
        select += [f"{alias}.c{i}" for i in range(len(fields))]
        related.append((field, model, [f.attname for f in fields]))
    attachment_message = Attachment._meta.get_field("message").column
    message_ticket = Message._meta.get_field("ticket").column
    select += [
        f"EXISTS (SELECT 1 FROM {Attachment._meta.db_table} a JOIN {Message._meta.db_table} m "
        f'ON m.id = a."{attachment_message}" WHERE m."{message_ticket}" = t.id)',
        f"EXISTS (SELECT 1 FROM {Ticket.cc.through._meta.db_table} c WHERE c.ticket_id = t.id)",
        f"EXISTS (SELECT 1 FROM {TimeEntry._meta.db_table} e WHERE e.ticket_id = t.id)",
    ]
    where, params = "t.number = %s", [number]
    if not user.has_perm("service.view_all_tickets"):
        where += (
            f" AND (t.queue_id IN (SELECT m.queue_id FROM {Queue.members.through._meta.db_table} m "
            f"WHERE m.user_id = %s UNION ALL SELECT q.id FROM {Queue._meta.db_table} q WHERE q.lead_id = %s) "
            "OR t.assignee_id = %s)"
        )
        params += [user.pk, user.pk, user.pk]
    sql = f"SELECT {', '.join(select)} FROM {Ticket._meta.db_table} t {' '.join(joins)} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Ticket.DoesNotExist("No ticket with this number for this agent.")
    ticket = Ticket.from_db(connection.alias, [f.attname for f in ticket_fields], row[: len(ticket_fields)])
    start = len(ticket_fields)
    for field, model, attnames in related:
        values = row[start : start + len(attnames)]
        start += len(attnames)
        instance = None if values[0] is None else model.from_db(connection.alias, attnames, values)
        field.set_cached_value(ticket, instance)
    ticket.has_files, ticket.has_cc, ticket.has_time = row[start:]
    return ticket


_CONVERSATION_KEYS = (
    "pk",
    "kind",
    "body",
    "from_customer",
    "source",
    "created_at",
    "author_user_id",
    "author_user__full_name",
    "author_user__email",
    "author_person_id",
    "author_person__first_name",
    "author_person__last_name",
    "author_person__email",
)


def _conversation_statement(ticket: Ticket) -> tuple[str, list[Any]]:
    sql = f"""SELECT m.id, m.kind, m.body, m.from_customer, m.source, m.created_at,
                     m.author_user_id, u.full_name, u.email, m.author_person_id, p.first_name, p.last_name, p.email
              FROM {Message._meta.db_table} m
              LEFT JOIN {User._meta.db_table} u ON u.id = m.author_user_id
              LEFT JOIN {Person._meta.db_table} p ON p.id = m.author_person_id
              WHERE m.ticket_id = %s ORDER BY m.created_at, m.id"""
    return sql, [ticket.pk]


def _conversation_from(rows: list[tuple], ticket: Ticket, cursor) -> list[dict[str, Any]]:
    """The messages as dicts with their files under "files" (read with `cursor` when the ticket has any)."""
    messages = [dict(zip(_CONVERSATION_KEYS, row, strict=True)) for row in rows]
    by_pk = {}
    for message in messages:
        message["files"] = []
        by_pk[message["pk"]] = message
    if by_pk and getattr(ticket, "has_files", True):
        cursor.execute(
            f"SELECT a.message_id, a.id, a.name, a.size FROM {Attachment._meta.db_table} a "
            "WHERE a.message_id = ANY(%s) ORDER BY a.created_at, a.id",
            [list(by_pk)],
        )
        for message_id, pk, name, size in cursor.fetchall():
            by_pk[message_id]["files"].append((pk, name, size))
    return messages


def ticket_page_conversation(*, ticket: Ticket) -> list[dict[str, Any]]:
    """The whole conversation for the agent's ticket page (notes included), oldest first, as plain rows with the
    author's name and each message's files under "files": two narrow plain statements (the ORM's .values() of
    the same spent more of the page's time building the query than PostgreSQL answering it), no model per row.
    ticket_page_conversation_orm is the same read through the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(*_conversation_statement(ticket))
        return _conversation_from(cursor.fetchall(), ticket, cursor)


def ticket_cc_names(*, ticket: Ticket) -> list[str]:
    """The people copied on the ticket, as their names read (the person's str), in the people's order."""
    if not getattr(ticket, "has_cc", True):
        return []
    return [
        f"{first_name} {last_name}".strip() or email
        for first_name, last_name, email in ticket.cc.values_list("first_name", "last_name", "email")
    ]


def visible_attachments(*, customer: bool) -> Prefetch:
    """Every file of a ticket its reader may open, as `visible_attachments`: a customer never gets a note's file
    (the rule of attachment_for_customer)."""
    files = Attachment.objects.all()
    if customer:
        files = files.exclude(message__kind=Message.Kind.NOTE)
    return Prefetch("attachments", queryset=files, to_attr="visible_attachments")


def _other_tickets_statement(ticket: Ticket, limit: int) -> tuple[str, list[Any]]:
    column = "organization_id" if ticket.organization_id else "requester_id"
    sql = (
        f"SELECT t.id, t.number, t.subject, t.status FROM {Ticket._meta.db_table} t "
        f"WHERE t.{column} = %s AND t.id <> %s ORDER BY t.created_at DESC LIMIT %s"
    )
    return sql, [ticket.organization_id or ticket.requester_id, ticket.pk, limit]


def _other_tickets_from(rows: list[tuple]) -> list[Ticket]:
    return [Ticket.from_db(connection.alias, ["id", "number", "subject", "status"], row) for row in rows]


def customer_other_tickets(*, ticket: Ticket, limit: int = 8) -> list[Ticket]:
    """The same customer's (or requester's) other recent tickets, for the side panel: tickets with only the
    fields it shows (number, subject, status; the rest read on touch), from a plain statement."""
    with connection.cursor() as cursor:
        cursor.execute(*_other_tickets_statement(ticket, limit))
        return _other_tickets_from(cursor.fetchall())


def canned_responses_for(*, ticket: Ticket) -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(Q(queue__isnull=True) | Q(queue_id=ticket.queue_id), is_active=True)


def _canned_statement(ticket: Ticket) -> tuple[str, list[Any]]:
    sql = (
        f"SELECT c.id, c.title FROM {CannedResponse._meta.db_table} c "
        "WHERE (c.queue_id IS NULL OR c.queue_id = %s) AND c.is_active ORDER BY c.title"
    )
    return sql, [ticket.queue_id]


def canned_response_titles(*, ticket: Ticket) -> list[dict[str, Any]]:
    """canned_responses_for(ticket).values("pk", "title") (by title) from a plain statement."""
    with connection.cursor() as cursor:
        cursor.execute(*_canned_statement(ticket))
        return [{"pk": pk, "title": title} for pk, title in cursor.fetchall()]


def ticket_page_reads(*, ticket: Ticket) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Ticket]]:
    """ticket_page_conversation, canned_response_titles and customer_other_tickets in ONE round trip to
    PostgreSQL (three statements sent together, their results read in turn; the files, when the ticket has
    any, in a second)."""
    statements = [_conversation_statement(ticket), _canned_statement(ticket), _other_tickets_statement(ticket, 8)]
    sql = ";\n".join(sql for sql, _params in statements)
    params = [param for _sql, statement_params in statements for param in statement_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        messages = cursor.fetchall()
        cursor.nextset()
        canned = [{"pk": pk, "title": title} for pk, title in cursor.fetchall()]
        cursor.nextset()
        others = _other_tickets_from(cursor.fetchall())
        conversation = _conversation_from(messages, ticket, cursor)
    return conversation, canned, others


def dashboard(*, user, now: datetime | None = None) -> dict[str, Any]:
    """Counts by status, by queue and by SLA state over the active tickets the user may see, and how many were
    resolved this week: four aggregate queries that read the active tickets and recent resolutions by index,
    never the whole history."""
    now = now or timezone.now()
    tickets = tickets_for_agent(user=user)
    active = tickets.filter(status__in=Ticket.ACTIVE_STATUSES)
    by_status = dict(active.order_by().values_list("status").annotate(n=Count("pk")))
    sla = active.aggregate(
        breached=Count(
            "pk", filter=Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
        ),
        breaching=Count("pk", filter=breaching_filter(now) & Q(resolution_breached_at__isnull=True)),
        paused=Count("pk", filter=Q(status__in=Ticket.PAUSED_STATUSES)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        mine=Count("pk", filter=Q(assignee=user)),
        no_policy=Count("pk", filter=Q(sla_policy__isnull=True)),
    )
    sla["resolved_this_week"] = tickets.filter(resolved_at__gte=now - timedelta(days=7)).count()
    by_queue = list(
        active.order_by()
        .values("queue_id", "queue__name")
        .annotate(
            open=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            breached=Count(
                "pk", filter=Q(resolution_breached_at__isnull=False) | Q(first_response_breached_at__isnull=False)
            ),
        )
        .order_by("queue__name")
    )
    return {
        "by_status": [
            (value, label, by_status.get(value, 0))
            for value, label in Status.choices
            if value in Ticket.ACTIVE_STATUSES
        ],
        "sla": sla,
        "by_queue": by_queue,
    }


def sla_report(*, user, date_from, date_to, group: str = "queue") -> list[dict[str, Any]]:
    """SLA attainment and satisfaction of the tickets created in the period, per queue or per agent (one query)."""
    key = {"queue": ("queue__name",), "agent": ("assignee__full_name", "assignee__email")}[group]
    tickets = tickets_for_agent(user=user).filter(created_at__date__gte=date_from, created_at__date__lte=date_to)
    responded = Q(first_response_at__isnull=False, first_response_due_at__isnull=False)
    resolved = Q(resolved_at__isnull=False, resolution_due_at__isnull=False)
    rows = (
        tickets.order_by()
        .values(*key)
        .annotate(
            tickets=Count("pk"),
            responded=Count("pk", filter=responded),
            response_met=Count("pk", filter=responded & Q(first_response_at__lte=F("first_response_due_at"))),
            resolved=Count("pk", filter=resolved),
            resolution_met=Count("pk", filter=resolved & Q(resolved_at__lte=F("resolution_due_at"))),
            breached=Count(
                "pk", filter=Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
            ),
            csat=Avg("csat_rating"),
            rated=Count("csat_rating"),
        )
        .order_by(*key)
    )
    result = []
    for row in rows:
        row["name"] = row.get("queue__name") or row.get("assignee__full_name") or row.get("assignee__email") or ""
        row["response_rate"] = _rate(row["response_met"], row["responded"])
        row["resolution_rate"] = _rate(row["resolution_met"], row["resolved"])
        result.append(row)
    return result


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def customer_ticket_summary(*, organization_id: int) -> dict[str, Any]:
    """For the 360 header: how many tickets are open and the latest few (two queries)."""
    tickets = Ticket.objects.filter(organization_id=organization_id)
    return {
        "open_tickets": tickets.filter(status__in=Ticket.ACTIVE_STATUSES).count(),
        "recent_tickets": list(tickets.order_by("-created_at")[:5]),
    }


def inbound_failures(*, limit: int = 20) -> QuerySet[InboundMail]:
    return InboundMail.objects.filter(outcome=InboundMail.Outcome.FAILED).order_by("-received_at")[:limit]


# --- customers -----------------------------------------------------------------------------------------------


def tickets_for_person(person: Person | None) -> QuerySet[Ticket]:
    """The tickets a customer's person may see: the organization's, or only their own (requested or copied),
    as the organization decides.

    The ids come from a UNION of index lookups (requester, CC, organization): an OR across those columns
    would make PostgreSQL read every ticket in the table.
    """
    if person is None or not person.is_active:
        return Ticket.objects.none()
    sees_organization = bool(
        person.organization_id and person.organization.portal_visibility == Organization.PortalVisibility.ORGANIZATION
    )
    return _tickets_visible_to(person.pk, person.organization_id, sees_organization=sees_organization)


def _tickets_visible_to(person_id: int, organization_id: int | None, *, sees_organization: bool) -> QuerySet[Ticket]:
    ids = Ticket.objects.filter(requester_id=person_id).values("pk")
    sources = [Ticket.cc.through.objects.filter(person_id=person_id).values("ticket_id")]
    if organization_id and sees_organization:
        sources.append(Ticket.objects.filter(organization_id=organization_id).values("pk"))
    return Ticket.objects.filter(pk__in=ids.union(*sources))


def tickets_for_customer(*, user) -> QuerySet[Ticket]:
    """tickets_for_person for a login, deciding from one plain read of the person and their organization."""
    viewer = portal_viewer(user=user)
    if viewer is None:
        return Ticket.objects.none()
    return _tickets_visible_to(viewer.person_id, viewer.organization_id, sees_organization=viewer.sees_organization)


# The columns the portal's list rows show (service/templatetags/service.py portal_ticket_rows).
PORTAL_ROW_FIELDS = (
    "number",
    "subject",
    "status",
    "created_at",
    "last_activity_at",
    "requester__user_id",
    "requester__first_name",
    "requester__last_name",
    "requester__email",
)


def portal_ticket_list(*, user, status: str = "", search: str = "") -> QuerySet[Ticket]:
    """The customer's tickets for the portal's list, reading only the columns its rows show."""
    tickets = tickets_for_customer(user=user).select_related("requester").only(*PORTAL_ROW_FIELDS)
    if status == "open":
        tickets = tickets.filter(status__in=Ticket.ACTIVE_STATUSES)
    elif status == "waiting":
        tickets = tickets.filter(status=Status.PENDING_CUSTOMER)
    elif status == "closed":
        tickets = tickets.filter(status__in=Ticket.DONE_STATUSES)
    if search:
        tickets = tickets.filter(
            ticket_search(search)
            if search.strip().upper().removeprefix("T-").isdigit()
            else Q(subject__icontains=search)
        )
    return tickets.order_by("-last_activity_at", "-pk")


def public_conversation(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets with only what a customer may read: public replies and their files (internal notes never)."""
    return tickets.select_related("requester", "organization", "queue", "category", "assignee").prefetch_related(
        Prefetch(
            "messages",
            queryset=Message.objects.filter(kind=Message.Kind.REPLY)
            .select_related("author_user", "author_person")
            .prefetch_related("attachments"),
            to_attr="public_messages",
        ),
        "cc",
    )


def portal_ticket(*, user, number: int) -> Ticket:
    """A ticket the customer may see, with its public conversation; DoesNotExist (→ 404) for anything else."""
    return public_conversation(tickets_for_customer(user=user)).get(number=number)


def portal_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, queue__is_active=True).order_by("name")


def _portal_categories_with_queues() -> list[Category]:
    return list(portal_categories().select_related("queue"))


# Every new-ticket form shows the categories (and a submitted ticket goes to its category's queue); they change
# rarely. Saving or deleting a category or a queue forgets them (ServiceConfig.ready connects the signals).
_portal_categories = SharedVersionMemo("service:portal-categories", _portal_categories_with_queues)


def portal_categories_cached() -> list[Category]:
    """portal_categories(), with their queues, as held in this process while no category or queue changed.

    The categories are shared by every request: read them, do not change them."""
    return _portal_categories.get()


forget_portal_categories = _portal_categories.forget


class SlaPolicies(NamedTuple):
    general: dict[int, SlaPolicy]  # priority → the active policy for every customer without their own
    own: frozenset[int]  # the organizations with an active policy of their own, for any priority


def _sla_policies() -> SlaPolicies:
    general: dict[int, SlaPolicy] = {}
    own: set[int] = set()
    for policy in SlaPolicy.objects.filter(is_active=True):
        if policy.organization_id is None:
            general[policy.priority] = policy
        else:
            own.add(policy.organization_id)
    return SlaPolicies(general, frozenset(own))


# Every new ticket asks for its policy; saving or deleting a policy forgets them (as for the categories).
_sla_policies_memo = SharedVersionMemo("service:sla-policies", _sla_policies)


def sla_policy_for(*, organization_id: int | None, priority: int) -> SlaPolicy | None:
    """The customer's own active policy for the priority if they have one, else the general one (shared by the
    process's requests while no policy changed: read it, do not change it)."""
    policies = _sla_policies_memo.get()
    if organization_id is not None and organization_id in policies.own:
        own = SlaPolicy.objects.filter(organization_id=organization_id, priority=priority, is_active=True).first()
        if own is not None:
            return own
    return policies.general.get(priority)


forget_sla_policies = _sla_policies_memo.forget


def attachment_for_customer(*, user, pk: int) -> Attachment:
    """A file on a ticket the customer may see, and never one on an internal note."""
    return (
        Attachment.objects.select_related("ticket")
        .filter(ticket__in=tickets_for_customer(user=user))
        .exclude(message__kind=Message.Kind.NOTE)
        .get(pk=pk)
    )


def attachment_for_guest(*, ticket: Ticket, pk: int) -> Attachment:
    """A file of the ticket a guest link opens, never one on an internal note."""
    return Attachment.objects.filter(ticket_id=ticket.pk).exclude(message__kind=Message.Kind.NOTE).get(pk=pk)


def attachment_for_agent(*, user, pk: int) -> Attachment:
    return Attachment.objects.select_related("ticket").filter(ticket__in=tickets_for_agent(user=user)).get(pk=pk)


# --- the agents' unfiltered list in one plain statement -----------------------------------------------------

# ORDERINGS in SQL over the list statement's ticket alias "t" (PostgreSQL's default NULLS placing, as the ORM's).
_SQL_ORDERINGS = {
    "activity": "t.last_activity_at DESC, t.id DESC",
    "-activity": "t.last_activity_at ASC, t.id ASC",
    "created": "t.created_at ASC, t.id ASC",
    "-created": "t.created_at DESC, t.id DESC",
    "priority": "t.priority ASC, t.last_activity_at DESC, t.id DESC",
    "-priority": "t.priority DESC, t.last_activity_at DESC, t.id DESC",
    "due": "t.resolution_due_at ASC NULLS LAST, t.id DESC",
    "-due": "t.resolution_due_at DESC NULLS LAST, t.id DESC",
    "number": "t.number ASC",
    "-number": "t.number DESC",
}


class _Named(NamedTuple):
    """A joined record as a list row shows it: its name, and its str."""

    name: str

    def __str__(self) -> str:
        return self.name


class TicketListRow(NamedTuple):
    """One row of the agents' list: exactly what service/templatetags/service.py ticket_rows reads."""

    number: int
    subject: str
    priority: int
    status: str
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    resolution_due_at: datetime | None
    sla_paused_at: datetime | None
    last_activity_at: datetime
    queue_name: str
    organization_id: int | None
    organization_name: str | None
    requester_name: str
    assignee_id: int | None
    assignee_name: str | None

    @property
    def reference(self) -> str:
        return f"T-{self.number}"

    @property
    def queue(self) -> _Named:
        return _Named(self.queue_name)

    @property
    def organization(self) -> _Named | None:
        return _Named(self.organization_name) if self.organization_id else None

    @property
    def requester(self) -> _Named:
        return _Named(self.requester_name)

    @property
    def assignee(self) -> _Named | None:
        return _Named(self.assignee_name) if self.assignee_id else None


def _list_scope(*, user, queue_ids: list[int] | None) -> tuple[str, list[Any]]:
    """tickets_for_agent's rule as SQL over alias "t" (queue_ids as agent_queue_ids gives them)."""
    if queue_ids is None:
        return "TRUE", []
    return "(t.queue_id = ANY(%s) OR t.assignee_id = %s)", [list(queue_ids), user.pk]


class TicketListPage(NamedTuple):
    rows: list[TicketListRow]
    counted: int  # the tickets in the list, counted up to `count_up_to`


def ticket_list_page(
    *, user, queue_ids: list[int] | None, ordering: str, offset: int, limit: int, count_up_to: int
) -> TicketListPage:
    """A page of the agent's unfiltered ticket list (ticket_list(...).only(*LIST_ROW_FIELDS) without filters)
    and how many tickets it holds, capped at `count_up_to`, in ONE plain statement: the ORM spent more of the
    page's time building the query and 26 ticket models than PostgreSQL spent answering."""
    scope, params = _list_scope(user=user, queue_ids=queue_ids)
    order = _SQL_ORDERINGS.get(ordering, _SQL_ORDERINGS["activity"])
    # The joined names as scalar subqueries, not joins: PostgreSQL planned the five-table join for longer
    # (1.5 ms) than it ran it; these plan in 0.3 ms.
    sql = f"""
        SELECT t.number, t.subject, t.priority, t.status, t.first_response_breached_at, t.resolution_breached_at,
               t.resolution_due_at, t.sla_paused_at, t.last_activity_at,
               (SELECT q.name FROM {Queue._meta.db_table} q WHERE q.id = t.queue_id),
               t.organization_id,
               (SELECT o.name FROM {Organization._meta.db_table} o WHERE o.id = t.organization_id),
               (SELECT COALESCE(NULLIF(TRIM(r.first_name || ' ' || r.last_name), ''), r.email)
                  FROM {Person._meta.db_table} r WHERE r.id = t.requester_id),
               t.assignee_id,
               (SELECT COALESCE(NULLIF(a.full_name, ''), a.email)
                  FROM {User._meta.db_table} a WHERE a.id = t.assignee_id),
               (SELECT count(*) FROM (SELECT 1 FROM {Ticket._meta.db_table} t WHERE {scope} LIMIT %s) c)
        FROM {Ticket._meta.db_table} t
        WHERE {scope}
        ORDER BY {order}
        LIMIT %s OFFSET %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, count_up_to, *params, limit, offset])
        found = cursor.fetchall()
    if not found:
        return TicketListPage([], count_tickets_in_list(user=user, queue_ids=queue_ids, up_to=count_up_to))
    return TicketListPage([TicketListRow(*row[:-1]) for row in found], found[0][-1])


def count_tickets_in_list(*, user, queue_ids: list[int] | None, up_to: int | None = None) -> int:
    """How many tickets the agent's unfiltered list holds (up to `up_to` when given)."""
    scope, params = _list_scope(user=user, queue_ids=queue_ids)
    sql = f"SELECT 1 FROM {Ticket._meta.db_table} t WHERE {scope}"
    if up_to is not None:
        sql += " LIMIT %s"
        params = [*params, up_to]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) c", params)
        return cursor.fetchone()[0]


# The estimates this process made lately: (user, queues) → (good until, rows). An estimate is shown as "about";
# planning the EXPLAIN on every page of a long list cost a twentieth of the page.
_estimates: dict[tuple, tuple[float, int]] = {}
ESTIMATE_SECONDS = 30


def estimate_tickets_in_list(*, user, queue_ids: list[int] | None) -> int:
    """PostgreSQL's estimate of the unfiltered list's rows (EXPLAIN, nothing is run), as ListPaginator asks it;
    the same agent's and queues' estimate is reused for ESTIMATE_SECONDS."""
    key = (user.pk, None if queue_ids is None else tuple(queue_ids))
    now = time.monotonic()
    known = _estimates.get(key)
    if known is not None and known[0] > now:
        return known[1]
    scope, params = _list_scope(user=user, queue_ids=queue_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT t.id FROM {Ticket._meta.db_table} t WHERE {scope}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    rows = int(plan[0]["Plan"]["Plan Rows"])
    if len(_estimates) > 10_000:  # bounded: one entry per agent and queue set
        _estimates.clear()
    _estimates[key] = (now + ESTIMATE_SECONDS, rows)
    return rows
