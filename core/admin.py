from django.contrib import admin

from core.models import IdempotentRequest


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "key", "status_code"]
    search_fields = ["key", "user__email"]
    readonly_fields = ["user", "key", "fingerprint", "status_code", "response", "created_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False
