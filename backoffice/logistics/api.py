"""The logistics API under /api/v1/logistics/: stock per location, the move history and the moves that book
stock (receipts, transfers, adjustments), deliveries and their pick/pack/dispatch/deliver steps, warehouses and
locations, and the history of a serial number.

Reads come from the selectors, writes go through the services with the request's user as actor. Logistics
books stock and ships; Management reads; Sales and Customer Service see deliveries; customers see nothing here.
"""

import json
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.logistics import selectors, services
from backoffice.logistics.models import (
    DeliveryLine,
    DeliveryOrder,
    Location,
    Lot,
    Package,
    Reservation,
    StockMove,
    StockQuant,
    Warehouse,
)
from core.api.idempotency import idempotent
from core.api.permissions import ActionPermissions, StaffModelPermissions
from core.catalog.models import Product
from core.exceptions import ServiceError
from core.parties.models import Organization

if TYPE_CHECKING:
    pass

QUANTITY = {"max_digits": 14, "decimal_places": 3}
COST = {"max_digits": 16, "decimal_places": 4}
IDEMPOTENCY = (
    "Send an `Idempotency-Key` header to make a retry safe: the same key and body answer the first response "
    "again (header `Idempotent-Replayed: true`) without booking anything; the same key with another body answers 422."
)
SHIP = "logistics.ship_deliveryorder"
MIN_QUANTITY = Decimal("0.001")


class LogisticsPermissions(ActionPermissions):
    """Model rights, where an action may take its own right instead of the method's (shipping takes
    logistics.ship_deliveryorder, booking a move the right to add moves)."""


class MovePermissions(LogisticsPermissions):
    action_permissions = {
        "receive": ["logistics.add_stockmove"],
        "transfer": ["logistics.add_stockmove"],
        "adjust": ["logistics.add_stockmove"],
    }


class DeliveryPermissions(LogisticsPermissions):
    """Reading takes the right to see deliveries; reserving and cancelling the right to change them; picking,
    packing, dispatching and confirming delivery the right to ship."""

    action_permissions = {
        "reserve": ["logistics.change_deliveryorder"],
        "cancel": ["logistics.change_deliveryorder"],
        "pick": [SHIP],
        "pack": [SHIP],
        "dispatch_delivery": [SHIP],
        "deliver": [SHIP],
    }


def _goods() -> QuerySet[Product]:
    return Product.objects.filter(type=Product.Type.GOODS)


def _active_locations() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).select_related("warehouse")


# --- warehouses and locations -------------------------------------------------------------------------------


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "is_active"]
        read_only_fields = fields


class LocationSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True, allow_null=True)
    label = serializers.CharField(source="__str__", read_only=True, help_text=_("WAREHOUSE/CODE, or the name."))

    class Meta:
        model = Location
        fields = ["id", "warehouse", "warehouse_code", "code", "name", "kind", "label", "is_active"]
        read_only_fields = fields


class LocationFilter(filters.FilterSet):
    warehouse = filters.ModelChoiceFilter(queryset=Warehouse.objects.all(), help_text=_("A warehouse's id."))
    kind = filters.ChoiceFilter(choices=Location.Kind.choices)

    class Meta:
        model = Location
        fields = ["warehouse", "kind"]


@extend_schema_view(
    list=extend_schema(summary="List the active warehouses"),
    retrieve=extend_schema(summary="Get a warehouse"),
)
@extend_schema(tags=["logistics"])
class WarehouseViewSet(viewsets.ReadOnlyModelViewSet):
    """The sites that hold stock. Warehouses are set up in the admin."""

    serializer_class = WarehouseSerializer
    permission_classes = [StaffModelPermissions]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Warehouse]:
        return selectors.warehouses()


@extend_schema_view(
    list=extend_schema(summary="List locations: warehouse stock and bins, and the outside world"),
    retrieve=extend_schema(summary="Get a location"),
)
@extend_schema(tags=["logistics"])
class LocationViewSet(viewsets.ReadOnlyModelViewSet):
    """Where stock is: internal locations belong to a warehouse; suppliers, customers, inventory loss,
    production and scrap are the other end of moves."""

    serializer_class = LocationSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = LocationFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Location]:
        return _active_locations().order_by("warehouse__code", "code", "pk")


# --- stock --------------------------------------------------------------------------------------------------


class StockSerializer(serializers.ModelSerializer):
    """What one location holds of a product (and lot): on hand, reserved for deliveries, and available."""

    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse = serializers.IntegerField(source="location.warehouse_id", read_only=True)
    warehouse_code = serializers.CharField(source="location.warehouse.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    lot = serializers.CharField(source="lot.code", read_only=True, allow_null=True, help_text=_("Lot or serial."))
    on_hand = serializers.DecimalField(source="quantity", **QUANTITY, read_only=True)
    available = serializers.DecimalField(
        source="available_quantity", **QUANTITY, read_only=True, help_text=_("On hand minus reserved.")
    )

    class Meta:
        model = StockQuant
        fields = [
            "id",
            "product",
            "sku",
            "product_name",
            "warehouse",
            "warehouse_code",
            "location",
            "location_code",
            "lot",
            "on_hand",
            "reserved",
            "available",
        ]
        read_only_fields = fields


class StockFilter(filters.FilterSet):
    """The stock list's filters; a value the filter cannot read answers 400 naming it."""

    product = filters.NumberFilter(method="_selector", help_text=_("A product's id."))
    sku = filters.CharFilter(method="_selector", help_text=_("A product's SKU, exactly."))
    warehouse = filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), method="_selector", help_text=_("A warehouse's id.")
    )
    location = filters.ModelChoiceFilter(
        queryset=Location.objects.filter(kind=Location.Kind.INTERNAL),
        method="_selector",
        help_text=_("A warehouse location's id."),
    )
    low = filters.NumberFilter(method="_selector", help_text=_("Only rows with less than this available."))

    class Meta:
        model = StockQuant
        fields = ["product", "sku", "warehouse", "location", "low"]

    def filter_queryset(self, queryset: QuerySet[StockQuant]) -> QuerySet[StockQuant]:
        values = self.form.cleaned_data
        product, warehouse, location = values.get("product"), values.get("warehouse"), values.get("location")
        return selectors.quant_list(
            product_id=int(product) if product is not None else None,
            sku=values.get("sku") or "",
            warehouse_id=warehouse.pk if warehouse else None,
            location_id=location.pk if location else None,
            low_below=values.get("low"),
        )

    def _selector(self, queryset: QuerySet[StockQuant], name: str, value: Any) -> QuerySet[StockQuant]:
        return queryset  # filter_queryset hands every value to the selector


@extend_schema(tags=["logistics"])
class StockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The stock table: what every warehouse location holds, per product and lot."""

    serializer_class = StockSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = StockFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[StockQuant]:
        return selectors.quant_list()

    @extend_schema(summary="List stock on hand, reserved and available per product, location and lot")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


# --- moves --------------------------------------------------------------------------------------------------


class MoveSerializer(serializers.ModelSerializer):
    """A quantity that went from one location to another, valued at its unit cost (SEK)."""

    sku = serializers.CharField(source="product.sku", read_only=True)
    lot = serializers.CharField(source="lot.code", read_only=True, allow_null=True)
    from_label = serializers.CharField(source="from_location.__str__", read_only=True)
    to_label = serializers.CharField(source="to_location.__str__", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True, allow_null=True)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "kind",
            "product",
            "sku",
            "lot",
            "quantity",
            "from_location",
            "from_label",
            "to_location",
            "to_label",
            "unit_cost",
            "value",
            "reference",
            "reason",
            "partner",
            "partner_name",
            "delivery_line",
            "occurred_at",
        ]
        read_only_fields = fields


class MoveFilter(filters.FilterSet):
    product = filters.NumberFilter(method="_selector", help_text=_("A product's id."))
    kind = filters.ChoiceFilter(choices=StockMove.Kind.choices, method="_selector")
    location = filters.ModelChoiceFilter(
        queryset=Location.objects.all(), method="_selector", help_text=_("Moves into or out of this location.")
    )
    date_from = filters.DateFilter(method="_selector", help_text=_("Moves on or after this day."))
    date_to = filters.DateFilter(method="_selector", help_text=_("Moves on or before this day."))

    class Meta:
        model = StockMove
        fields = ["product", "kind", "location", "date_from", "date_to"]

    def filter_queryset(self, queryset: QuerySet[StockMove]) -> QuerySet[StockMove]:
        values = self.form.cleaned_data
        product, location = values.get("product"), values.get("location")
        moves = selectors.move_list(
            kind=values.get("kind") or "",
            product_id=int(product) if product is not None else None,
            location_id=location.pk if location else None,
        )
        zone = timezone.get_current_timezone()
        if values.get("date_from"):
            moves = moves.filter(occurred_at__gte=datetime.combine(values["date_from"], time.min, tzinfo=zone))
        if values.get("date_to"):
            moves = moves.filter(occurred_at__lte=datetime.combine(values["date_to"], time.max, tzinfo=zone))
        return moves

    def _selector(self, queryset: QuerySet[StockMove], name: str, value: Any) -> QuerySet[StockMove]:
        return queryset  # filter_queryset hands every value to the selector


class ReceiveSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods(), help_text=_("A goods product's id."))
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)
    location = serializers.PrimaryKeyRelatedField(
        queryset=_active_locations(), help_text=_("The warehouse location it goes into.")
    )
    unit_cost = serializers.DecimalField(**COST, min_value=0, help_text=_("The purchase price per unit, SEK."))
    lot = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text=_("Lot or serial number, if tracked.")
    )
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True, default=None
    )
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class TransferSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods())
    quantity = serializers.DecimalField(**QUANTITY, min_value=MIN_QUANTITY)
    from_location = serializers.PrimaryKeyRelatedField(queryset=_active_locations())
    to_location = serializers.PrimaryKeyRelatedField(queryset=_active_locations())
    lot = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


ADJUSTMENT_KINDS = [(StockMove.Kind.ADJUSTMENT.value, _("Adjustment")), (StockMove.Kind.SCRAP.value, _("Scrap"))]


class AdjustSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=_goods())
    location = serializers.PrimaryKeyRelatedField(queryset=_active_locations())
    quantity = serializers.DecimalField(
        **QUANTITY, help_text=_("Positive adds stock, negative takes it away (to inventory loss or scrap).")
    )
    reason = serializers.CharField(max_length=200, help_text=_("Why the stock is adjusted."))
    kind = serializers.ChoiceField(choices=ADJUSTMENT_KINDS, default=StockMove.Kind.ADJUSTMENT)
    lot = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    unit_cost = serializers.DecimalField(
        **COST, min_value=0, required=False, allow_null=True, default=None, help_text=_("Average cost if empty.")
    )


def _existing_lot(product: Product, code: str) -> Lot | None:
    """The lot a transfer or a removal names: it must exist (a new code is only made by goods coming in)."""
    code = (code or "").strip()
    if not code:
        return None
    lot = Lot.objects.filter(product=product, code=code).first()
    if lot is None:
        raise serializers.ValidationError(
            {"lot": [_("%(product)s has no lot %(code)s.") % {"product": product, "code": code}]}
        )
    return lot


def _move_answer(move: StockMove) -> Response:
    move = selectors.move_list().get(pk=move.pk)
    return Response(MoveSerializer(move).data, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List stock moves, newest first"),
    retrieve=extend_schema(summary="Get a stock move"),
)
@extend_schema(tags=["logistics"])
class MoveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The history stock is computed from. Moves never change; a mistake is corrected by a move back."""

    serializer_class = MoveSerializer
    permission_classes = [MovePermissions]
    filterset_class = MoveFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[StockMove]:
        return selectors.move_list()

    def get_object(self) -> StockMove:
        try:
            move = selectors.move_list().get(pk=int(self.kwargs[self.lookup_field]))
        except (ValueError, StockMove.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, move)
        return move

    @extend_schema(
        summary="Receive goods from a supplier",
        description=(
            "Books the goods into a warehouse location at their purchase price (the product's average cost "
            "follows) and reserves them for deliveries waiting for them, oldest first. A tracked product needs "
            f"its lot or serial number. {IDEMPOTENCY}"
        ),
        request=ReceiveSerializer,
        responses={201: MoveSerializer},
    )
    @action(detail=False, methods=["post"])
    def receive(self, request: Request) -> Response:
        body = ReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def work() -> Response:
            move = services.stock_receive(
                actor=request.user,
                product=data["product"],
                quantity=data["quantity"],
                location=data["location"],
                unit_cost=data["unit_cost"],
                lot_code=data["lot"],
                supplier=data["supplier"],
                reference=data["reference"],
            )
            return _move_answer(move)

        return idempotent(request, work)

    @extend_schema(
        summary="Move stock between two warehouse locations",
        description=(
            "Moves available stock (not what is reserved) to a bin or another warehouse; not enough available "
            f"answers 400 naming `quantity`. {IDEMPOTENCY}"
        ),
        request=TransferSerializer,
        responses={201: MoveSerializer},
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request: Request) -> Response:
        body = TransferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lot = _existing_lot(data["product"], data["lot"])

        def work() -> Response:
            move = services.stock_transfer(
                actor=request.user,
                product=data["product"],
                quantity=data["quantity"],
                from_location=data["from_location"],
                to_location=data["to_location"],
                lot=lot,
                reason=data["reason"],
            )
            return _move_answer(move)

        return idempotent(request, work)

    @extend_schema(
        summary="Adjust or scrap stock in a location",
        description=(
            "A positive quantity adds stock (at `unit_cost`, or the average cost), a negative one takes it to "
            "inventory loss, or to scrap with kind `scrap`. A reason is required; taking away more than is "
            f"available answers 400 naming `quantity`. {IDEMPOTENCY}"
        ),
        request=AdjustSerializer,
        responses={201: MoveSerializer},
    )
    @action(detail=False, methods=["post"])
    def adjust(self, request: Request) -> Response:
        body = AdjustSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        adding = data["quantity"] > 0
        lot = None if adding else _existing_lot(data["product"], data["lot"])

        def work() -> Response:
            with transaction.atomic():
                found = services.lot_for(product=data["product"], code=data["lot"]) if adding else lot
                move = services.stock_adjust(
                    actor=request.user,
                    product=data["product"],
                    location=data["location"],
                    quantity=data["quantity"],
                    reason=data["reason"],
                    lot=found,
                    unit_cost=data["unit_cost"],
                    kind=data["kind"],
                )
            return _move_answer(move)

        return idempotent(request, work)


# --- deliveries ---------------------------------------------------------------------------------------------


class DeliveryOrderSummarySerializer(serializers.ModelSerializer):
    """A delivery in a list: whose, which order, from where, how far it has come and what it still misses."""

    number = serializers.CharField(source="__str__", read_only=True, help_text=_("OUT-<number>."))
    customer = serializers.IntegerField(source="organization_id", read_only=True, help_text=_("The organization."))
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    missing = serializers.DecimalField(
        **QUANTITY, read_only=True, help_text=_("Quantity neither reserved nor shipped: what waits for stock.")
    )

    class Meta:
        model = DeliveryOrder
        fields = [
            "id",
            "number",
            "state",
            "warehouse",
            "warehouse_code",
            "customer",
            "customer_name",
            "order_id",
            "order_number",
            "backorder_of",
            "carrier",
            "tracking_number",
            "line_count",
            "missing",
            "created_at",
            "picked_at",
            "dispatched_at",
            "delivered_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class ReservationSerializer(serializers.ModelSerializer):
    location = serializers.IntegerField(source="quant.location_id", read_only=True)
    location_label = serializers.CharField(source="quant.location.__str__", read_only=True)
    lot = serializers.CharField(source="quant.lot.code", read_only=True, allow_null=True)

    class Meta:
        model = Reservation
        fields = ["id", "location", "location_label", "lot", "quantity"]
        read_only_fields = fields


class DeliveryLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    missing = serializers.DecimalField(**QUANTITY, read_only=True)
    reservations = ReservationSerializer(many=True, read_only=True)

    class Meta:
        model = DeliveryLine
        fields = [
            "id",
            "position",
            "product",
            "sku",
            "description",
            "order_line_id",
            "quantity",
            "reserved",
            "shipped",
            "missing",
            "reservations",
        ]
        read_only_fields = fields


class PackageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Package
        fields = ["number", "weight_kg"]
        read_only_fields = fields


class DeliveryOrderSerializer(DeliveryOrderSummarySerializer):
    """A whole delivery: its lines with where their goods are reserved, its parcels and its backorders."""

    lines = DeliveryLineSerializer(many=True, read_only=True)
    packages = PackageSerializer(many=True, read_only=True)
    backorders = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(DeliveryOrderSummarySerializer.Meta):
        fields = [f for f in DeliveryOrderSummarySerializer.Meta.fields if f not in {"line_count", "missing"}] + [
            "delivery_address",
            "backorders",
            "packages",
            "lines",
        ]
        read_only_fields = fields


_QUANTITY_FIELD = serializers.DecimalField(**QUANTITY)
_WEIGHT_FIELD = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
_MOMENT_FIELD = serializers.DateTimeField()


def _moment(value: datetime | None) -> str | None:
    return None if value is None else _MOMENT_FIELD.to_representation(value)


def delivery_document(*, pk: int) -> dict | None:
    """What DeliveryOrderSerializer answers for a delivery, field for field, built from two statements' plain
    values: every delivery action answers the whole delivery, and reading it back through the serializer and
    its prefetches cost more than the reservation itself (tests compare the two)."""
    values = selectors.delivery_values(pk=pk)
    if values is None:
        return None
    row, quantity = values.row, _QUANTITY_FIELD.to_representation
    address = row["delivery_address"]
    lines: list[dict] = []
    for (
        line_id,
        position,
        product_id,
        sku,
        description,
        order_line_id,
        ordered,
        reserved,
        shipped,
        reservation_id,
        location_id,
        location_code,
        location_name,
        warehouse_code,
        lot_code,
        held,
    ) in values.lines:
        if not lines or lines[-1]["id"] != line_id:
            lines.append(
                {
                    "id": line_id,
                    "position": position,
                    "product": product_id,
                    "sku": sku,
                    "description": description,
                    "order_line_id": order_line_id,
                    "quantity": quantity(ordered),
                    "reserved": quantity(reserved),
                    "shipped": quantity(shipped),
                    "missing": quantity(ordered - shipped - reserved),
                    "reservations": [],
                }
            )
        if reservation_id is not None:
            lines[-1]["reservations"].append(
                {
                    "id": reservation_id,
                    "location": location_id,
                    # Location.__str__
                    "location_label": f"{warehouse_code}/{location_code}" if warehouse_code else location_name,
                    "lot": lot_code,
                    "quantity": quantity(held),
                }
            )
    return {
        "id": row["id"],
        "number": f"OUT-{row['number']}",
        "state": row["state"],
        "warehouse": row["warehouse_id"],
        "warehouse_code": row["warehouse_code"],
        "customer": row["organization_id"],
        "customer_name": row["customer_name"],
        "order_id": row["order_id"],
        "order_number": row["order_number"],
        "backorder_of": row["backorder_of_id"],
        "carrier": row["carrier"],
        "tracking_number": row["tracking_number"],
        "created_at": _moment(row["created_at"]),
        "picked_at": _moment(row["picked_at"]),
        "dispatched_at": _moment(row["dispatched_at"]),
        "delivered_at": _moment(row["delivered_at"]),
        "cancelled_at": _moment(row["cancelled_at"]),
        "delivery_address": json.loads(address) if isinstance(address, str) else address,
        "backorders": values.backorders,
        "packages": [
            {"number": number, "weight_kg": None if weight is None else _WEIGHT_FIELD.to_representation(weight)}
            for number, weight in values.packages
        ],
        "lines": lines,
    }


class PackInputSerializer(serializers.Serializer):
    weights = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, allow_null=True),
        min_length=1,
        max_length=100,
        help_text=_("One weight in kg per parcel; null when a parcel's weight is not known."),
    )

    def validate_weights(self, weights: list) -> list:
        if any(weight is not None and weight <= 0 for weight in weights):
            raise serializers.ValidationError(_("A parcel's weight is more than zero."))
        return weights


class DispatchInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=60, help_text=_("Who takes the goods, e.g. PostNord."))
    tracking_number = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text=_("Why the delivery is stopped; kept in its history."))


class DeliveryFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=DeliveryOrder.State.choices, method="_selector")
    warehouse = filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), method="_selector", help_text=_("A warehouse's id.")
    )
    order_id = filters.NumberFilter(method="_selector", help_text=_("The sales order's id."))
    customer = filters.NumberFilter(method="_selector", help_text=_("The customer's organization id."))
    q = filters.CharFilter(
        method="_selector", help_text=_("OUT-number, order number, tracking number or part of the customer's name.")
    )

    class Meta:
        model = DeliveryOrder
        fields = ["state", "warehouse", "order_id", "customer", "q"]

    def filter_queryset(self, queryset: QuerySet[DeliveryOrder]) -> QuerySet[DeliveryOrder]:
        values = self.form.cleaned_data
        warehouse = values.get("warehouse")
        deliveries = selectors.delivery_list(
            search=values.get("q") or "",
            state=values.get("state") or "",
            warehouse_id=warehouse.pk if warehouse else None,
        )
        if values.get("order_id") is not None:
            deliveries = deliveries.filter(order_id=int(values["order_id"]))
        if values.get("customer") is not None:
            deliveries = deliveries.filter(organization_id=int(values["customer"]))
        return deliveries

    def _selector(self, queryset: QuerySet[DeliveryOrder], name: str, value: Any) -> QuerySet[DeliveryOrder]:
        return queryset  # filter_queryset hands every value to the selector


def _renamed(error: ServiceError, names: dict[str, str]) -> ServiceError:
    """A service's field error under the name the API's body uses (the service says `packages`, the body
    `weights`)."""
    if not hasattr(error, "error_dict"):
        return error
    return ServiceError({names.get(field, field): messages for field, messages in error.error_dict.items()})


@extend_schema_view(
    list=extend_schema(summary="List deliveries, newest first"),
    retrieve=extend_schema(summary="Get a delivery with its lines, reservations and parcels"),
)
@extend_schema(tags=["logistics"])
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What confirmed sales orders ask the warehouse to send: reserved, picked, packed, dispatched with a
    carrier and confirmed delivered. What stock could not cover waits as a backorder."""

    serializer_class = DeliveryOrderSerializer
    permission_classes = [DeliveryPermissions]
    filterset_class = DeliveryFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[DeliveryOrder]:
        # The permission check asks for the queryset only to learn its model: the list's annotations are for
        # the list.
        return selectors.delivery_list() if self.action == "list" else DeliveryOrder.objects.all()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return DeliveryOrderSummarySerializer if self.action == "list" else DeliveryOrderSerializer

    def get_object(self) -> DeliveryOrder:
        try:
            pk = int(self.kwargs[self.lookup_field])
            # An action's service locks and reads the delivery itself (a missing one raises DoesNotExist there,
            # a 404 below); only reading one needs its lines and parcels.
            delivery = selectors.delivery_detail(pk=pk) if self.action == "retrieve" else DeliveryOrder(pk=pk)
        except (ValueError, DeliveryOrder.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, delivery)
        return delivery

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DeliveryOrder.DoesNotExist):
            exc = Http404()
        return super().handle_exception(exc)

    def _answer(self, delivery: DeliveryOrder) -> Response:
        return Response(delivery_document(pk=delivery.pk))

    @extend_schema(
        summary="Reserve what the delivery still misses",
        description="Reserves available stock for its lines; it is ready to pick once every line is reserved. "
        "Only a waiting or ready delivery is reserved (400 otherwise).",
        request=None,
        responses={200: DeliveryOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def reserve(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        return self._answer(services.delivery_reserve_again(actor=request.user, delivery=delivery))

    @extend_schema(
        summary="Pick the reserved goods",
        description="A waiting or ready delivery with something reserved. Takes the right to ship.",
        request=None,
        responses={200: DeliveryOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def pick(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.delivery_pick(actor=request.user, delivery=self.get_object()))

    @extend_schema(
        summary="Pack picked goods into parcels",
        description="One weight per parcel (packing again replaces the parcels). Takes the right to ship.",
        request=PackInputSerializer,
        responses={200: DeliveryOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def pack(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        body = PackInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            packed = services.delivery_pack(
                actor=request.user, delivery=delivery, weights=body.validated_data["weights"]
            )
        except ServiceError as error:
            raise _renamed(error, {"packages": "weights"}) from None
        return self._answer(packed)

    @extend_schema(
        summary="Hand a picked or packed delivery to the carrier",
        description=(
            "The reserved goods leave stock for the customer; what was not reserved goes on a backorder "
            "delivery. Sales, finance and the customer hear of it (`logistics.shipment_dispatched`). Takes the "
            "right to ship."
        ),
        request=DispatchInputSerializer,
        responses={200: DeliveryOrderSerializer},
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_delivery(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        body = DispatchInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dispatched = services.delivery_dispatch(
            actor=request.user,
            delivery=delivery,
            carrier=body.validated_data["carrier"],
            tracking_number=body.validated_data["tracking_number"],
        )
        return self._answer(dispatched)

    @extend_schema(
        summary="Confirm a dispatched delivery arrived",
        description="Publishes `logistics.shipment_delivered` (finance may invoice on delivery). Takes the right "
        "to ship.",
        request=None,
        responses={200: DeliveryOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.delivery_confirm_delivered(actor=request.user, delivery=self.get_object()))

    @extend_schema(
        summary="Cancel a delivery that has not left",
        description="Its reservations go back to available stock (and to backorders waiting for them).",
        request=CancelInputSerializer,
        responses={200: DeliveryOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        body = CancelInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cancelled = services.delivery_cancel(
            actor=request.user, delivery=delivery, reason=body.validated_data["reason"]
        )
        return self._answer(cancelled)


# --- serial numbers -----------------------------------------------------------------------------------------


class SerialMoveSerializer(serializers.ModelSerializer):
    from_label = serializers.CharField(source="from_location.__str__", read_only=True)
    to_label = serializers.CharField(source="to_location.__str__", read_only=True)
    from_kind = serializers.CharField(source="from_location.kind", read_only=True)
    to_kind = serializers.CharField(source="to_location.kind", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True, allow_null=True)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "kind",
            "quantity",
            "from_location",
            "from_label",
            "from_kind",
            "to_location",
            "to_label",
            "to_kind",
            "partner",
            "partner_name",
            "reference",
            "occurred_at",
        ]
        read_only_fields = fields


class SerialHistorySerializer(serializers.Serializer):
    """One product's lot or serial number of that code, with its moves oldest first."""

    lot = serializers.IntegerField(source="lot.pk")
    code = serializers.CharField(source="lot.code")
    product = serializers.IntegerField(source="lot.product_id")
    sku = serializers.CharField(source="lot.product.sku")
    product_name = serializers.CharField(source="lot.product.name")
    expires_on = serializers.DateField(source="lot.expires_on", allow_null=True)
    moves = SerialMoveSerializer(many=True)


class SerialQuerySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=60, help_text=_("The serial or lot number, exactly."))


@extend_schema(tags=["logistics"])
class SerialHistoryView(APIView):
    """The life of a serial number or lot: received, moved, sold to whom, returned."""

    permission_classes = [StaffModelPermissions]
    queryset = Lot.objects.none()  # the right to see lots is the right to read their history

    @extend_schema(
        summary="The history of a serial or lot number",
        description="Every product with a lot of that code, each with its moves oldest first; [] when none.",
        parameters=[OpenApiParameter("code", str, required=True, description="The serial or lot number.")],
        responses={200: SerialHistorySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = SerialQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        history = [
            {"lot": lot, "moves": moves} for lot, moves in selectors.serial_history(code=query.validated_data["code"])
        ]
        return Response(SerialHistorySerializer(history, many=True).data)
