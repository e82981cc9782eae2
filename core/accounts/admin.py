from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.accounts.models import Department, User
from core.audit.admin import AuditHistoryMixin


@admin.register(User)
class UserAdmin(AuditHistoryMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "kind", "is_staff", "is_active", "last_login"]
    list_filter = ["kind", "is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    filter_horizontal = ["groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "kind", "language"]}),
        (_("Rights"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
        (_("History"), {"fields": ["audit_history"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "kind", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["group", "code", "office", "mfa_required"]
    list_filter = ["office", "mfa_required"]
    list_editable = ["mfa_required"]
    search_fields = ["group__name", "code"]
    readonly_fields = ["code", "group"]
    list_select_related = ["group"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
