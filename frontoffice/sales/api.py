"""The sales API: /api/v1/sales/stages/, /api/v1/sales/leads/ and /api/v1/sales/opportunities/.

Reads come from the selectors, writes go through the services (with the
request's user as actor), so the API keeps the same rules, audit trail and
events as the staff pages. Nothing is deleted through the API.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.accounts.models import User
from core.accounts.selectors import staff_users
from core.api.filters import StableOrderingFilter
from core.api.permissions import StaffModelPermissions
from core.api.viewsets import NoDeleteModelViewSet
from core.catalog.models import Currency
from core.parties.models import Person
from frontoffice.crm.models import Account
from frontoffice.sales import selectors, services
from frontoffice.sales.models import Lead, Opportunity, PipelineStage

if TYPE_CHECKING:
    from rest_framework.views import APIView


def _actor(serializer: serializers.BaseSerializer) -> User:
    return serializer.context["request"].user


class ActionPermissions(StaffModelPermissions):
    """Model rights, where a POST action of the viewset takes the rights listed for it instead of `add_`."""

    action_permissions: dict[str, list[str]] = {}
    action: str | None = None

    def has_permission(self, request: Request, view: "APIView") -> bool:
        # DRF makes one instance per request, so this never outlives it.
        self.action = getattr(view, "action", None)
        return super().has_permission(request, view)

    def get_required_permissions(self, method: str, model_cls: type) -> list[str]:
        if self.action in self.action_permissions:
            return list(self.action_permissions[self.action])
        return super().get_required_permissions(method, model_cls)


# --- stages ------------------------------------------------------------------------


class PipelineStageSerializer(serializers.ModelSerializer):
    """A step of the pipeline, with the chance of winning an opportunity that is there."""

    class Meta:
        model = PipelineStage
        fields = ["id", "name", "position", "probability"]


@extend_schema_view(list=extend_schema(summary="List the stages of the pipeline"))
@extend_schema(tags=["sales"])
class PipelineStageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active stages of the pipeline, in their order; they are set up in the admin."""

    serializer_class = PipelineStageSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[PipelineStage]:
        return selectors.active_stages()


# --- opportunities -----------------------------------------------------------------


class OpportunityPermissions(ActionPermissions):
    """Moving, winning and losing change an opportunity: they take the change right, though they are POSTs."""

    action_permissions = {name: ["sales.change_opportunity"] for name in ("move", "mark_won", "mark_lost")}


class OpportunitySerializer(serializers.ModelSerializer):
    """An opportunity as read; after it is opened it changes only through its actions."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    account_name = serializers.CharField(source="account.organization.name", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A person at the account's organization, or null."),
    )
    stage = serializers.PrimaryKeyRelatedField(
        queryset=selectors.active_stages(), help_text=_("An active stage of the pipeline.")
    )
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("What the deal is worth, excluding VAT; 0 when left out."),
    )
    currency = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Currency.objects.all(),
        required=False,
        help_text=_("ISO 4217 code; SEK when left out."),
    )
    effective_probability = serializers.IntegerField(
        read_only=True, help_text=_("The chance of winning in percent: the own probability, else the stage's.")
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(),
        default=serializers.CurrentUserDefault(),
        allow_null=True,
        help_text=_("The employee who owns the deal (an active staff user); you when left out."),
    )
    owner_name = serializers.CharField(source="owner.get_full_name", read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "account",
            "account_name",
            "contact",
            "stage",
            "stage_name",
            "amount",
            "currency",
            "probability",
            "effective_probability",
            "expected_close",
            "owner",
            "owner_name",
            "status",
            "lost_reason",
            "closed_at",
            "lead",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "lost_reason", "closed_at", "lead", "created_at", "updated_at"]
        extra_kwargs = {"probability": {"help_text": _("Percent; null to use the stage's.")}}

    def create(self, validated_data: dict[str, Any]) -> Opportunity:
        return services.opportunity_create(actor=_actor(self), **validated_data)


class OpportunityMoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(
        queryset=selectors.active_stages(), help_text=_("The active stage to move to.")
    )


class OpportunityLostSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Why it was lost, for the win/loss analysis; without one the answer is a 400 naming lost_reason."),
    )


class OpportunityFilter(filters.FilterSet):
    """The opportunity list's filters; selectors.opportunity_list applies them, so the API and the page agree."""

    search = filters.CharFilter(help_text=_("Part of the opportunity's name or of the account's name."))
    status = filters.ChoiceFilter(choices=Opportunity.Status.choices)
    stage = filters.ModelChoiceFilter(queryset=PipelineStage.objects.all())
    owner = filters.ModelChoiceFilter(queryset=User.objects.filter(kind=User.Kind.STAFF))
    account = filters.ModelChoiceFilter(queryset=Account.objects.all())

    class Meta:
        model = Opportunity
        fields = ["search", "status", "stage", "owner", "account"]

    def filter_queryset(self, queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
        # `queryset` is selectors.opportunity_list() unfiltered (the view's get_queryset); the
        # selector builds the filtered list itself rather than this FilterSet repeating its rules.
        values = self.form.cleaned_data
        stage, owner, account = values.get("stage"), values.get("owner"), values.get("account")
        return selectors.opportunity_list(
            search=(values.get("search") or "").strip(),
            status=values.get("status") or "",
            stage_id=stage.pk if stage else None,
            owner_id=owner.pk if owner else None,
            account_id=account.pk if account else None,
        )


@extend_schema_view(
    list=extend_schema(summary="List opportunities"),
    retrieve=extend_schema(summary="Get an opportunity"),
    create=extend_schema(summary="Open an opportunity for an account"),
)
@extend_schema(tags=["sales"])
class OpportunityViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Possible deals with accounts, through the pipeline until they are won or lost."""

    serializer_class = OpportunitySerializer
    permission_classes = [OpportunityPermissions]
    filterset_class = OpportunityFilter
    # ?search= is the selector's.
    filter_backends = [filters.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["expected_close", "amount"]
    ordering = ["expected_close", "-pk"]

    def get_queryset(self) -> QuerySet[Opportunity]:
        return selectors.opportunity_list()

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def _answer(self, opportunity: Opportunity) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=opportunity.pk)).data)

    @extend_schema(
        summary="Move an opportunity to another stage",
        request=OpportunityMoveSerializer,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_object()
        body = OpportunityMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.opportunity_move(actor=request.user, opportunity=opportunity, stage=body.validated_data["stage"])
        )

    @extend_schema(summary="Mark an opportunity as won", request=None, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"], url_path="mark-won")
    def mark_won(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.opportunity_mark_won(actor=request.user, opportunity=self.get_object()))

    @extend_schema(
        summary="Mark an opportunity as lost, with the reason",
        request=OpportunityLostSerializer,
        responses={200: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"], url_path="mark-lost")
    def mark_lost(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_object()
        body = OpportunityLostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.opportunity_mark_lost(
                actor=request.user, opportunity=opportunity, reason=body.validated_data.get("reason", "")
            )
        )


# --- leads -------------------------------------------------------------------------


class LeadPermissions(ActionPermissions):
    """Converting changes the lead and opens an opportunity: it takes both rights."""

    action_permissions = {"convert": ["sales.change_lead", "sales.add_opportunity"]}


class LeadSerializer(serializers.ModelSerializer):
    """A lead as read and changed; it becomes converted only through its convert action."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(),
        required=False,
        allow_null=True,
        help_text=_("The employee who follows the lead up (an active staff user), or null."),
    )
    owner_name = serializers.CharField(source="owner.get_full_name", read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "company_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "source",
            "campaign",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "status",
            "notes",
            "owner",
            "owner_name",
            "converted_at",
            "converted_account",
            "converted_contact",
            "created_at",
        ]
        read_only_fields = ["converted_at", "converted_account", "converted_contact", "created_at"]
        extra_kwargs = {
            "email": {"help_text": _("Stored in lower case.")},
            "status": {"help_text": _("Any but converted: a lead becomes converted by its convert action.")},
        }

    def create(self, validated_data: dict[str, Any]) -> Lead:
        return services.lead_create(actor=_actor(self), **validated_data)

    def update(self, instance: Lead, validated_data: dict[str, Any]) -> Lead:
        return services.lead_update(actor=_actor(self), lead=instance, **validated_data)


class LeadConvertSerializer(serializers.Serializer):
    """What converting a lead needs; everything else comes from the lead."""

    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("An existing account; null or left out: Kontor finds the company by its name or creates it."),
    )
    opportunity_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("The new opportunity's name; '<company>: new business' when empty."),
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        default=Decimal("0"),
        help_text=_("What the deal is worth, excluding VAT; 0 when left out."),
    )


class LeadFilter(filters.FilterSet):
    """The lead list's filters; selectors.lead_list applies them, so the API and the page agree."""

    search = filters.CharFilter(help_text=_("Part of the company or last name, or the whole e-mail address."))
    status = filters.ChoiceFilter(choices=Lead.Status.choices)
    owner = filters.ModelChoiceFilter(queryset=User.objects.filter(kind=User.Kind.STAFF))
    source = filters.ChoiceFilter(choices=Lead.Source.choices)

    class Meta:
        model = Lead
        fields = ["search", "status", "owner", "source"]

    def filter_queryset(self, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        # As OpportunityFilter: the selector builds the filtered list.
        values = self.form.cleaned_data
        owner, source = values.get("owner"), values.get("source")
        return selectors.lead_list(
            search=(values.get("search") or "").strip(),
            status=values.get("status") or "",
            owner_id=owner.pk if owner else None,
            source=source or "",
        )


@extend_schema_view(
    list=extend_schema(summary="List leads"),
    retrieve=extend_schema(summary="Get a lead"),
    create=extend_schema(summary="Register a lead"),
    update=extend_schema(summary="Change a lead"),
    partial_update=extend_schema(summary="Change some fields of a lead"),
)
@extend_schema(tags=["sales"])
class LeadViewSet(NoDeleteModelViewSet):
    """People who may want to buy, from web forms, imports, campaigns and calls, until they are converted."""

    serializer_class = LeadSerializer
    permission_classes = [LeadPermissions]
    filterset_class = LeadFilter
    # ?search= is the selector's.
    filter_backends = [filters.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["created_at", "company_name"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Lead]:
        return selectors.lead_list()

    @extend_schema(
        summary="Convert a lead into an account, a contact and an opportunity",
        description=(
            "An existing customer is found by the lead's company name and reused, and so is a person "
            "with the lead's e-mail address; only what is missing is created. Answers with the new "
            "opportunity. Takes the rights to change leads and to add opportunities."
        ),
        request=LeadConvertSerializer,
        responses={201: OpportunitySerializer},
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        body = LeadConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        opportunity = services.lead_convert(actor=request.user, lead=lead, **body.validated_data)
        opportunity = selectors.opportunity_list().get(pk=opportunity.pk)
        return Response(
            OpportunitySerializer(opportunity, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
