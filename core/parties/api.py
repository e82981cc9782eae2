"""The API of organizations and people: /api/v1/core/organizations/ and /api/v1/core/people/.

Reads come from the selectors, writes go through the services, so the API
keeps the same rules and audit trail as the staff pages. Nothing is deleted
through the API: organizations and people are deactivated instead.
"""

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from core.api.filters import StrictBooleanFilter
from core.api.viewsets import NoDeleteModelViewSet
from core.parties import selectors, services
from core.parties.models import Organization, PartyRole, Person

_COUNTRY = re.compile(r"[A-Z]{2}")


class RolesField(serializers.ListField):
    """What the party is to the company; each value once, in the order given."""

    child = serializers.ChoiceField(choices=PartyRole.choices)

    def to_internal_value(self, data: Any) -> list[str]:
        return list(dict.fromkeys(super().to_internal_value(data)))


def _validate_country(value: str) -> str:
    value = value.strip().upper()
    if not _COUNTRY.fullmatch(value):
        raise serializers.ValidationError(_("Enter a two-letter ISO 3166 country code, such as SE."))
    return value


class OrganizationSerializer(serializers.ModelSerializer):
    roles = RolesField(required=False, allow_empty=True)
    country = serializers.CharField(required=False, help_text=_("ISO 3166 code, e.g. SE (the default)."))
    people_count = serializers.IntegerField(read_only=True, help_text=_("How many people belong to it."))
    url = serializers.SerializerMethodField(help_text=_("The organization's page in the staff app."))

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "org_number",
            "vat_number",
            "roles",
            "email",
            "phone",
            "website",
            "country",
            "portal_visibility",
            "is_active",
            "notes",
            "created_at",
            "updated_at",
            "people_count",
            "url",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_country(self, value: str) -> str:
        return _validate_country(value)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, organization: Organization) -> str:
        request = self.context.get("request")
        path = organization.get_absolute_url()
        return request.build_absolute_uri(path) if request is not None else path

    def create(self, validated_data: dict[str, Any]) -> Organization:
        return services.organization_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Organization, validated_data: dict[str, Any]) -> Organization:
        return services.organization_update(actor=self.context["request"].user, organization=instance, **validated_data)


class PersonSerializer(serializers.ModelSerializer):
    roles = RolesField(required=False, allow_empty=True)
    full_name = serializers.CharField(read_only=True)
    has_portal_access = serializers.SerializerMethodField(
        help_text=_("Whether the person has an active login to the customer portal.")
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "job_title",
            "organization",
            "roles",
            "is_active",
            "has_portal_access",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_has_portal_access(self, person: Person) -> bool:
        return person.user is not None and person.user.is_active

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def value(name: str) -> str:
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, "") if self.instance is not None else ""

        if not any(value(name).strip() for name in ("first_name", "last_name", "email")):
            raise serializers.ValidationError(_("Give at least a name or an e-mail address."))
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Person:
        return services.person_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Person, validated_data: dict[str, Any]) -> Person:
        return services.person_update(actor=self.context["request"].user, person=instance, **validated_data)


class OrganizationFilter(filters.FilterSet):
    role = filters.ChoiceFilter(choices=PartyRole.choices, method="filter_role", help_text=_("Has this role."))
    is_active = StrictBooleanFilter()
    country = filters.CharFilter(method="filter_country", help_text=_("ISO 3166 code, e.g. SE."))
    created_after = filters.DateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text=_("Created at or after this time (ISO 8601 date or date-time)."),
    )
    created_before = filters.DateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("Created before this time (ISO 8601 date or date-time).")
    )

    class Meta:
        model = Organization
        fields = ["role", "is_active", "country", "created_after", "created_before"]

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(roles__contains=[value])

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(country=value.strip().upper())


class PersonFilter(filters.FilterSet):
    organization = filters.ModelChoiceFilter(queryset=Organization.objects.all())
    role = filters.ChoiceFilter(choices=PartyRole.choices, method="filter_role", help_text=_("Has this role."))
    has_portal_access = StrictBooleanFilter(
        method="filter_has_portal_access", help_text=_("Has an active login to the customer portal.")
    )
    email = filters.CharFilter(field_name="email", lookup_expr="iexact", help_text=_("Exact e-mail address."))
    is_active = StrictBooleanFilter()

    class Meta:
        model = Person
        fields = ["organization", "role", "has_portal_access", "email", "is_active"]

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(roles__contains=[value])

    def filter_has_portal_access(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        condition = Q(user__isnull=False, user__is_active=True)
        return queryset.filter(condition if value else ~condition)


@extend_schema_view(
    list=extend_schema(summary="List organizations"),
    retrieve=extend_schema(summary="Get an organization"),
    create=extend_schema(summary="Register an organization"),
    update=extend_schema(summary="Change an organization"),
    partial_update=extend_schema(summary="Change some fields of an organization"),
)
@extend_schema(tags=["organizations"])
class OrganizationViewSet(NoDeleteModelViewSet):
    """Organizations the company deals with: customers, suppliers, partners, ..."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    search_fields = ["name", "org_number", "vat_number", "email"]
    ordering_fields = ["name", "created_at", "updated_at", "people_count", "country"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Organization]:
        return selectors.organization_list()


@extend_schema_view(
    list=extend_schema(summary="List people"),
    retrieve=extend_schema(summary="Get a person"),
    create=extend_schema(summary="Register a person"),
    update=extend_schema(summary="Change a person"),
    partial_update=extend_schema(summary="Change some fields of a person"),
)
@extend_schema(tags=["people"])
class PersonViewSet(NoDeleteModelViewSet):
    """People the company deals with, usually contacts at an organization."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["last_name", "first_name", "email", "organization__name", "created_at", "updated_at"]
    ordering = ["last_name", "first_name"]

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.person_list()
