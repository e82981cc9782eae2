"""The API of the product catalog: /api/v1/core/products/.

Reads come from the selector, writes go through the services (with their
audit trail). Products are deactivated, never deleted, through the API.
"""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.api.filters import StrictBooleanFilter
from core.api.viewsets import NoDeleteModelViewSet
from core.catalog import selectors, services
from core.catalog.models import Currency, Product, TaxRate, Unit


class ProductSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), help_text=_("Unit code, e.g. pcs.")
    )
    list_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=_("Price per unit, excluding VAT."),
    )
    currency = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Currency.objects.all(),
        required=False,
        help_text=_("ISO 4217 code; SEK when left out."),
    )
    tax_rate = serializers.SlugRelatedField(
        slug_field="code", queryset=TaxRate.objects.all(), help_text=_("VAT rate code, e.g. se-25.")
    )
    price_including_tax = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text=_("List price with VAT added.")
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "type",
            "unit",
            "list_price",
            "currency",
            "tax_rate",
            "is_active",
            "price_including_tax",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"sku": {"help_text": _("The article number, unique; stored in capitals.")}}

    def create(self, validated_data: dict[str, Any]) -> Product:
        return services.product_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Product, validated_data: dict[str, Any]) -> Product:
        return services.product_update(actor=self.context["request"].user, product=instance, **validated_data)


class ProductFilter(filters.FilterSet):
    is_active = StrictBooleanFilter()
    currency = filters.ModelChoiceFilter(queryset=Currency.objects.all(), help_text=_("ISO 4217 code, e.g. SEK."))
    tax_rate = filters.ModelChoiceFilter(
        queryset=TaxRate.objects.all(), to_field_name="code", help_text=_("VAT rate code, e.g. se-25.")
    )

    class Meta:
        model = Product
        fields = ["type", "is_active", "currency", "tax_rate"]


@extend_schema_view(
    list=extend_schema(summary="List products"),
    retrieve=extend_schema(summary="Get a product"),
    create=extend_schema(summary="Add a product"),
    update=extend_schema(summary="Change a product"),
    partial_update=extend_schema(summary="Change some fields of a product"),
)
@extend_schema(tags=["products"])
class ProductViewSet(NoDeleteModelViewSet):
    """Goods and services the company sells or buys."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["sku", "name"]
    ordering_fields = ["name", "sku", "list_price", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list()
