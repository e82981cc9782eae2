from django.contrib import admin

from core.audit.admin import AuditHistoryMixin
from frontoffice.sales.models import Lead, Opportunity, PipelineStage


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
