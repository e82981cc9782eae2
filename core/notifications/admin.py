from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.notifications.models import FailedMail, Notification, NotificationPreference
from core.notifications.services import mail_resend


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


@admin.register(FailedMail)
class FailedMailAdmin(admin.ModelAdmin):
    list_display = ["failed_at", "template", "recipients", "error_summary", "resent_at"]
    list_filter = [("resent_at", admin.EmptyFieldListFilter), "template"]
    search_fields = ["template", "error"]
    readonly_fields = ["template", "to", "context", "options", "error", "failed_at", "resent_at"]
    date_hierarchy = "failed_at"
    actions = ["resend"]

    @admin.display(description=_("to"))
    def recipients(self, failed: FailedMail) -> str:
        return ", ".join(failed.to)

    @admin.display(description=_("error"))
    def error_summary(self, failed: FailedMail) -> str:
        return failed.error.splitlines()[0][:120] if failed.error else ""

    @admin.action(description=_("Send the selected e-mails again"))
    def resend(self, request, queryset) -> None:
        count = 0
        for failed in queryset.filter(resent_at__isnull=True):
            mail_resend(failed=failed)
            count += 1
        self.message_user(request, _("%(count)d e-mails queued again.") % {"count": count})
