"""The agent's ticket page's parts rendered in Python (service/templatetags/service.py): the markup of the template
they replace, and the page's queries."""

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.parties.tests.factories import PersonFactory
from frontoffice.sales.models import SalesOrder
from frontoffice.service import selectors, services
from frontoffice.service.attachments import check
from frontoffice.service.models import Attachment, Message, Queue, Ticket, TimeEntry
from frontoffice.service.tests.factories import QueueFactory, make_ticket

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32

# The conversation, header, customer card and side cards as the template rendered them before they moved to Python.
TEMPLATE_CONVERSATION = "{% load i18n %}" + (Path(__file__).parent / "ticket_conversation_template.html").read_text()
TEMPLATE_CUSTOMER_CARD = (
    "{% load i18n service %}" + (Path(__file__).parent / "ticket_customer_card_template.html").read_text()
)
TEMPLATE_HEADER = "{% load i18n service %}" + (Path(__file__).parent / "ticket_header_template.html").read_text()
TEMPLATE_SIDE_CARDS = "{% load i18n kontor %}" + (Path(__file__).parent / "ticket_side_cards_template.html").read_text()


def _without_blank_lines(html: str) -> str:
    return "\n".join(line for line in html.splitlines() if line.strip())


@pytest.fixture
def agent(make_staff):
    return make_staff("Customer Service", full_name="Alva <Agent>")


@pytest.fixture
def queue(agent):
    return QueueFactory(is_default=True, members=[agent])


def _busy_ticket(agent, queue) -> Ticket:
    """Every kind of message: the customer's (with a file), another person's by e-mail, an agent's reply with a
    file, a note, a reply without an author; bodies with markup and line breaks."""
    requester = PersonFactory(first_name="<i>Ada</i>", last_name="Kund")
    ticket = make_ticket(
        queue=queue,
        requester=requester,
        description="First line\nsecond <b>line</b> & more",
        attachments=[check(name="<b>x</b>.png", content=PNG)],
    )
    colleague = PersonFactory(first_name="", last_name="", email="bo@example.com", organization=requester.organization)
    services.ticket_reply(
        ticket=ticket, body="Me too.\r\nSame here.", author_person=colleague, source=Ticket.Source.EMAIL
    )
    services.ticket_reply(
        ticket=ticket, body="Try <this>.", author=agent, attachments=[check(name="howto.png", content=PNG * 40)]
    )
    services.ticket_reply(ticket=ticket, body="Grumpy 'customer'", author=agent, internal=True)
    services.ticket_reply(ticket=ticket, body="Automatic answer", author=None)
    Message.objects.filter(ticket=ticket, from_customer=True, author_person=colleague).update(source="email")
    return ticket


@pytest.mark.parametrize("language", ["en", "sv"])
def test_conversation_is_the_templates_markup(client, agent, queue, language):
    ticket = _busy_ticket(agent, queue)
    assert ticket.messages.count() == 5
    client.force_login(agent)
    with translation.override("en"):
        if language == "sv":
            client.post("/i18n/setlang/", {"language": "sv", "next": "/app/"})
        response = client.get(ticket.get_absolute_url())
        html = response.content.decode()
        with translation.override(language):
            conversation = ticket.messages.select_related("author_user", "author_person").prefetch_related(
                "attachments"
            )
            expected = Template(TEMPLATE_CONVERSATION).render(
                Context(
                    {
                        "conversation": conversation,
                        "ticket": ticket,
                        "perms": PermWrapper(agent),
                        "csrf_token": response.context["csrf_token"],
                    }
                )
            )
    assert response.status_code == 200
    assert "bi-journal-plus" in expected  # the agent may draft articles
    assert "list-inline-item" in expected and 'aria-label="' in expected
    assert _without_blank_lines(expected) in _without_blank_lines(html)


def test_conversation_without_the_article_right_has_no_draft_button(client, agent, queue, make_staff):
    ticket = _busy_ticket(agent, queue)
    reader = make_staff("Management")
    client.force_login(reader)
    response = client.get(ticket.get_absolute_url())
    expected = Template(TEMPLATE_CONVERSATION).render(
        Context({"conversation": ticket.messages.all(), "ticket": ticket, "perms": PermWrapper(reader)})
    )
    html = response.content.decode()
    assert _without_blank_lines(expected) in _without_blank_lines(html)
    assert ("Turn into a help-center draft" in html) == reader.has_perm("helpcenter.add_article")


def test_ticket_page_queries(client, agent, queue):
    """Eight queries for a ticket with files, copies and logged time (the session, the ticket with its visibility
    check and related records, messages with canned answers and other tickets in one round trip, files, CC, time,
    credit hold, open orders); five without."""
    from datetime import date

    ticket = _busy_ticket(agent, queue)
    services.time_log(ticket=ticket, user=agent, minutes=15, worked_on=date(2026, 1, 5), billable=True, note="")
    ticket.cc.add(PersonFactory(organization=ticket.organization))
    plain = make_ticket(queue=queue, requester=ticket.requester)
    client.force_login(agent)
    client.get(ticket.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert len(queries) == 8, [query["sql"][:80] for query in queries.captured_queries]
    page = response.content.decode()
    assert "15 min logged, 15 min billable." in page and "list-inline-item" in page and "CC:" in page
    with CaptureQueriesContext(connection) as queries:
        page = client.get(plain.get_absolute_url()).content.decode()
    assert len(queries) == 5, [query["sql"][:80] for query in queries.captured_queries]
    assert "0 min logged, 0 min billable." in page and "list-inline-item" not in page and "CC:" not in page


def test_merged_ticket_shows_its_target(client, agent, queue):
    requester = PersonFactory()
    source, target = make_ticket(queue=queue, requester=requester), make_ticket(queue=queue, requester=requester)
    services.ticket_merge(source=source, target=target, actor=agent)
    client.force_login(agent)
    page = client.get(source.get_absolute_url()).content.decode()
    assert f"This ticket was merged into {target.reference}." in page
    assert f'href="{target.get_absolute_url()}"' in page


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("full", [True, False])
def test_customer_card_is_the_templates_markup(agent, queue, language, full):
    """With an organization, a phone, copies, other tickets and open orders, and without any of them."""
    if full:
        requester = PersonFactory(first_name="<i>Ada</i>", phone="+46 8 <123>", email="ada@example.com")
        colleague = PersonFactory(first_name="Bo & Co", organization=requester.organization)
        ticket = make_ticket(queue=queue, requester=requester, cc=[colleague])
        make_ticket(queue=queue, requester=requester, subject="A <long> subject that goes on and on and on, past forty")
        make_ticket(queue=queue, requester=colleague, subject="Short")
        orders = [
            SalesOrder(pk=7, number="SO-<7>", delivery_status="partly", invoice_status=SalesOrder.InvoiceStatus.PAID),
            SalesOrder(pk=8, number="SO-8"),
        ]
    else:
        requester = PersonFactory(organization=None, phone="", email="solo@example.com")
        ticket = make_ticket(queue=queue, requester=requester)
        orders = []
    ticket = selectors.ticket_for_agent_page(user=agent, number=ticket.number)
    context = {
        "ticket": ticket,
        "cc": selectors.ticket_cc_names(ticket=ticket),
        "other_tickets": selectors.customer_other_tickets(ticket=ticket),
        "open_orders": orders,
    }
    assert len(context["other_tickets"]) == (2 if full else 0)
    with translation.override(language):
        expected = Template(TEMPLATE_CUSTOMER_CARD).render(Context(context))
        rendered = Template(
            "{% load service %}    {% ticket_customer_card ticket cc=cc other_tickets=other_tickets "
            "open_orders=open_orders %}\n"
        ).render(Context(context))
    assert rendered == expected


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("full", [True, False])
def test_header_and_side_cards_are_the_templates_markup(rf, agent, queue, make_staff, language, full):
    """The header and the Ticket, Time and Merge cards: with an assignee, category, tags, logged time and every
    right, and for a merged ticket without them read by someone who may neither change tickets nor log time."""
    from datetime import date

    from frontoffice.service import views
    from frontoffice.service.tests.factories import CategoryFactory

    requester = PersonFactory()
    if full:
        ticket = make_ticket(queue=queue, requester=requester, category=CategoryFactory(queue=queue, name="<Cat>"))
        Ticket.objects.filter(pk=ticket.pk).update(tags=["vip", "<b>"])
        services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
        services.time_log(ticket=ticket, user=agent, minutes=1500 // 2, worked_on=date(2026, 1, 5), billable=True)
        services.time_log(ticket=ticket, user=agent, minutes=5, worked_on=date(2026, 1, 6), note="Call <back> & co")
        reader = agent
    else:
        ticket = make_ticket(queue=queue, requester=requester)
        services.ticket_merge(source=ticket, target=make_ticket(queue=queue, requester=requester), actor=agent)
        reader = make_staff("Management")
    request = rf.get(ticket.get_absolute_url())
    request.user = reader
    with translation.override(language):
        page_ticket = selectors.ticket_for_agent_page(user=reader, number=ticket.number)
        context = views._detail_context(request, page_ticket, None)
        context.update({"perms": PermWrapper(reader), "csrf_token": "t0ken"})
        expected = Template(TEMPLATE_SIDE_CARDS).render(Context(context))
        rendered = Template(
            "{% load service %}    {% ticket_side_cards ticket can_change=can_change "
            "can_log_time=perms.service.add_timeentry %}\n"
        ).render(Context(context))
    assert rendered == expected
    with translation.override(language):
        expected_header = Template(TEMPLATE_HEADER).render(Context(context))
        header = Template(
            "{% load service %}{% ticket_header ticket can_change=can_change "
            "status_choices=status_form.fields.status.choices %}\n"
        ).render(Context(context))
    assert header == expected_header
    assert ("status-select" in header) == full and ("badge-role" in header) == full
    if full:
        assert "&lt;Cat&gt;" in rendered and "Call &lt;back&gt; &amp; co" in rendered and "t0ken" in rendered
    else:
        assert "ticket-merge" not in rendered and "/edit/" not in rendered


def _loaded(instance) -> list:
    """Every field value a model instance has read (its deferred fields left out)."""
    deferred = instance.get_deferred_fields()
    return [
        (field.attname, getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.attname not in deferred
    ]


def test_the_one_statement_ticket_is_the_orms_ticket(client, agent, queue, make_staff, monkeypatch):
    """ticket_for_agent_page (one plain statement) and ticket_for_agent_page_orm read the same ticket, fields,
    related records and flags, refuse the same agents, and the page they draw is the same markup."""
    import re
    from datetime import date

    from frontoffice.service.tests.factories import CategoryFactory, SlaPolicyFactory

    busy = _busy_ticket(agent, queue)
    services.time_log(ticket=busy, user=agent, minutes=15, worked_on=date(2026, 1, 5), billable=True, note="")
    busy.cc.add(PersonFactory(organization=busy.organization))
    services.ticket_assign(ticket=busy, assignee=agent, actor=agent)
    alone = make_ticket(queue=queue, requester=PersonFactory(organization=None))
    sorted_ticket = make_ticket(queue=queue, category=CategoryFactory(queue=queue, name="<Cat>"))
    Ticket.objects.filter(pk=sorted_ticket.pk).update(tags=["vip"], sla_policy=SlaPolicyFactory())
    elsewhere = make_ticket(queue=QueueFactory(), subject="Another queue's")
    assigned_elsewhere = make_ticket(queue=QueueFactory(), subject="Assigned to the agent")
    services.ticket_assign(ticket=assigned_elsewhere, assignee=agent, actor=agent)
    led = make_ticket(queue=QueueFactory(lead=agent), subject="In a queue the agent leads")
    merged = make_ticket(queue=queue, requester=alone.requester)
    services.ticket_merge(source=merged, target=alone, actor=agent)
    tickets = [busy, alone, sorted_ticket, elsewhere, assigned_elsewhere, led, merged]
    stranger = make_staff("Customer Service", full_name="New Agent")
    for user in (agent, make_staff("Management"), stranger):
        for ticket in tickets:
            try:
                expected = ticket_for_agent_page_orm(user=user, number=ticket.number)
            except Ticket.DoesNotExist:
                with pytest.raises(Ticket.DoesNotExist):
                    selectors.ticket_for_agent_page(user=user, number=ticket.number)
                continue
            with CaptureQueriesContext(connection) as queries:
                fast = selectors.ticket_for_agent_page(user=user, number=ticket.number)
                assert _loaded(fast) == _loaded(expected)
                assert fast.get_deferred_fields() == expected.get_deferred_fields()
                for name in ("requester", "organization", "queue", "assignee", "category", "sla_policy"):
                    got, want = getattr(fast, name), getattr(expected, name)
                    assert (got is None) == (want is None) and (got is None or _loaded(got) == _loaded(want)), name
                assert (fast.has_files, fast.has_cc, fast.has_time) == (
                    expected.has_files,
                    expected.has_cc,
                    expected.has_time,
                )
            assert len(queries) == 1
    assert selectors.ticket_for_agent_page(user=agent, number=busy.number).has_files is True
    with pytest.raises(Ticket.DoesNotExist):
        selectors.ticket_for_agent_page(user=agent, number=999999)

    def page(url):
        html = client.get(url).content.decode()
        return re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", html)  # the masked CSRF tokens differ per request

    client.force_login(agent)
    for ticket in (busy, alone, sorted_ticket, merged):
        fast = page(ticket.get_absolute_url())
        with monkeypatch.context() as patch:
            patch.setattr(selectors, "ticket_for_agent_page", ticket_for_agent_page_orm)
            assert page(ticket.get_absolute_url()) == fast


def test_the_plain_conversation_other_tickets_and_canned_answers_are_the_orms(agent, queue):
    from frontoffice.service.tests.factories import CannedResponseFactory

    busy = _busy_ticket(agent, queue)
    for index in range(10):
        make_ticket(queue=queue, requester=busy.requester, subject=f"Earlier {index}")
    alone = make_ticket(queue=queue, requester=PersonFactory(organization=None))
    make_ticket(queue=queue, requester=alone.requester, subject="The same person's")
    CannedResponseFactory(title="Zeta", queue=queue)
    CannedResponseFactory(title="Alpha")
    CannedResponseFactory(title="Beta", queue=QueueFactory())
    CannedResponseFactory(title="Gamma", queue=queue, is_active=False)
    for ticket in (busy, alone):
        page_ticket = selectors.ticket_for_agent_page(user=agent, number=ticket.number)
        assert selectors.ticket_page_conversation(ticket=page_ticket) == ticket_page_conversation_orm(
            ticket=page_ticket
        )
        fast = selectors.customer_other_tickets(ticket=page_ticket)
        orm = customer_other_tickets_orm(ticket=page_ticket)
        assert [_loaded(t) for t in fast] == [_loaded(t) for t in orm] and fast
        assert [t.get_deferred_fields() for t in fast] == [t.get_deferred_fields() for t in orm]
        assert selectors.canned_response_titles(ticket=page_ticket) == list(
            selectors.canned_responses_for(ticket=page_ticket).values("pk", "title")
        )
        assert selectors.ticket_page_reads(ticket=page_ticket) == (
            selectors.ticket_page_conversation(ticket=page_ticket),
            selectors.canned_response_titles(ticket=page_ticket),
            fast,
        )
    assert any(message["files"] for message in selectors.ticket_page_conversation(ticket=busy))
    assert len(selectors.customer_other_tickets(ticket=busy)) == 8


# --- the ORM reads the page's plain statements replaced: kept here as the reference they are compared with ---


def ticket_for_agent_page_orm(*, user, number: int) -> Ticket:
    """One ticket the agent may see, with the records its page shows beside it, in one query: the agent's queues
    ride along as a subquery, and what the page never shows (the description, the requester's login, the queue's
    lead) is not read. A merged ticket's target is read when the page shows it (merged tickets are rare).

    `has_files`, `has_cc` and `has_time` say whether the conversation has files, anyone is copied and time is
    logged: most tickets have none of them, and then the page skips those three queries."""
    tickets = Ticket.objects.all()
    if not user.has_perm("service.view_all_tickets"):
        queues = Queue.objects.filter(Q(members=user) | Q(lead=user)).values("pk")
        tickets = tickets.filter(Q(queue_id__in=queues) | Q(assignee=user))
    return (
        tickets.select_related("requester", "organization", "queue", "assignee", "category", "sla_policy")
        .defer("description", "thread_message_id", "guest_secret")
        .annotate(
            has_files=Exists(Attachment.objects.filter(message__ticket=OuterRef("pk"))),
            has_cc=Exists(Ticket.cc.through.objects.filter(ticket=OuterRef("pk"))),
            has_time=Exists(TimeEntry.objects.filter(ticket=OuterRef("pk"))),
        )
        .get(number=number)
    )


def ticket_page_conversation_orm(*, ticket: Ticket) -> list[dict[str, Any]]:
    """ticket_page_conversation through the ORM (the tests compare the two)."""
    messages = list(Message.objects.filter(ticket=ticket).values(*selectors._CONVERSATION_KEYS))
    by_pk = {}
    for message in messages:
        message["files"] = []
        by_pk[message["pk"]] = message
    if by_pk and getattr(ticket, "has_files", True):
        files = Attachment.objects.filter(message_id__in=by_pk).values_list("message_id", "pk", "name", "size")
        for message_id, pk, name, size in files:
            by_pk[message_id]["files"].append((pk, name, size))
    return messages


def customer_other_tickets_orm(*, ticket: Ticket, limit: int = 8) -> list[Ticket]:
    """customer_other_tickets through the ORM (the tests compare the two)."""
    if ticket.organization_id:
        others = Ticket.objects.filter(organization_id=ticket.organization_id)
    else:
        others = Ticket.objects.filter(requester_id=ticket.requester_id)
    fields = ("number", "subject", "status")  # what the side panel shows
    return list(others.exclude(pk=ticket.pk).order_by("-created_at").only(*fields)[:limit])
