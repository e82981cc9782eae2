from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail as outbox_mail
from django.utils import timezone

from core.exceptions import ServiceError
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.service import services, sla
from frontoffice.service.attachments import check
from frontoffice.service.models import Message, Priority, Queue, Ticket
from frontoffice.service.tests.factories import (
    CannedResponseFactory,
    CategoryFactory,
    QueueFactory,
    SlaPolicyFactory,
    make_ticket,
)
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture(autouse=True)
def _fresh_calendars():
    sla.calendar_cache_clear()
    yield
    sla.calendar_cache_clear()


def events(name: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(name=name).order_by("pk"))


def test_opening_a_ticket_routes_numbers_acknowledges_and_publishes(django_capture_on_commit_callbacks):
    category = CategoryFactory()
    requester = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category, attachments=[check(name="a.png", content=PNG)])
    assert ticket.queue == category.queue
    assert ticket.reference == f"T-{ticket.number}"
    assert ticket.status == Ticket.Status.NEW
    assert ticket.organization == requester.organization
    message = ticket.messages.get()
    assert message.from_customer and message.body == ticket.description
    assert message.attachments.get().content_type == "image/png"
    (event,) = events("service.ticket_created")
    assert event.payload["reference"] == ticket.reference
    assert event.payload["organization_id"] == requester.organization_id
    (sent,) = outbox_mail.outbox
    assert f"[{ticket.reference}]" in sent.subject
    assert sent.to == [requester.email]
    assert sent.extra_headers["In-Reply-To"] == ticket.thread_message_id


def test_a_ticket_needs_a_subject_and_a_queue():
    with pytest.raises(ServiceError) as error:
        make_ticket(subject="  ", queue=QueueFactory())
    assert "subject" in error.value.message_dict
    Queue.objects.all().delete()
    with pytest.raises(ServiceError) as error:
        services.ticket_open(requester=PersonFactory(), subject="s", description="d", source="portal")
    assert "queue" in error.value.message_dict
    assert not Ticket.objects.exists()


def test_round_robin_assignment_takes_turns(make_staff):
    first, second = make_staff("Customer Service"), make_staff("Customer Service")
    queue = QueueFactory(assignment=Queue.Assignment.ROUND_ROBIN, members=[first, second])
    assignees = [make_ticket(queue=queue).assignee for _ in range(3)]
    assert assignees == [first, second, first]


def test_least_open_assignment_picks_the_least_busy(make_staff):
    busy, idle = make_staff("Customer Service"), make_staff("Customer Service")
    queue = QueueFactory(assignment=Queue.Assignment.LEAST_OPEN, members=[busy, idle])
    ticket = make_ticket(queue=queue)
    services.ticket_assign(ticket=ticket, assignee=busy, actor=busy)
    assert make_ticket(queue=queue).assignee == idle


def test_first_agent_reply_stops_the_response_clock_and_mails_the_customer(
    make_staff, django_capture_on_commit_callbacks
):
    agent = make_staff("Customer Service")
    ticket = make_ticket()
    outbox_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, body="Load letter paper.", author=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Ticket.Status.OPEN
    (sent,) = outbox_mail.outbox
    assert sent.subject.startswith("Re: [")
    assert "Load letter paper." in sent.body


def test_internal_notes_reach_no_customer(make_staff, django_capture_on_commit_callbacks):
    agent = make_staff("Customer Service")
    ticket = make_ticket()
    outbox_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, body="Customer is grumpy", author=agent, internal=True)
    assert not outbox_mail.outbox
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    with pytest.raises(ServiceError):
        services.ticket_reply(ticket=ticket, body="x", author=None, internal=True)


def test_customer_reply_reopens_a_ticket_waiting_on_them(make_staff):
    agent = make_staff("Customer Service")
    ticket = make_ticket()
    services.ticket_reply(ticket=ticket, body="Which model?", author=agent, new_status=Ticket.Status.PENDING_CUSTOMER)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING_CUSTOMER and ticket.sla_paused_at
    services.ticket_reply(ticket=ticket, body="LaserJet 4", author_person=ticket.requester)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.sla_paused_at is None


def test_waiting_on_the_customer_pauses_the_clock_in_business_time(make_staff):
    SlaPolicyFactory(priority=Priority.NORMAL)
    agent = make_staff("Customer Service")
    ticket = make_ticket()
    due = ticket.resolution_due_at
    monday_9 = datetime(2026, 11, 23, 8, tzinfo=UTC)  # 09:00 Stockholm
    ticket.sla_paused_at = monday_9
    ticket.status = Ticket.Status.PENDING_CUSTOMER
    ticket.save()
    # Paused from Monday 09:00 to Tuesday 09:00 (Stockholm): one working day, 9 business hours.
    calendar = sla.calendar_for(ticket.sla_policy.calendar_id)
    services._clock_on_status_change(
        ticket, Ticket.Status.PENDING_CUSTOMER, Ticket.Status.OPEN, monday_9 + timedelta(days=1)
    )
    assert ticket.sla_paused_total == timedelta(hours=9)
    assert ticket.resolution_due_at == sla.add_business_time(ticket.created_at, timedelta(hours=16 + 9), calendar)
    assert ticket.resolution_due_at > due
    assert agent


def test_status_rules_and_resolution_event(make_staff, django_capture_on_commit_callbacks):
    agent = make_staff("Customer Service")
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    ticket.refresh_from_db()
    assert ticket.resolved_at and ticket.sla_paused_at
    assert events("service.ticket_resolved")
    assert any("How did we do?" in sent.subject for sent in outbox_mail.outbox)
    with pytest.raises(ServiceError):
        services.ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING_CUSTOMER, actor=agent)
    services.ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=agent)
    with pytest.raises(ServiceError):
        services.ticket_reply(ticket=ticket, body="more", author_person=ticket.requester)
    services.ticket_customer_reopen(ticket=ticket, actor=None)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None and ticket.closed_at is None


def test_rating_needs_a_resolved_ticket_and_a_valid_score(make_staff):
    ticket = make_ticket()
    with pytest.raises(ServiceError):
        services.ticket_rate(ticket=ticket, rating=5)
    services.ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=make_staff("Customer Service"))
    with pytest.raises(ServiceError) as error:
        services.ticket_rate(ticket=ticket, rating=9)
    assert "rating" in error.value.message_dict
    services.ticket_rate(ticket=ticket, rating=4, comment="Quick!")
    ticket.refresh_from_db()
    assert ticket.csat_rating == 4
    assert events("service.csat_received")[0].payload["rating"] == 4


def test_breach_check_marks_escalates_and_publishes_once(make_staff):
    lead = make_staff("Customer Service")
    SlaPolicyFactory(priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=120)
    ticket = make_ticket(queue=QueueFactory(lead=lead))
    later = ticket.first_response_due_at + timedelta(minutes=1)
    assert services.sla_check_breaches(now=later) == 1
    assert services.sla_check_breaches(now=later) == 0
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == later
    assert ticket.priority == Priority.HIGH
    (event,) = events("service.sla_breached")
    assert event.payload["target"] == "first_response"
    assert lead.notifications.filter(kind="service.sla_breached").exists()


def test_paused_tickets_do_not_breach(make_staff):
    SlaPolicyFactory(priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=120)
    ticket = make_ticket()
    services.ticket_set_status(
        ticket=ticket, status=Ticket.Status.PENDING_THIRD_PARTY, actor=make_staff("Customer Service")
    )
    assert services.sla_check_breaches(now=timezone.now() + timedelta(days=30)) == 0


def test_merge_moves_the_conversation_and_closes_the_duplicate(make_staff):
    agent = make_staff("Customer Service")
    organization = OrganizationFactory()
    first = make_ticket(requester=PersonFactory(organization=organization))
    second = make_ticket(requester=PersonFactory(organization=organization))
    services.ticket_merge(source=second, target=first, actor=agent)
    second.refresh_from_db()
    assert second.merged_into == first and second.status == Ticket.Status.CLOSED
    assert first.messages.filter(kind=Message.Kind.REPLY).count() == 2
    assert second.requester in first.cc.all()
    with pytest.raises(ServiceError):
        services.ticket_merge(source=first, target=make_ticket(), actor=agent)


def test_canned_response_fills_placeholders(make_staff):
    agent = make_staff("Customer Service", full_name="Alva Agent")
    ticket = make_ticket()
    text = services.canned_render(response=CannedResponseFactory(), ticket=ticket, agent=agent)
    assert ticket.reference in text and "Alva Agent" in text and ticket.requester.full_name in text


def test_guest_link_round_trip_and_revocation():
    ticket = make_ticket()
    token = services.guest_token(ticket)
    assert services.ticket_from_guest_token(token) == ticket
    Ticket.objects.filter(pk=ticket.pk).update(guest_secret="changed-secret-value")
    with pytest.raises(ServiceError):
        services.ticket_from_guest_token(token)
    with pytest.raises(ServiceError):
        services.ticket_from_guest_token("forged")


def test_customers_choose_a_priority_only_where_the_category_allows(make_staff):
    customer = PersonFactory()
    plain = CategoryFactory()
    urgent_allowed = CategoryFactory(customer_may_set_priority=True)
    assert make_ticket(requester=customer, category=plain, priority=Priority.URGENT).priority == Priority.NORMAL
    assert (
        make_ticket(requester=customer, category=urgent_allowed, priority=Priority.URGENT).priority == Priority.URGENT
    )
    agent = make_staff("Customer Service")
    assert make_ticket(actor=agent, category=plain, priority=Priority.HIGH).priority == Priority.HIGH


def test_a_reply_cannot_make_a_move_the_status_rules_refuse(make_staff):
    agent = make_staff("Customer Service")
    ticket = make_ticket()
    services.ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    with pytest.raises(ServiceError) as error:
        services.ticket_reply(ticket=ticket, body="x", author=agent, new_status=Ticket.Status.PENDING_CUSTOMER)
    assert "new_status" in error.value.message_dict
    assert ticket.messages.count() == 1


def test_ticket_mail_waits_for_the_commit_and_a_rollback_sends_nothing(django_capture_on_commit_callbacks):
    from django.db import transaction

    queue = QueueFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                make_ticket(queue=queue)
                assert not outbox_mail.outbox  # not before the commit
                raise RuntimeError("the caller fails after opening the ticket")
        except RuntimeError:
            pass
    assert not callbacks and not outbox_mail.outbox
    assert not Ticket.objects.exists() and not events("service.ticket_created")


def test_the_cached_sla_policies_follow_every_change_and_a_customers_own_terms_win(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    from frontoffice.service import selectors

    with django_capture_on_commit_callbacks(execute=True):  # committed, so the process may keep what it reads
        general = SlaPolicyFactory(priority=Priority.NORMAL, first_response_minutes=120)
    customer, other = OrganizationFactory(), OrganizationFactory()
    assert make_ticket(requester=PersonFactory(organization=customer)).sla_policy == general
    with django_assert_num_queries(0):  # every new ticket asks: the answer comes from the cache
        assert selectors.sla_policy_for(organization_id=other.pk, priority=Priority.NORMAL) == general
        assert selectors.sla_policy_for(organization_id=None, priority=Priority.HIGH) is None

    own = SlaPolicyFactory(priority=Priority.NORMAL, organization=customer, first_response_minutes=30)
    assert make_ticket(requester=PersonFactory(organization=customer)).sla_policy == own  # saving forgot the copy
    assert make_ticket(requester=PersonFactory(organization=other)).sla_policy == general
    # Their own terms cover only the priorities they name.
    assert selectors.sla_policy_for(organization_id=customer.pk, priority=Priority.HIGH) is None
    high = SlaPolicyFactory(priority=Priority.HIGH, first_response_minutes=60)
    assert selectors.sla_policy_for(organization_id=customer.pk, priority=Priority.HIGH) == high

    general.is_active = False
    general.save()
    assert make_ticket(requester=PersonFactory(organization=other)).sla_policy is None
    own.delete()
    assert selectors.sla_policy_for(organization_id=customer.pk, priority=Priority.NORMAL) is None

    # A merge moves the customer's terms with an UPDATE, which sends no signal: the service forgets the copy.
    moved = SlaPolicyFactory(priority=Priority.LOW, organization=customer, first_response_minutes=240)
    assert selectors.sla_policy_for(organization_id=other.pk, priority=Priority.LOW) is None
    services.tickets_move_customer(merged_id=customer.pk, survivor_id=other.pk)
    assert selectors.sla_policy_for(organization_id=other.pk, priority=Priority.LOW) == moved


def test_the_acknowledgement_goes_out_when_the_ticket_created_event_is_delivered(django_capture_on_commit_callbacks):
    from frontoffice.service import handlers
    from integration.bus import registry

    assert registry.get("frontoffice.service.handlers.acknowledge").event_name == "service.ticket_created"
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        ticket = make_ticket(requester=PersonFactory(email="Kund@Example.com"))
    assert not outbox_mail.outbox  # the request queues no mail of its own
    with django_capture_on_commit_callbacks(execute=True):
        for hook in hooks:
            hook()  # the relay: the event reaches its subscribers, the acknowledgement is sent after their commit
    (sent,) = outbox_mail.outbox
    assert sent.to == ["kund@example.com"] and f"[{ticket.reference}]" in sent.subject
    assert sent.extra_headers["In-Reply-To"] == ticket.thread_message_id
    assert (events("service.ticket_created")[0].payload["ticket_id"], handlers.acknowledge.__name__) == (
        ticket.pk,
        "acknowledge",
    )
    assert services.ticket_acknowledge(ticket_id=ticket.pk + 1000) is False  # gone: nothing to send
    assert len(outbox_mail.outbox) == 1
