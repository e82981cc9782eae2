"""Issue 5's journey, both sides, with a real Celery worker: a customer sends a ticket with a file on the portal
(phone), an agent answers it from a canned response on the staff page (desktop), the customer reads the answer and
rates it; the acknowledgement and the answer go out by e-mail in one thread, and the 360 timeline tells it all."""

import email
import re
from email import policy

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from core.accounts.models import User
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.service.models import Queue, Ticket
from frontoffice.service.tests.factories import CannedResponseFactory, CategoryFactory, QueueFactory, SlaPolicyFactory
from integration.customer360.models import TimelineEntry
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.browser.test_service_portal import tiny_png
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _sent(mail_dir) -> list:
    messages = []
    for file in mail_dir.glob("*"):
        for chunk in file.read_text(errors="replace").split("-" * 79):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip(), policy=policy.default))
    return messages


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_ticket_from_portal_to_answer_to_rating(page, browser, live_server, make_staff, password, celery_worker):
    agent = make_staff("Customer Service", full_name="Agnes Andersson")
    queue = QueueFactory(name="Support", is_default=True, assignment=Queue.Assignment.ROUND_ROBIN, members=[agent])
    CategoryFactory(name="Printers", queue=queue)
    SlaPolicyFactory()
    CannedResponseFactory(title="Roller", body="Hello {customer_name}, {ticket_number} is fixed: a new roller.")
    organization = OrganizationFactory(name="Resa AB")
    customer = User.objects.create_user(
        email="kim@resa.example", password=password, full_name="Kim Kund", kind=User.Kind.CUSTOMER
    )
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    PersonFactory(user=customer, email=customer.email, first_name="Kim", last_name="Kund", organization=organization)
    assert page.viewport_size == PHONE

    # The customer asks for help from a phone, with a screenshot.
    sign_in(page, live_server, customer.email, password)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/tickets/new/")
    page.get_by_label("Subject").fill("The printer jams on page 2")
    page.get_by_label("Describe your request").fill("Every time.")
    page.get_by_label("What is it about?").select_option(label="Printers")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "jam.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_url(re.compile(r".*/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    assert ticket.assignee == agent  # round robin in the queue

    # The acknowledgement arrives by mail (the worker sends it after commit); the 360 shows the ticket.
    wait_for(lambda: any(ticket.reference in str(m["Subject"]) for m in _sent(celery_worker.mail_dir)), message="ack")
    wait_for(lambda: TimelineEntry.objects.filter(event_name="service.ticket_created").exists(), message="timeline")

    # The agent, at a desk, finds it among their tickets and answers from a canned response.
    desk = browser.new_context(viewport=DESKTOP, locale="en-GB")
    agent_page = desk.new_page()
    agent_page.set_default_timeout(15_000)
    sign_in(agent_page, live_server, agent.email, password)
    agent_page.wait_for_url(f"{live_server.url}/app/")
    agent_page.goto(f"{live_server.url}/app/service/tickets/?view=mine")
    agent_page.get_by_role("link", name=ticket.reference).click()
    agent_page.wait_for_url(f"{live_server.url}{ticket.get_absolute_url()}")
    expect(agent_page.get_by_role("link", name=re.compile("jam.png"))).to_be_visible()
    agent_page.get_by_label("Canned response").select_option(label="Roller")
    body = agent_page.get_by_label("Message")
    agent_page.wait_for_function("el => el.value.includes('new roller')", arg=body.element_handle())
    assert ticket.reference in body.input_value() and "Kim Kund" in body.input_value()
    agent_page.get_by_label("Then set the status to").select_option(label="Resolved")
    screenshot(agent_page, "service-ticket-answer")
    agent_page.get_by_role("button", name="Send").click()
    agent_page.wait_for_url(f"{live_server.url}{ticket.get_absolute_url()}")
    expect(agent_page.get_by_text("Your reply is sent to the customer.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.first_response_at is not None

    # The answer goes to the customer by mail, in the ticket's thread.
    def answer():
        return next((m for m in _sent(celery_worker.mail_dir) if str(m["Subject"]).startswith("Re: [")), None)

    wait_for(lambda: answer() is not None, message="answer mail")
    assert answer()["In-Reply-To"] == ticket.thread_message_id
    assert "new roller" in answer().get_body(preferencelist=("plain",)).get_content()

    # The customer reads the answer and rates the help.
    page.reload()
    expect(page.get_by_text(re.compile("is fixed: a new roller"))).to_be_visible()
    rating = page.locator("#rating")
    rating.locator("label", has_text="Excellent").click()
    rating.get_by_role("button", name="Send rating").click()
    page.wait_for_load_state()
    expect(page.locator("#rating").get_by_text("5 of 5")).to_be_visible()
    wait_for(
        lambda: (
            set(TimelineEntry.objects.values_list("event_name", flat=True))
            >= {"service.ticket_created", "service.ticket_resolved", "service.csat_received"}
        ),
        message="the whole story on the timeline",
    )
    agent_page.goto(f"{live_server.url}/app/customers/{organization.pk}/")
    expect(agent_page.get_by_text(f"Rated ticket {ticket.reference} 5 of 5")).to_be_visible()
    screenshot(agent_page, "service-customer-360")
    desk.close()
