from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.audit.models import AuditEntry
from core.audit.selectors import audit_entries_for


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "content_type", "object_repr", "message"]
    list_filter = ["action", "content_type", "created_at"]
    search_fields = ["object_repr", "object_id", "actor__email", "message"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "content_type"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditHistoryMixin:
    """Shows a record's audit trail on its admin change page."""

    @admin.display(description=_("Audit trail"))
    def audit_history(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return render_to_string("audit/_trail.html", {"entries": audit_entries_for(instance=obj)})

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "audit_history"]
