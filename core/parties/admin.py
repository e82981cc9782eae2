from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.audit.admin import AuditHistoryMixin
from core.parties.models import Address, Organization, Person


class AddressInline(admin.TabularInline):
    model = Address
    fk_name = "organization"
    extra = 0
    fields = ["kind", "line1", "line2", "postal_code", "city", "country", "is_default"]


class PersonAddressInline(AddressInline):
    fk_name = "person"


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0
    fields = ["first_name", "last_name", "email", "phone", "job_title", "is_active"]
    show_change_link = True


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        from core.parties.models import PartyRole

        return PartyRole.choices

    def queryset(self, request, queryset):
        return queryset.filter(roles__contains=[self.value()]) if self.value() else queryset


@admin.register(Organization)
class OrganizationAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["name", "org_number", "vat_number", "email", "country", "is_active", "created_at"]
    list_filter = [RoleFilter, "is_active", "country", "portal_visibility"]
    search_fields = ["name", "org_number", "vat_number", "email"]
    readonly_fields = ["name_key", "org_number_key", "created_at", "updated_at"]
    inlines = [PersonInline, AddressInline]
    date_hierarchy = "created_at"


@admin.register(Person)
class PersonAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "email", "organization", "job_title", "user", "is_active"]
    list_filter = [RoleFilter, "is_active"]
    search_fields = ["first_name", "last_name", "email", "organization__name"]
    autocomplete_fields = ["organization", "user", "portal_invited_by"]
    readonly_fields = ["email_key", "created_at", "updated_at"]
    list_select_related = ["organization", "user"]
    inlines = [PersonAddressInline]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "organization", "person", "is_default"]
    list_filter = ["kind", "country", "is_default"]
    search_fields = ["line1", "city", "postal_code", "organization__name", "person__last_name"]
    autocomplete_fields = ["organization", "person"]
    list_select_related = ["organization", "person"]
