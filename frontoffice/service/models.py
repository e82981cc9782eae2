"""Customer service: tickets and their conversation, queues, SLA policies on business calendars."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.parties.models import Organization, Person

TICKET_NUMBER_SEQUENCE = "service_ticket_number_seq"


def _guest_secret() -> str:
    return secrets.token_urlsafe(24)


class BusinessCalendar(models.Model):
    """When the support team works: weekly hours in a time zone, minus holidays. SLA clocks run only then."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="service_calendar_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One opening period on a weekday (0 = Monday). A day may have several (a lunch break splits it)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["calendar", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="service_hours_weekday_valid"),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="service_hours_opens_before_closes"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    """A day the calendar does not work, whatever its weekday."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="service_holiday_unique_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class SlaPolicy(models.Model):
    """Targets for a priority, measured in the calendar's business minutes and paused while waiting on others.

    A policy with an organization applies to that customer only (their contract's terms) and wins over the
    general policy of the same priority.
    """

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        help_text=_("Empty: the policy for every customer without their own."),
    )
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    raise_priority_on_breach = models.BooleanField(
        _("raise priority on breach"), default=True, help_text=_("A breached ticket moves one priority up.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["organization_id", "-priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "priority"],
                condition=Q(is_active=True),
                nulls_distinct=False,
                name="service_sla_one_active_per_priority",
            ),
            models.CheckConstraint(condition=Q(first_response_minutes__gt=0), name="service_sla_response_positive"),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=F("first_response_minutes")),
                name="service_sla_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Queue(models.Model):
    """Where tickets wait for an agent: its members work them, its lead hears of breaches."""

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("By hand")
        ROUND_ROBIN = "round-robin", _("Round robin")
        LEAST_OPEN = "least-open", _("Member with the fewest open tickets")

    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(
        _("inbound address"), blank=True, help_text=_("Mail sent to this address lands in this queue.")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_queues",
        limit_choices_to={"kind": "staff"},
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="service_queues",
        limit_choices_to={"kind": "staff"},
    )
    assignment = models.CharField(
        _("auto-assignment"), max_length=16, choices=Assignment.choices, default=Assignment.MANUAL
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Tickets without a category's queue land here.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="service_queue_one_default"
            ),
            models.UniqueConstraint(Upper("email"), condition=~Q(email=""), name="service_queue_email_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """What a ticket is about, as the customer chooses it; it routes the ticket to a queue."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="categories")
    customer_may_set_priority = models.BooleanField(
        _("customers choose the priority"), default=False, help_text=_("Otherwise new tickets start as normal.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A customer's request, from the first message to its closing, with the clocks that measure the answer."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        OPEN = "open", pgettext_lazy("ticket status", "Open")
        PENDING_CUSTOMER = "pending-customer", pgettext_lazy("ticket status", "Waiting on customer")
        PENDING_THIRD_PARTY = "pending-third-party", pgettext_lazy("ticket status", "Waiting on third party")
        RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
        CLOSED = "closed", pgettext_lazy("ticket status", "Closed")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        API = "api", _("API")

    ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY)
    PAUSED_STATUSES = (Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY)
    DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)

    number = models.BigIntegerField(
        _("number"),
        unique=True,
        editable=False,
        db_default=Func(Value(TICKET_NUMBER_SEQUENCE), function="nextval", output_field=models.BigIntegerField()),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        Person, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="requested_tickets"
    )
    cc = models.ManyToManyField(Person, verbose_name=_("CC"), blank=True, related_name="cc_tickets")
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"kind": "staff"},
    )
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_tickets",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, editable=False)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # SLA clocks: the policy the ticket got, the due times, and where a paused clock stopped.
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_total = models.DurationField(
        _("SLA paused"), default=timedelta, help_text=_("Business time the clocks stood still, before the last pause.")
    )
    first_response_breached_at = models.DateTimeField(_("first response breached"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution breached"), null=True, blank=True)

    csat_rating = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    csat_at = models.DateTimeField(_("rated"), null=True, blank=True)

    # The e-mail thread: the Message-ID every notification answers, and the secret behind guest links.
    thread_message_id = models.CharField(_("thread Message-ID"), max_length=255, blank=True, editable=False)
    guest_secret = models.CharField(max_length=64, default=_guest_secret, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-last_activity_at", "-pk"]
        permissions = [
            ("view_all_tickets", _("Can see tickets of every queue")),
            ("view_service_reports", _("Can see service reports")),
        ]
        indexes = [
            models.Index(fields=["queue", "status", "-last_activity_at"], name="service_ticket_queue_idx"),
            models.Index(fields=["assignee", "status", "-last_activity_at"], name="service_ticket_assignee_idx"),
            models.Index(fields=["organization", "-created_at"], name="service_ticket_org_idx"),
            models.Index(fields=["requester", "-created_at"], name="service_ticket_requester_idx"),
            models.Index(fields=["status", "-last_activity_at"], name="service_ticket_status_idx"),
            models.Index(fields=["-last_activity_at", "-id"], name="service_ticket_activity_idx"),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(status__in=["new", "open"]),
                name="service_ticket_due_idx",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_at__isnull=True, status__in=["new", "open"]),
                name="service_ticket_resp_due_idx",
            ),
            models.Index(
                fields=["resolved_at"], condition=Q(resolved_at__isnull=False), name="service_ticket_resolved_idx"
            ),
            GinIndex(OpClass(Upper("subject"), name="gin_trgm_ops"), name="service_ticket_subject_trgm"),
            GinIndex(fields=["tags"], name="service_ticket_tags_gin"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="service_ticket_subject_not_empty"),
            models.CheckConstraint(
                condition=Q(csat_rating__isnull=True) | Q(csat_rating__gte=1, csat_rating__lte=5),
                name="service_ticket_csat_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="service_ticket_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="service_ticket_closed_has_time"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | (Q(status="closed") & ~Q(merged_into=F("pk"))),
                name="service_ticket_merged_is_closed",
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=4), name="service_ticket_priority_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("service:ticket-detail", args=[self.number])

    def get_portal_url(self) -> str:
        return reverse("portal-ticket", args=[self.number])

    @property
    def reference(self) -> str:
        return f"T-{self.number}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.status in self.PAUSED_STATUSES


class Message(models.Model):
    """One entry in a ticket's conversation: a public reply (the customer sees it) or an internal note."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REPLY)
    body = models.TextField(_("message"))
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_customer = models.BooleanField(_("from the customer"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Ticket.Source.choices, default=Ticket.Source.PORTAL)
    email_message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True, db_index=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="service_message_ticket_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="note") | Q(from_customer=False), name="service_message_note_is_internal"
            ),
            models.UniqueConstraint(
                fields=["email_message_id"], condition=~Q(email_message_id=""), name="service_message_mail_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.get_kind_display()}"

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.REPLY


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # Stored under a random name: what the uploader called it is kept in `name` and never reaches the disk.
    return f"service/attachments/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}"


class Attachment(models.Model):
    """A file on a ticket, checked by size and content; served only through a view that checks the reader."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="service_attachment_not_empty")]

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """A ready answer with placeholders: {customer_name}, {ticket_number}, {agent_name}."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text=_("Empty: offered in every queue."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class TimeEntry(models.Model):
    """Time an agent spent on a ticket; billable time is what finance may bill later."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT)
    minutes = models.PositiveIntegerField(_("minutes"))
    billable = models.BooleanField(_("billable"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    worked_on = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-worked_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=24 * 60), name="service_time_minutes_valid")
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.minutes} min"


class InboundMail(models.Model):
    """Every e-mail the support address received and what became of it: a failure is kept and shown, never lost."""

    class Outcome(models.TextChoices):
        TICKET = "ticket", _("New ticket")
        REPLY = "reply", _("Reply on a ticket")
        IGNORED = "ignored", _("Ignored (bounce or auto-reply)")
        DUPLICATE = "duplicate", _("Already received")
        FAILED = "failed", _("Failed")

    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("from"), max_length=320, blank=True)
    recipient = models.CharField(_("to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    channel = models.CharField(_("channel"), max_length=10, default="smtp")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    detail = models.TextField(_("detail"), blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raw = models.BinaryField(_("raw message"), editable=False)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["outcome", "-received_at"], name="service_inbound_outcome_idx"),
            models.Index(fields=["message_id"], name="service_inbound_msgid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"
