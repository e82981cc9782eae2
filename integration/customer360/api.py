"""/api/v1/customers/{pk}/timeline/: the customer's timeline, as the page shows it to the caller."""

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission

from core.api.permissions import StaffModelPermissions
from core.parties.models import Organization
from integration.customer360 import selectors
from integration.customer360.models import TimelineEntry


class TimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ["id", "event_uuid", "event_name", "office", "occurred_at", "title", "url"]
        read_only_fields = fields


class TimelineFilter(filters.FilterSet):
    office = filters.ChoiceFilter(choices=TimelineEntry.Office.choices)
    kind = filters.CharFilter(field_name="event_name")

    class Meta:
        model = TimelineEntry
        fields = ["office", "kind"]


class CanViewOrganizations(StaffModelPermissions):
    """Staff who may view organizations (the timeline itself is then filtered by their other rights)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_employee and user.has_perm("parties.view_organization"))


@extend_schema(summary="A customer's timeline across departments", tags=["customers"])
class TimelineView(generics.ListAPIView):
    """Newest first; only entries the caller's departments may see."""

    serializer_class = TimelineEntrySerializer
    filterset_class = TimelineFilter
    permission_classes: list[type[BasePermission]] = [CanViewOrganizations]
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return TimelineEntry.objects.none()
        organization = get_object_or_404(Organization, pk=self.kwargs["pk"])
        return selectors.timeline_for(user=self.request.user, organization=organization)
