"""The sales API: /api/v1/sales/ stages, leads, opportunities, quotes and orders.

Reads come from the selectors, writes go through the services (with the
request's user as actor), so the API keeps the same rules, audit trail and
events as the staff pages. Nothing is deleted through the API.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.accounts.models import User
from core.accounts.selectors import staff_users
from core.api.filters import StableOrderingFilter
from core.api.permissions import StaffModelPermissions
from core.api.viewsets import NoDeleteModelViewSet
from core.catalog.models import Currency, Product
from core.parties.models import Person
from frontoffice.crm.models import Account
from frontoffice.sales import selectors, services
from frontoffice.sales.models import (
    Lead,
    Opportunity,
    PipelineStage,
    PricedDocument,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)
from frontoffice.sales.pdf import quote_pdf

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


# --- quotes and orders -------------------------------------------------------------

# Documents change through their services only: totals and statuses are never taken from the client.
DOCUMENT_READ_ONLY_FIELDS = ["subtotal", "tax_total", "total", "created_at", "updated_at"]


# Said in the create and change operations of quotes and orders.
LINE_ERRORS = (
    "A line the API cannot read is named by its index from 0, as in "
    '`{"lines": {"1": {"quantity": ["..."]}}}`; a line a business rule refuses is named from 1, as in '
    '`{"lines": ["Line 2: ..."]}`. Either way nothing is saved. Totals are computed, never taken from the request.'
)


class PricedLineSerializer(serializers.ModelSerializer):
    """One line of a quote or an order: a product, whose name, price and VAT fill in what is left out, or a text."""

    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A product of the catalogue, or null for a line of text with its own price."),
    )
    product_sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True)
    description = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text=_("The product's name when left out; required on a line without a product."),
    )
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text=_("Excluding VAT; the product's list price when left out."),
    )
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        help_text=_("VAT in percent; the product's rate when left out."),
    )

    class Meta:
        fields = [
            "id",
            "position",
            "product",
            "product_sku",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "net_amount",
            "tax_amount",
        ]
        read_only_fields = ["position", "net_amount", "tax_amount"]
        extra_kwargs = {
            "position": {"help_text": _("The line's place on the document: its place in `lines`.")},
            "discount_percent": {"help_text": _("Percent off the unit price, 0 to 100; 0 when left out.")},
            "net_amount": {"help_text": _("Quantity × price less the discount, excluding VAT, rounded.")},
        }


class QuoteLineSerializer(PricedLineSerializer):
    class Meta(PricedLineSerializer.Meta):
        model = QuoteLine


class SalesOrderLineSerializer(PricedLineSerializer):
    class Meta(PricedLineSerializer.Meta):
        model = SalesOrderLine


class TaxRateTotalSerializer(serializers.Serializer):
    """The net and the VAT of one VAT rate on a document, rounded as its totals were."""

    rate = serializers.DecimalField(max_digits=5, decimal_places=2, help_text=_("VAT in percent."))
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2)


def _lines_for_service(lines: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if lines is None else [dict(line) for line in lines]


class PricedDocumentSummarySerializer(serializers.ModelSerializer):
    """What quotes and orders show in a list: who, how much, and where the document stands."""

    account_name = serializers.CharField(source="account.organization.name", read_only=True)
    currency = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Currency.objects.all(),
        required=False,
        help_text=_("ISO 4217 code; SEK when left out."),
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(),
        required=False,
        allow_null=True,
        help_text=_("The salesperson (an active staff user); you when left out."),
    )
    owner_name = serializers.CharField(source="owner.get_full_name", read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "account",
            "account_name",
            "owner",
            "owner_name",
            "currency",
            "subtotal",
            "tax_total",
            "total",
            "created_at",
        ]
        read_only_fields = ["number", "status", *DOCUMENT_READ_ONLY_FIELDS]


class PricedDocumentSerializer(PricedDocumentSummarySerializer):
    """A whole quote or order: terms, lines, totals and VAT per rate. Lines, when given, replace all lines."""

    tax_breakdown = serializers.SerializerMethodField(help_text=_("Net and VAT per VAT rate, highest rate first."))

    class Meta(PricedDocumentSummarySerializer.Meta):
        fields = [
            *PricedDocumentSummarySerializer.Meta.fields,
            "contact",
            "opportunity",
            "tax_rounding",
            "payment_terms_days",
            "delivery_address",
            "notes",
            "lines",
            "tax_breakdown",
            "updated_at",
        ]
        extra_kwargs = {
            "contact": {"help_text": _("A person at the customer's organization, or null.")},
            "opportunity": {"help_text": _("An opportunity of the same account, or null.")},
            "delivery_address": {"help_text": _("An address of the customer's organization, or null.")},
        }

    @extend_schema_field(TaxRateTotalSerializer(many=True))
    def get_tax_breakdown(self, document: PricedDocument) -> list[dict[str, Any]]:
        breakdown = selectors.document_tax_breakdown(document)
        rows = [{"rate": rate, "net": net, "tax": tax} for rate, (net, tax) in sorted(breakdown.items(), reverse=True)]
        return TaxRateTotalSerializer(rows, many=True).data


class QuoteSummarySerializer(PricedDocumentSummarySerializer):
    """A quote in a list."""

    reference = serializers.CharField(read_only=True, help_text=_("The number, with '-<version>' from version 2 on."))

    class Meta(PricedDocumentSummarySerializer.Meta):
        model = Quote
        fields = [
            *PricedDocumentSummarySerializer.Meta.fields[:2],
            "version",
            "reference",
            *PricedDocumentSummarySerializer.Meta.fields[2:],
            "valid_until",
            "sent_at",
            "responded_at",
        ]
        read_only_fields = [
            *PricedDocumentSummarySerializer.Meta.read_only_fields,
            "version",
            "sent_at",
            "responded_at",
        ]


class QuoteSerializer(PricedDocumentSerializer, QuoteSummarySerializer):
    """A quote with its lines; only a draft is changed, a sent one is revised into a new version."""

    lines = QuoteLineSerializer(many=True, max_length=500, help_text=_("Replace all lines when given."))
    previous_reference = serializers.CharField(source="previous.reference", read_only=True, allow_null=True)
    pdf_url = serializers.SerializerMethodField(help_text=_("The quote as a PDF (GET it with the same credentials)."))

    class Meta(QuoteSummarySerializer.Meta):
        fields = [
            *QuoteSummarySerializer.Meta.fields,
            *(name for name in PricedDocumentSerializer.Meta.fields if name not in QuoteSummarySerializer.Meta.fields),
            "previous",
            "previous_reference",
            "sent_to",
            "responded_by",
            "responded_by_name",
            "response_note",
            "pdf_url",
        ]
        read_only_fields = [
            *QuoteSummarySerializer.Meta.read_only_fields,
            "previous",
            "sent_to",
            "responded_by",
            "responded_by_name",
            "response_note",
        ]
        extra_kwargs = {
            **PricedDocumentSerializer.Meta.extra_kwargs,
            "valid_until": {"required": False, "help_text": _("30 days from today when left out.")},
            "previous": {"help_text": _("The version this one revises, or null.")},
            "response_note": {"help_text": _("What the customer said with their answer.")},
        }

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, quote: Quote) -> str:
        path = reverse("sales-quote-pdf", args=[quote.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def create(self, validated_data: dict[str, Any]) -> Quote:
        lines = _lines_for_service(validated_data.pop("lines"))
        return services.quote_create(actor=_actor(self), lines=lines, **validated_data)

    def update(self, instance: Quote, validated_data: dict[str, Any]) -> Quote:
        lines = _lines_for_service(validated_data.pop("lines", None))
        return services.quote_update(actor=_actor(self), quote=instance, lines=lines, **validated_data)


class SalesOrderSummarySerializer(PricedDocumentSummarySerializer):
    """An order in a list, with how far invoicing and delivery have come (as the back office reported)."""

    quote_reference = serializers.CharField(source="quote.reference", read_only=True, allow_null=True)
    invoice_status_display = serializers.CharField(source="get_invoice_status_display", read_only=True)
    delivery_status_display = serializers.CharField(source="get_delivery_status_display", read_only=True)

    class Meta(PricedDocumentSummarySerializer.Meta):
        model = SalesOrder
        fields = [
            *PricedDocumentSummarySerializer.Meta.fields,
            "customer_reference",
            "quote",
            "quote_reference",
            "invoice_status",
            "invoice_status_display",
            "delivery_status",
            "delivery_status_display",
            "carrier",
            "tracking_number",
            "confirmed_at",
            "cancelled_at",
        ]
        read_only_fields = [
            *PricedDocumentSummarySerializer.Meta.read_only_fields,
            "quote",
            "invoice_status",
            "delivery_status",
            "carrier",
            "tracking_number",
            "confirmed_at",
            "cancelled_at",
        ]


class SalesOrderSerializer(PricedDocumentSerializer, SalesOrderSummarySerializer):
    """An order with its lines; only a draft is changed. Confirming and cancelling are its actions."""

    lines = SalesOrderLineSerializer(many=True, max_length=500, help_text=_("Replace all lines when given."))

    class Meta(SalesOrderSummarySerializer.Meta):
        fields = [
            *SalesOrderSummarySerializer.Meta.fields,
            *(
                name
                for name in PricedDocumentSerializer.Meta.fields
                if name not in SalesOrderSummarySerializer.Meta.fields
            ),
            "cancel_reason",
        ]
        read_only_fields = [*SalesOrderSummarySerializer.Meta.read_only_fields, "cancel_reason"]
        extra_kwargs = {
            **PricedDocumentSerializer.Meta.extra_kwargs,
            "delivery_address": {
                "help_text": _("An address of the customer's organization; their shipping address when left out.")
            },
            "quote": {"help_text": _("The accepted quote the order came from, or null.")},
        }

    def create(self, validated_data: dict[str, Any]) -> SalesOrder:
        lines = _lines_for_service(validated_data.pop("lines"))
        return services.order_create(actor=_actor(self), lines=lines, **validated_data)

    def update(self, instance: SalesOrder, validated_data: dict[str, Any]) -> SalesOrder:
        lines = _lines_for_service(validated_data.pop("lines", None))
        return services.order_update(actor=_actor(self), order=instance, lines=lines, **validated_data)


class QuoteSendSerializer(serializers.Serializer):
    to = serializers.EmailField(
        required=False, allow_blank=True, help_text=_("The recipient; the contact's e-mail address when left out.")
    )
    message = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text=_("A few words above the link in the e-mail.")
    )


class QuoteAnswerSerializer(serializers.Serializer):
    """The customer's answer, registered by an employee (e.g. given on the phone)."""

    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Who at the customer answered; your name is recorded when left out."),
    )
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text=_("What the customer said with the answer.")
    )


class SalesOrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Why the order is cancelled; without one the answer is a 400 naming reason."),
    )


class SalesOrderFromQuoteSerializer(serializers.Serializer):
    quote = serializers.PrimaryKeyRelatedField(queryset=Quote.objects.all(), help_text=_("An accepted quote."))


class QuotePermissions(ActionPermissions):
    """Sending, revising and answering change a quote; revising adds a version, accepting adds an order."""

    action_permissions = {
        "send": ["sales.change_quote"],
        "revise": ["sales.change_quote", "sales.add_quote"],
        "accept": ["sales.change_quote", "sales.add_salesorder"],
        "decline": ["sales.change_quote"],
        "cancel": ["sales.change_quote"],
    }


class SalesOrderPermissions(ActionPermissions):
    """Confirming and cancelling change an order: readers of orders (finance, logistics, service) may not."""

    action_permissions = {
        "confirm": ["sales.change_salesorder"],
        "cancel": ["sales.change_salesorder"],
        "from_quote": ["sales.view_quote", "sales.add_salesorder"],
    }


class QuoteFilter(filters.FilterSet):
    """The quote list's filters; selectors.quote_list applies them, so the API and the page agree."""

    search = filters.CharFilter(help_text=_("The whole quote number, or part of the customer's name."))
    status = filters.ChoiceFilter(choices=Quote.Status.choices)
    account = filters.ModelChoiceFilter(queryset=Account.objects.all())
    owner = filters.ModelChoiceFilter(queryset=User.objects.filter(kind=User.Kind.STAFF))

    class Meta:
        model = Quote
        fields = ["search", "status", "account", "owner"]

    def filter_queryset(self, queryset: QuerySet[Quote]) -> QuerySet[Quote]:
        # As OpportunityFilter: the selector builds the filtered list.
        values = self.form.cleaned_data
        account, owner = values.get("account"), values.get("owner")
        return selectors.quote_list(
            search=(values.get("search") or "").strip(),
            status=values.get("status") or "",
            account_id=account.pk if account else None,
            owner_id=owner.pk if owner else None,
        )


class SalesOrderFilter(filters.FilterSet):
    """The order list's filters; selectors.order_list applies them, so the API and the page agree."""

    search = filters.CharFilter(
        help_text=_("The whole order number or customer's reference, or part of the customer's name.")
    )
    status = filters.ChoiceFilter(choices=SalesOrder.Status.choices)
    account = filters.ModelChoiceFilter(queryset=Account.objects.all())
    owner = filters.ModelChoiceFilter(queryset=User.objects.filter(kind=User.Kind.STAFF))
    invoice_status = filters.ChoiceFilter(choices=SalesOrder.InvoiceStatus.choices)
    delivery_status = filters.ChoiceFilter(choices=SalesOrder.DeliveryStatus.choices)

    class Meta:
        model = SalesOrder
        fields = ["search", "status", "account", "owner", "invoice_status", "delivery_status"]

    def filter_queryset(self, queryset: QuerySet[SalesOrder]) -> QuerySet[SalesOrder]:
        values = self.form.cleaned_data
        account, owner = values.get("account"), values.get("owner")
        return selectors.order_list(
            search=(values.get("search") or "").strip(),
            status=values.get("status") or "",
            account_id=account.pk if account else None,
            owner_id=owner.pk if owner else None,
            invoice_status=values.get("invoice_status") or "",
            delivery_status=values.get("delivery_status") or "",
        )


class PricedDocumentViewSet(NoDeleteModelViewSet):
    """Lists come from the list selector, one document (lines and all) from the detail selector.

    get_object() does not go through the filters: they rebuild the list from
    the selector, which would drop the detail selector's prefetched lines.
    """

    filter_backends = [filters.DjangoFilterBackend, StableOrderingFilter]
    model: type[Quote] | type[SalesOrder]
    summary_serializer_class: type[serializers.ModelSerializer]

    def _detail(self, pk: int) -> Any:
        raise NotImplementedError

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return self.summary_serializer_class if self.action == "list" else self.serializer_class

    def get_object(self) -> Any:
        try:
            document = self._detail(int(self.kwargs[self.lookup_field]))
        except (ValueError, self.model.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, document)
        return document

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save()
        serializer.instance = self._detail(serializer.instance.pk)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save()
        serializer.instance = self._detail(serializer.instance.pk)

    def _answer(self, document: PricedDocument, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._detail(document.pk)).data, status=code)


class PDFRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`; the PDF itself is made by the view."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else b""


@extend_schema_view(
    list=extend_schema(summary="List quotes"),
    retrieve=extend_schema(summary="Get a quote with its lines"),
    create=extend_schema(summary="Draft a quote with its lines", description=LINE_ERRORS),
    update=extend_schema(summary="Change a draft quote", description=LINE_ERRORS),
    partial_update=extend_schema(summary="Change some fields of a draft quote", description=LINE_ERRORS),
)
@extend_schema(tags=["sales"])
class QuoteViewSet(PricedDocumentViewSet):
    """Offers to customers: drafted, sent, answered; a sent quote is revised into a new version, never edited."""

    model = Quote
    serializer_class = QuoteSerializer
    summary_serializer_class = QuoteSummarySerializer
    permission_classes = [QuotePermissions]
    filterset_class = QuoteFilter
    ordering_fields = ["created_at", "valid_until", "total", "number"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Quote]:
        return selectors.quote_list()

    def _detail(self, pk: int) -> Quote:
        return selectors.quote_detail(pk=pk)

    @extend_schema(
        summary="The quote as a PDF",
        description="The document the customer gets by e-mail, in the language of the request.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        quote = self.get_object()
        response = HttpResponse(quote_pdf(quote, language=get_language()), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{quote.reference}.pdf"'
        return response

    @extend_schema(
        summary="Send a quote to the customer by e-mail",
        description="Mails the PDF and a link to answer it; a sent quote may be sent again.",
        request=QuoteSendSerializer,
        responses={200: QuoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        quote = self.get_object()
        body = QuoteSendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.quote_send(actor=request.user, quote=quote, **body.validated_data))

    @extend_schema(
        summary="Revise a sent or declined quote into a new draft version",
        description="The old version is kept as it was, marked revised. Answers with the new version.",
        request=None,
        responses={201: QuoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None) -> Response:
        revision = services.quote_revise(actor=request.user, quote=self.get_object())
        return self._answer(revision, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Register the customer's acceptance of a sent quote",
        description=(
            "For an answer the customer gave another way than the link (on the phone, say): you are "
            "recorded as the one who registered it. Wins the opportunity and answers with the drafted "
            "order. Takes the rights to change quotes and to add orders."
        ),
        request=QuoteAnswerSerializer,
        responses={201: SalesOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        quote = self.get_object()
        body = QuoteAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.quote_accept(quote=quote, user=request.user, **body.validated_data)
        return Response(
            SalesOrderSerializer(selectors.order_detail(pk=order.pk), context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Register the customer's refusal of a sent quote",
        request=QuoteAnswerSerializer,
        responses={200: QuoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        quote = self.get_object()
        body = QuoteAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.quote_decline(quote=quote, user=request.user, **body.validated_data))

    @extend_schema(
        summary="Withdraw a draft or sent quote",
        description="Its answer link stops working.",
        request=None,
        responses={200: QuoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.quote_cancel(actor=request.user, quote=self.get_object()))


@extend_schema_view(
    list=extend_schema(summary="List sales orders"),
    retrieve=extend_schema(summary="Get a sales order with its lines"),
    create=extend_schema(summary="Draft a sales order with its lines (without a quote)", description=LINE_ERRORS),
    update=extend_schema(summary="Change a draft sales order", description=LINE_ERRORS),
    partial_update=extend_schema(summary="Change some fields of a draft sales order", description=LINE_ERRORS),
)
@extend_schema(tags=["sales"])
class SalesOrderViewSet(PricedDocumentViewSet):
    """What customers have ordered: drafted, then confirmed (the back office invoices and delivers) or cancelled."""

    model = SalesOrder
    serializer_class = SalesOrderSerializer
    summary_serializer_class = SalesOrderSummarySerializer
    permission_classes = [SalesOrderPermissions]
    filterset_class = SalesOrderFilter
    ordering_fields = ["created_at", "total", "number"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[SalesOrder]:
        return selectors.order_list()

    def _detail(self, pk: int) -> SalesOrder:
        return selectors.order_detail(pk=pk)

    @extend_schema(
        summary="Draft the sales order of an accepted quote",
        description=(
            "Accepting a quote already drafts its order; this is for an accepted quote that has none. "
            "The order takes the quote's lines and terms, priced exactly as quoted."
        ),
        request=SalesOrderFromQuoteSerializer,
        responses={201: SalesOrderSerializer},
    )
    @action(detail=False, methods=["post"], url_path="from-quote")
    def from_quote(self, request: Request) -> Response:
        body = SalesOrderFromQuoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_create_from_quote(actor=request.user, quote=body.validated_data["quote"])
        return self._answer(order, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm a draft sales order",
        description=(
            "Makes the order binding and tells the back office to invoice and deliver it. "
            "Refused (400) while finance has the customer on credit hold."
        ),
        request=None,
        responses={200: SalesOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.order_confirm(actor=request.user, order=self.get_object()))

    @extend_schema(
        summary="Cancel a sales order, with the reason",
        description="A confirmed order's cancellation reaches the back office; a dispatched order is returned instead.",
        request=SalesOrderCancelSerializer,
        responses={200: SalesOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = SalesOrderCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.order_cancel(actor=request.user, order=order, reason=body.validated_data.get("reason", ""))
        )
