"""Demo customer service: office hours, SLA policies, queues, categories, canned answers and a few dozen tickets."""

import random
from datetime import date, time

from django.contrib.auth import get_user_model

from core.parties.models import Person
from frontoffice.service import services
from frontoffice.service.models import (
    BusinessCalendar,
    CannedResponse,
    Category,
    Holiday,
    Priority,
    Queue,
    SlaPolicy,
    Ticket,
    WorkingHours,
)

HOLIDAYS = [
    (date(2026, 12, 24), "Julafton"),
    (date(2026, 12, 25), "Juldagen"),
    (date(2026, 12, 26), "Annandag jul"),
    (date(2026, 12, 31), "Nyårsafton"),
    (date(2027, 1, 1), "Nyårsdagen"),
    (date(2027, 1, 6), "Trettondedag jul"),
    (date(2027, 3, 26), "Långfredagen"),
    (date(2027, 3, 29), "Annandag påsk"),
    (date(2027, 5, 1), "Första maj"),
    (date(2027, 5, 6), "Kristi himmelsfärd"),
    (date(2027, 6, 6), "Nationaldagen"),
    (date(2027, 6, 25), "Midsommarafton"),
]
# (priority, first response, resolution) in business minutes.
TARGETS = [
    (Priority.LOW, 8 * 60, 5 * 9 * 60),
    (Priority.NORMAL, 4 * 60, 3 * 9 * 60),
    (Priority.HIGH, 60, 9 * 60),
    (Priority.URGENT, 30, 4 * 60),
]
QUEUES = [
    ("Support", "support@kontor.local", Queue.Assignment.ROUND_ROBIN, True),
    ("Billing", "faktura@kontor.local", Queue.Assignment.LEAST_OPEN, False),
    ("Technical", "", Queue.Assignment.MANUAL, False),
]
CATEGORIES = [
    ("Order and delivery", "Support", False),
    ("Invoice and payment", "Billing", False),
    ("Product problem", "Technical", True),
    ("Account and login", "Support", False),
]
CANNED = [
    ("Thanks, looking into it", "Hello {customer_name},\n\nThank you for your message about {ticket_number}. "
     "We are looking into it and will come back to you today.\n\nKind regards,\n{agent_name}"),
    ("Need the order number", "Hello {customer_name},\n\nCould you send us the order number, so we can "
     "find the delivery?\n\nKind regards,\n{agent_name}"),
    ("Solved, please confirm", "Hello {customer_name},\n\nWe believe the problem is solved. If it is not, "
     "just reply and {ticket_number} opens again.\n\nKind regards,\n{agent_name}"),
]  # fmt: skip
SUBJECTS = [
    ("Order and delivery", "Where is my order?", "We ordered two tents last week and nothing has arrived."),
    ("Order and delivery", "Wrong item delivered", "We got the 35 litre backpack instead of the 60 litre one."),
    ("Invoice and payment", "Invoice copy needed", "Please send a copy of the latest invoice to our accounts team."),
    ("Invoice and payment", "Paid twice by mistake", "We paid the same invoice twice. Can you refund one?"),
    ("Product problem", "Stove will not light", "The gas stove clicks but never lights, new cartridge."),
    ("Product problem", "Tent zip broken", "The main zip of the 4-person tent broke on the second night."),
    ("Account and login", "Cannot sign in to the portal", "The password reset e-mail never arrives."),
    ("Account and login", "Add a colleague to the portal", "Our new buyer needs access to the portal."),
]


def _calendar() -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Office hours (Stockholm)", defaults={"time_zone": "Europe/Stockholm", "is_default": True}
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, opens=time(8), closes=time(17)) for day in range(5)
        )
        Holiday.objects.bulk_create(Holiday(calendar=calendar, date=day, name=name) for day, name in HOLIDAYS)
    return calendar


def seed(admin) -> str:
    users = get_user_model().objects
    agent = users.filter(email="support@kontor.example").first() or admin
    calendar = _calendar()
    for priority, response, resolution in TARGETS:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            organization=None,
            is_active=True,
            defaults={
                "name": f"Standard – {Priority(priority).label}",
                "calendar": calendar,
                "first_response_minutes": response,
                "resolution_minutes": resolution,
            },
        )
    queues = {}
    for name, email, assignment, is_default in QUEUES:
        queue, created = Queue.objects.get_or_create(
            name=name, defaults={"email": email, "assignment": assignment, "is_default": is_default, "lead": agent}
        )
        if created:
            queue.members.add(agent)
        queues[name] = queue
    categories = {}
    for name, queue_name, may_set_priority in CATEGORIES:
        categories[name], _created = Category.objects.get_or_create(
            name=name, defaults={"queue": queues[queue_name], "customer_may_set_priority": may_set_priority}
        )
    for title, body in CANNED:
        CannedResponse.objects.get_or_create(title=title, defaults={"body": body})
    if Ticket.objects.exists():
        return "tickets already there"
    rng = random.Random(11)
    people = list(Person.objects.filter(organization__isnull=False, is_active=True).order_by("pk")[:40])
    portal_people = list(Person.objects.filter(user__isnull=False, organization__isnull=False).order_by("pk"))
    requesters = portal_people * 3 + people
    made = 0
    for index, requester in enumerate(requesters[:60]):
        category_name, subject, description = SUBJECTS[index % len(SUBJECTS)]
        ticket = services.ticket_open(
            requester=requester,
            actor=requester.user,
            subject=subject,
            description=description,
            source=rng.choice([Ticket.Source.PORTAL, Ticket.Source.EMAIL, Ticket.Source.PHONE]),
            category=categories[category_name],
            priority=rng.choice([Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.LOW]),
        )
        made += 1
        step = index % 5
        if step >= 1:
            services.ticket_reply(
                ticket=ticket,
                body=services.canned_render(
                    response=CannedResponse.objects.order_by("pk")[step % len(CANNED)], ticket=ticket, agent=agent
                ),
                author=agent,
                new_status=Ticket.Status.PENDING_CUSTOMER if step == 2 else "",
            )
        if step >= 3:
            services.ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
            if step == 4:
                services.ticket_rate(ticket=ticket, rating=rng.choice([4, 5, 5, 3]), comment="Snabb hjälp, tack!")
    return f"{made} tickets in {len(queues)} queues"
