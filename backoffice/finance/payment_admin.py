"""Admin of payments and bank files: read what was booked; changes go through the services (the staff pages)."""

from django.contrib import admin

from backoffice.finance.models import BankStatement, BankStatementLine, Payment, PaymentAllocation
from core.audit.admin import AuditHistoryMixin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Booked money never changes here: a wrong payment is corrected by a reversal in the ledger."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    fields = ["invoice", "date", "amount", "amount_base", "exchange_difference", "entry"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    list_display = ["date", "organization", "amount", "currency", "amount_allocated", "method", "reference", "entry"]
    list_filter = ["method", "currency", "date"]
    search_fields = ["reference", "payer_name", "organization__name", "allocations__invoice__number"]
    list_select_related = ["organization", "entry"]
    date_hierarchy = "date"
    inlines = [PaymentAllocationInline]
    raw_id_fields = ["organization", "bank_line", "entry"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "audit_history"]


class BankStatementLineInline(admin.TabularInline):
    model = BankStatementLine
    extra = 0
    can_delete = False
    fields = ["position", "date", "amount", "currency", "reference", "counterparty", "bank_reference", "state", "note"]
    readonly_fields = fields
    max_num = 0


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "format", "imported_at", "line_count", "matched_lines", "match_state"]
    list_filter = ["format", "match_state"]
    search_fields = ["file_name", "account_iban"]
    inlines = [BankStatementLineInline]


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnlyAdmin):
    list_display = ["date", "amount", "currency", "counterparty", "reference", "state", "statement"]
    list_filter = ["state", "currency"]
    search_fields = ["reference", "counterparty", "bank_reference"]
    list_select_related = ["statement"]
