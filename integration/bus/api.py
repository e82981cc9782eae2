"""Read-only API of the bus: /api/v1/integration/events/ and /api/v1/integration/deliveries/."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from core.api.filters import FILTER_BACKENDS
from integration.bus import selectors
from integration.bus.models import Delivery, OutboxEvent


class EventSerializer(serializers.ModelSerializer):
    delivery_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = OutboxEvent
        fields = [
            "id",
            "uuid",
            "name",
            "version",
            "payload",
            "aggregate_type",
            "aggregate_id",
            "sequence",
            "occurred_at",
            "status",
            "relayed_at",
            "delivery_count",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_uuid = serializers.UUIDField(source="event.uuid", read_only=True)
    event_name = serializers.CharField(source="event.name", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "event_uuid",
            "event_name",
            "subscriber",
            "aggregate_type",
            "aggregate_id",
            "sequence",
            "status",
            "attempts",
            "next_attempt_at",
            "started_at",
            "done_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class EventFilter(filters.FilterSet):
    name = filters.CharFilter()
    aggregate_type = filters.CharFilter()
    aggregate_id = filters.CharFilter()
    status = filters.ChoiceFilter(choices=OutboxEvent.Status.choices)
    occurred_after = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = OutboxEvent
        fields = ["name", "aggregate_type", "aggregate_id", "status"]


class DeliveryFilter(filters.FilterSet):
    name = filters.CharFilter(field_name="event__name")
    subscriber = filters.CharFilter()
    aggregate_type = filters.CharFilter()
    aggregate_id = filters.CharFilter()
    status = filters.ChoiceFilter(choices=Delivery.Status.choices)
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["subscriber", "aggregate_type", "aggregate_id", "status"]


@extend_schema_view(
    list=extend_schema(summary="List published events", tags=["integration"]),
    retrieve=extend_schema(summary="One published event", tags=["integration"]),
)
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Events published through the outbox, newest first (IT and Management)."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    filter_backends = FILTER_BACKENDS
    ordering_fields = ["id", "occurred_at", "name"]
    search_fields = []

    def get_queryset(self):
        return selectors.event_list()


@extend_schema_view(
    list=extend_schema(summary="List deliveries to subscribers", tags=["integration"]),
    retrieve=extend_schema(summary="One delivery", tags=["integration"]),
)
class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """One row per event and subscriber: state, attempts and the last error (IT and Management)."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    filter_backends = FILTER_BACKENDS
    ordering_fields = ["id", "created_at", "attempts"]
    search_fields = []

    def get_queryset(self):
        return selectors.delivery_list()
