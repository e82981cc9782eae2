"""Test data for customer service: a working week calendar, queues, policies and tickets made by the services."""

from datetime import time

import factory

from core.parties.tests.factories import PersonFactory
from frontoffice.service import services
from frontoffice.service.models import (
    BusinessCalendar,
    CannedResponse,
    Category,
    Priority,
    Queue,
    SlaPolicy,
    Ticket,
    WorkingHours,
)


def office_calendar(name: str = "Office hours") -> BusinessCalendar:
    """Monday to Friday, 08:00–17:00 Stockholm time."""
    calendar, created = BusinessCalendar.objects.get_or_create(name=name, defaults={"is_default": False})
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, opens=time(8), closes=time(17)) for day in range(5)
        )
    return calendar


def always_calendar(name: str = "Around the clock") -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(name=name)
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, opens=time(0), closes=time(23, 59, 59, 999999))
            for day in range(7)
        )
    return calendar


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Support {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    queue = factory.SubFactory(QueueFactory)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    priority = Priority.NORMAL
    calendar = factory.LazyFunction(office_calendar)
    first_response_minutes = 120
    resolution_minutes = 16 * 60


class CannedResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Answer {n}")
    body = "Hello {customer_name}, about {ticket_number}: regards, {agent_name}"


def default_queue(**fields) -> Queue:
    queue = Queue.objects.filter(is_default=True).first()
    return queue or QueueFactory(is_default=True, **fields)


def make_ticket(*, requester=None, actor=None, **fields) -> Ticket:
    """A ticket opened through the service, as a customer on the portal would (requester: a PersonFactory)."""
    requester = requester or PersonFactory()
    fields.setdefault("subject", "The printer says PC LOAD LETTER")
    fields.setdefault("description", "It will not print. What does it mean?")
    fields.setdefault("source", Ticket.Source.PORTAL)
    if "queue" not in fields and "category" not in fields:
        fields["queue"] = default_queue()
    return services.ticket_open(requester=requester, actor=actor, **fields)
