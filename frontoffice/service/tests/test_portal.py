"""The customer portal's support pages: the list, a new ticket, the conversation, files, rating, guest links."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from config import urls as project_urls
from core.accounts.tests.factories import UserFactory
from core.parties.models import Organization, Person
from core.parties.tests.factories import PersonFactory
from frontoffice.service import services
from frontoffice.service.attachments import check
from frontoffice.service.models import Attachment, Priority, Ticket
from frontoffice.service.tests.factories import CategoryFactory, default_queue, make_ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
Status = Ticket.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def person(customer_user) -> Person:
    default_queue()
    return Person.objects.select_related("organization").get(user=customer_user)


@pytest.fixture
def portal(client_for, customer_user, person):
    """The signed-in customer's browser."""
    return client_for(customer_user)


@pytest.fixture
def agent(make_staff):
    return make_staff("Customer Service", full_name="Agnes Andersson")


def colleague_of(person: Person, **fields) -> Person:
    """Another portal user of the same organization."""
    user = UserFactory()
    return PersonFactory(user=user, email=user.email, organization=person.organization, **fields)


def png(name: str = "screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def resolved(ticket: Ticket, agent) -> Ticket:
    services.ticket_reply(ticket=ticket, body="Fixed it.", author=agent, new_status=Status.RESOLVED)
    ticket.refresh_from_db()
    return ticket


# --- the list --------------------------------------------------------------------------------------------------


def test_the_list_shows_the_whole_organizations_tickets_when_it_shares_them(portal, person):
    mine = make_ticket(requester=person, subject="Printer jams")
    colleagues = make_ticket(requester=colleague_of(person), subject="VPN is down")
    make_ticket(requester=PersonFactory(), subject="Someone else's problem")
    response = portal.get(reverse("portal-tickets"))
    assert response.status_code == 200
    assert {ticket.pk for ticket in response.context["rows"]} == {mine.pk, colleagues.pk}
    page = response.content.decode()
    assert "Printer jams" in page and "VPN is down" in page and "Someone else" not in page
    assert colleagues.get_portal_url() in page


def test_the_list_shows_only_own_and_copied_tickets_when_the_organization_says_so(portal, person):
    Organization.objects.filter(pk=person.organization_id).update(portal_visibility=Organization.PortalVisibility.OWN)
    colleague = colleague_of(person)
    mine = make_ticket(requester=person)
    make_ticket(requester=colleague, subject="Salary question")
    copied = make_ticket(requester=colleague, subject="Copied to me", cc=[person])
    response = portal.get(reverse("portal-tickets"))
    assert {ticket.pk for ticket in response.context["rows"]} == {mine.pk, copied.pk}
    assert "Salary question" not in response.content.decode()


def test_the_list_filters_by_state_and_searches_subject_or_number(portal, person, agent):
    printer = make_ticket(requester=person, subject="Printer jams")
    vpn = make_ticket(requester=person, subject="VPN is down")
    services.ticket_reply(ticket=vpn, body="Which portal?", author=agent, new_status=Status.PENDING_CUSTOMER)
    invoice = resolved(make_ticket(requester=person, subject="Invoice address"), agent)

    def shown(**query) -> set[int]:
        return {ticket.pk for ticket in portal.get(reverse("portal-tickets"), query).context["rows"]}

    assert shown() == {printer.pk, vpn.pk, invoice.pk}
    assert shown(status="open") == {printer.pk, vpn.pk}
    assert shown(status="waiting") == {vpn.pk}
    assert shown(status="closed") == {invoice.pk}
    assert shown(q="printer") == {printer.pk}
    assert shown(q=invoice.reference) == {invoice.pk}
    assert shown(q=str(vpn.number)) == {vpn.pk}
    assert shown(status="nonsense") == {printer.pk, vpn.pk, invoice.pk}  # a bad filter is ignored


def test_a_ticket_waiting_for_the_customer_stands_out_in_the_list(portal, person, agent):
    ticket = make_ticket(requester=person)
    services.ticket_reply(ticket=ticket, body="Which model?", author=agent, new_status=Status.PENDING_CUSTOMER)
    page = portal.get(reverse("portal-tickets")).content.decode()
    assert "Waiting for you" in page and "ticket-waiting" in page


def test_the_list_has_an_empty_state_and_htmx_gets_only_the_results(portal, person):
    response = portal.get(reverse("portal-tickets"))
    page = response.content.decode()
    assert "No tickets yet" in page and reverse("portal-ticket-create") in page
    make_ticket(requester=person, subject="Printer jams")
    response = portal.get(reverse("portal-tickets"), {"q": "nothing like it"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and "Nothing matches these filters" in page


# The list's rows as the template rendered them before they moved to Python (service/templatetags/service.py).
TEMPLATE_ROWS = "{% load i18n humanize %}" + (Path(__file__).parent / "portal_ticket_rows_template.html").read_text()


def _without_blank_lines(html: str) -> str:
    return "\n".join(line for line in html.splitlines() if line.strip())


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_list_rows_are_the_templates_markup(portal, person, customer_user, language):
    colleague = colleague_of(person, first_name="<i>Bo</i>", last_name="& Co")
    for status in Status.values:
        ticket = make_ticket(requester=person, subject=f"<b>{status}</b> & more")
        Ticket.objects.filter(pk=ticket.pk).update(
            status=status, resolved_at=ticket.created_at, closed_at=ticket.created_at
        )
    make_ticket(requester=colleague, subject="Colleague's")
    with translation.override("en"):
        if language == "sv":
            portal.post("/i18n/setlang/", {"language": "sv", "next": "/portal/"})
        response = portal.get(reverse("portal-tickets"))
        html = response.content.decode()
        rows = list(response.context["rows"])
        with translation.override(language):
            expected = Template(TEMPLATE_ROWS).render(Context({"rows": rows, "user": customer_user}))
    assert len(rows) == len(Status.values) + 1
    assert "ticket-waiting" in expected and "&lt;i&gt;Bo&lt;/i&gt; &amp; Co" in expected
    assert _without_blank_lines(expected) in _without_blank_lines(html)


def test_the_list_takes_the_same_number_of_queries_for_three_tickets_or_ten(portal, person):
    colleague = colleague_of(person)
    for _ in range(3):
        make_ticket(requester=colleague)
    with CaptureQueriesContext(connection) as few:
        assert len(portal.get(reverse("portal-tickets")).context["rows"]) == 3
    for _ in range(7):
        make_ticket(requester=PersonFactory(organization=person.organization))
    with CaptureQueriesContext(connection) as many:
        assert len(portal.get(reverse("portal-tickets")).context["rows"]) == 10
    assert len(many) == len(few)


def test_portal_ticket_pages_are_for_customers(client_for, make_staff, person):
    ticket = make_ticket(requester=person)
    response = Client().get(reverse("portal-tickets"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    staff = client_for(make_staff("Customer Service"))
    assert staff.get(reverse("portal-tickets")).status_code == 403
    assert staff.get(reverse("portal-ticket", args=[ticket.number])).status_code == 403
    assert staff.get(reverse("portal-ticket-create")).status_code == 403


# --- a new ticket ----------------------------------------------------------------------------------------------


def test_the_form_suggests_help_articles_as_the_subject_is_typed(portal, person):
    page = portal.get(reverse("portal-ticket-create")).content.decode()
    assert 'id="suggestions"' in page and 'type="file" name="attachments"' in page and "multiple" in page
    try:
        suggest_url = reverse("portal-help-suggest")
    except NoReverseMatch:  # the help center is not installed
        assert "hx-get" not in page
    else:
        assert f'hx-get="{suggest_url}"' in page
        assert 'hx-trigger="keyup changed delay:400ms"' in page and 'hx-target="#suggestions"' in page


def test_the_form_works_without_the_help_center(portal, person, settings):
    settings.ROOT_URLCONF = __name__  # the project's URLs without the help center's (below)
    response = portal.get(reverse("portal-ticket-create"))
    assert response.status_code == 200 and response.context["suggest_url"] == ""
    assert "hx-get" not in response.content.decode()
    response = portal.post(reverse("portal-ticket-create"), {"subject": "S", "description": "D"})
    assert response.status_code == 302 and Ticket.objects.filter(subject="S").exists()


def test_a_new_ticket_with_a_picture_and_a_copied_colleague(portal, person, django_capture_on_commit_callbacks):
    category = CategoryFactory(name="Printers")
    colleague = colleague_of(person, first_name="Cecilia", last_name="Colleague")
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(
            reverse("portal-ticket-create"),
            {
                "subject": "Printer jams",
                "description": "Page 2 always jams.\nSee the picture.",
                "category": category.pk,
                "cc": [colleague.pk],
                "attachments": [png("jam.png"), png("tray.png")],
            },
        )
    ticket = Ticket.objects.get(subject="Printer jams")
    assert response.status_code == 302 and response["Location"] == ticket.get_portal_url()
    assert ticket.requester == person and ticket.source == Ticket.Source.PORTAL and ticket.category == category
    assert ticket.priority == Priority.NORMAL and list(ticket.cc.all()) == [colleague]
    assert sorted(ticket.attachments.values_list("name", "content_type", "size")) == [
        ("jam.png", "image/png", len(PNG)),
        ("tray.png", "image/png", len(PNG)),
    ]
    page = portal.get(response["Location"]).content.decode()
    attachment = ticket.attachments.get(name="jam.png")
    assert reverse("portal-ticket-attachment", args=[attachment.pk]) in page and "jam.png" in page
    assert f"We have your ticket {ticket.reference}" in page
    assert "Page 2 always jams.<br>See the picture." in page


def test_a_submission_acknowledges_requester_and_copies_in_their_language_in_few_queries(
    portal, person, customer_user, django_capture_on_commit_callbacks
):
    from django.core import mail as outbox_mail

    customer_user.language = "sv"
    customer_user.save(update_fields=["language"])
    category = CategoryFactory(name="Printers")
    colleague = colleague_of(person, first_name="Cecilia", last_name="Colleague")
    portal.get(reverse("portal-ticket-create"))
    data = {"subject": "Printer jams", "description": "Page 2 jams.", "category": category.pk, "cc": [colleague.pk]}
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        response = portal.post(reverse("portal-ticket-create"), data)
    assert response.status_code == 302
    # The session's user; the person with their colleagues (categories and SLA policies come from the cache); the
    # ticket, its copy, message, audit row and event (with the transaction's own statements). The acknowledgement
    # is no work of the request: the event's delivery sends it.
    assert len(queries) <= 12, "\n".join(query["sql"][:100] for query in queries.captured_queries)
    (sent,) = outbox_mail.outbox
    assert sorted(sent.to) == sorted([person.email.lower(), colleague.email.lower()])
    assert Ticket.objects.get(subject="Printer jams").reference in sent.subject
    assert "Vi har tagit emot ditt ärende" in sent.body  # Swedish: the requester's language


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.html", b"<!DOCTYPE html><html><body>hi</body></html>"),
        ("screen.png", b"<html><script>alert(1)</script></html>"),  # a name proves nothing
    ],
)
def test_markup_uploads_are_refused_on_the_field_and_nothing_is_created(portal, person, name, content):
    response = portal.post(
        reverse("portal-ticket-create"),
        {
            "subject": "Logo",
            "description": "Here it is",
            "attachments": [SimpleUploadedFile(name, content, content_type="image/png")],
        },
    )
    assert response.status_code == 400
    assert "is not a file type we accept" in response.context["form"].errors["attachments"][0]
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    page = response.content.decode()
    assert 'id="id_attachments_error"' in page and 'value="Logo"' in page and "Here it is" in page


def test_the_priority_counts_only_where_the_category_lets_customers_choose(portal, person):
    fixed = CategoryFactory(name="Billing")
    chosen = CategoryFactory(name="Outage", customer_may_set_priority=True)
    page = portal.get(reverse("portal-ticket-create")).content.decode()
    assert f'data-categories="{chosen.pk}"' in page
    for category, subject in ((fixed, "Bill"), (chosen, "Down")):
        portal.post(
            reverse("portal-ticket-create"),
            {"subject": subject, "description": "x", "category": category.pk, "priority": Priority.URGENT},
        )
    assert Ticket.objects.get(subject="Bill").priority == Priority.NORMAL
    assert Ticket.objects.get(subject="Down").priority == Priority.URGENT
    response = portal.post(
        reverse("portal-ticket-create"),
        {"subject": "Odd", "description": "x", "category": chosen.pk, "priority": 9},
    )
    assert response.status_code == 400 and "priority" in response.context["form"].errors


def test_a_new_ticket_needs_its_fields_and_only_offers_active_categories(portal, person):
    CategoryFactory(name="Retired", is_active=False)
    CategoryFactory(name="Printers")
    response = portal.post(reverse("portal-ticket-create"), {"subject": "  ", "description": "Kept text"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"subject", "category"}
    page = response.content.decode()
    assert "Kept text" in page and "Printers" in page and "Retired" not in page
    assert not Ticket.objects.exists()


def test_a_copied_person_must_be_a_colleague(portal, person):
    colleague_of(person)
    outsider = PersonFactory(user=UserFactory())
    response = portal.post(reverse("portal-ticket-create"), {"subject": "S", "description": "D", "cc": [outsider.pk]})
    assert response.status_code == 400 and "cc" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_login_without_a_person_cannot_send_tickets(client_for):
    user = UserFactory()
    portal = client_for(user)
    page = portal.get(reverse("portal-ticket-create")).content.decode()
    assert "not linked to a customer account" in page
    assert portal.post(reverse("portal-ticket-create"), {"subject": "S", "description": "D"}).status_code == 400
    assert portal.get(reverse("portal-tickets")).status_code == 200
    assert not Ticket.objects.exists()


# --- the ticket's page -----------------------------------------------------------------------------------------


def test_the_page_shows_the_public_conversation_with_who_wrote_what(portal, person, agent):
    colleague = colleague_of(person, first_name="Cecilia", last_name="Colleague")
    ticket = make_ticket(requester=person, subject="Printer jams", cc=[colleague])
    services.ticket_update(ticket=ticket, actor=agent, assignee=agent)
    services.ticket_reply(ticket=ticket, body="Is it plugged in?", author=agent)
    services.ticket_reply(ticket=ticket, body="Secret: customer is grumpy", author=agent, internal=True)
    services.ticket_reply(ticket=ticket, body="It is, I checked.", author=colleague.user, author_person=colleague)
    response = portal.get(reverse("portal-ticket", args=[ticket.number]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "grumpy" not in page
    assert [(m.author_name, m.author_company) for m in response.context["conversation"]] == [
        ("You", ""),
        ("Agnes", "Kontor AB"),
        ("Cecilia Colleague", ""),
    ]
    assert "Andersson" not in page  # an agent is known by first name only
    for text in (ticket.reference, "Printer jams", "Is it plugged in?", "Handled by", "Cecilia Colleague"):
        assert text in page, text
    assert "queue" not in page.lower() and "SLA" not in page


def test_a_subject_and_a_message_are_shown_as_text(portal, person, agent):
    ticket = make_ticket(
        requester=person, subject="<script>alert('s')</script>", description='<img src=x onerror="alert(1)">\nLine 2'
    )
    services.ticket_reply(ticket=ticket, body="<b>bold</b> & <a href=javascript:alert(2)>x</a>", author=agent)
    page = portal.get(reverse("portal-ticket", args=[ticket.number])).content.decode()
    assert "<script>alert(" not in page and "<img src=x" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#x27;s&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;<br>Line 2" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href=javascript:alert(2)&gt;" in page
    listing = portal.get(reverse("portal-tickets")).content.decode()
    assert "<script>alert(" not in listing and "&lt;script&gt;" in listing


def test_another_organizations_ticket_does_not_exist_here(portal, person):
    theirs = make_ticket(requester=PersonFactory(), subject="Theirs")
    number = theirs.number
    assert portal.get(reverse("portal-ticket", args=[number])).status_code == 404
    assert portal.get(reverse("portal-ticket", args=[number + 1000])).status_code == 404
    for name, data in (
        ("portal-ticket-reply", {"body": "Hi"}),
        ("portal-ticket-close", {}),
        ("portal-ticket-reopen", {}),
        ("portal-ticket-rate", {"rating": 5}),
    ):
        assert portal.post(reverse(name, args=[number]), data).status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.status == Status.NEW and theirs.messages.count() == 1


def test_files_are_served_to_their_customer_only_and_never_from_internal_notes(portal, person, agent):
    mine = make_ticket(requester=person, attachments=[check(name="mine.png", content=PNG)])
    own_file = mine.attachments.get()
    note = services.ticket_reply(
        ticket=mine, body="Internal", author=agent, internal=True, attachments=[check(name="n.txt", content=b"x")]
    )
    note_file = note.attachments.get()
    theirs = make_ticket(requester=PersonFactory(), attachments=[check(name="theirs.png", content=PNG)])
    response = portal.get(reverse("portal-ticket-attachment", args=[own_file.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert portal.get(reverse("portal-ticket-attachment", args=[note_file.pk])).status_code == 404
    assert portal.get(reverse("portal-ticket-attachment", args=[theirs.attachments.get().pk])).status_code == 404
    assert portal.get(reverse("portal-ticket-attachment", args=[999999])).status_code == 404


def test_the_page_takes_the_same_number_of_queries_for_three_messages_or_ten(portal, person, agent):
    ticket = make_ticket(requester=person, attachments=[check(name="a.png", content=PNG)])
    services.ticket_update(ticket=ticket, actor=agent, assignee=agent, cc=[colleague_of(person)])
    for index in range(2):
        services.ticket_reply(ticket=ticket, body=f"Answer {index}", author=agent)
    url = reverse("portal-ticket", args=[ticket.number])
    with CaptureQueriesContext(connection) as few:
        assert len(portal.get(url).context["conversation"]) == 3
    for index in range(7):
        services.ticket_reply(
            ticket=ticket,
            body=f"More {index}",
            author=agent if index % 2 else None,
            author_person=None if index % 2 else person,
            attachments=[check(name=f"f{index}.txt", content=b"text")],
        )
        services.ticket_reply(ticket=ticket, body="note", author=agent, internal=True)
    with CaptureQueriesContext(connection) as many:
        assert len(portal.get(url).context["conversation"]) == 10
    assert len(many) == len(few)


# --- answering, closing, reopening, rating -----------------------------------------------------------------------


def test_a_reply_with_a_file_reopens_a_ticket_waiting_for_the_customer(portal, person, agent):
    ticket = make_ticket(requester=person)
    services.ticket_reply(ticket=ticket, body="Which model?", author=agent, new_status=Status.PENDING_CUSTOMER)
    page = portal.get(reverse("portal-ticket", args=[ticket.number])).content.decode()
    assert "We are waiting for your answer" in page
    response = portal.post(
        reverse("portal-ticket-reply", args=[ticket.number]), {"body": "LaserJet 4", "attachments": [png()]}
    )
    assert response.status_code == 302 and response["Location"] == ticket.get_portal_url()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    message = ticket.messages.order_by("pk").last()
    assert (message.body, message.from_customer, message.author_person, message.author_user) == (
        "LaserJet 4",
        True,
        person,
        person.user,
    )
    assert message.attachments.get().name == "screen.png"


def test_a_reply_needs_text_and_a_closed_ticket_takes_none(portal, person):
    ticket = make_ticket(requester=person)
    response = portal.post(reverse("portal-ticket-reply", args=[ticket.number]), {"body": " "})
    assert response.status_code == 400 and "body" in response.context["reply_form"].errors
    services.ticket_customer_close(ticket=ticket, actor=person.user)
    response = portal.post(reverse("portal-ticket-reply", args=[ticket.number]), {"body": "One more thing"})
    assert response.status_code == 400
    assert response.context["error"] == "This ticket is closed. Open a new ticket if you need more help."
    assert ticket.messages.count() == 1
    assert portal.get(reverse("portal-ticket-reply", args=[ticket.number])).status_code == 405


def test_the_customer_closes_and_reopens_a_ticket(portal, person):
    ticket = make_ticket(requester=person)
    page = portal.get(reverse("portal-ticket", args=[ticket.number])).content.decode()
    assert reverse("portal-ticket-close", args=[ticket.number]) in page
    assert reverse("portal-ticket-reopen", args=[ticket.number]) not in page
    response = portal.post(reverse("portal-ticket-reopen", args=[ticket.number]))
    assert response.status_code == 400 and "Only a resolved or closed ticket" in response.content.decode()

    response = portal.post(reverse("portal-ticket-close", args=[ticket.number]), follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    page = response.content.decode()
    assert "The ticket is closed" in page and reverse("portal-ticket-reopen", args=[ticket.number]) in page
    assert 'id="reply"' not in page and reverse("portal-ticket-close", args=[ticket.number]) not in page
    assert portal.post(reverse("portal-ticket-close", args=[ticket.number])).status_code == 400

    response = portal.post(reverse("portal-ticket-reopen", args=[ticket.number]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert portal.get(reverse("portal-ticket-close", args=[ticket.number])).status_code == 405


def test_a_merged_ticket_cannot_be_reopened_or_answered(portal, person, agent):
    duplicate = make_ticket(requester=person, subject="Again")
    target = make_ticket(requester=person, subject="First")
    services.ticket_merge(source=duplicate, target=target, actor=agent)
    page = portal.get(reverse("portal-ticket", args=[duplicate.number])).content.decode()
    assert target.reference in page and target.get_portal_url() in page
    assert reverse("portal-ticket-reopen", args=[duplicate.number]) not in page and 'id="reply"' not in page
    assert portal.post(reverse("portal-ticket-reopen", args=[duplicate.number])).status_code == 400


@pytest.mark.parametrize("rating", ["0", "6", "x", ""])
def test_a_rating_must_be_one_to_five(portal, person, agent, rating):
    ticket = resolved(make_ticket(requester=person), agent)
    response = portal.post(reverse("portal-ticket-rate", args=[ticket.number]), {"rating": rating})
    assert response.status_code == 400 and "rating" in response.context["rate_form"].errors
    ticket.refresh_from_db()
    assert ticket.csat_rating is None


def test_a_resolved_ticket_is_rated_and_the_rating_shown(portal, person, agent):
    ticket = make_ticket(requester=person)
    page = portal.get(reverse("portal-ticket", args=[ticket.number])).content.decode()
    assert reverse("portal-ticket-rate", args=[ticket.number]) not in page
    response = portal.post(reverse("portal-ticket-rate", args=[ticket.number]), {"rating": "5"})
    assert response.status_code == 400
    assert "A ticket can be rated once it is resolved." in response.content.decode()

    resolved(ticket, agent)
    page = portal.get(reverse("portal-ticket", args=[ticket.number])).content.decode()
    assert 'type="radio"' in page and 'class="btn-check"' in page
    response = portal.post(
        reverse("portal-ticket-rate", args=[ticket.number]), {"rating": "4", "comment": "Quick <b>help</b>"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.csat_rating, ticket.csat_comment) == (4, "Quick <b>help</b>")
    page = portal.get(reverse("portal-ticket", args=[ticket.number])).content.decode()
    assert "4 of 5" in page and "Quick &lt;b&gt;help&lt;/b&gt;" in page and "Change your rating" in page


# --- guests --------------------------------------------------------------------------------------------------------


@pytest.fixture
def guest_ticket(agent) -> Ticket:
    """A ticket from someone who wrote by e-mail, with an agent's answer, a file and an internal note."""
    requester = PersonFactory(first_name="Gustav", last_name="Guest")
    ticket = make_ticket(
        requester=requester,
        subject="Mailed question",
        source=Ticket.Source.EMAIL,
        attachments=[check(name="mailed.png", content=PNG)],
    )
    services.ticket_reply(ticket=ticket, body="We are looking into it.", author=agent)
    services.ticket_reply(
        ticket=ticket,
        body="Internal: VIP",
        author=agent,
        internal=True,
        attachments=[check(name="secret.txt", content=b"secret")],
    )
    return ticket


def test_a_guest_link_shows_the_public_conversation_and_takes_a_reply(portal, guest_ticket):
    guest = Client()
    token = services.guest_token(guest_ticket)
    url = reverse("portal-ticket-guest", args=[token])
    response = guest.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mailed question" in page and "We are looking into it." in page and "mailed.png" in page
    assert "VIP" not in page and "secret.txt" not in page
    assert [m.author_name for m in response.context["conversation"]] == ["You", "Agnes"]
    assert reverse("portal-ticket-close", args=[guest_ticket.number]) not in page
    assert 'name="robots" content="noindex' in page

    response = guest.post(url, {"body": "Thanks, here is more.", "attachments": [png("more.png")]})
    assert response.status_code == 302 and response["Location"] == url
    message = guest_ticket.messages.order_by("pk").last()
    assert (message.body, message.from_customer, message.author_person, message.author_user) == (
        "Thanks, here is more.",
        True,
        guest_ticket.requester,
        None,
    )
    assert message.attachments.get().name == "more.png"
    assert guest.post(url, {"body": ""}).status_code == 400


def test_a_guest_downloads_only_the_public_files_of_the_linked_ticket(guest_ticket, person):
    guest = Client()
    token = services.guest_token(guest_ticket)
    public = guest_ticket.attachments.get(name="mailed.png")
    internal = guest_ticket.attachments.get(name="secret.txt")
    other = make_ticket(requester=PersonFactory(), attachments=[check(name="other.png", content=PNG)])
    response = guest.get(reverse("portal-ticket-guest-attachment", args=[token, public.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    for attachment in (internal, other.attachments.get()):
        assert guest.get(reverse("portal-ticket-guest-attachment", args=[token, attachment.pk])).status_code == 404
    assert guest.get(reverse("portal-ticket-guest-attachment", args=["forged", public.pk])).status_code == 404


def test_an_expired_forged_or_revoked_guest_link_gets_a_friendly_page(guest_ticket, settings):
    guest = Client()
    token = services.guest_token(guest_ticket)
    settings.SERVICE_GUEST_LINK_MAX_AGE = -1
    response = guest.get(reverse("portal-ticket-guest", args=[token]))
    assert response.status_code == 404 and "This link has expired" in response.content.decode()
    assert guest.post(reverse("portal-ticket-guest", args=[token]), {"body": "Hi"}).status_code == 404
    settings.SERVICE_GUEST_LINK_MAX_AGE = 3600
    assert guest.get(reverse("portal-ticket-guest", args=[token])).status_code == 200
    for bad in ("garbage", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        response = guest.get(reverse("portal-ticket-guest", args=[bad]))
        assert response.status_code == 404 and "This link is not valid" in response.content.decode()
    Ticket.objects.filter(pk=guest_ticket.pk).update(guest_secret="a-new-secret-revokes-old-links")
    assert guest.get(reverse("portal-ticket-guest", args=[token])).status_code == 404
    assert guest_ticket.messages.count() == 3


urlpatterns = [
    pattern
    for pattern in project_urls.urlpatterns
    if "helpcenter" not in getattr(getattr(pattern, "urlconf_name", None), "__name__", "")
]


def test_the_form_reads_the_person_with_the_colleagues_and_the_categories_from_the_cache(
    portal, person, django_capture_on_commit_callbacks
):
    colleague_of(person, first_name="Zorro", last_name="Öst")
    colleague_of(person, first_name="Anna", last_name="Ahl", is_active=False)  # not offered
    PersonFactory(organization=person.organization, first_name="Ingen", last_name="Inloggning")  # no login
    with django_capture_on_commit_callbacks(execute=True):  # committed: what a transaction reads after its own
        CategoryFactory(name="Fakturor")  # change is kept by no one until it commits
    url = reverse("portal-ticket-create")
    portal.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = portal.get(url).content.decode()
    assert "Zorro Öst" in page and "Anna Ahl" not in page and "Ingen Inloggning" not in page
    assert "Fakturor" in page
    tables = [query["sql"] for query in queries.captured_queries]
    assert len([sql for sql in tables if "parties_person" in sql]) == 1
    assert not [sql for sql in tables if 'FROM "service_category"' in sql]


def test_a_changed_category_or_queue_shows_on_the_form_at_once(portal, person):
    category = CategoryFactory(name="Leveranser")
    url = reverse("portal-ticket-create")
    assert "Leveranser" in portal.get(url).content.decode()
    category.name = "Leveransproblem"
    category.save()
    assert "Leveransproblem" in portal.get(url).content.decode()
    category.queue.is_active = False
    category.queue.save()
    assert "Leveransproblem" not in portal.get(url).content.decode()
    category.queue.is_active = True
    category.queue.save()
    category.delete()
    assert "Leveransproblem" not in portal.get(url).content.decode()
