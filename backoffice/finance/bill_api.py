"""The supplier bill API: /api/v1/finance/bills/ and /api/v1/finance/payment-runs/.

Reads come from the bill selectors, writes go through the bill services with the request's user as actor, so the
API keeps the same rules (four eyes, three-way match, a confirmed run never changes) and audit trail as the pages.
Finance writes; Management reads; nobody else sees them.
"""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.finance import bill_selectors, bill_services
from backoffice.finance.api import IDEMPOTENCY
from backoffice.finance.models import PaymentRun, PaymentRunItem, SupplierBill, SupplierBillLine
from core.api.idempotency import idempotent
from core.api.permissions import ActionPermissions
from core.catalog.models import Currency

MONEY = {"max_digits": 16, "decimal_places": 2}


class BillPermissions(ActionPermissions):
    """Reading takes the view right; approving takes finance.approve_supplierbill, cancelling the change right."""

    action_permissions = {
        "approve": ["finance.approve_supplierbill"],
        "cancel": ["finance.change_supplierbill"],
    }


class PaymentRunPermissions(ActionPermissions):
    """Reading takes the view right, drafting the add right; confirming takes finance.pay_supplierbill."""

    action_permissions = {"confirm": ["finance.pay_supplierbill"]}


# --- bills ------------------------------------------------------------------------


class BillLineSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.code", read_only=True, help_text=_("The expense or asset account."))

    class Meta:
        model = SupplierBillLine
        fields = [
            "id",
            "position",
            "sku",
            "description",
            "quantity",
            "unit_price",
            "tax_rate",
            "net_amount",
            "tax_amount",
            "account",
            "purchase_order_line_id",
            "ordered_quantity",
            "ordered_unit_price",
            "received_quantity",
        ]
        read_only_fields = fields


class BillSummarySerializer(serializers.ModelSerializer):
    """A bill in a list: whose, which invoice of theirs, when due, how much, and how far it has come."""

    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    amount_due = serializers.DecimalField(**MONEY, read_only=True, help_text=_("What is still to pay."))

    class Meta:
        model = SupplierBill
        fields = [
            "id",
            "state",
            "number",
            "supplier",
            "supplier_name",
            "supplier_reference",
            "payment_reference",
            "bill_date",
            "due_date",
            "currency",
            "exchange_rate",
            "subtotal",
            "tax_total",
            "total",
            "amount_paid",
            "amount_due",
            "purchase_order_number",
            "match_state",
            "approved_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"number": {"help_text": _("Given on approval: L-<year>-<number>, without gaps.")}}


class BillSerializer(BillSummarySerializer):
    """A whole bill with its lines, what differs from its order, and its journal entry once approved."""

    lines = BillLineSerializer(many=True, read_only=True)

    class Meta(BillSummarySerializer.Meta):
        fields = [
            *BillSummarySerializer.Meta.fields,
            "purchase_order_id",
            "match_problems",
            "entry",
            "created_by",
            "approved_by",
            "lines",
        ]
        read_only_fields = fields


class BillLineInputSerializer(serializers.Serializer):
    """One line of a new bill: prices without VAT, in the bill's currency."""

    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    account = serializers.CharField(max_length=10, help_text=_("An expense or asset account number, e.g. 6110."))
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate_quantity(self, value: Any) -> Any:
        if value <= 0:
            raise serializers.ValidationError(_("The quantity must be more than zero."))
        return value


class BillCreateSerializer(serializers.Serializer):
    """A new bill to approve; the service refuses the same supplier invoice number twice."""

    supplier = serializers.PrimaryKeyRelatedField(
        queryset=bill_selectors.suppliers(), help_text=_("The supplier's organization id (an active supplier).")
    )
    supplier_reference = serializers.CharField(max_length=60, help_text=_("The supplier's invoice number."))
    bill_date = serializers.DateField()
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("30 days after the bill date if left out.")
    )
    currency = serializers.SlugRelatedField(
        slug_field="code", queryset=Currency.objects.filter(is_active=True), required=False, default=None
    )
    payment_reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    lines = BillLineInputSerializer(many=True, allow_empty=False, max_length=200)

    def validated_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        currency = data.pop("currency", None)
        data["currency"] = currency.pk if currency else "SEK"
        data["due_date"] = data.get("due_date")
        data["lines"] = [
            bill_services.BillLineInput(
                description=line["description"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                tax_rate=line["tax_rate"],
                account_code=line["account"],
                sku=line["sku"],
            )
            for line in data["lines"]
        ]
        return data


class BillApproveSerializer(serializers.Serializer):
    accept_differences = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Needed to approve a bill that differs from its purchase order or goods receipt."),
    )


class BillCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BillFilter(filters.FilterSet):
    """The bill list's filters; a value the filter cannot read answers 400 naming it."""

    q = filters.CharFilter(method="_search", help_text=_("Part of the number, supplier or their invoice number."))
    supplier = filters.NumberFilter(method="_search", help_text=_("The supplier's organization id."))
    state = filters.ChoiceFilter(choices=SupplierBill.State.choices)
    match_state = filters.ChoiceFilter(choices=SupplierBill.Match.choices)
    due_before = filters.DateFilter(method="_search", help_text=_("Bills due on or before this day."))
    overdue = filters.BooleanFilter(method="_search", help_text=_("Approved bills past their due date."))

    class Meta:
        model = SupplierBill
        fields = ["q", "supplier", "state", "match_state", "due_before", "overdue"]

    def filter_queryset(self, queryset: Any) -> Any:
        values = self.form.cleaned_data
        supplier = values.get("supplier")
        return bill_selectors.bill_list(
            search=values.get("q") or "",
            state=values.get("state") or "",
            supplier_id=int(supplier) if supplier is not None else None,
            overdue=bool(values.get("overdue")),
            due_before=values.get("due_before"),
            match_state=values.get("match_state") or "",
        )

    def _search(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset  # filter_queryset hands every value to the selector


@extend_schema_view(
    list=extend_schema(summary="List supplier bills"),
    retrieve=extend_schema(summary="Get a supplier bill with its lines"),
)
@extend_schema(tags=["finance"])
class BillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Supplier bills: entered (here or from a goods receipt), approved by a second person, paid in payment runs."""

    serializer_class = BillSerializer
    permission_classes = [BillPermissions]
    filterset_class = BillFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> Any:
        return bill_selectors.bill_list()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return BillSummarySerializer if self.action == "list" else BillSerializer

    def get_object(self) -> SupplierBill:
        try:
            bill = bill_selectors.bill_detail(pk=int(self.kwargs[self.lookup_field]))
        except (ValueError, SupplierBill.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, bill)
        return bill

    def _answer(self, bill: SupplierBill, code: int = status.HTTP_200_OK) -> Response:
        bill = bill_selectors.bill_detail(pk=bill.pk)
        return Response(BillSerializer(bill, context=self.get_serializer_context()).data, code)

    @extend_schema(
        summary="Enter a supplier bill with its lines",
        description=(
            "The bill waits for approval by another user. Refused (400) with field errors: `supplier_reference` "
            'when the supplier\'s invoice number is already entered, `lines` (`{"lines": ["Line 2: ..."]}`) for a '
            "line whose account is not an open expense or asset account."
        ),
        request=BillCreateSerializer,
        responses={201: BillSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = BillCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        bill = bill_services.bill_create(actor=request.user, **body.validated_arguments())
        return self._answer(bill, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve a supplier bill",
        description=(
            "Gives the bill its number and books it in the purchase journal at the bill date's rate. The user who "
            "entered it may not approve it (400). A bill that differs from its order needs "
            f"`accept_differences: true`. Takes the right to approve supplier bills. {IDEMPOTENCY}"
        ),
        request=BillApproveSerializer,
        responses={200: BillSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        bill = self.get_object()
        body = BillApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def work() -> Response:
            approved = bill_services.bill_approve(
                actor=request.user, bill=bill, accept_differences=body.validated_data["accept_differences"]
            )
            return self._answer(approved)

        return idempotent(request, work)

    @extend_schema(
        summary="Cancel a bill still to approve",
        request=BillCancelSerializer,
        responses={200: BillSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        bill = self.get_object()
        body = BillCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            bill_services.bill_cancel(actor=request.user, bill=bill, reason=body.validated_data["reason"])
        )


# --- payment runs -----------------------------------------------------------------


class PaymentRunItemSerializer(serializers.ModelSerializer):
    bill_number = serializers.CharField(source="bill.number", read_only=True)
    supplier = serializers.IntegerField(source="bill.supplier_id", read_only=True)
    supplier_name = serializers.CharField(source="bill.supplier.name", read_only=True)
    currency = serializers.CharField(source="bill.currency_id", read_only=True)

    class Meta:
        model = PaymentRunItem
        fields = ["id", "bill", "bill_number", "supplier", "supplier_name", "amount", "currency"]
        read_only_fields = fields


class PaymentRunSummarySerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True, help_text=_("How many bills the run pays."))

    class Meta:
        model = PaymentRun
        fields = ["id", "state", "payment_date", "total", "item_count", "entry", "created_at", "confirmed_at"]
        read_only_fields = fields
        extra_kwargs = {"total": {"help_text": _("What left the bank, in SEK; set on confirmation.")}}


class PaymentRunSerializer(PaymentRunSummarySerializer):
    items = PaymentRunItemSerializer(many=True, read_only=True)
    item_count = serializers.SerializerMethodField()

    class Meta(PaymentRunSummarySerializer.Meta):
        fields = [*PaymentRunSummarySerializer.Meta.fields, "items"]
        read_only_fields = fields

    def get_item_count(self, run: PaymentRun) -> int:
        return len(run.items.all())


class PaymentRunCreateSerializer(serializers.Serializer):
    payment_date = serializers.DateField(help_text=_("The day the bank pays."))
    due_by = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("Approved bills due on or before this day; the payment date if left out."),
    )


@extend_schema_view(
    list=extend_schema(summary="List payment runs"),
    retrieve=extend_schema(summary="Get a payment run with its bills"),
)
@extend_schema(tags=["finance"])
class PaymentRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Supplier payments made together on one day, confirmed once and booked as one bank entry."""

    serializer_class = PaymentRunSerializer
    permission_classes = [PaymentRunPermissions]

    def get_queryset(self) -> Any:
        return bill_selectors.payment_run_list()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return PaymentRunSummarySerializer if self.action == "list" else PaymentRunSerializer

    def get_object(self) -> PaymentRun:
        try:
            run = bill_selectors.payment_run_detail(pk=int(self.kwargs[self.lookup_field]))
        except (ValueError, PaymentRun.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, run)
        return run

    def _answer(self, run: PaymentRun, code: int = status.HTTP_200_OK) -> Response:
        run = bill_selectors.payment_run_detail(pk=run.pk)
        return Response(PaymentRunSerializer(run, context=self.get_serializer_context()).data, code)

    @extend_schema(
        summary="Draft a payment run",
        description=(
            "Takes every approved bill with something to pay that is due by `due_by` and not in another draft run, "
            "each for its whole amount due. Refused (400, naming `due_by`) when nothing is due."
        ),
        request=PaymentRunCreateSerializer,
        responses={201: PaymentRunSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = PaymentRunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = bill_services.payment_run_create(
            actor=request.user,
            payment_date=body.validated_data["payment_date"],
            due_by=body.validated_data.get("due_by"),
        )
        return self._answer(run, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm a payment run",
        description=(
            "Books the run as one bank entry (payables at each bill's rate, the bank at the payment date's rate, the "
            "difference as an exchange gain or loss), marks the bills paid, and freezes the run; a second "
            f"confirmation is refused (400). Takes the right to run supplier payments. {IDEMPOTENCY}"
        ),
        request=None,
        responses={200: PaymentRunSerializer},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()

        def work() -> Response:
            return self._answer(bill_services.payment_run_confirm(actor=request.user, run=run))

        return idempotent(request, work)
