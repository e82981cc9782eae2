from django.db import models
from django.utils.translation import gettext_lazy as _

from core.parties.models import Organization


class TimelineEntry(models.Model):
    """One thing that happened to a customer, in any department, written from the event that told of it.

    `required_permission` keeps each department's facts to those allowed to see
    them: an entry from HR never shows to Sales.
    """

    class Office(models.TextChoices):
        FRONT = "front", _("Front office")
        BACK = "back", _("Back office")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="timeline_entries")
    event_uuid = models.UUIDField(_("event id"), unique=True)
    event_name = models.CharField(_("kind"), max_length=100)
    office = models.CharField(_("office"), max_length=10, choices=Office.choices)
    occurred_at = models.DateTimeField(_("when"))
    title = models.CharField(_("what happened"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    required_permission = models.CharField(
        _("visible with"),
        max_length=100,
        blank=True,
        help_text=_("app_label.codename a reader needs; empty: all staff"),
    )

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-occurred_at"], name="c360_timeline_idx"),
            models.Index(fields=["organization", "event_name", "-occurred_at"], name="c360_timeline_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.title
