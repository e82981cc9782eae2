from django.contrib import admin

from core.audit.admin import AuditHistoryMixin
from frontoffice.crm.models import Account, Activity, ContactProfile


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["kind", "subject", "assignee", "due_at", "done_at"]
    autocomplete_fields = ["assignee"]
    show_change_link = True


@admin.register(Account)
class AccountAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["organization", "owner", "lifecycle_stage", "segment", "industry", "created_at"]
    list_filter = ["lifecycle_stage", "segment", "owner"]
    search_fields = ["organization__name", "organization__org_number", "industry", "tags"]
    autocomplete_fields = ["organization", "owner"]
    list_select_related = ["organization", "owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ActivityInline]


@admin.register(ContactProfile)
class ContactProfileAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "email_consent", "email_consent_at", "phone_consent", "phone_consent_at"]
    list_filter = ["email_consent", "phone_consent", "email_consent_source"]
    search_fields = ["person__first_name", "person__last_name", "person__email", "role"]
    autocomplete_fields = ["person"]
    list_select_related = ["person"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "account", "assignee", "due_at", "done_at"]
    list_filter = ["kind", ("done_at", admin.EmptyFieldListFilter), "due_at"]
    search_fields = ["subject", "account__organization__name", "assignee__email"]
    autocomplete_fields = ["account", "contact", "assignee", "created_by"]
    list_select_related = ["account__organization", "assignee"]
    date_hierarchy = "due_at"
