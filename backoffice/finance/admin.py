from django.contrib import admin

from backoffice.finance.models import Account, FiscalYear, Journal, JournalEntry, JournalLine, LedgerSettings
from core.audit.admin import AuditHistoryMixin


@admin.register(Account)
class AccountAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end", "is_closed"]


@admin.register(LedgerSettings)
class LedgerSettingsAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "lock_date", "base_currency"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Journal)
class JournalAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    autocomplete_fields = ["account", "partner"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.is_posted

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.is_posted

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.is_posted


@admin.register(JournalEntry)
class JournalEntryAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read the books here; post and reverse through the services (the database refuses edits of posted entries)."""

    list_display = ["number", "date", "journal", "description", "state", "posted_at"]
    list_filter = ["journal", "state"]
    search_fields = ["number", "description", "reference"]
    date_hierarchy = "date"
    readonly_fields = ["number", "state", "posted_at", "posted_by", "previous_hash", "hash", "chain_position"]
    inlines = [JournalLineInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_posted)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_posted)
