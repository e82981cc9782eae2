"""/api/v1/service/tickets/: agents work their queues' tickets, customers follow their own, through the services."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import DateTimeField

from core.accounts.tests.factories import UserFactory
from core.audit.models import AuditEntry
from core.parties.models import Organization
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.service import services
from frontoffice.service.attachments import check
from frontoffice.service.models import Attachment, Message, Priority, Ticket
from frontoffice.service.tests.factories import CategoryFactory, QueueFactory, make_ticket
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/service/tickets/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _iso(value: datetime.datetime | None) -> str | None:
    return DateTimeField().to_representation(value) if value is not None else None


def _url(ticket: Ticket, action: str = "") -> str:
    return f"{TICKETS}{ticket.number}/{action + '/' if action else ''}"


def _numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agent(make_staff):
    return make_staff("Customer Service", full_name="Anna Agentsson")


@pytest.fixture
def queue(agent):
    return QueueFactory(name="First line", members=[agent])


@pytest.fixture
def agent_api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def customer(customer_user):
    """The customer's login and its person (at an organization that shares its tickets)."""
    customer_user.person.first_name, customer_user.person.last_name = "Kim", "Kund"
    customer_user.person.save()
    return customer_user


@pytest.fixture
def customer_api(api_client_for, customer):
    return api_client_for(customer)


def _note(ticket: Ticket, agent, body: str = "Customer is on the old firmware.", files=()) -> Message:
    return services.ticket_reply(ticket=ticket, body=body, author=agent, internal=True, attachments=files)


# --- what a ticket looks like ------------------------------------------------------


def test_an_agent_reads_the_whole_conversation(agent_api, agent, queue, customer):
    # given a customer's ticket with a file, an agent's internal note (with a file) and a public reply
    category = CategoryFactory(name="Printers", queue=queue)
    ticket = make_ticket(
        requester=customer.person,
        actor=customer,
        category=category,
        attachments=[check(name="error.png", content=PNG)],
    )
    note = _note(ticket, agent, files=[check(name="log.txt", content=b"firmware 1.0")])
    reply = services.ticket_reply(ticket=ticket, body="Please update the firmware.", author=agent)
    Ticket.objects.filter(pk=ticket.pk).update(tags=["printer"])
    ticket.refresh_from_db()
    first, png = ticket.messages.first(), Attachment.objects.get(name="error.png")
    log = Attachment.objects.get(name="log.txt")

    # when the agent reads it
    response = agent_api.get(_url(ticket))

    # then they see every message, the note flagged internal, and every file with a staff download link
    assert response.status_code == 200, response.content
    files = {
        png.pk: {
            "id": png.pk,
            "name": "error.png",
            "content_type": "image/png",
            "size": len(PNG),
            "url": f"http://testserver/app/service/files/{png.pk}/",
        },
        log.pk: {
            "id": log.pk,
            "name": "log.txt",
            "content_type": "text/plain",
            "size": 12,
            "url": f"http://testserver/app/service/files/{log.pk}/",
        },
    }
    assert response.json() == {
        "number": ticket.number,
        "reference": f"T-{ticket.number}",
        "subject": "The printer says PC LOAD LETTER",
        "description": "It will not print. What does it mean?",
        "status": "open",
        "priority": "normal",
        "queue": {"id": queue.pk, "name": "First line"},
        "category": {"id": category.pk, "name": "Printers"},
        "organization": {"id": customer.person.organization_id, "name": customer.person.organization.name},
        "requester": {"id": customer.person.pk, "name": "Kim Kund", "email": customer.person.email},
        "assignee": None,
        "tags": ["printer"],
        "source": "portal",
        "created_at": _iso(ticket.created_at),
        "last_activity_at": _iso(ticket.last_activity_at),
        "first_response_at": _iso(ticket.first_response_at),
        "resolved_at": None,
        "closed_at": None,
        "first_response_due_at": None,
        "resolution_due_at": None,
        "sla_paused": False,
        "first_response_breached_at": None,
        "resolution_breached_at": None,
        "csat_rating": None,
        "csat_comment": "",
        "attachments": [files[png.pk], files[log.pk]],
        "messages": [
            {
                "id": first.pk,
                "internal": False,
                "body": "It will not print. What does it mean?",
                "author": "Kim Kund",
                "from_customer": True,
                "source": "portal",
                "created_at": _iso(first.created_at),
                "attachments": [files[png.pk]],
            },
            {
                "id": note.pk,
                "internal": True,
                "body": "Customer is on the old firmware.",
                "author": "Anna Agentsson",
                "from_customer": False,
                "source": "portal",
                "created_at": _iso(note.created_at),
                "attachments": [files[log.pk]],
            },
            {
                "id": reply.pk,
                "internal": False,
                "body": "Please update the firmware.",
                "author": "Anna Agentsson",
                "from_customer": False,
                "source": "portal",
                "created_at": _iso(reply.created_at),
                "attachments": [],
            },
        ],
    }


def test_a_customer_reads_the_public_conversation_only(customer_api, agent, queue, customer):
    # given the same kind of ticket, assigned to the agent, with an internal note and its file
    ticket = make_ticket(requester=customer.person, actor=customer, queue=queue)
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    _note(ticket, agent, body="SECRET: they owe us money", files=[check(name="secret.txt", content=b"internal")])
    reply = services.ticket_reply(ticket=ticket, body="Please update the firmware.", author=agent)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_breached_at=reply.created_at)

    # when the customer reads it, alone and in the list
    detail = customer_api.get(_url(ticket))
    listed = customer_api.get(TICKETS)

    # then no internal note, no note's file, no breach time and only the agent's first name reach them
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert [(m["author"], m["body"], m["internal"]) for m in body["messages"]] == [
        ("Kim Kund", "It will not print. What does it mean?", False),
        ("Anna", "Please update the firmware.", False),
    ]
    assert body["assignee"] == {"name": "Anna"}
    assert body["attachments"] == []
    assert "first_response_breached_at" not in body and "resolution_breached_at" not in body
    (row,) = listed.json()["results"]
    assert (row["number"], row["attachments"], row["assignee"]) == (ticket.number, [], {"name": "Anna"})
    assert "first_response_breached_at" not in row
    for response in (detail, listed):
        assert b"SECRET" not in response.content
        assert b"secret.txt" not in response.content


def test_a_customer_downloads_files_from_the_portal(customer_api, client_for, customer, queue):
    ticket = make_ticket(
        requester=customer.person, actor=customer, queue=queue, attachments=[check(name="a.png", content=PNG)]
    )
    png = Attachment.objects.get()

    body = customer_api.get(_url(ticket)).json()

    expected = {
        "id": png.pk,
        "name": "a.png",
        "content_type": "image/png",
        "size": len(PNG),
        "url": f"http://testserver/portal/tickets/files/{png.pk}/",
    }
    assert body["attachments"] == [expected]
    assert body["messages"][0]["attachments"] == [expected]
    # and the link works for them, signed in to the portal
    download = client_for(customer).get(expected["url"])
    assert (download.status_code, download["Content-Type"]) == (200, "image/png")
    assert b"".join(download.streaming_content) == PNG


# --- who sees which tickets --------------------------------------------------------


def test_an_agent_sees_the_tickets_of_their_queues_and_those_assigned_to_them(agent_api, agent, queue, make_staff):
    # given tickets in the agent's queue, in a queue led by them, in another queue, and one there assigned to them
    led = QueueFactory(lead=agent)
    other = QueueFactory()
    in_queue = make_ticket(queue=queue)
    in_led = make_ticket(queue=led)
    elsewhere = make_ticket(queue=other)
    assigned = make_ticket(queue=other)
    services.ticket_assign(ticket=assigned, assignee=agent, actor=make_staff("Customer Service"))

    # then the list holds all but the other queue's unassigned one, which is not found either
    assert sorted(_numbers(agent_api.get(TICKETS))) == sorted([in_queue.number, in_led.number, assigned.number])
    assert agent_api.get(_url(assigned)).status_code == 200
    assert agent_api.get(_url(elsewhere)).status_code == 404
    assert agent_api.post(_url(elsewhere, "reply"), {"body": "Hi"}, format="json").status_code == 404


def test_an_agent_outside_every_queue_sees_nothing(api_client_for, make_staff, queue):
    make_ticket(queue=queue)
    outsider = api_client_for(make_staff("Customer Service"))

    assert _numbers(outsider.get(TICKETS)) == []


def test_management_sees_every_ticket_but_changes_none(api_client_for, make_staff, queue, customer):
    # given tickets in two queues, of neither of which the manager is a member
    first, second = make_ticket(queue=queue), make_ticket(queue=QueueFactory())
    manager = api_client_for(make_staff("Management"))

    # then the manager reads them all (service.view_all_tickets)
    assert sorted(_numbers(manager.get(TICKETS))) == sorted([first.number, second.number])
    assert manager.get(_url(second)).status_code == 200
    # but writes nothing
    assert manager.post(_url(first, "reply"), {"body": "Hi"}, format="json").status_code == 403
    assert manager.post(_url(first, "status"), {"status": "resolved"}, format="json").status_code == 403
    assert manager.post(_url(first, "assign"), {"assignee": None}, format="json").status_code == 403
    response = manager.post(TICKETS, {"requester": customer.person.pk, "subject": "s", "description": "d"})
    assert response.status_code == 403
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize("department", ["Sales", "Finance", "IT"])
def test_staff_without_the_service_rights_are_refused(api_client_for, make_staff, queue, department):
    ticket = make_ticket(queue=queue)
    client = api_client_for(make_staff(department))

    assert client.get(TICKETS).status_code == 403
    assert client.get(_url(ticket)).status_code == 403
    assert client.post(_url(ticket, "reply"), {"body": "Hi"}, format="json").status_code == 403


def test_a_customer_sees_their_organizations_tickets(customer_api, customer, queue):
    # given the customer's ticket, a colleague's, and another organization's
    own = make_ticket(requester=customer.person, queue=queue)
    colleague = make_ticket(requester=PersonFactory(organization=customer.person.organization), queue=queue)
    stranger = make_ticket(queue=queue)

    # then they see their organization's, and the other organization's ticket is not found
    assert sorted(_numbers(customer_api.get(TICKETS))) == sorted([own.number, colleague.number])
    assert customer_api.get(_url(colleague)).status_code == 200
    assert customer_api.get(_url(stranger)).status_code == 404
    for action, body in (("reply", {"body": "Hi"}), ("status", {"status": "closed"}), ("rate", {"rating": 5})):
        assert customer_api.post(_url(stranger, action), body, format="json").status_code == 404
    stranger.refresh_from_db()
    assert (stranger.status, stranger.messages.count()) == ("new", 1)


def test_a_customer_of_a_private_organization_sees_only_their_own(customer_api, customer, queue):
    # given an organization that keeps each person's requests private
    Organization.objects.filter(pk=customer.person.organization_id).update(
        portal_visibility=Organization.PortalVisibility.OWN
    )
    colleague = PersonFactory(organization=customer.person.organization)
    own = make_ticket(requester=customer.person, queue=queue)
    copied = make_ticket(requester=colleague, queue=queue, cc=[customer.person])
    hidden = make_ticket(requester=colleague, queue=queue)

    # then they see what they asked and what they were copied on, and nothing else
    assert sorted(_numbers(customer_api.get(TICKETS))) == sorted([own.number, copied.number])
    assert customer_api.get(_url(hidden)).status_code == 404


def test_a_customer_without_a_contact_sees_nothing_and_opens_nothing(api_client_for, queue):
    make_ticket(queue=queue)
    lone = api_client_for(UserFactory())

    assert _numbers(lone.get(TICKETS)) == []
    response = lone.post(TICKETS, {"subject": "Help", "description": "Please"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your login is not linked to a contact of a customer."}


def test_anonymous_requests_are_asked_to_sign_in(api_client, queue):
    ticket = make_ticket(queue=queue)

    assert api_client.get(TICKETS).status_code == 401
    assert api_client.get(_url(ticket)).status_code == 401
    assert api_client.post(TICKETS, {"subject": "s", "description": "d"}, format="json").status_code == 401
    for action, body in (
        ("reply", {"body": "Hi"}),
        ("status", {"status": "closed"}),
        ("assign", {"assignee": None}),
        ("rate", {"rating": 5}),
    ):
        assert api_client.post(_url(ticket, action), body, format="json").status_code == 401, action
    assert Ticket.objects.get().messages.count() == 1


def test_tickets_are_not_edited_or_deleted_directly(agent_api, admin_user, api_client_for, queue):
    ticket = make_ticket(queue=queue)

    for client in (agent_api, api_client_for(admin_user)):
        assert client.patch(_url(ticket), {"subject": "x"}, format="json").status_code == 405
        assert client.put(_url(ticket), {"subject": "x"}, format="json").status_code == 405
        assert client.delete(_url(ticket)).status_code == 405
    assert agent_api.get(f"{TICKETS}T-{ticket.number}/").status_code == 404
    assert Ticket.objects.get().subject == ticket.subject


# --- opening tickets ---------------------------------------------------------------


def test_a_customer_opens_a_ticket(customer_api, customer, queue, django_capture_on_commit_callbacks):
    category = CategoryFactory(name="Invoices", queue=queue)

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_api.post(
            TICKETS,
            {"subject": " Wrong invoice ", "description": "Invoice 1001 is twice.", "category": category.pk},
            format="json",
        )

    # then the ticket is theirs, from the API, routed by its category, at normal priority
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    body = response.json()
    assert (body["number"], body["reference"], body["subject"], body["status"]) == (
        ticket.number,
        ticket.reference,
        "Wrong invoice",
        "new",
    )
    assert (body["priority"], body["source"], body["queue"], body["requester"]["id"]) == (
        "normal",
        "api",
        {"id": queue.pk, "name": "First line"},
        customer.person.pk,
    )
    assert (ticket.requester, ticket.organization, ticket.category) == (
        customer.person,
        customer.person.organization,
        category,
    )
    (message,) = ticket.messages.all()
    assert (message.author_user, message.from_customer, message.source) == (customer, True, "api")
    assert OutboxEvent.objects.filter(name="service.ticket_created").count() == 1
    entry = AuditEntry.objects.get(action="create", object_id=str(ticket.pk))
    assert entry.actor == customer


def test_a_customer_chooses_the_priority_only_where_the_category_allows_it(customer_api, queue):
    free = CategoryFactory(queue=queue, customer_may_set_priority=True)
    fixed = CategoryFactory(queue=queue)
    ticket = {"subject": "Down", "description": "Everything is down."}

    allowed = customer_api.post(TICKETS, {**ticket, "category": free.pk, "priority": "urgent"}, format="json")
    refused = customer_api.post(TICKETS, {**ticket, "category": fixed.pk, "priority": "urgent"}, format="json")
    without = customer_api.post(TICKETS, {**ticket, "priority": "urgent"}, format="json")

    assert allowed.status_code == 201, allowed.content
    assert allowed.json()["priority"] == "urgent"
    for response in (refused, without):
        assert response.status_code == 400
        assert response.json() == {"priority": ["Tickets of this category start at normal priority."]}
    assert list(Ticket.objects.values_list("priority", flat=True)) == [Priority.URGENT]


def test_a_customer_opens_a_ticket_with_a_file(customer_api, queue):
    queue.is_default = True
    queue.save()

    response = customer_api.post(
        TICKETS,
        {
            "subject": "Broken screen",
            "description": "See the photo.",
            "attachments": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    (file,) = response.json()["attachments"]
    assert (file["name"], file["content_type"], file["size"]) == ("photo.png", "image/png", len(PNG))
    assert Attachment.objects.get().message == Ticket.objects.get().messages.get()


def test_customers_do_not_open_tickets_for_others(customer_api, queue):
    other = PersonFactory()

    response = customer_api.post(
        TICKETS,
        {"subject": "s", "description": "d", "requester": other.pk, "queue": queue.pk, "source": "phone"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "requester": ["Only staff may use this."],
        "queue": ["Only staff may use this."],
        "source": ["Only staff may use this."],
    }
    assert not Ticket.objects.exists()


def test_an_agent_logs_a_phone_call_as_a_ticket(agent_api, agent, queue):
    requester = PersonFactory(first_name="Per", last_name="Persson")
    other_organization = OrganizationFactory()

    response = agent_api.post(
        TICKETS,
        {
            "requester": requester.pk,
            "organization": other_organization.pk,
            "queue": queue.pk,
            "subject": "Called about the delivery",
            "description": "The parcel has not arrived.",
            "priority": "high",
            "source": "phone",
            "tags": ["Delivery", "delivery", "parcel"],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    body = response.json()
    assert (body["number"], body["priority"], body["source"], body["tags"]) == (
        ticket.number,
        "high",
        "phone",
        ["delivery", "parcel"],
    )
    assert body["organization"] == {"id": other_organization.pk, "name": other_organization.name}
    assert body["requester"] == {"id": requester.pk, "name": "Per Persson", "email": requester.email}
    assert (ticket.queue, ticket.priority, ticket.source) == (queue, Priority.HIGH, "phone")
    # the message is the requester's, entered by the agent
    (message,) = ticket.messages.all()
    assert (message.author_person, message.author_user, message.source) == (requester, None, "phone")
    assert AuditEntry.objects.get(action="create", object_id=str(ticket.pk)).actor == agent


def test_an_agent_gets_back_a_ticket_opened_in_a_queue_they_do_not_work(agent_api, queue):
    billing = QueueFactory(name="Billing")

    response = agent_api.post(
        TICKETS,
        {"requester": PersonFactory().pk, "queue": billing.pk, "subject": "Refund", "description": "Please."},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["queue"] == {"id": billing.pk, "name": "Billing"}
    assert agent_api.get(f"{TICKETS}{response.json()['number']}/").status_code == 404


def test_staff_name_the_requester(agent_api, queue):
    response = agent_api.post(TICKETS, {"subject": "s", "description": "d", "queue": queue.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"requester": ["This field is required."]}


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"subject": ""}, {"subject": ["This field may not be blank."]}),
        ({"subject": "   "}, {"subject": ["This field may not be blank."]}),
        ({"subject": "x" * 201}, {"subject": ["Ensure this field has no more than 200 characters."]}),
        ({"description": ""}, {"description": ["This field may not be blank."]}),
        ({"category": 999999}, {"category": ['Invalid pk "999999" - object does not exist.']}),
        ({"category": "printers"}, {"category": ["Incorrect type. Expected pk value, received str."]}),
        ({"priority": "critical"}, {"priority": ['"critical" is not a valid choice.']}),
        ({"priority": 4}, {"priority": ['"4" is not a valid choice.']}),
        ({"queue": 999999}, {"queue": ['Invalid pk "999999" - object does not exist.']}),
        ({"source": "portal"}, {"source": ['"portal" is not a valid choice.']}),
        ({"requester": 999999}, {"requester": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_bad_ticket_input_is_a_400_naming_the_field(agent_api, queue, values, errors):
    ticket = {"requester": PersonFactory().pk, "queue": queue.pk, "subject": "Help", "description": "Please."}

    response = agent_api.post(TICKETS, {**ticket, **values}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Ticket.objects.exists()


def test_an_inactive_category_is_refused(customer_api, queue):
    retired = CategoryFactory(queue=queue, is_active=False)

    response = customer_api.post(TICKETS, {"subject": "s", "description": "d", "category": retired.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"category": [f'Invalid pk "{retired.pk}" - object does not exist.']}


# --- the conversation --------------------------------------------------------------


def test_a_customer_replies_with_a_picture(customer_api, customer, agent, queue):
    # given a ticket waiting on the customer
    ticket = make_ticket(requester=customer.person, queue=queue)
    services.ticket_set_status(ticket=ticket, status="pending-customer", actor=agent)

    # when they answer with a PNG
    response = customer_api.post(
        _url(ticket, "reply"),
        {"body": "Here is the photo.", "attachments": [SimpleUploadedFile("shot.png", PNG, content_type="image/png")]},
        format="multipart",
    )

    # then the reply and its file are kept and the ticket is open again
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    last = body["messages"][-1]
    assert (last["body"], last["author"], last["from_customer"], last["internal"], last["source"]) == (
        "Here is the photo.",
        "Kim Kund",
        True,
        False,
        "api",
    )
    (file,) = last["attachments"]
    stored = Attachment.objects.get(name="shot.png")
    assert file == {
        "id": stored.pk,
        "name": "shot.png",
        "content_type": "image/png",
        "size": len(PNG),
        "url": f"http://testserver/portal/tickets/files/{stored.pk}/",
    }
    assert (stored.message.author_person, stored.uploaded_by) == (customer.person, customer)


def test_an_svg_is_refused_on_attachments(customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = customer_api.post(
        _url(ticket, "reply"),
        {"body": "Logo", "attachments": [SimpleUploadedFile("logo.png", SVG, content_type="image/png")]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "attachments": ["logo.png is not a file type we accept (images, PDF, text, Office documents and ZIP archives)."]
    }
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()


def test_an_agent_answers_and_waits_on_the_customer(agent_api, agent, queue):
    ticket = make_ticket(queue=queue)

    response = agent_api.post(
        _url(ticket, "reply"), {"body": "Which model is it?", "status": "pending-customer"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    ticket.refresh_from_db()
    assert (body["status"], body["sla_paused"], body["first_response_at"]) == (
        "pending-customer",
        True,
        _iso(ticket.first_response_at),
    )
    assert ticket.first_response_at is not None
    assert [(m["author"], m["internal"]) for m in body["messages"]] == [
        (ticket.requester.full_name, False),
        ("Anna Agentsson", False),
    ]


def test_an_agent_writes_an_internal_note(agent_api, customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = agent_api.post(
        _url(ticket, "reply"),
        {
            "body": "Check the contract first.",
            "internal": "true",
            "attachments": [SimpleUploadedFile("c.pdf", b"%PDF-1.4 x")],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    note = response.json()["messages"][-1]
    assert (note["body"], note["internal"], [f["content_type"] for f in note["attachments"]]) == (
        "Check the contract first.",
        True,
        ["application/pdf"],
    )
    # the note changes nothing the customer sees: no first response, and nothing of it in their answer
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == ("new", None)
    seen = customer_api.get(_url(ticket))
    assert b"contract" not in seen.content and b"c.pdf" not in seen.content


def test_customers_write_no_internal_notes_and_set_no_status(customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = customer_api.post(
        _url(ticket, "reply"), {"body": "Hi", "internal": True, "status": "resolved"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "internal": ["Only agents write internal notes."],
        "status": ["Only staff may use this."],
    }
    assert ticket.messages.count() == 1


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"body": ""}, {"body": ["This field may not be blank."]}),
        ({}, {"body": ["This field is required."]}),
        ({"body": "Hi", "status": "new"}, {"status": ['"new" is not a valid choice.']}),
        ({"body": "Hi", "status": "done"}, {"status": ['"done" is not a valid choice.']}),
        ({"body": "Hi", "internal": "perhaps"}, {"internal": ["Must be a valid boolean."]}),
    ],
)
def test_bad_reply_input_is_a_400_naming_the_field(agent_api, queue, values, errors):
    ticket = make_ticket(queue=queue)

    response = agent_api.post(_url(ticket, "reply"), values, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert ticket.messages.count() == 1


def test_a_closed_ticket_takes_no_more_replies(customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)
    services.ticket_customer_close(ticket=ticket, actor=customer)

    response = customer_api.post(_url(ticket, "reply"), {"body": "One more thing"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This ticket is closed. Open a new ticket if you need more help."]}


# --- status ------------------------------------------------------------------------


def test_an_agent_resolves_a_ticket(agent_api, agent, queue, django_capture_on_commit_callbacks):
    ticket = make_ticket(queue=queue)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(_url(ticket, "status"), {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert (response.json()["status"], response.json()["resolved_at"]) == ("resolved", _iso(ticket.resolved_at))
    assert OutboxEvent.objects.filter(name="service.ticket_resolved").count() == 1
    assert AuditEntry.objects.filter(actor=agent, action="update", object_id=str(ticket.pk)).exists()


@pytest.mark.parametrize(
    ("status", "errors"),
    [
        ("pending-customer", {"status": ["A ticket that is resolved cannot become waiting on customer."]}),
        ("new", {"status": ["A ticket that is resolved cannot become new."]}),
        ("done", {"status": ['"done" is not a valid choice.']}),
        ("", {"status": ['"" is not a valid choice.']}),
    ],
)
def test_refused_status_changes_are_a_400(agent_api, agent, queue, status, errors):
    ticket = make_ticket(queue=queue)
    services.ticket_set_status(ticket=ticket, status="resolved", actor=agent)

    response = agent_api.post(_url(ticket, "status"), {"status": status}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_a_customer_closes_and_reopens_their_ticket(customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    closed = customer_api.post(_url(ticket, "status"), {"status": "closed"}, format="json")
    again = customer_api.post(_url(ticket, "status"), {"status": "closed"}, format="json")
    reopened = customer_api.post(_url(ticket, "status"), {"status": "open"}, format="json")

    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This ticket is already closed."]}
    assert reopened.status_code == 200, reopened.content
    assert (reopened.json()["status"], reopened.json()["closed_at"]) == ("open", None)


@pytest.mark.parametrize("status", ["resolved", "pending-customer", "new"])
def test_customers_only_close_or_reopen(customer_api, customer, queue, status):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = customer_api.post(_url(ticket, "status"), {"status": status}, format="json")

    assert response.status_code == 400
    assert response.json() == {"status": ["You may close a ticket (closed) or reopen it (open)."]}
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_a_customer_reopens_only_a_done_ticket(customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = customer_api.post(_url(ticket, "status"), {"status": "open"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only a resolved or closed ticket can be reopened."]}


# --- assignment --------------------------------------------------------------------


def test_an_agent_assigns_a_ticket_and_takes_it_back(agent_api, agent, make_staff, queue):
    colleague = make_staff("Customer Service", full_name="Bo Kollega")
    ticket = make_ticket(queue=queue)

    assigned = agent_api.post(_url(ticket, "assign"), {"assignee": colleague.pk}, format="json")
    unassigned = agent_api.post(_url(ticket, "assign"), {"assignee": None}, format="json")

    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"] == {"id": colleague.pk, "name": "Bo Kollega"}
    assert unassigned.status_code == 200, unassigned.content
    assert unassigned.json()["assignee"] is None
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_agent_who_assigns_away_their_only_ticket_gets_it_back(agent_api, agent, make_staff):
    other = QueueFactory()
    ticket = make_ticket(queue=other)
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    colleague = make_staff("Customer Service")

    response = agent_api.post(_url(ticket, "assign"), {"assignee": colleague.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == colleague.pk
    assert agent_api.get(_url(ticket)).status_code == 404


@pytest.mark.parametrize(
    ("assignee", "errors"),
    [
        (999999, {"assignee": ['Invalid pk "999999" - object does not exist.']}),
        ("me", {"assignee": ["Incorrect type. Expected pk value, received str."]}),
    ],
)
def test_bad_assignees_are_a_400(agent_api, queue, assignee, errors):
    ticket = make_ticket(queue=queue)

    response = agent_api.post(_url(ticket, "assign"), {"assignee": assignee}, format="json")

    assert response.status_code == 400
    assert response.json() == errors


def test_tickets_are_assigned_to_staff_only(agent_api, customer, queue):
    ticket = make_ticket(queue=queue)

    response = agent_api.post(_url(ticket, "assign"), {"assignee": customer.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"assignee": [f'Invalid pk "{customer.pk}" - object does not exist.']}


def test_customers_do_not_assign(customer_api, customer, agent, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = customer_api.post(_url(ticket, "assign"), {"assignee": agent.pk}, format="json")

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- rating ------------------------------------------------------------------------


def test_a_customer_rates_a_resolved_ticket(customer_api, customer, agent, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)
    services.ticket_set_status(ticket=ticket, status="resolved", actor=agent)

    response = customer_api.post(_url(ticket, "rate"), {"rating": 4, "comment": " Quick help "}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["csat_rating"], response.json()["csat_comment"]) == (4, "Quick help")
    event = OutboxEvent.objects.get(name="service.csat_received")
    assert (event.payload["rating"], event.payload["reference"]) == (4, ticket.reference)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"rating": 6}, {"rating": ["Ensure this value is less than or equal to 5."]}),
        ({"rating": 0}, {"rating": ["Ensure this value is greater than or equal to 1."]}),
        ({"rating": "great"}, {"rating": ["A valid integer is required."]}),
        ({}, {"rating": ["This field is required."]}),
    ],
)
def test_bad_ratings_are_a_400(customer_api, customer, agent, queue, values, errors):
    ticket = make_ticket(requester=customer.person, queue=queue)
    services.ticket_set_status(ticket=ticket, status="resolved", actor=agent)

    response = customer_api.post(_url(ticket, "rate"), values, format="json")

    assert response.status_code == 400
    assert response.json() == errors


def test_an_open_ticket_is_not_rated_yet(customer_api, customer, queue):
    ticket = make_ticket(requester=customer.person, queue=queue)

    response = customer_api.post(_url(ticket, "rate"), {"rating": 5}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A ticket can be rated once it is resolved."]}


def test_staff_do_not_rate(agent_api, agent, queue):
    ticket = make_ticket(queue=queue)
    services.ticket_set_status(ticket=ticket, status="resolved", actor=agent)

    assert agent_api.post(_url(ticket, "rate"), {"rating": 5}, format="json").status_code == 403
    ticket.refresh_from_db()
    assert ticket.csat_rating is None


# --- filters -----------------------------------------------------------------------


def test_an_agent_filters_the_list(agent_api, agent, make_staff, queue):
    colleague = make_staff("Customer Service")
    second_queue = QueueFactory(members=[agent])
    acme = OrganizationFactory(name="Acme AB")
    printer = make_ticket(queue=queue, subject="Printer jam", requester=PersonFactory(organization=acme))
    mine = make_ticket(queue=queue, subject="VPN down", priority=Priority.URGENT, actor=agent)
    theirs = make_ticket(queue=second_queue, subject="Invoice copy")
    waiting = make_ticket(queue=second_queue, subject="Password reset")
    services.ticket_assign(ticket=mine, assignee=agent, actor=agent)
    services.ticket_assign(ticket=theirs, assignee=colleague, actor=agent)
    services.ticket_set_status(ticket=waiting, status="pending-customer", actor=agent)
    services.ticket_set_status(ticket=theirs, status="resolved", actor=agent)

    def numbers(**query) -> set[int]:
        return set(_numbers(agent_api.get(TICKETS, query)))

    assert numbers() == {printer.number, mine.number, theirs.number, waiting.number}
    assert numbers(status="pending-customer") == {waiting.number}
    assert numbers(queue=second_queue.pk) == {theirs.number, waiting.number}
    assert numbers(priority="urgent") == {mine.number}
    assert numbers(assignee="me") == {mine.number}
    assert numbers(assignee="none") == {printer.number, waiting.number}
    assert numbers(assignee=colleague.pk) == {theirs.number}
    assert numbers(organization=acme.pk) == {printer.number}
    assert numbers(q="printer") == {printer.number}
    assert numbers(q="acme") == {printer.number}
    assert numbers(q=waiting.reference) == {waiting.number}
    assert numbers(view="mine") == {mine.number}
    assert numbers(view="unassigned") == {printer.number, waiting.number}
    assert numbers(view="waiting") == {waiting.number}
    assert numbers(view="breaching") == set()
    Ticket.objects.filter(pk=printer.pk).update(resolution_due_at=printer.created_at)
    assert numbers(view="breaching") == {printer.number}
    assert numbers(view="open") == {printer.number, mine.number, waiting.number}
    assert numbers(view="open", queue=queue.pk, assignee="none") == {printer.number}
    assert _numbers(agent_api.get(TICKETS, {"ordering": "number"})) == sorted(
        [printer.number, mine.number, theirs.number, waiting.number]
    )


def test_a_customer_filters_their_list(customer_api, customer, agent, queue):
    printer = make_ticket(requester=customer.person, queue=queue, subject="Printer jam")
    vpn = make_ticket(requester=customer.person, queue=queue, subject="VPN down")
    services.ticket_set_status(ticket=vpn, status="resolved", actor=agent)

    assert _numbers(customer_api.get(TICKETS, {"status": "resolved"})) == [vpn.number]
    assert _numbers(customer_api.get(TICKETS, {"q": "printer"})) == [printer.number]
    assert _numbers(customer_api.get(TICKETS, {"q": printer.reference})) == [printer.number]
    assert _numbers(customer_api.get(TICKETS, {"ordering": "-number"})) == [vpn.number, printer.number]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "done"}, {"status": ["Select a valid choice. done is not one of the available choices."]}),
        ({"priority": "4"}, {"priority": ["Select a valid choice. 4 is not one of the available choices."]}),
        ({"queue": "first"}, {"queue": ["Select a valid choice. That choice is not one of the available choices."]}),
        ({"queue": "999999"}, {"queue": ["Select a valid choice. That choice is not one of the available choices."]}),
        (
            {"organization": "x"},
            {"organization": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        ({"assignee": "someone"}, {"assignee": ['Enter "me", "none" or the id of a user.']}),
        ({"assignee": "-1"}, {"assignee": ['Enter "me", "none" or the id of a user.']}),
        ({"view": "all"}, {"view": ["Select a valid choice. all is not one of the available choices."]}),
        (
            {"ordering": "subject"},
            {"ordering": ["Select a valid choice. subject is not one of the available choices."]},
        ),
    ],
)
def test_bad_filters_are_a_400(agent_api, queue, query, errors):
    response = agent_api.get(TICKETS, query)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"view": "mine"}, {"view": ["Only staff may use this."]}),
        ({"assignee": "none"}, {"assignee": ["Only staff may use this."]}),
        ({"status": "maybe"}, {"status": ["Select a valid choice. maybe is not one of the available choices."]}),
    ],
)
def test_customers_bad_or_staff_filters_are_a_400(customer_api, query, errors):
    response = customer_api.get(TICKETS, query)

    assert response.status_code == 400
    assert response.json() == errors


# --- schema and queries ------------------------------------------------------------


def test_tickets_are_in_the_schema(client, agent):
    client.force_login(agent)

    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]

    assert {
        "/api/v1/service/tickets/",
        "/api/v1/service/tickets/{number}/",
        "/api/v1/service/tickets/{number}/reply/",
        "/api/v1/service/tickets/{number}/status/",
        "/api/v1/service/tickets/{number}/assign/",
        "/api/v1/service/tickets/{number}/rate/",
    } <= set(paths)
    assert set(paths["/api/v1/service/tickets/"]) == {"get", "post"}
    assert set(paths["/api/v1/service/tickets/{number}/"]) == {"get"}
    reply = paths["/api/v1/service/tickets/{number}/reply/"]["post"]
    assert set(reply["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert reply["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketDetail"
    }


# Token and user, the customer's person (customers) or the agent's queues (staff, twice: the rights check and
# the list), the count, the page, the page's files. The user's rights and the MFA check come from the cache.
STAFF_LIST_QUERIES = 6
CUSTOMER_LIST_QUERIES = 5


def _fill(rows: int, *, requester, queue, agent) -> None:
    """Tickets of a customer with a file each, assigned to the agent."""
    for _ in range(rows - Ticket.objects.count()):
        ticket = make_ticket(requester=requester, queue=queue, attachments=[check(name="a.png", content=PNG)])
        services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
        services.ticket_reply(ticket=ticket, body="Looking into it", author=agent)


@pytest.fixture
def _private_cache(settings):
    """The rights cache in this process only: a parallel test run flushing the shared Redis must not add queries."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.usefixtures("_private_cache")
@pytest.mark.parametrize("reader", ["agent", "customer"])
def test_the_list_takes_the_same_queries_for_3_or_15_tickets(agent_api, customer_api, customer, agent, queue, reader):
    client, expected = (agent_api, STAFF_LIST_QUERIES) if reader == "agent" else (customer_api, CUSTOMER_LIST_QUERIES)
    category = CategoryFactory(queue=queue)
    counts = []
    for rows in (3, 15):
        _fill(rows, requester=customer.person, queue=queue, agent=agent)
        Ticket.objects.update(category=category)
        client.get(TICKETS)  # puts the user's rights in the cache

        with CaptureQueriesContext(connection) as queries:
            response = client.get(TICKETS, {"page_size": 100})

        assert response.status_code == 200
        assert len(response.json()["results"]) == rows
        counts.append(len(queries))
    assert counts == [expected, expected]
