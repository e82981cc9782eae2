from django.contrib import admin

from core.audit.admin import AuditHistoryMixin
from core.catalog.models import Currency, Product, TaxRate, Unit


@admin.register(Product)
class ProductAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "type", "list_price", "currency", "tax_rate", "unit", "is_active"]
    list_filter = ["type", "is_active", "tax_rate", "currency", "unit"]
    search_fields = ["sku", "name"]
    autocomplete_fields = ["unit", "tax_rate", "currency"]
    list_select_related = ["unit", "tax_rate", "currency"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "allows_fractions"]
    search_fields = ["code", "name"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rate", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "decimal_places", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
