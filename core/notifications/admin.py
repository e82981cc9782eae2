from django.contrib import admin

from core.notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind", "created_at", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "recipient__email"]
    autocomplete_fields = ["recipient"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "by_email"]
    list_filter = ["kind", "in_app", "by_email"]
    search_fields = ["user__email", "kind"]
    autocomplete_fields = ["user"]
