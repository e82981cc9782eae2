from django.contrib import admin

from core.audit.admin import AuditHistoryMixin
from frontoffice.sales.models import (
    CreditHold,
    Lead,
    Opportunity,
    PipelineStage,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)


@admin.register(PipelineStage)
class PipelineStageAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "probability", "is_active"]
    list_editable = ["name", "probability", "is_active"]
    list_display_links = ["position"]


@admin.register(Lead)
class LeadAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["company_name", "first_name", "last_name", "email", "source", "status", "owner", "created_at"]
    list_filter = ["status", "source", "owner"]
    search_fields = ["company_name", "email", "last_name", "campaign"]
    autocomplete_fields = ["owner", "converted_account", "converted_contact"]
    readonly_fields = ["converted_at", "created_at"]


@admin.register(Opportunity)
class OpportunityAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["name", "account", "stage", "amount", "currency", "expected_close", "owner", "status"]
    list_filter = ["status", "stage", "owner"]
    search_fields = ["name", "account__organization__name"]
    autocomplete_fields = ["account", "contact", "owner", "lead"]
    list_select_related = ["account__organization", "stage", "owner", "currency"]
    readonly_fields = ["closed_at", "created_at", "updated_at"]


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    autocomplete_fields = ["product"]
    readonly_fields = ["net_amount", "tax_amount"]


@admin.register(Quote)
class QuoteAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read-mostly: quotes change through their services (totals, versions, the customer's answer)."""

    list_display = ["reference", "account", "status", "total", "currency", "valid_until", "owner", "created_at"]
    list_filter = ["status", "currency", "owner"]
    search_fields = ["number", "account__organization__name"]
    list_select_related = ["account__organization", "currency", "owner"]
    autocomplete_fields = ["account", "contact", "opportunity", "owner", "responded_by"]
    readonly_fields = [
        "number",
        "version",
        "previous",
        "subtotal",
        "tax_total",
        "total",
        "sent_at",
        "sent_to",
        "responded_at",
        "responded_by",
        "responded_by_name",
        "response_note",
        "created_at",
        "updated_at",
    ]
    inlines = [QuoteLineInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # totals and history must stay true to the lines: edit on the staff pages

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    readonly_fields = ["net_amount", "tax_amount"]


@admin.register(SalesOrder)
class SalesOrderAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["number", "account", "status", "total", "currency", "invoice_status", "delivery_status"]
    list_filter = ["status", "invoice_status", "delivery_status", "currency"]
    search_fields = ["number", "customer_reference", "account__organization__name"]
    list_select_related = ["account__organization", "currency"]
    inlines = [SalesOrderLineInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # confirmed orders went out to finance and logistics: change them through the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditHold)
class CreditHoldAdmin(admin.ModelAdmin):
    """Set by finance's events; shown here to explain a refused confirmation."""

    list_display = ["organization", "on_hold", "reason", "as_of"]
    list_filter = ["on_hold"]
    search_fields = ["organization__name"]
    list_select_related = ["organization"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
