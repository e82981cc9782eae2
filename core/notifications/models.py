from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Something a user should know about, shown under the bell until they read it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60, help_text=_("What sort of news this is, e.g. 'ticket.assigned'."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created_idx"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one user wants one kind of notification: in the app, by e-mail, both or neither.

    No row means the default: in the app and by e-mail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=60)
    in_app = models.BooleanField(_("in the app"), default=True)
    by_email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_one_per_user_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"


class FailedMail(models.Model):
    """An e-mail that could not be sent after every retry: kept with its error, shown to admins, resendable."""

    template = models.CharField(_("template"), max_length=200)
    to = models.JSONField(_("to"), default=list)
    context = models.JSONField(_("content"), default=dict)
    options = models.JSONField(_("options"), default=dict, help_text=_("Language, headers, Reply-To."))
    error = models.TextField(_("error"))
    failed_at = models.DateTimeField(_("failed"), auto_now_add=True)
    resent_at = models.DateTimeField(_("sent again"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed e-mail")
        verbose_name_plural = _("failed e-mails")
        ordering = ["-failed_at", "-pk"]
        indexes = [
            models.Index(fields=["-failed_at"], condition=Q(resent_at__isnull=True), name="notif_failedmail_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.template} → {', '.join(self.to)}"
