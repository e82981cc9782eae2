"""The service API: /api/v1/service/tickets/ for agents and for customers' own programs.

One endpoint, two readers. Staff read the tickets of their queues (or all, with
the right) through selectors.tickets_for_agent and act with their department's
model rights. Customers read their organization's tickets (or only their own,
as the organization decides) through selectors.tickets_for_customer and see
only public replies: internal notes never reach them, not even a note's files.
Writes go through the services with the request's user as actor, so the API
keeps the rules, SLA clocks, audit trail and events of the pages.
"""

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.status import HTTP_200_OK, HTTP_201_CREATED

from core.accounts.models import User
from core.accounts.selectors import staff_users
from core.api.permissions import StaffModelPermissions
from core.parties.models import Organization, Person
from core.parties.selectors import person_for_portal_user
from frontoffice.service import attachments, selectors, services
from frontoffice.service.models import Attachment, Message, Priority, Queue, Ticket

if TYPE_CHECKING:
    from rest_framework.views import APIView

Status = Ticket.Status

# Priorities travel by name ("high"), not by their stored number.
PRIORITY_NAMES = {priority.name.lower(): priority.value for priority in Priority}
PRIORITY_CHOICES = [(priority.name.lower(), priority.label) for priority in Priority]

# How an agent may say a ticket reached them; the portal is the customers' own way in.
STAFF_SOURCES = [
    (Ticket.Source.PHONE.value, Ticket.Source.PHONE.label),
    (Ticket.Source.EMAIL.value, Ticket.Source.EMAIL.label),
    (Ticket.Source.API.value, Ticket.Source.API.label),
]

# The statuses a reply can move a ticket to: no ticket goes back to new.
REPLY_STATUSES = [(value, label) for value, label in Status.choices if value != Status.NEW]

VIEWS = [
    ("mine", _("Active tickets assigned to me")),
    ("unassigned", _("Active tickets nobody has")),
    ("breaching", _("Running SLA clocks due within two hours or overdue")),
    ("waiting", _("Waiting on the customer")),
    ("open", _("Every active ticket")),
]

# Actions a customer may take on their tickets; everything else is for staff.
CUSTOMER_ACTIONS = {"list", "retrieve", "create", "reply", "status", "rate", "metadata"}

STAFF_ONLY = _("Only staff may use this.")


def _is_customer(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_customer)


def _reader_is_customer(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return request is not None and _is_customer(request.user)


def _first_name(user: User) -> str:
    """What a customer is told of an agent: the first name, never the address."""
    return user.full_name.split()[0] if user.full_name.strip() else settings.COMPANY_NAME


# --- permissions -------------------------------------------------------------------


class TicketPermissions(StaffModelPermissions):
    """Staff by their model rights, customers on their own tickets.

    Staff read with service.view_ticket, open with service.add_ticket, and
    reply, move and assign with service.change_ticket; rating is the
    customer's. Customers (active, with a contact behind their login) list,
    read, open, answer, close, reopen and rate; which tickets they reach is the
    selectors' business, not a right.
    """

    staff_action_permissions = {
        "reply": ["service.change_ticket"],
        "status": ["service.change_ticket"],
        "assign": ["service.change_ticket"],
    }
    action: str | None = None

    def has_permission(self, request: Request, view: "APIView") -> bool:
        user = request.user
        self.action = getattr(view, "action", None)
        if _is_customer(user):
            if not user.is_active:
                return False
            if request.method not in view.allowed_methods:
                return True  # 405, as for staff
            return self.action in CUSTOMER_ACTIONS
        if self.action == "rate":
            return False
        return super().has_permission(request, view)

    def get_required_permissions(self, method: str, model_cls: type) -> list[str]:
        if self.action in self.staff_action_permissions:
            return list(self.staff_action_permissions[self.action])
        return super().get_required_permissions(method, model_cls)


# --- output ------------------------------------------------------------------------


class NamedRefSerializer(serializers.Serializer):
    """A related record as a ticket shows it: its id and its name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class RequesterSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(read_only=True)

    def get_name(self, person: Person) -> str:
        return person.full_name or person.email


class AssigneeSerializer(serializers.Serializer):
    """The agent working the ticket; customers get only the first name, without the id."""

    # Not read-only: a response field that is left out for some readers must not be "required" in the schema.
    id = serializers.IntegerField(required=False, help_text=_("Staff only."))
    name = serializers.CharField(read_only=True, help_text=_("The full name; for customers the first name."))

    def to_representation(self, user: User) -> dict[str, Any]:
        if _reader_is_customer(self.context):
            return {"name": _first_name(user)}
        return {"id": user.pk, "name": user.get_full_name()}


class AttachmentSerializer(serializers.ModelSerializer):
    """A file on the ticket; `url` downloads it, for the reader's side (staff app or portal)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        if _reader_is_customer(self.context):
            path = reverse("portal-ticket-attachment", args=[attachment.pk])
        else:
            path = reverse("service:attachment", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MessageSerializer(serializers.ModelSerializer):
    """One entry of the conversation; `internal` notes are shown to staff only."""

    internal = serializers.SerializerMethodField(help_text=_("An internal note (staff only ever see these)."))
    author = serializers.SerializerMethodField(
        help_text=_("Who wrote it: the customer's name, the agent's (first name for customers), or empty.")
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "internal", "body", "author", "from_customer", "source", "created_at", "attachments"]
        read_only_fields = fields

    def get_internal(self, message: Message) -> bool:
        return message.kind == Message.Kind.NOTE

    def get_author(self, message: Message) -> str:
        if message.from_customer:
            person = message.author_person
            if person is not None:
                return person.full_name or person.email
            return message.author_user.get_full_name() if message.author_user else ""
        if message.author_user is None:
            return ""
        if _reader_is_customer(self.context):
            return _first_name(message.author_user)
        return message.author_user.get_full_name()


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as a list shows it; /tickets/{number}/ adds the conversation."""

    reference = serializers.CharField(read_only=True, help_text=_('The number as people say it: "T-1234".'))
    priority = serializers.SerializerMethodField()
    queue = NamedRefSerializer(read_only=True)
    category = NamedRefSerializer(read_only=True, allow_null=True)
    organization = NamedRefSerializer(read_only=True, allow_null=True)
    requester = RequesterSerializer(read_only=True)
    assignee = AssigneeSerializer(read_only=True, allow_null=True)
    sla_paused = serializers.SerializerMethodField(
        help_text=_("The SLA clocks stand still: the ticket waits on someone else or is done.")
    )
    # Staff only: not read-only, so that the schema does not call them required (see AssigneeSerializer.id).
    first_response_breached_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When the first-response target was missed. Staff only.")
    )
    resolution_breached_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When the resolution target was missed. Staff only.")
    )
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "number",
            "reference",
            "subject",
            "description",
            "status",
            "priority",
            "queue",
            "category",
            "organization",
            "requester",
            "assignee",
            "tags",
            "source",
            "created_at",
            "last_activity_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "first_response_due_at",
            "resolution_due_at",
            "sla_paused",
            "first_response_breached_at",
            "resolution_breached_at",
            "csat_rating",
            "csat_comment",
            "attachments",
        ]
        read_only_fields = [
            name for name in fields if name not in {"first_response_breached_at", "resolution_breached_at"}
        ]

    STAFF_ONLY_FIELDS = ("first_response_breached_at", "resolution_breached_at")

    @extend_schema_field(serializers.ChoiceField(choices=PRIORITY_CHOICES))
    def get_priority(self, ticket: Ticket) -> str:
        return Priority(ticket.priority).name.lower()

    def get_sla_paused(self, ticket: Ticket) -> bool:
        return ticket.sla_paused_at is not None

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[dict[str, Any]]:
        files = getattr(ticket, "visible_attachments", None)
        if files is None:  # never read without the reader's prefetch: an unfiltered list could hold a note's file
            raise RuntimeError("Tickets are serialized with selectors.visible_attachments() prefetched.")
        return AttachmentSerializer(files, many=True, context=self.context).data

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        data = super().to_representation(ticket)
        if _reader_is_customer(self.context):
            for name in self.STAFF_ONLY_FIELDS:
                data.pop(name, None)
        return data


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its conversation: for staff every message, for customers the public replies only."""

    messages = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]
        read_only_fields = [*TicketSerializer.Meta.read_only_fields, "messages"]

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, ticket: Ticket) -> list[dict[str, Any]]:
        if _reader_is_customer(self.context):
            # selectors.public_conversation leaves the notes out already; kept out here too, whatever the source.
            messages = getattr(ticket, "public_messages", None)
            if messages is None:
                messages = ticket.messages.filter(kind=Message.Kind.REPLY)
            messages = [message for message in messages if message.is_public]
        else:
            messages = ticket.messages.all()
        return MessageSerializer(messages, many=True, context=self.context).data


# --- input -------------------------------------------------------------------------


class PriorityField(serializers.ChoiceField):
    """A priority by name (low, normal, high, urgent), stored as its number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PRIORITY_CHOICES, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        return PRIORITY_NAMES[super().to_internal_value(data)]


class TicketCreateSerializer(serializers.Serializer):
    """A new ticket. Customers open their own; staff open one for a requester (a call, a letter, a program)."""

    subject = serializers.CharField(max_length=Ticket._meta.get_field("subject").max_length)
    description = serializers.CharField()
    category = serializers.PrimaryKeyRelatedField(
        queryset=selectors.portal_categories(),
        required=False,
        allow_null=True,
        help_text=_("An active category; it routes the ticket to its queue."),
    )
    priority = PriorityField(
        required=False,
        help_text=_(
            "Normal when left out. Customers may choose it only in a category that lets them "
            "(customer_may_set_priority)."
        ),
    )
    requester = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.filter(is_active=True),
        required=False,
        help_text=_("Staff only, and required for staff: the person the ticket is for."),
    )
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Staff only: the customer; the requester's organization when left out."),
    )
    queue = serializers.PrimaryKeyRelatedField(
        queryset=Queue.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Staff only: an active queue; else the category's, else the default queue."),
    )
    source = serializers.ChoiceField(
        choices=STAFF_SOURCES, required=False, help_text=_("Staff only: how it reached you; api when left out.")
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        allow_empty=True,
        help_text=_("Staff only. Stored in lower case, each once, sorted."),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_(
            "Files, sent as multipart/form-data: images, PDF, text, Office documents and ZIP archives, "
            "at most 10 (SVG and HTML are refused)."
        ),
    )

    STAFF_FIELDS = ("requester", "organization", "queue", "source", "tags")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if _reader_is_customer(self.context):
            refused = {name: [STAFF_ONLY] for name in self.STAFF_FIELDS if name in attrs}
            if refused:
                raise serializers.ValidationError(refused)
            category = attrs.get("category")
            if "priority" in attrs and not (category and category.customer_may_set_priority):
                raise serializers.ValidationError(
                    {"priority": [_("Tickets of this category start at normal priority.")]}
                )
        elif attrs.get("requester") is None:
            raise serializers.ValidationError({"requester": [_("This field is required.")]})
        return attrs


class ReplySerializer(serializers.Serializer):
    """An answer on the ticket, with files sent as multipart/form-data."""

    body = serializers.CharField()
    internal = serializers.BooleanField(
        default=False, help_text=_("Staff only: an internal note, never shown to the customer.")
    )
    status = serializers.ChoiceField(
        choices=REPLY_STATUSES,
        required=False,
        help_text=_("Staff only: the status the ticket moves to with this reply."),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_("Images, PDF, text, Office documents and ZIP archives, at most 10 (SVG and HTML are refused)."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if _reader_is_customer(self.context):
            refused = {}
            if attrs.get("internal"):
                refused["internal"] = [_("Only agents write internal notes.")]
            if "status" in attrs:
                refused["status"] = [STAFF_ONLY]
            if refused:
                raise serializers.ValidationError(refused)
        return attrs


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text=_("Staff: any status the ticket may move to. Customers: closed, or open to reopen a done ticket."),
    )


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(), allow_null=True, help_text=_("An active staff user, or null to unassign.")
    )


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (poor) to 5 (excellent)."))
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


# --- filters -----------------------------------------------------------------------

_ID = re.compile(r"[0-9]{1,18}")  # a positive number that fits a bigint


class AssigneeField(forms.Field):
    """ "me", "none" or a user's id; anything else is a 400, never "no filter"."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _('Enter "me", "none" or the id of a user.')}

    def to_python(self, value: Any) -> str | int | None:
        if value is None or value == "":
            return None
        value = str(value).strip().lower()
        if value in ("me", "none"):
            return value
        if _ID.fullmatch(value):
            return int(value)
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field(OpenApiTypes.STR)
class AssigneeFilter(filters.Filter):
    field_class = AssigneeField


@extend_schema_field({"type": "string", "enum": list(PRIORITY_NAMES)})
class PriorityFilter(filters.ChoiceFilter):
    """A priority by its name; the model's field holds the number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PRIORITY_CHOICES, **kwargs)


class TicketFilter(filters.FilterSet):
    """The ticket list's filters; for staff selectors.ticket_list applies them, so the API and the pages agree."""

    q = filters.CharFilter(
        help_text=_("A ticket number (T-1234 or 1234), or words of the subject, the customer or the requester.")
    )
    status = filters.ChoiceFilter(choices=Status.choices)
    priority = PriorityFilter()
    queue = filters.ModelChoiceFilter(queryset=Queue.objects.all())
    organization = filters.ModelChoiceFilter(queryset=Organization.objects.all())
    assignee = AssigneeFilter(help_text=_('Staff only: "me", "none" or a user\'s id.'))
    view = filters.ChoiceFilter(choices=VIEWS, help_text=_("Staff only: one of the saved views of the ticket list."))
    ordering = filters.ChoiceFilter(
        choices=[(name, name) for name in selectors.ORDERINGS],
        help_text=_("activity (latest first, the default), created, priority, due or number; '-' reverses."),
    )

    STAFF_FILTERS = ("assignee", "view")

    class Meta:
        model = Ticket
        fields = ["q", "status", "priority", "queue", "organization", "assignee", "view", "ordering"]

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        if _is_customer(self.request.user):
            for name in self.STAFF_FILTERS:
                if self.form.cleaned_data.get(name):
                    self.form.add_error(name, STAFF_ONLY)
        return self.form.is_valid()

    def filter_queryset(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        values = self.form.cleaned_data
        user = self.request.user
        search = (values.get("q") or "").strip()
        priority = PRIORITY_NAMES.get(values.get("priority") or "")
        assignee = values.get("assignee")
        ordering = values.get("ordering") or ""
        if _is_customer(user):
            # `queryset` is selectors.tickets_for_customer(): only what this customer may see.
            if values.get("status"):
                queryset = queryset.filter(status=values["status"])
            if values.get("queue"):
                queryset = queryset.filter(queue=values["queue"])
            if priority:
                queryset = queryset.filter(priority=priority)
            if search:
                queryset = queryset.filter(selectors.ticket_search(search))
            queryset = queryset.order_by(*selectors.ORDERINGS.get(ordering, selectors.ORDERINGS["activity"]))
        else:
            # As the sales API: the selector builds the agent's filtered list itself.
            queryset = selectors.ticket_list(
                user=user,
                search=search,
                view=values.get("view") or "",
                status=values.get("status") or "",
                queue=values.get("queue"),
                priority=priority,
                assignee=assignee if assignee in ("me", "none") else "",
                ordering=ordering,
            )
            if isinstance(assignee, int):
                queryset = queryset.filter(assignee_id=assignee)
        if values.get("organization"):
            queryset = queryset.filter(organization=values["organization"])
        return queryset


# --- the endpoint ------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List tickets",
        description=(
            "Staff see the tickets of the queues they work and those assigned to them (every ticket with "
            "the right to see all queues); customers see their organization's tickets, or only their own "
            "when the organization keeps requests private."
        ),
    ),
    retrieve=extend_schema(
        summary="Get a ticket with its conversation",
        description="Staff get every message, internal notes flagged; customers get the public replies only.",
    ),
    create=extend_schema(
        summary="Open a ticket",
        description=(
            "Customers open a ticket for themselves; staff open one for a requester (required) and may "
            "choose the customer, queue, source and tags. JSON, or multipart/form-data with files."
        ),
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer},
    ),
)
@extend_schema(tags=["service"])
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Support tickets, from the first message to their closing; nothing is changed or deleted but by the actions."""

    permission_classes = [TicketPermissions]
    filterset_class = TicketFilter
    filter_backends = [filters.DjangoFilterBackend]
    lookup_field = "number"

    def _customer(self) -> bool:
        return _is_customer(self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    def get_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model, without a user
            return Ticket.objects.none()
        # Asked by the rights check and by the list: the reader's tickets are looked up once a request.
        if not hasattr(self, "_tickets"):
            user = self.request.user
            if self._customer():
                self._tickets = selectors.tickets_for_customer(user=user)
            else:
                self._tickets = selectors.tickets_for_agent(user=user)
        return self._tickets.all()

    def filter_queryset(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        # The rows' related records and files, in a fixed number of queries whatever the page size.
        return (
            super()
            .filter_queryset(queryset)
            .select_related("requester", "organization", "queue", "category", "assignee")
            .prefetch_related(selectors.visible_attachments(customer=self._customer()))
        )

    def _detail(self, number: int) -> Ticket:
        """The ticket with the conversation the reader may see, or 404."""
        user = self.request.user
        try:
            if self._customer():
                ticket = selectors.portal_ticket(user=user, number=number)
            else:
                ticket = selectors.ticket_detail(user=user, number=number)
        except Ticket.DoesNotExist:
            raise Http404 from None
        prefetch_related_objects([ticket], selectors.visible_attachments(customer=self._customer()))
        return ticket

    def get_object(self) -> Ticket:
        # Not through the filters: the list's query parameters are no business of one ticket's URL.
        number = self.kwargs[self.lookup_field]
        if not _ID.fullmatch(number):
            raise Http404
        ticket = self._detail(int(number))
        self.check_object_permissions(self.request, ticket)
        return ticket

    def _written(self, ticket: Ticket) -> Ticket:
        """The ticket as it is after the reader's write.

        An agent may have routed it to a queue they do not work or assigned it
        away; it was their own write, so they get it back all the same.
        """
        if self._customer():
            return self._detail(ticket.number)
        written = (
            selectors.agent_conversation(Ticket.objects.filter(pk=ticket.pk))
            .prefetch_related(selectors.visible_attachments(customer=False))
            .get()
        )
        return written

    def _answer(self, ticket: Ticket, code: int = HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._written(ticket)).data, status=code)

    def create(self, request: Request) -> Response:
        person = None
        if self._customer():
            person = person_for_portal_user(user=request.user)
            if person is None or not person.is_active:
                raise PermissionDenied(_("Your login is not linked to a contact of a customer."))
        body = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = body.validated_data
        files = attachments.check_uploads(values.get("attachments"))
        if person is not None:
            ticket = services.ticket_open(
                requester=person,
                subject=values["subject"],
                description=values["description"],
                source=Ticket.Source.API,
                actor=request.user,
                category=values.get("category"),
                priority=values.get("priority"),
                attachments=files,
            )
        else:
            ticket = services.ticket_open(
                requester=values["requester"],
                subject=values["subject"],
                description=values["description"],
                source=values.get("source", Ticket.Source.API),
                actor=request.user,
                organization=values.get("organization"),
                category=values.get("category"),
                queue=values.get("queue"),
                priority=values.get("priority"),
                tags=values.get("tags", ()),
                attachments=files,
            )
        return self._answer(ticket, code=HTTP_201_CREATED)

    @extend_schema(
        summary="Answer on a ticket",
        description=(
            "A public reply, or for staff an internal note (`internal`), optionally moving the ticket to "
            "`status` (staff). An agent's first public reply stops the first-response clock; a customer's "
            "reply reopens a ticket that waited on them or was resolved. A closed ticket takes no more "
            "replies. Files as multipart/form-data, field `attachments`."
        ),
        request={"multipart/form-data": ReplySerializer, "application/json": ReplySerializer},
        responses={201: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, number: str | None = None) -> Response:
        ticket = self.get_object()
        body = ReplySerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = body.validated_data
        files = attachments.check_uploads(values.get("attachments"))
        customer = self._customer()
        services.ticket_reply(
            ticket=ticket,
            body=values["body"],
            author=request.user,
            author_person=person_for_portal_user(user=request.user) if customer else None,
            internal=values["internal"],
            source=Ticket.Source.API,
            attachments=files,
            new_status=values.get("status", ""),
        )
        return self._answer(ticket, code=HTTP_201_CREATED)

    @extend_schema(
        summary="Move a ticket to another status",
        description=(
            "Staff move a ticket along its allowed steps (the customer hears of it by e-mail). Customers "
            "may only close it (`closed`) or reopen a resolved or closed one (`open`)."
        ),
        request=StatusSerializer,
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, number: str | None = None) -> Response:
        ticket = self.get_object()
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["status"]
        if not self._customer():
            ticket = services.ticket_set_status(ticket=ticket, status=wanted, actor=request.user)
        elif wanted == Status.CLOSED:
            ticket = services.ticket_customer_close(ticket=ticket, actor=request.user)
        elif wanted == Status.OPEN:
            ticket = services.ticket_customer_reopen(ticket=ticket, actor=request.user)
        else:
            raise serializers.ValidationError({"status": [_("You may close a ticket (closed) or reopen it (open).")]})
        return self._answer(ticket)

    @extend_schema(
        summary="Assign a ticket to an agent, or unassign it",
        description="The new assignee is notified. Takes the right to change tickets.",
        request=AssignSerializer,
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, number: str | None = None) -> Response:
        ticket = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = services.ticket_assign(ticket=ticket, assignee=body.validated_data["assignee"], actor=request.user)
        return self._answer(ticket)

    @extend_schema(
        summary="Rate how a resolved ticket was handled",
        description="Customers only, once the ticket is resolved or closed; a second rating replaces the first.",
        request=RateSerializer,
        responses={200: TicketDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, number: str | None = None) -> Response:
        ticket = self.get_object()
        body = RateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = services.ticket_rate(
            ticket=ticket,
            rating=body.validated_data["rating"],
            comment=body.validated_data.get("comment", ""),
            actor=request.user,
        )
        return self._answer(ticket)
