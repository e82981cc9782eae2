from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.audit.admin import AuditHistoryMixin
from integration.bus import services
from integration.bus.models import AggregateSequence, Delivery, OutboxEvent, Probe


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["subscriber", "status", "attempts", "next_attempt_at", "done_at", "last_error"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "aggregate_type", "aggregate_id", "sequence", "status", "occurred_at", "relayed_at"]
    list_filter = ["status", "name", "aggregate_type", "occurred_at"]
    search_fields = ["=uuid", "name", "=aggregate_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]
    inlines = [DeliveryInline]
    show_full_result_count = False  # counting millions of rows on every page is what makes admin slow

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Deliveries, and the dead letters among them: retry after a fix, or discard on purpose."""

    list_display = ["id", "event", "subscriber", "status", "attempts", "next_attempt_at", "done_at", "short_error"]
    list_filter = ["status", "subscriber", "event__name"]
    search_fields = ["=event__uuid", "subscriber", "=aggregate_id", "last_error"]
    list_select_related = ["event"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    actions = ["retry_dead_letters", "discard_dead_letters"]
    show_full_result_count = False

    @admin.display(description=_("last error"))
    def short_error(self, delivery: Delivery) -> str:
        return delivery.last_error[:80]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _resolve(self, request, queryset, service) -> int:
        done = 0
        for delivery in queryset:
            try:
                service(delivery=delivery, actor=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{delivery}: {' '.join(error.messages)}", messages.WARNING)
        return done

    @admin.action(description=_("Retry the selected dead letters"), permissions=["change"])
    def retry_dead_letters(self, request, queryset) -> None:
        count = self._resolve(request, queryset, services.delivery_retry)
        text = ngettext("%(count)d dead letter sent again.", "%(count)d dead letters sent again.", count)
        self.message_user(request, text % {"count": count})

    @admin.action(description=_("Discard the selected dead letters"), permissions=["change"])
    def discard_dead_letters(self, request, queryset) -> None:
        count = self._resolve(request, queryset, services.delivery_discard)
        text = ngettext("%(count)d dead letter discarded.", "%(count)d dead letters discarded.", count)
        self.message_user(request, text % {"count": count})


@admin.register(Probe)
class ProbeAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "sent_by", "note", "received_at", "round_trip_ms"]
    list_filter = ["sent_at"]
    search_fields = ["=event_uuid", "note"]
    list_select_related = ["sent_by"]
    readonly_fields = [field.name for field in Probe._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AggregateSequence)
class AggregateSequenceAdmin(admin.ModelAdmin):
    """The last sequence number per aggregate: read-only, for looking into ordering questions."""

    list_display = ["aggregate_type", "aggregate_id", "last"]
    search_fields = ["aggregate_type", "=aggregate_id"]
    readonly_fields = ["aggregate_type", "aggregate_id", "last"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
