"""The payments API: /api/v1/finance/payments/ (register, allocate), /bank-statements/ (upload a bank file) and
/bank-lines/ (the exceptions list: match or ignore). Money-moving requests take an Idempotency-Key."""

from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.finance import selectors, services
from backoffice.finance.api import IDEMPOTENCY, MONEY
from backoffice.finance.models import BankStatement, BankStatementLine, Invoice, Payment, PaymentAllocation
from core.api.idempotency import idempotent
from core.api.permissions import ActionPermissions
from core.catalog.models import Currency
from core.parties.models import Organization


class PaymentPermissions(ActionPermissions):
    """Reading takes the right to see payments; registering, allocating, importing and matching take
    finance.register_payment."""

    action_permissions = {
        "create": ["finance.register_payment"],
        "allocate": ["finance.register_payment"],
        "match": ["finance.register_payment"],
        "ignore": ["finance.register_payment"],
    }


class AllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["id", "invoice", "invoice_number", "date", "amount", "amount_base", "exchange_difference", "entry"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """A payment received, what it settled and what is left on account."""

    customer = serializers.IntegerField(source="organization_id", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    amount_unallocated = serializers.DecimalField(**MONEY, read_only=True, help_text=_("Left on account."))
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "date",
            "currency",
            "amount",
            "exchange_rate",
            "amount_allocated",
            "amount_unallocated",
            "reference",
            "payer_name",
            "method",
            "bank_line",
            "entry",
            "created_at",
            "allocations",
        ]
        read_only_fields = fields


class AllocationInputSerializer(serializers.Serializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))


class PaymentCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    reference = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    payer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    allocations = AllocationInputSerializer(
        many=True,
        required=False,
        help_text=_("The invoices it pays, in their currency. Left out: the customer's oldest open invoices."),
    )
    on_account = serializers.BooleanField(
        default=False, help_text=_("Keep the whole amount on account; put it on no invoice yet.")
    )


class PaymentAllocateSerializer(serializers.Serializer):
    allocations = AllocationInputSerializer(
        many=True, required=False, help_text=_("Left out: the customer's oldest open invoices.")
    )
    date = serializers.DateField(required=False, allow_null=True)


class PaymentFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="organization_id")
    method = filters.ChoiceFilter(choices=Payment.Method.choices)
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    invoice = filters.NumberFilter(field_name="allocations__invoice", distinct=True)

    class Meta:
        model = Payment
        fields = ["customer", "method", "date_from", "date_to", "invoice"]


def _allocations(items: list[dict]) -> list[services.Allocation]:
    return [services.Allocation(invoice=item["invoice"], amount=item["amount"]) for item in items]


@extend_schema_view(
    list=extend_schema(summary="List payments received"),
    retrieve=extend_schema(summary="Get a payment with the invoices it settled"),
)
@extend_schema(tags=["finance"])
class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Money received from customers, booked to the bank journal and put on their invoices."""

    serializer_class = PaymentSerializer
    permission_classes = [PaymentPermissions]
    filterset_class = PaymentFilter
    filter_backends = [filters.DjangoFilterBackend]
    queryset = Payment.objects.none()

    def get_queryset(self) -> QuerySet[Payment]:
        return selectors.payment_list().prefetch_related("allocations__invoice")

    def get_object(self) -> Payment:
        try:
            payment = selectors.payment_detail(pk=int(self.kwargs[self.lookup_field]))
        except (ValueError, Payment.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, payment)
        return payment

    def _answer(self, payment: Payment, code: int) -> Response:
        payment = selectors.payment_detail(pk=payment.pk)
        return Response(PaymentSerializer(payment, context=self.get_serializer_context()).data, code)

    @extend_schema(
        summary="Register a payment",
        description=(
            "Books the payment to the bank account at the rate of its date and puts it on the given invoices (or "
            "the customer's oldest open invoices); what is left stays on account. Exchange differences are booked. "
            f"{IDEMPOTENCY}"
        ),
        request=PaymentCreateSerializer,
        responses={201: PaymentSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = PaymentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def work() -> Response:
            if data["on_account"]:
                allocations = []
            elif "allocations" in data:
                allocations = _allocations(data["allocations"])
            else:
                allocations = services.allocations_oldest_first(
                    organization=data["customer"], currency=data["currency"].pk, amount=data["amount"]
                )
            payment = services.payment_register(
                actor=request.user,
                organization=data["customer"],
                date=data["date"],
                amount=data["amount"],
                currency=data["currency"].pk,
                allocations=allocations,
                reference=data["reference"],
                payer_name=data["payer_name"],
            )
            return self._answer(payment, status.HTTP_201_CREATED)

        return idempotent(request, work)

    @extend_schema(
        summary="Put money on account on invoices",
        description=f"Allocates what is left of a payment to open invoices of its customer. {IDEMPOTENCY}",
        request=PaymentAllocateSerializer,
        responses={200: PaymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str | None = None) -> Response:
        payment = self.get_object()
        body = PaymentAllocateSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def work() -> Response:
            if body.validated_data.get("allocations"):
                allocations = _allocations(body.validated_data["allocations"])
            else:
                allocations = services.allocations_oldest_first(
                    organization=payment.organization, currency=payment.currency_id, amount=payment.amount_unallocated
                )
            updated = services.payment_allocate(
                actor=request.user, payment=payment, allocations=allocations, date=body.validated_data.get("date")
            )
            return self._answer(updated, status.HTTP_200_OK)

        return idempotent(request, work)


# --- bank files -------------------------------------------------------------------------------------------------


class BankStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = [
            "id",
            "file_name",
            "format",
            "account_iban",
            "statement_date",
            "line_count",
            "match_state",
            "processed_lines",
            "matched_lines",
            "match_error",
            "imported_at",
        ]
        read_only_fields = fields


class BankStatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A CSV export or an ISO 20022 camt.053 statement (at most 10 MB)."))

    def validate_file(self, upload):
        if upload.size > 10 * 1024 * 1024:
            raise serializers.ValidationError(_("A bank file may be at most 10 MB."))
        return upload


class BankLineSerializer(serializers.ModelSerializer):
    payment = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = BankStatementLine
        fields = [
            "id",
            "statement",
            "position",
            "date",
            "amount",
            "currency",
            "reference",
            "counterparty",
            "bank_reference",
            "state",
            "note",
            "payment",
        ]
        read_only_fields = fields


class BankLineMatchSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    invoices = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Invoice.objects.all(),
        required=False,
        help_text=_("The invoices it pays; left out: the customer's oldest open invoices."),
    )


class BankLineIgnoreSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, help_text=_("Why the line is not booked."))


@extend_schema_view(
    list=extend_schema(summary="List imported bank files"),
    retrieve=extend_schema(summary="Get a bank file and how far its matching has come"),
)
@extend_schema(tags=["finance"])
class BankStatementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Bank files: upload one and its lines are matched to open invoices in the background."""

    serializer_class = BankStatementSerializer
    permission_classes = [PaymentPermissions]
    parser_classes = [MultiPartParser]
    queryset = BankStatement.objects.order_by("-imported_at", "-pk")

    @extend_schema(
        summary="Import a bank file",
        description="Reads the file (refused whole, with its row errors, when any row is unreadable; the same file "
        "twice is refused) and answers 201 at once; follow `match_state` and `processed_lines` on the statement.",
        request={"multipart/form-data": BankStatementUploadSerializer},
        responses={201: BankStatementSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = BankStatementUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        statement = services.bank_statement_import(actor=request.user, file_name=upload.name, content=upload.read())
        return Response(BankStatementSerializer(statement).data, status.HTTP_201_CREATED)


class BankLineFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=BankStatementLine.State.choices)
    statement = filters.NumberFilter(field_name="statement_id")

    class Meta:
        model = BankStatementLine
        fields = ["state", "statement"]


@extend_schema_view(
    list=extend_schema(summary="List bank lines (state=new: the exceptions list)"),
    retrieve=extend_schema(summary="Get a bank line"),
)
@extend_schema(tags=["finance"])
class BankLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The transactions of bank files; those still `new` named no open invoice and wait for a person."""

    serializer_class = BankLineSerializer
    permission_classes = [PaymentPermissions]
    filterset_class = BankLineFilter
    filter_backends = [filters.DjangoFilterBackend]
    queryset = BankStatementLine.objects.select_related("payment").order_by("date", "pk")

    @extend_schema(
        summary="Book an unmatched bank line for a customer",
        description=f"It pays the given invoices (or the oldest open ones); the rest stays on account. {IDEMPOTENCY}",
        request=BankLineMatchSerializer,
        responses={201: PaymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: str | None = None) -> Response:
        line = self.get_object()
        body = BankLineMatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def work() -> Response:
            payment = services.bank_line_match(
                actor=request.user,
                line=line,
                organization=body.validated_data["customer"],
                invoices=body.validated_data.get("invoices") or None,
            )
            payment = selectors.payment_detail(pk=payment.pk)
            return Response(PaymentSerializer(payment).data, status.HTTP_201_CREATED)

        return idempotent(request, work)

    @extend_schema(
        summary="Take a bank line off the exceptions list",
        request=BankLineIgnoreSerializer,
        responses={200: BankLineSerializer},
    )
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str | None = None) -> Response:
        line = self.get_object()
        body = BankLineIgnoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = services.bank_line_ignore(actor=request.user, line=line, note=body.validated_data["note"])
        return Response(BankLineSerializer(line).data)
