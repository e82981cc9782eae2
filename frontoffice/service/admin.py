from django.contrib import admin

from core.audit.admin import AuditHistoryMixin
from frontoffice.service.models import (
    Attachment,
    BusinessCalendar,
    CannedResponse,
    Category,
    Holiday,
    InboundMail,
    Message,
    Queue,
    SlaPolicy,
    Ticket,
    TimeEntry,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    inlines = [WorkingHoursInline, HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "priority",
        "organization",
        "calendar",
        "first_response_minutes",
        "resolution_minutes",
        "raise_priority_on_breach",
        "is_active",
    ]
    list_filter = ["priority", "is_active", "calendar"]
    autocomplete_fields = ["organization"]
    list_select_related = ["organization", "calendar"]


@admin.register(Queue)
class QueueAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["name", "email", "lead", "assignment", "is_default", "is_active"]
    list_filter = ["assignment", "is_active"]
    search_fields = ["name", "email"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["lead"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "queue", "customer_may_set_priority", "is_active"]
    list_filter = ["queue", "is_active"]
    search_fields = ["name"]


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ["kind", "from_customer", "author_user", "author_person", "body", "source", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["author_user", "author_person"]


@admin.register(Ticket)
class TicketAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["number", "subject", "organization", "requester", "queue", "priority", "status", "assignee"]
    list_filter = ["status", "priority", "queue", "source"]
    search_fields = ["=number", "subject", "organization__name", "requester__email"]
    autocomplete_fields = ["organization", "requester", "assignee", "cc", "merged_into"]
    list_select_related = ["organization", "requester", "queue", "assignee"]
    readonly_fields = [
        "number",
        "created_at",
        "updated_at",
        "last_activity_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "first_response_due_at",
        "resolution_due_at",
        "sla_paused_at",
        "sla_paused_total",
        "first_response_breached_at",
        "resolution_breached_at",
        "csat_rating",
        "csat_comment",
        "csat_at",
    ]
    inlines = [MessageInline]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "ticket", "content_type", "size", "created_at"]
    search_fields = ["name", "=ticket__number"]
    raw_id_fields = ["ticket", "message"]
    readonly_fields = ["content_type", "size"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "queue", "is_active"]
    list_filter = ["queue", "is_active"]
    search_fields = ["title", "body"]


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["ticket", "user", "minutes", "billable", "worked_on"]
    list_filter = ["billable"]
    raw_id_fields = ["ticket"]
    autocomplete_fields = ["user"]


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "recipient", "subject", "channel", "outcome", "ticket"]
    list_filter = ["outcome", "channel"]
    search_fields = ["sender", "subject", "message_id"]
    raw_id_fields = ["ticket"]
    readonly_fields = ["message_id", "sender", "recipient", "subject", "received_at", "channel", "outcome", "detail"]
