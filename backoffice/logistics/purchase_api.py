"""The purchasing, production and returns API under /api/v1/logistics/: purchase-orders/ (create, send, confirm,
cancel, receive), production-orders/ (create, reserve, complete, cancel), returns/ (create, receive) and boms/
(create, with their cost roll-up).

Reads come from purchase_selectors, writes go through the services with the request's user as actor; a
service's refusal answers 400 naming the body's field. Logistics acts; Management reads.
"""

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.logistics import production_services, purchase_selectors, purchase_services, return_services
from backoffice.logistics.models import (
    BillOfMaterials,
    BomLine,
    DeliveryOrder,
    GoodsReceipt,
    GoodsReceiptLine,
    Location,
    ProductionComponent,
    ProductionOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    ReturnLine,
    ReturnOrder,
    Warehouse,
)
from core.api.idempotency import idempotent
from core.api.permissions import ActionPermissions
from core.catalog.models import Product
from core.exceptions import ServiceError
from core.parties.models import Organization

QUANTITY = {"max_digits": 14, "decimal_places": 3}
PRICE = {"max_digits": 14, "decimal_places": 2}
COST = {"max_digits": 16, "decimal_places": 4}
MIN_QUANTITY = Decimal("0.001")
IDEMPOTENCY = (
    "Send an `Idempotency-Key` header to make a retry safe: the same key and body answer the first response "
    "again (header `Idempotent-Replayed: true`) without booking anything; the same key with another body answers 422."
)


class _DocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """A document read through its selectors: the list's for lists, the detail's for one and for every answer
    after a change (so an action answers what a GET would). Subclasses name the selectors and serializers."""

    filter_backends = [filters.DjangoFilterBackend]
    list_selector: Callable[[], QuerySet]
    detail_selector: Callable[..., Any]
    summary_serializer: type[serializers.BaseSerializer]
    detail_serializer: type[serializers.BaseSerializer]

    def get_queryset(self) -> QuerySet:
        return type(self).list_selector()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return self.summary_serializer if self.action == "list" else self.detail_serializer

    def _detail(self, pk: int) -> Any:
        return type(self).detail_selector(pk=pk)

    def get_object(self) -> Any:
        try:
            document = self._detail(int(self.kwargs[self.lookup_field]))
        except (ValueError, self.queryset.model.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, document)
        return document

    def _answer(self, document: Any, code: int = status.HTTP_200_OK) -> Response:
        document = self._detail(document.pk)
        return Response(self.detail_serializer(document, context=self.get_serializer_context()).data, code)


class PurchasePermissions(ActionPermissions):
    action_permissions = {
        "send": ["logistics.change_purchaseorder"],
        "confirm": ["logistics.change_purchaseorder"],
        "cancel": ["logistics.change_purchaseorder"],
        "receive": ["logistics.change_purchaseorder"],
    }


class ProductionPermissions(ActionPermissions):
    action_permissions = {
        "reserve": ["logistics.change_productionorder"],
        "complete": ["logistics.change_productionorder"],
        "cancel": ["logistics.change_productionorder"],
    }


class ReturnPermissions(ActionPermissions):
    action_permissions = {"receive": ["logistics.change_returnorder"]}


def _goods() -> QuerySet[Product]:
    return Product.objects.filter(type=Product.Type.GOODS)


def _internal_locations() -> QuerySet[Location]:
    return Location.objects.filter(kind=Location.Kind.INTERNAL, is_active=True)


def _renamed(error: ServiceError, names: dict[str, str]) -> ServiceError:
    """A service's field error under the name the API's body uses."""
    if not hasattr(error, "error_dict"):
        return error
    return ServiceError({names.get(field, field): messages for field, messages in error.error_dict.items()})


# --- purchase orders ----------------------------------------------------------------------------------------------


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    open_quantity = serializers.DecimalField(**QUANTITY, read_only=True, help_text=_("Ordered and not yet received."))

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "position",
            "product",
            "sku",
            "description",
            "quantity",
            "unit_price",
            "tax_rate",
            "received",
            "open_quantity",
        ]
        read_only_fields = fields


class GoodsReceiptLineSerializer(serializers.ModelSerializer):
    lot = serializers.CharField(source="move.lot.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = GoodsReceiptLine
        fields = ["id", "order_line", "quantity", "billed_quantity", "billed_unit_price", "lot", "move"]
        read_only_fields = fields


class GoodsReceiptSerializer(serializers.ModelSerializer):
    lines = GoodsReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = GoodsReceipt
        fields = ["id", "location", "supplier_reference", "received_on", "created_at", "lines"]
        read_only_fields = fields


class PurchaseOrderSummarySerializer(serializers.ModelSerializer):
    """A purchase order in a list: its number, supplier, state and total without VAT."""

    label = serializers.CharField(source="__str__", read_only=True, help_text=_("PO-number."))
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, help_text=_("Without VAT."))

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "label",
            "supplier",
            "supplier_name",
            "warehouse",
            "warehouse_code",
            "state",
            "origin",
            "currency",
            "expected_on",
            "supplier_reference",
            "line_count",
            "total",
            "created_at",
            "sent_at",
            "confirmed_at",
        ]
        read_only_fields = fields


class PurchaseOrderSerializer(serializers.ModelSerializer):
    """A whole purchase order: its lines (ordered, received, open) and the goods received against it."""

    label = serializers.CharField(source="__str__", read_only=True, help_text=_("PO-number."))
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)
    receipts = GoodsReceiptSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "label",
            "supplier",
            "supplier_name",
            "warehouse",
            "warehouse_code",
            "state",
            "origin",
            "currency",
            "expected_on",
            "supplier_reference",
            "note",
            "created_at",
            "sent_at",
            "confirmed_at",
            "lines",
            "receipts",
        ]
        read_only_fields = fields


class PurchaseLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods(), help_text=_("A goods product's id."))
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)
    unit_price = serializers.DecimalField(**PRICE, min_value=Decimal(0), help_text=_("Without VAT, in SEK."))
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), default=Decimal(25)
    )
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PurchaseCreateSerializer(serializers.Serializer):
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("The supplier's organization id.")
    )
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.filter(is_active=True))
    expected_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = PurchaseLineInputSerializer(many=True, allow_empty=False, max_length=200)


class ConfirmInputSerializer(serializers.Serializer):
    supplier_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text=_("The supplier's order reference.")
    )


class PurchaseCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReceiveLineInputSerializer(serializers.Serializer):
    line = serializers.PrimaryKeyRelatedField(
        queryset=PurchaseOrderLine.objects.all(), help_text=_("The purchase order line's id.")
    )
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)
    lot_code = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text=_("For lot or serial products.")
    )
    billed_quantity = serializers.DecimalField(
        **QUANTITY,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("What the supplier's papers say; the received quantity if left out."),
    )
    billed_unit_price = serializers.DecimalField(
        **PRICE,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The ordered price if left out."),
    )


class ReceiveInputSerializer(serializers.Serializer):
    lines = ReceiveLineInputSerializer(many=True, allow_empty=False, max_length=200)
    location = serializers.PrimaryKeyRelatedField(
        queryset=_internal_locations(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A location of the order's warehouse; its first stock location if left out."),
    )
    supplier_reference = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The supplier's invoice or delivery note number."),
    )
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class PurchaseFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=PurchaseOrder.State.choices, method="_selector")
    supplier = filters.NumberFilter(method="_selector", help_text=_("The supplier's organization id."))
    q = filters.CharFilter(method="_selector", help_text=_("PO-number, part of the supplier's name or reference."))

    class Meta:
        model = PurchaseOrder
        fields = ["state", "supplier", "q"]

    def filter_queryset(self, queryset: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
        values = self.form.cleaned_data
        supplier = values.get("supplier")
        return purchase_selectors.purchase_list(
            search=values.get("q") or "",
            state=values.get("state") or "",
            supplier_id=int(supplier) if supplier is not None else None,
        )

    def _selector(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset  # filter_queryset hands every value to the selector


@extend_schema_view(
    list=extend_schema(summary="List purchase orders, newest first"),
    retrieve=extend_schema(summary="Get a purchase order with its lines and receipts"),
)
@extend_schema(tags=["logistics"])
class PurchaseOrderViewSet(_DocumentViewSet):
    """Requests for quotation to suppliers that become purchase orders; goods are received against them in parts,
    and finance hears of each receipt (`logistics.goods_received`)."""

    permission_classes = [PurchasePermissions]
    filterset_class = PurchaseFilter
    queryset = PurchaseOrder.objects.none()

    list_selector = staticmethod(purchase_selectors.purchase_list)
    detail_selector = staticmethod(purchase_selectors.purchase_detail)
    summary_serializer = PurchaseOrderSummarySerializer
    detail_serializer = PurchaseOrderSerializer

    @extend_schema(
        summary="Create a request for quotation",
        description="A draft to a supplier for goods delivered to a warehouse; send it, then confirm it.",
        request=PurchaseCreateSerializer,
        responses={201: PurchaseOrderSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = PurchaseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        order = purchase_services.purchase_create(
            actor=request.user,
            supplier=data["supplier"],
            warehouse=data["warehouse"],
            expected_on=data["expected_on"],
            note=data["note"],
            lines=[purchase_services.PurchaseLineInput(**line) for line in data["lines"]],
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="E-mail the request or order to the supplier",
        description="With its PDF, after the request is saved; a draft becomes `sent`. 400 when the supplier has "
        "no e-mail address or the order is no longer open.",
        request=None,
        responses={200: PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(purchase_services.purchase_send(actor=request.user, order=self.get_object()))

    @extend_schema(
        summary="The supplier accepted: it is now an order",
        request=ConfirmInputSerializer,
        responses={200: PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = ConfirmInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            purchase_services.purchase_confirm(
                actor=request.user, order=order, supplier_reference=body.validated_data["supplier_reference"]
            )
        )

    @extend_schema(
        summary="Cancel a request or an order nothing was received against",
        request=PurchaseCancelInputSerializer,
        responses={200: PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = PurchaseCancelInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            purchase_services.purchase_cancel(actor=request.user, order=order, reason=body.validated_data["reason"])
        )

    @extend_schema(
        summary="Receive goods against a confirmed order",
        description=(
            "All or part of its lines arrive into stock at the ordered price; waiting deliveries are reserved and "
            f"finance is told what was ordered, received and billed. {IDEMPOTENCY}"
        ),
        request=ReceiveInputSerializer,
        responses={200: PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = ReceiveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def work() -> Response:
            try:
                receive_lines()
            except ServiceError as error:
                # A lot or serial number missing or wrong is an error of the lines the body sends.
                raise _renamed(error, {"lot": "lines", "lot_code": "lines", "quantity": "lines"}) from None
            return self._answer(order)

        def receive_lines() -> None:
            purchase_services.purchase_receive(
                actor=request.user,
                order=order,
                lines=[
                    purchase_services.ReceiveLineInput(
                        order_line=line["line"],
                        quantity=line["quantity"],
                        lot_code=line["lot_code"],
                        billed_quantity=line["billed_quantity"],
                        billed_unit_price=line["billed_unit_price"],
                    )
                    for line in data["lines"]
                ],
                location=data["location"],
                supplier_reference=data["supplier_reference"],
                received_on=data["received_on"],
            )

        return idempotent(request, work)


# --- bills of materials -------------------------------------------------------------------------------------------


class BomLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="component.sku", read_only=True)

    class Meta:
        model = BomLine
        fields = ["id", "component", "sku", "quantity"]
        read_only_fields = fields


class BomSummarySerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    component_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = BillOfMaterials
        fields = ["id", "product", "sku", "name", "quantity", "is_active", "component_count"]
        read_only_fields = fields


class BomSerializer(serializers.ModelSerializer):
    """A bill of materials with its components and what one unit made by it costs (the roll-up)."""

    sku = serializers.CharField(source="product.sku", read_only=True)
    lines = BomLineSerializer(many=True, read_only=True)
    unit_cost = serializers.SerializerMethodField(
        help_text=_("What one unit costs: components at their average cost, sub-assemblies at their own bill's.")
    )

    class Meta:
        model = BillOfMaterials
        fields = ["id", "product", "sku", "name", "quantity", "is_active", "unit_cost", "lines"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**COST))
    def get_unit_cost(self, bom: BillOfMaterials) -> str:
        try:
            cost = production_services.bom_cost(bom)
        except ServiceError:
            cost = Decimal(0)
        return f"{cost:.4f}"


class BomComponentInputSerializer(serializers.Serializer):
    component = serializers.PrimaryKeyRelatedField(queryset=_goods(), help_text=_("A goods product's id."))
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)


class BomCreateSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods(), help_text=_("The product made."))
    quantity = serializers.DecimalField(
        **QUANTITY, min_value=MIN_QUANTITY, default=Decimal(1), help_text=_("How many the components make.")
    )
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    components = BomComponentInputSerializer(many=True, allow_empty=False, max_length=200)


class BomFilter(filters.FilterSet):
    product = filters.NumberFilter(field_name="product_id")
    is_active = filters.BooleanFilter()

    class Meta:
        model = BillOfMaterials
        fields = ["product", "is_active"]


@extend_schema_view(
    list=extend_schema(summary="List bills of materials"),
    retrieve=extend_schema(summary="Get a bill of materials with its cost roll-up"),
)
@extend_schema(tags=["logistics"])
class BomViewSet(_DocumentViewSet):
    """What it takes to make a product. A new bill replaces the product's active one."""

    permission_classes = [ActionPermissions]
    filterset_class = BomFilter
    queryset = BillOfMaterials.objects.none()

    list_selector = partial(purchase_selectors.bom_list, active_only=False)
    detail_selector = staticmethod(purchase_selectors.bom_detail)
    summary_serializer = BomSummarySerializer
    detail_serializer = BomSerializer

    @extend_schema(summary="Create a bill of materials", request=BomCreateSerializer, responses={201: BomSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = BomCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        bom = production_services.bom_create(
            actor=request.user,
            product=data["product"],
            quantity=data["quantity"],
            name=data["name"],
            components=[(item["component"], item["quantity"]) for item in data["components"]],
        )
        return self._answer(bom, status.HTTP_201_CREATED)


# --- production orders --------------------------------------------------------------------------------------------


class ProductionComponentSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = ProductionComponent
        fields = ["id", "product", "sku", "quantity", "reserved", "consumed"]
        read_only_fields = fields


class ProductionOrderSummarySerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True, help_text=_("MO-number."))
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = ProductionOrder
        fields = [
            "id",
            "number",
            "label",
            "product",
            "sku",
            "quantity",
            "location",
            "state",
            "unit_cost",
            "created_at",
            "done_at",
        ]
        read_only_fields = fields


class ProductionOrderSerializer(ProductionOrderSummarySerializer):
    """A production order with its components: needed, reserved and consumed."""

    components = ProductionComponentSerializer(many=True, read_only=True)

    class Meta(ProductionOrderSummarySerializer.Meta):
        fields = [*ProductionOrderSummarySerializer.Meta.fields, "bom", "components"]
        read_only_fields = fields


class ProductionCreateSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods(), help_text=_("A product with a bill of materials."))
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)
    location = serializers.PrimaryKeyRelatedField(
        queryset=_internal_locations(), help_text=_("Where the goods are made and go; components from its warehouse.")
    )


class ProductionFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=ProductionOrder.State.choices)
    product = filters.NumberFilter(field_name="product_id")

    class Meta:
        model = ProductionOrder
        fields = ["state", "product"]


@extend_schema_view(
    list=extend_schema(summary="List production orders, newest first"),
    retrieve=extend_schema(summary="Get a production order with its components"),
)
@extend_schema(tags=["logistics"])
class ProductionOrderViewSet(_DocumentViewSet):
    """Make a quantity of a product from its bill of materials: components reserved, consumed, and the finished
    goods put into stock at the cost of what went into them."""

    permission_classes = [ProductionPermissions]
    filterset_class = ProductionFilter
    queryset = ProductionOrder.objects.none()

    list_selector = staticmethod(purchase_selectors.production_list)
    detail_selector = staticmethod(purchase_selectors.production_detail)
    summary_serializer = ProductionOrderSummarySerializer
    detail_serializer = ProductionOrderSerializer

    @extend_schema(
        summary="Plan making a product",
        description="Its components are reserved at once as far as stock allows (`ready` when all are held).",
        request=ProductionCreateSerializer,
        responses={201: ProductionOrderSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ProductionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = production_services.production_create(actor=request.user, **body.validated_data)
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reserve what the components still miss", request=None, responses={200: ProductionOrderSerializer}
    )
    @action(detail=True, methods=["post"])
    def reserve(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(production_services.production_reserve(order=self.get_object()))

    @extend_schema(
        summary="Make it",
        description="A ready order consumes its reserved components and puts the finished goods into stock.",
        request=None,
        responses={200: ProductionOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(production_services.production_complete(actor=request.user, order=self.get_object()))

    @extend_schema(summary="Cancel an order not yet made", request=None, responses={200: ProductionOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(production_services.production_cancel(actor=request.user, order=self.get_object()))


# --- returns ------------------------------------------------------------------------------------------------------


class ReturnLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    lot_code = serializers.CharField(source="lot.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ReturnLine
        fields = ["id", "product", "sku", "quantity", "lot_code", "disposition", "order_line_id"]
        read_only_fields = fields


class ReturnSummarySerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True, help_text=_("RMA-number."))
    customer = serializers.IntegerField(source="organization_id", read_only=True)
    customer_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = ReturnOrder
        fields = [
            "id",
            "label",
            "customer",
            "customer_name",
            "delivery",
            "order_id",
            "order_number",
            "ticket_id",
            "ticket_reference",
            "reason",
            "warehouse",
            "state",
            "created_at",
            "received_at",
        ]
        read_only_fields = fields


class ReturnSerializer(ReturnSummarySerializer):
    """A return with its lines: what comes back and whether it goes back into stock or to scrap."""

    lines = ReturnLineSerializer(many=True, read_only=True)

    class Meta(ReturnSummarySerializer.Meta):
        fields = [*ReturnSummarySerializer.Meta.fields, "lines"]
        read_only_fields = fields


class ReturnLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods())
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)
    lot_code = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    disposition = serializers.ChoiceField(
        choices=ReturnLine.Disposition.choices, default=ReturnLine.Disposition.RESTOCK
    )
    order_line_id = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ReturnCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("The customer's organization id.")
    )
    reason = serializers.CharField(max_length=300)
    delivery = serializers.PrimaryKeyRelatedField(
        queryset=DeliveryOrder.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The delivery the goods came with; no more can come back than it shipped."),
    )
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    ticket_id = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    ticket_reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    lines = ReturnLineInputSerializer(many=True, allow_empty=False, max_length=200)


class ReturnReceiveInputSerializer(serializers.Serializer):
    location = serializers.PrimaryKeyRelatedField(
        queryset=_internal_locations(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A location of the return's warehouse; its first stock location if left out."),
    )


class ReturnFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=ReturnOrder.State.choices)
    customer = filters.NumberFilter(field_name="organization_id", help_text=_("The customer's organization id."))
    ticket_id = filters.NumberFilter(field_name="ticket_id")

    class Meta:
        model = ReturnOrder
        fields = ["state", "customer", "ticket_id"]


@extend_schema_view(
    list=extend_schema(summary="List returns, newest first"),
    retrieve=extend_schema(summary="Get a return with its lines"),
)
@extend_schema(tags=["logistics"])
class ReturnViewSet(_DocumentViewSet):
    """Goods customers send back (RMA), opened by hand, from a delivery or from a support ticket; received into
    stock and kept or scrapped line by line (`logistics.return_received` lets finance credit the customer)."""

    permission_classes = [ReturnPermissions]
    filterset_class = ReturnFilter
    queryset = ReturnOrder.objects.none()

    list_selector = staticmethod(purchase_selectors.return_list)
    detail_selector = staticmethod(purchase_selectors.return_detail)
    summary_serializer = ReturnSummarySerializer
    detail_serializer = ReturnSerializer

    @extend_schema(summary="Open a return", request=ReturnCreateSerializer, responses={201: ReturnSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ReturnCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            rma = return_services.return_create(
                actor=request.user,
                organization=data["customer"],
                reason=data["reason"],
                delivery=data["delivery"],
                warehouse=data["warehouse"],
                ticket_id=data["ticket_id"],
                ticket_reference=data["ticket_reference"],
                lines=[return_services.ReturnLineInput(**line) for line in data["lines"]],
            )
        except ServiceError as error:
            raise _renamed(error, {"organization": "customer"}) from None
        return self._answer(rma, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The goods arrived",
        description="Each line comes back into stock; lines to scrap leave again to scrap. Only an expected return.",
        request=ReturnReceiveInputSerializer,
        responses={200: ReturnSerializer},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        rma = self.get_object()
        body = ReturnReceiveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            return_services.return_receive(actor=request.user, rma=rma, location=body.validated_data["location"])
        )
