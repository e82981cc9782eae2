from django.contrib import admin

from integration.customer360.models import TimelineEntry


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "organization", "event_name", "office", "title"]
    list_filter = ["office", "event_name"]
    search_fields = ["organization__name", "title", "=event_uuid"]
    autocomplete_fields = ["organization"]
    list_select_related = ["organization"]
    show_full_result_count = False
    readonly_fields = [field.name for field in TimelineEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
