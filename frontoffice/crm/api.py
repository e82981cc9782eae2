"""The CRM's API: /api/v1/crm/accounts/, /api/v1/crm/contacts/ and /api/v1/crm/activities/.

Reads come from the selectors, writes go through the services (with the
request's user as actor), so the API keeps the same rules, audit trail and
events as the staff pages. Nothing is deleted through the API.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.accounts.models import User
from core.accounts.selectors import staff_users
from core.api.filters import FILTER_BACKENDS, StableOrderingFilter, StrictBooleanFilter
from core.api.permissions import StaffModelPermissions
from core.api.viewsets import NoDeleteModelViewSet
from core.parties.models import Organization, Person
from frontoffice.crm import selectors, services
from frontoffice.crm.models import Account, Activity, ContactProfile

if TYPE_CHECKING:
    from rest_framework.views import APIView


def _actor(serializer: serializers.BaseSerializer) -> User:
    return serializer.context["request"].user


# --- accounts ----------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    """An account as read and changed; its organization is fixed once the account is open."""

    organization_name = serializers.CharField(source="organization.name", read_only=True)
    org_number = serializers.CharField(source="organization.org_number", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(),
        required=False,
        allow_null=True,
        help_text=_("The employee who owns the relationship (an active staff user), or null."),
    )
    owner_name = serializers.CharField(source="owner.get_full_name", read_only=True, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        allow_empty=True,
        help_text=_("Stored in lower case, each once, sorted."),
    )
    open_activities = serializers.IntegerField(read_only=True, help_text=_("Activities not yet done."))

    class Meta:
        model = Account
        fields = [
            "id",
            "organization",
            "organization_name",
            "org_number",
            "owner",
            "owner_name",
            "segment",
            "industry",
            "lifecycle_stage",
            "tags",
            "notes",
            "open_activities",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["organization", "created_at", "updated_at"]

    def update(self, instance: Account, validated_data: dict[str, Any]) -> Account:
        return services.account_update(actor=_actor(self), account=instance, **validated_data)


class AccountOpenSerializer(AccountSerializer):
    """Opening an account: the one moment the organization is chosen."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("The organization; it may have only one account.")
    )

    class Meta(AccountSerializer.Meta):
        read_only_fields = ["created_at", "updated_at"]

    def create(self, validated_data: dict[str, Any]) -> Account:
        return services.account_open(actor=_actor(self), **validated_data)


class AccountFilter(filters.FilterSet):
    """The account list's filters; selectors.account_list applies them, so the API and the page agree."""

    search = filters.CharFilter(
        help_text=_("Part of the organization's name or industry, or the whole organization number.")
    )
    owner = filters.ModelChoiceFilter(queryset=User.objects.filter(kind=User.Kind.STAFF))
    lifecycle_stage = filters.ChoiceFilter(choices=Account.Stage.choices)
    segment = filters.ChoiceFilter(choices=Account.Segment.choices)
    tag = filters.CharFilter(help_text=_("Has this tag (any case)."))

    class Meta:
        model = Account
        fields = ["search", "owner", "lifecycle_stage", "segment", "tag"]

    def filter_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        # `queryset` is selectors.account_list() unfiltered (the view's get_queryset); the selector
        # builds the filtered list itself rather than this FilterSet repeating its search rules.
        values = self.form.cleaned_data
        owner = values.get("owner")
        return selectors.account_list(
            search=(values.get("search") or "").strip(),
            owner_id=owner.pk if owner else None,
            stage=values.get("lifecycle_stage") or "",
            segment=values.get("segment") or "",
            tag=(values.get("tag") or "").strip(),
        )


@extend_schema_view(
    list=extend_schema(summary="List accounts"),
    retrieve=extend_schema(summary="Get an account"),
    create=extend_schema(
        summary="Open an account for an organization",
        request=AccountOpenSerializer,
        responses={201: AccountSerializer},
    ),
    update=extend_schema(summary="Change an account"),
    partial_update=extend_schema(summary="Change some fields of an account"),
)
@extend_schema(tags=["crm"])
class AccountViewSet(NoDeleteModelViewSet):
    """Customer relationships: one account per organization, with owner, segment and stage."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    # ?search= is the selector's (it also finds an organization number however it is typed).
    filter_backends = [filters.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["organization__name", "lifecycle_stage", "open_activities", "created_at", "updated_at"]
    ordering = ["organization__name"]

    def get_queryset(self) -> QuerySet[Account]:
        return selectors.account_list()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return AccountOpenSerializer if self.action == "create" else AccountSerializer


# --- contacts ----------------------------------------------------------------------


class ContactProfilePermissions(StaffModelPermissions):
    """Contacts are people, but reading and changing them here takes the rights on contact profiles."""

    def get_required_permissions(self, method: str, model_cls: type) -> list[str]:
        return super().get_required_permissions(method, ContactProfile)


# Shown as plain strings: one enum named `SourceEnum` (the `source` input) documents the values.
_SOURCE_HELP = _("Where the last change of this consent came from: a `source` value, or empty if never changed.")


class ContactSerializer(serializers.ModelSerializer):
    """A person at a customer, with their role and consent; only role and consent change here."""

    full_name = serializers.CharField(read_only=True)
    role = serializers.CharField(
        source="crm_profile.role",
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=_("Their role in the deal, e.g. decision maker."),
    )
    email_consent = serializers.BooleanField(
        source="crm_profile.email_consent", required=False, help_text=_("Agrees to e-mail.")
    )
    email_consent_at = serializers.DateTimeField(source="crm_profile.email_consent_at", read_only=True, allow_null=True)
    email_consent_source = serializers.CharField(
        source="crm_profile.email_consent_source", read_only=True, help_text=_SOURCE_HELP
    )
    phone_consent = serializers.BooleanField(
        source="crm_profile.phone_consent", required=False, help_text=_("Agrees to phone calls.")
    )
    phone_consent_at = serializers.DateTimeField(source="crm_profile.phone_consent_at", read_only=True, allow_null=True)
    phone_consent_source = serializers.CharField(
        source="crm_profile.phone_consent_source", read_only=True, help_text=_SOURCE_HELP
    )
    source = serializers.ChoiceField(
        choices=ContactProfile.Source.choices,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("Where a change of consent came from; required when a consent changes."),
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "full_name",
            "email",
            "phone",
            "organization",
            "role",
            "email_consent",
            "email_consent_at",
            "email_consent_source",
            "phone_consent",
            "phone_consent_at",
            "phone_consent_source",
            "source",
        ]
        read_only_fields = ["email", "phone", "organization"]

    def to_representation(self, person: Person) -> dict[str, Any]:
        if not hasattr(person, "crm_profile"):
            # No profile yet: shown as a new one, with no role and no consent (nothing is saved).
            person.crm_profile = ContactProfile(person=person)
        return super().to_representation(person)

    def update(self, instance: Person, validated_data: dict[str, Any]) -> Person:
        current = getattr(instance, "crm_profile", None) or ContactProfile(person=instance)
        changes = validated_data.get("crm_profile", {})
        services.contact_profile_update(
            actor=_actor(self),
            person=instance,
            role=changes.get("role", current.role),
            email_consent=changes.get("email_consent", current.email_consent),
            phone_consent=changes.get("phone_consent", current.phone_consent),
            source=validated_data.get("source", ""),
        )
        return instance


class ContactFilter(filters.FilterSet):
    organization = filters.ModelChoiceFilter(queryset=Organization.objects.filter(crm_account__isnull=False))
    email_consent = StrictBooleanFilter(method="filter_consent", help_text=_("Agrees to e-mail."))
    phone_consent = StrictBooleanFilter(method="filter_consent", help_text=_("Agrees to phone calls."))

    class Meta:
        model = Person
        fields = ["organization", "email_consent", "phone_consent"]

    def filter_consent(self, queryset: QuerySet[Person], name: str, value: bool) -> QuerySet[Person]:
        # People without a profile have agreed to nothing.
        agreed = Q(**{f"crm_profile__{name}": True})
        return queryset.filter(agreed if value else ~agreed)


@extend_schema_view(
    list=extend_schema(summary="List contacts at accounts"),
    retrieve=extend_schema(summary="Get a contact"),
    partial_update=extend_schema(summary="Change a contact's role or consent"),
)
@extend_schema(tags=["crm"])
class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """People of organizations that have an account, with their role and consent.

    People themselves are registered and changed under /api/v1/core/people/.
    """

    serializer_class = ContactSerializer
    permission_classes = [ContactProfilePermissions]
    filterset_class = ContactFilter
    filter_backends = FILTER_BACKENDS
    http_method_names = ["get", "patch", "head", "options"]
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["last_name", "first_name", "email", "organization__name"]
    ordering = ["last_name", "first_name"]

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.contact_list()

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


# --- activities --------------------------------------------------------------------


class ActivityPermissions(StaffModelPermissions):
    """Ticking an activity off or opening it again changes it: it takes the change right, though it is a POST."""

    change_actions = frozenset({"done", "reopen"})
    is_change = False

    def has_permission(self, request: Request, view: "APIView") -> bool:
        # DRF makes one instance per request, so this flag never outlives it.
        self.is_change = getattr(view, "action", None) in self.change_actions
        return super().has_permission(request, view)

    def get_required_permissions(self, method: str, model_cls: type) -> list[str]:
        return super().get_required_permissions("PATCH" if self.is_change else method, model_cls)


class ActivitySerializer(serializers.ModelSerializer):
    """An activity as read and changed; what it is linked to is fixed once it is logged."""

    account_name = serializers.CharField(source="account.organization.name", read_only=True, allow_null=True)
    contact_name = serializers.CharField(source="contact.full_name", read_only=True, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(), help_text=_("The employee who does it (an active staff user).")
    )
    assignee_name = serializers.CharField(source="assignee.get_full_name", read_only=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "notes",
            "account",
            "account_name",
            "contact",
            "contact_name",
            "assignee",
            "assignee_name",
            "due_at",
            "done_at",
            "is_done",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["account", "contact", "done_at", "created_by", "created_at"]

    def update(self, instance: Activity, validated_data: dict[str, Any]) -> Activity:
        return services.activity_update(actor=_actor(self), activity=instance, **validated_data)


class ActivityCreateSerializer(ActivitySerializer):
    """Logging or planning an activity: linked to an account, a contact, or both."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False, allow_null=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A person at the account's organization."),
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(),
        default=serializers.CurrentUserDefault(),
        help_text=_("The employee who does it (an active staff user); you when left out."),
    )

    class Meta(ActivitySerializer.Meta):
        read_only_fields = ["done_at", "created_by", "created_at"]

    def create(self, validated_data: dict[str, Any]) -> Activity:
        return services.activity_create(actor=_actor(self), **validated_data)


class ActivityFilter(filters.FilterSet):
    assignee = filters.ModelChoiceFilter(queryset=User.objects.filter(kind=User.Kind.STAFF))
    account = filters.ModelChoiceFilter(queryset=Account.objects.all())
    done = StrictBooleanFilter(method="filter_done", help_text=_("Done (true) or still open (false)."))
    due_after = filters.DateTimeFilter(
        field_name="due_at", lookup_expr="gte", help_text=_("Due at or after this time (ISO 8601 date or date-time).")
    )
    due_before = filters.DateTimeFilter(
        field_name="due_at", lookup_expr="lt", help_text=_("Due before this time (ISO 8601 date or date-time).")
    )

    class Meta:
        model = Activity
        fields = ["assignee", "account", "kind", "done", "due_after", "due_before"]

    def filter_done(self, queryset: QuerySet[Activity], name: str, value: bool) -> QuerySet[Activity]:
        return queryset.filter(done_at__isnull=not value)


@extend_schema_view(
    list=extend_schema(summary="List activities"),
    retrieve=extend_schema(summary="Get an activity"),
    create=extend_schema(
        summary="Log or plan an activity",
        description=(
            "Link it to an account, a contact at the account's organization, or both. "
            "A call, meeting or e-mail without a due date is logged as done."
        ),
        request=ActivityCreateSerializer,
        responses={201: ActivitySerializer},
    ),
    update=extend_schema(summary="Change an activity"),
    partial_update=extend_schema(summary="Change some fields of an activity"),
)
@extend_schema(tags=["crm"])
class ActivityViewSet(NoDeleteModelViewSet):
    """Calls, meetings, e-mails and tasks with customers."""

    serializer_class = ActivitySerializer
    permission_classes = [ActivityPermissions]
    filterset_class = ActivityFilter
    search_fields = ["subject"]
    ordering_fields = ["due_at", "done_at", "created_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Activity]:
        return selectors.activity_list()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ActivityCreateSerializer if self.action == "create" else ActivitySerializer

    def _set_done(self, done: bool) -> Response:
        activity = services.activity_set_done(actor=self.request.user, activity=self.get_object(), done=done)
        activity = self.get_queryset().get(pk=activity.pk)
        return Response(self.get_serializer(activity).data)

    @extend_schema(summary="Mark an activity as done", request=None, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: str | None = None) -> Response:
        return self._set_done(True)

    @extend_schema(summary="Open a done activity again", request=None, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._set_done(False)
