from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from backoffice.finance import services
from backoffice.finance.models import (
    Account,
    CreditHold,
    CustomerBillingPolicy,
    DunningLetter,
    DunningPolicy,
    ExchangeRate,
    FiscalYear,
    Invoice,
    InvoiceLine,
    Journal,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    PaymentRun,
    PaymentRunItem,
    SupplierBill,
    SupplierBillLine,
)
from core.audit.admin import AuditHistoryMixin
from core.exceptions import ServiceError


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


# --- customer invoices ---------------------------------------------------------------------------------------


@admin.register(CustomerBillingPolicy)
class CustomerBillingPolicyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["organization", "invoice_on"]
    list_filter = ["invoice_on"]
    search_fields = ["organization__name"]
    autocomplete_fields = ["organization"]

    def save_model(self, request, obj, form, change) -> None:
        """Through the service, so the change is audited like any other."""
        services.billing_policy_set(actor=request.user, organization=obj.organization, invoice_on=obj.invoice_on)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["currency", "date", "rate"]
    list_filter = ["currency"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change) -> None:
        services.exchange_rate_set(actor=request.user, currency=obj.currency_id, date=obj.date, rate=obj.rate)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["position", "sku", "description", "quantity", "unit_price", "discount_percent", "tax_rate"]
    fields += ["net_amount", "tax_amount", "account"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read invoices here; they are made from orders and changed only by the services (the actions below)."""

    list_display = [
        "__str__",
        "kind",
        "state",
        "organization",
        "invoice_date",
        "due_date",
        "total",
        "currency",
        "amount_due",
        "sent_at",
    ]
    list_filter = ["kind", "state", "currency", "invoice_date"]
    search_fields = ["number", "ocr", "order_number", "customer_name", "organization__name"]
    list_select_related = ["organization"]
    date_hierarchy = "invoice_date"
    inlines = [InvoiceLineInline]
    actions = ["issue_drafts", "cancel_drafts"]

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in Invoice._meta.fields), "amount_due", "audit_history"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("due"))
    def amount_due(self, obj: Invoice):
        return obj.amount_due

    def _each(self, request, queryset, service, done: str) -> None:
        count = 0
        for invoice in queryset.filter(state=Invoice.State.DRAFT).order_by("pk"):
            try:
                service(actor=request.user, invoice=invoice)
                count += 1
            except ServiceError as error:
                self.message_user(request, f"{invoice}: {' '.join(error.messages)}", messages.ERROR)
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Issue the selected drafts (number, books, e-mail)"), permissions=["issue"])
    def issue_drafts(self, request, queryset) -> None:
        self._each(request, queryset, services.invoice_issue, _("Invoices issued: %(count)s."))

    @admin.action(description=_("Cancel the selected drafts"), permissions=["issue"])
    def cancel_drafts(self, request, queryset) -> None:
        self._each(request, queryset, services.invoice_cancel, _("Drafts cancelled: %(count)s."))

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("finance.issue_invoice")


# --- dunning and credit hold -----------------------------------------------------------------------------------


@admin.register(DunningPolicy)
class DunningPolicyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """The one policy row; saved through the service, which checks the levels are in order and audits it."""

    list_display = ["__str__", "reminder_days", "second_reminder_days", "final_notice_days", "reminder_fee"]
    list_display += ["interest_rate", "hold_after_days", "hold_over_amount", "is_active"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        from backoffice.finance import dunning

        dunning.dunning_policy_update(
            actor=request.user, **{name: getattr(obj, name) for name in dunning.POLICY_FIELDS}
        )


@admin.register(DunningLetter)
class DunningLetterAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Letters are sent by the dunning run only; here they are read."""

    list_display = ["invoice", "level", "date", "days_overdue", "amount_due", "fee", "interest", "fee_invoice"]
    list_display += ["sent_at"]
    list_filter = ["level", "date"]
    search_fields = ["invoice__number", "invoice__customer_name", "fee_invoice__number"]
    list_select_related = ["invoice", "fee_invoice"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in DunningLetter._meta.fields), "audit_history"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditHold)
class CreditHoldAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read who is on hold; hold and release on /app/finance/dunning/holds/, so sales hears of it."""

    list_display = ["organization", "on_hold", "is_manual", "reason", "overdue_amount", "changed_at"]
    list_filter = ["on_hold", "is_manual"]
    search_fields = ["organization__name", "reason"]
    list_select_related = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in CreditHold._meta.fields), "audit_history"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from backoffice.finance import payment_admin  # noqa: E402, F401 - registers the payment models

# --- supplier bills and payment runs (read-only here: the staff pages and the services change them) ---


class SupplierBillLineInline(admin.TabularInline):
    model = SupplierBillLine
    extra = 0
    can_delete = False
    fields = [
        "position",
        "description",
        "sku",
        "quantity",
        "unit_price",
        "tax_rate",
        "net_amount",
        "tax_amount",
        "account",
        "ordered_quantity",
        "ordered_unit_price",
        "received_quantity",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupplierBill)
class SupplierBillAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "supplier", "supplier_reference", "bill_date", "due_date", "total", "currency", "state"]
    list_filter = ["state", "match_state", "currency", "bill_date"]
    search_fields = ["number", "supplier_reference", "purchase_order_number", "supplier__name"]
    list_select_related = ["supplier"]
    date_hierarchy = "bill_date"
    inlines = [SupplierBillLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in SupplierBill._meta.fields), "audit_history"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentRunItemInline(admin.TabularInline):
    model = PaymentRunItem
    extra = 0
    can_delete = False
    fields = ["bill", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaymentRun)
class PaymentRunAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "payment_date", "state", "total", "confirmed_at"]
    list_filter = ["state", "payment_date"]
    inlines = [PaymentRunItemInline]

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in PaymentRun._meta.fields), "audit_history"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
