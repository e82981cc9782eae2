import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.service.models import Message, Queue, Ticket, TimeEntry
from frontoffice.service.tests.factories import CannedResponseFactory, QueueFactory, SlaPolicyFactory, make_ticket

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def agent(make_staff):
    return make_staff("Customer Service", full_name="Alva Agent")


@pytest.fixture
def queue(agent):
    return QueueFactory(is_default=True, members=[agent])


def signed_in(client, user):
    client.force_login(user)
    return client


def test_agent_sees_the_dashboard_and_their_queues_tickets(client, agent, queue):
    mine = make_ticket(queue=queue, subject="Mine to see")
    other = make_ticket(queue=QueueFactory(), subject="Somebody else's")
    signed_in(client, agent)
    assert client.get(reverse("service:dashboard")).status_code == 200
    page = client.get(reverse("service:ticket-list")).content.decode()
    assert mine.subject in page and other.subject not in page
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(mine.get_absolute_url()).status_code == 200


def test_management_sees_every_queue(client, make_staff, queue):
    ticket = make_ticket(queue=QueueFactory())
    signed_in(client, make_staff("Management"))
    assert client.get(ticket.get_absolute_url()).status_code == 200


def test_sales_may_not_open_tickets(client, make_staff, queue):
    ticket = make_ticket(queue=queue)
    signed_in(client, make_staff("Sales"))
    assert client.get(reverse("service:ticket-list")).status_code == 403
    assert client.get(ticket.get_absolute_url()).status_code == 403


def test_list_views_and_search(client, agent, queue):
    waiting = make_ticket(queue=queue, subject="Waiting one")
    Ticket.objects.filter(pk=waiting.pk).update(status=Ticket.Status.PENDING_CUSTOMER)
    make_ticket(queue=queue, subject="Fresh one")
    signed_in(client, agent)
    page = client.get(reverse("service:ticket-list"), {"view": "waiting"}).content.decode()
    assert "Waiting one" in page and "Fresh one" not in page
    page = client.get(reverse("service:ticket-list"), {"q": waiting.reference}).content.decode()
    assert "Waiting one" in page and "Fresh one" not in page
    page = client.get(reverse("service:ticket-list"), {"q": "nothing like this"}).content.decode()
    assert "Nothing matches these filters" in page


def test_list_query_count_does_not_grow_with_rows(client, agent, queue):
    signed_in(client, agent)
    make_ticket(queue=queue)
    url = reverse("service:ticket-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        make_ticket(queue=queue, requester=PersonFactory())
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    assert len(many) <= 5  # the session, queues (all, marked the agent's), staff, the page with its count, estimate


def test_the_filter_lists_every_queue_and_the_list_only_the_agents(client, agent, queue, make_staff):
    from frontoffice.service import selectors

    led = QueueFactory(name="Led by the agent", lead=agent)
    other = QueueFactory(name="Someone else's")
    make_ticket(queue=led, subject="In the led queue")
    make_ticket(queue=other, subject="Not for this agent")
    everything, own = selectors.queues_with_the_agents(user=agent)
    assert [pk for pk, _name in everything] == list(Queue.objects.order_by("name").values_list("pk", flat=True))
    assert sorted(own) == sorted([queue.pk, led.pk]) == sorted(selectors.agent_queue_ids(user=agent))
    assert selectors.queues_with_the_agents(user=make_staff("Management"))[1] is None
    signed_in(client, agent)
    response = client.get(reverse("service:ticket-list"))
    page = response.content.decode()
    assert "In the led queue" in page and "Not for this agent" not in page
    assert [value for value, _label in response.context["filter_form"].fields["queue"].choices][1:] == [
        pk for pk, _name in everything
    ]


def test_detail_query_count_does_not_grow_with_messages(client, agent, queue):
    from frontoffice.service import services

    signed_in(client, agent)
    ticket = make_ticket(queue=queue)
    client.get(ticket.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(ticket.get_absolute_url())
    for index in range(4):
        services.ticket_reply(ticket=ticket, body=f"Answer {index}", author=agent)
    with CaptureQueriesContext(connection) as many:
        response = client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert len(many) == len(few)
    # Without files, copies or logged time the page skips those three queries (7, not 10).
    assert len(many) <= 7, [query["sql"][:80] for query in many.captured_queries]


def test_dashboard_counts_in_a_fixed_number_of_queries(client, agent, queue):
    from frontoffice.service import services

    signed_in(client, agent)
    make_ticket(queue=queue)
    url = reverse("service:dashboard")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        services.ticket_set_status(ticket=make_ticket(queue=queue), status="resolved", actor=agent)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few) <= 10
    assert "5 resolved in the last 7 days." in page


def test_reply_note_and_status_from_the_ticket_page(client, agent, queue):
    ticket = make_ticket(queue=queue)
    signed_in(client, agent)
    response = client.post(
        reverse("service:ticket-reply", args=[ticket.number]),
        {"body": "Try the other tray.", "new_status": "pending-customer"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING_CUSTOMER and ticket.first_response_at
    client.post(reverse("service:ticket-reply", args=[ticket.number]), {"body": "Grumpy", "internal": "on"})
    assert ticket.messages.filter(kind=Message.Kind.NOTE, body="Grumpy").exists()
    client.post(reverse("service:ticket-status", args=[ticket.number]), {"status": "resolved"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_empty_reply_and_bad_file_change_nothing(client, agent, queue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket(queue=queue)
    signed_in(client, agent)
    response = client.post(reverse("service:ticket-reply", args=[ticket.number]), {"body": ""})
    assert response.status_code == 400
    svg = SimpleUploadedFile("x.svg", b"<svg onload=alert(1)></svg>", content_type="image/svg+xml")
    response = client.post(
        reverse("service:ticket-reply", args=[ticket.number]), {"body": "see file", "attachments": svg}
    )
    assert response.status_code == 400
    assert "not a file type we accept" in response.content.decode()
    assert ticket.messages.count() == 1


def test_refused_status_change_shows_a_message(client, agent, queue):
    ticket = make_ticket(queue=queue)
    signed_in(client, agent)
    client.post(reverse("service:ticket-status", args=[ticket.number]), {"status": "closed"})
    response = client.post(
        reverse("service:ticket-status", args=[ticket.number]), {"status": "pending-customer"}, follow=True
    )
    assert "cannot become" in response.content.decode()


def test_edit_assign_time_and_merge(client, agent, queue, make_staff):
    other_agent = make_staff("Customer Service")
    organization = OrganizationFactory()
    ticket = make_ticket(queue=queue, requester=PersonFactory(organization=organization))
    duplicate = make_ticket(queue=queue, requester=PersonFactory(organization=organization))
    signed_in(client, agent)
    assert client.get(reverse("service:ticket-edit", args=[ticket.number])).status_code == 200
    client.post(
        reverse("service:ticket-edit", args=[ticket.number]),
        {"priority": 3, "queue": queue.pk, "assignee": other_agent.pk, "tags": "printer, Paper"},
    )
    ticket.refresh_from_db()
    assert ticket.priority == 3 and ticket.assignee == other_agent and ticket.tags == ["paper", "printer"]
    client.post(
        reverse("service:ticket-time", args=[ticket.number]),
        {"minutes": 15, "billable": "on", "worked_on": "2026-11-27"},
    )
    assert TimeEntry.objects.get(ticket=ticket).minutes == 15
    response = client.post(reverse("service:ticket-merge", args=[duplicate.number]), {"target": ticket.reference})
    assert response.url == ticket.get_absolute_url()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == ticket


def test_bulk_assign_and_close(client, agent, queue):
    tickets = [make_ticket(queue=queue) for _ in range(3)]
    signed_in(client, agent)
    client.post(
        reverse("service:ticket-bulk"),
        {"tickets": [t.number for t in tickets[:2]], "assignee": agent.pk, "status": "closed"},
    )
    assert Ticket.objects.filter(assignee=agent, status="closed").count() == 2
    assert Ticket.objects.get(pk=tickets[2].pk).status == "new"


def test_canned_response_is_filled_for_the_ticket(client, agent, queue):
    ticket = make_ticket(queue=queue)
    canned = CannedResponseFactory(queue=queue)
    signed_in(client, agent)
    text = client.get(reverse("service:canned-fill", args=[ticket.number, canned.pk])).content.decode()
    assert ticket.reference in text and "Alva Agent" in text


def test_agent_logs_a_phone_ticket(client, agent, queue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    person = PersonFactory()
    signed_in(client, agent)
    response = client.post(
        reverse("service:ticket-create"),
        {
            "requester": person.pk,
            "subject": "Called about the invoice",
            "description": "Wants a copy",
            "priority": 2,
            "source": "phone",
            "attachments": SimpleUploadedFile("note.txt", b"plain words", content_type="text/plain"),
        },
    )
    ticket = Ticket.objects.get(subject="Called about the invoice")
    assert response.url == ticket.get_absolute_url()
    assert ticket.source == "phone" and ticket.queue == queue
    assert ticket.attachments.get().content_type == "text/plain"


def test_attachments_only_for_agents_who_see_the_ticket(client, agent, queue, make_staff):
    from frontoffice.service.attachments import check

    ticket = make_ticket(queue=queue, attachments=[check(name="<b>x</b>.png", content=PNG)])
    attachment = ticket.attachments.get()
    signed_in(client, agent)
    response = client.get(reverse("service:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    signed_in(client, make_staff("Customer Service"))  # in no queue
    assert client.get(reverse("service:attachment", args=[attachment.pk])).status_code == 404


def test_xss_in_subject_and_body_is_inert(client, agent, queue):
    ticket = make_ticket(queue=queue, subject="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>")
    signed_in(client, agent)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x onerror" not in page


def test_sla_report_and_csv(client, agent, queue):
    SlaPolicyFactory()
    make_ticket(queue=queue)
    signed_in(client, agent)
    page = client.get(reverse("service:sla-report"))
    assert page.status_code == 200 and queue.name in page.content.decode()
    csv_response = client.get(
        reverse("service:sla-report"),
        {"date_from": "2020-01-01", "date_to": "2030-01-01", "group": "agent", "format": "csv"},
    )
    assert csv_response["Content-Type"].startswith("text/csv")
    bad = client.get(
        reverse("service:sla-report"), {"date_from": "2026-02-01", "date_to": "2026-01-01", "group": "queue"}
    )
    assert "before the start date" in bad.content.decode()


def test_an_agent_turns_an_answer_into_a_draft_article(client, agent, queue):
    from frontoffice.helpcenter.models import Article
    from frontoffice.service import services

    ticket = make_ticket(queue=queue, subject="How do I reset my password?")
    answer = services.ticket_reply(ticket=ticket, body="Use the 'Forgot password' link.", author=agent)
    signed_in(client, agent)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Turn into a help-center draft" in page
    response = client.post(reverse("service:reply-to-article", args=[ticket.number, answer.pk]))
    article = Article.objects.get()
    assert response.status_code == 302 and response.url == article.get_absolute_url()
    assert article.status == Article.Status.DRAFT and article.source_ticket_number == ticket.number
    assert "Forgot password" in article.body and article.title == ticket.subject
    customer_message = ticket.messages.get(from_customer=True)
    assert (
        client.post(reverse("service:reply-to-article", args=[ticket.number, customer_message.pk])).status_code == 404
    )


def test_list_rows_show_each_ticket_escaped(client, agent, queue, make_staff):
    from frontoffice.service import services

    ticket = make_ticket(queue=queue, subject="<b>bold</b> & co", requester=PersonFactory(first_name="<i>Ada</i>"))
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_breached_at=ticket.created_at)
    signed_in(client, agent)
    page = client.get(reverse("service:ticket-list")).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page and "<b>bold</b>" not in page
    assert "&lt;i&gt;Ada&lt;/i&gt;" in page
    assert f'value="{ticket.number}"' in page and f'href="{ticket.get_absolute_url()}"' in page
    assert "SLA missed" in page and "Alva Agent" in page and ">New<" in page and ">Normal<" in page
    signed_in(client, make_staff("Management"))  # may read, may not change: no checkboxes
    assert 'name="tickets"' not in client.get(reverse("service:ticket-list")).content.decode()


def _list_row_values(row):
    """What ticket_rows reads of a row, the ORM's ticket or the plain statement's row alike."""
    return (
        row.number,
        row.reference,
        row.subject,
        row.priority,
        row.status,
        row.first_response_breached_at,
        row.resolution_breached_at,
        row.resolution_due_at,
        row.sla_paused_at,
        row.last_activity_at,
        row.queue.name,
        row.organization_id and row.organization.name,
        str(row.requester),
        row.assignee_id and str(row.assignee),
    )


def test_the_one_statement_ticket_list_is_the_orm_lists_answer(agent, queue, make_staff, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from core.lists import ListPaginator
    from frontoffice.service import selectors, services, views
    from frontoffice.service.templatetags.service import ticket_rows

    now = timezone.now()
    other_queue = QueueFactory(name="Not the agent's")
    nameless_agent = make_staff("Customer Service", full_name="")
    organization = OrganizationFactory(name="<Acme> & Sons")
    tickets = [
        make_ticket(queue=queue, subject="Plain <one>"),
        make_ticket(queue=queue, requester=PersonFactory(organization=organization, first_name="Åsa", last_name="")),
        make_ticket(queue=queue, requester=PersonFactory(first_name="", last_name="", email="only@mail.example")),
        make_ticket(queue=queue, priority=1),
        make_ticket(queue=queue, priority=4),
        make_ticket(queue=other_queue, subject="Assigned to the agent elsewhere"),
        make_ticket(queue=other_queue, subject="Never in the agent's list"),
    ]
    services.ticket_assign(ticket=tickets[1], assignee=agent, actor=agent)
    services.ticket_assign(ticket=tickets[3], assignee=nameless_agent, actor=agent)
    services.ticket_assign(ticket=tickets[5], assignee=agent, actor=agent)
    Ticket.objects.filter(pk=tickets[0].pk).update(resolution_breached_at=now, resolution_due_at=now)
    Ticket.objects.filter(pk=tickets[2].pk).update(sla_paused_at=now, resolution_due_at=None, status="pending")
    Ticket.objects.filter(pk=tickets[4].pk).update(
        first_response_breached_at=now, last_activity_at=tickets[0].last_activity_at
    )
    for index, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk, resolution_due_at__isnull=False).update(
            resolution_due_at=now + timedelta(hours=index - 3)
        )
    for user in (agent, make_staff("Management")):
        _queues, queue_ids = selectors.queues_with_the_agents(user=user)
        for ordering in ["", *selectors.ORDERINGS]:
            orm = selectors.ticket_list(user=user, queue_ids=queue_ids, ordering=ordering).only(
                *selectors.LIST_ROW_FIELDS
            )
            for offset, limit in ((0, 26), (0, 3), (2, 4), (5, 10), (40, 5)):
                page = selectors.ticket_list_page(
                    user=user, queue_ids=queue_ids, ordering=ordering, offset=offset, limit=limit, count_up_to=1001
                )
                expected = list(orm[offset : offset + limit])
                assert [_list_row_values(row) for row in page.rows] == [_list_row_values(t) for t in expected]
                assert ticket_rows(page.rows, bulk=True, now=now) == ticket_rows(expected, bulk=True, now=now)
                assert page.counted == orm.count()
        assert selectors.count_tickets_in_list(user=user, queue_ids=queue_ids) == orm.count()
        assert selectors.count_tickets_in_list(user=user, queue_ids=queue_ids, up_to=2) == 2

        # Past COUNT_LIMIT both paginators tell the same count the same way (estimate or "more than").
        for limit in (2, 5, 100):
            monkeypatch.setattr(views, "COUNT_LIMIT", limit)
            monkeypatch.setattr("core.lists.COUNT_LIMIT", limit)
            fast = views._TicketListPaginator(views._TicketListRows(user=user, queue_ids=queue_ids, ordering=""), 2)
            fast.get_page(1)
            slow = ListPaginator(selectors.ticket_list(user=user, queue_ids=queue_ids), 2)
            slow.get_page(1)
            assert (fast.count, fast.count_is_estimate, fast.count_is_lower_bound) == (
                slow.count,
                slow.count_is_estimate,
                slow.count_is_lower_bound,
            )
            assert fast.get_page(2).object_list and fast.num_pages == slow.num_pages


def test_the_unfiltered_list_reads_its_page_and_count_in_one_statement(client, agent, queue):
    make_ticket(queue=queue, subject="Shown by the plain statement")
    signed_in(client, agent)
    client.get(reverse("service:ticket-list"))  # the session's and permissions' first reads
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("service:ticket-list"), {"sort": "-due"}).content.decode()
    assert "Shown by the plain statement" in page
    assert [q["sql"] for q in queries if "service_ticket" in q["sql"]] == [
        q["sql"] for q in queries if "LIMIT 1001) c)" in q["sql"]
    ]
    assert len(queries) <= 5  # the session, queues, staff, the page with its count (an estimate past 1,000)


def test_the_bulk_forms_agents_are_the_staff_in_order(make_staff):
    from frontoffice.service.forms import BulkForm, _staff

    make_staff("Customer Service", full_name="Zed")
    make_staff("Customer Service", full_name="", email="anna@staff.example")
    make_staff("Customer Service", full_name="Ada")
    gone = make_staff("Customer Service", full_name="Gone")
    gone.is_active = False
    gone.save()
    expected = [(str(user.pk), user.full_name or user.email) for user in _staff()]
    assert BulkForm().fields["assignee"].choices[2:] == expected and len(expected) >= 3


def test_an_agents_list_estimate_is_reused_for_half_a_minute(agent, queue, django_assert_num_queries, monkeypatch):
    from frontoffice.service import selectors

    make_ticket(queue=queue)
    _queues, queue_ids = selectors.queues_with_the_agents(user=agent)
    clock = [1_000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(selectors, "_estimates", {})
    with django_assert_num_queries(1):
        first = selectors.estimate_tickets_in_list(user=agent, queue_ids=queue_ids)
    clock[0] += selectors.ESTIMATE_SECONDS - 1
    with django_assert_num_queries(0):
        assert selectors.estimate_tickets_in_list(user=agent, queue_ids=queue_ids) == first
    with django_assert_num_queries(1):  # another set of queues is another estimate
        selectors.estimate_tickets_in_list(user=agent, queue_ids=queue_ids[:0])
    clock[0] += 2
    with django_assert_num_queries(1):
        assert selectors.estimate_tickets_in_list(user=agent, queue_ids=queue_ids) >= 0
