import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """A business fact one app published for the others, stored in the publisher's transaction.

    The row exists only if the change that caused it committed. The relay fans
    it out to one Delivery per subscriber; nothing here is ever edited after that.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the relay")
        RELAYED = "relayed", _("Handed to subscribers")

    uuid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("event"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"))
    payload = models.JSONField(_("payload"))
    aggregate_type = models.CharField(_("aggregate type"), max_length=100)
    aggregate_id = models.CharField(_("aggregate id"), max_length=64)
    sequence = models.PositiveBigIntegerField(_("sequence in aggregate"))
    occurred_at = models.DateTimeField(_("occurred"), db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    relayed_at = models.DateTimeField(_("relayed"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregate_type", "aggregate_id", "sequence"], name="bus_event_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", relayed_at__isnull=True) | Q(status="relayed", relayed_at__isnull=False),
                name="bus_event_relayed_has_time",
            ),
        ]
        indexes = [
            # The relay's work queue: only pending rows, oldest first.
            models.Index(fields=["id"], condition=Q(status="pending"), name="bus_event_pending_idx"),
            models.Index(fields=["name", "-occurred_at"], name="bus_event_name_idx"),
            models.Index(fields=["aggregate_type", "aggregate_id", "sequence"], name="bus_event_aggregate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class AggregateSequence(models.Model):
    """The last sequence number handed out per aggregate, so that its events have a strict order."""

    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=64)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["aggregate_type", "aggregate_id"], name="bus_sequence_aggregate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.aggregate_type}:{self.aggregate_id} = {self.last}"


class Delivery(models.Model):
    """One event on its way to one subscriber: attempts, errors, and the guard against running twice.

    The handler's effect and `status = done` commit in the same transaction, so a
    redelivered task finds the delivery done and does nothing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        RETRYING = "retrying", _("Waiting to retry")
        DONE = "done", _("Done")
        DEAD = "dead", _("Dead letter")
        DISCARDED = "discarded", _("Discarded")

    # States in which a delivery still has work to do.
    OPEN_STATES = ("pending", "running", "retrying")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(_("subscriber"), max_length=200)
    # Copied from the event so that ordering checks use one index, without a join.
    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=64)
    sequence = models.PositiveBigIntegerField()
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("last sent to the broker"), null=True, blank=True)
    started_at = models.DateTimeField(_("last attempt started"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("retried or discarded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("retried or discarded"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="bus_delivery_once_per_subscriber"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False), name="bus_delivery_done_has_time"
            ),
        ]
        indexes = [
            # Work still to do (the sweep) and the order check per aggregate and subscriber.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "running", "retrying"]),
                name="bus_delivery_open_idx",
            ),
            models.Index(
                fields=["subscriber", "aggregate_type", "aggregate_id", "sequence"],
                condition=~Q(status__in=["done", "discarded"]),
                name="bus_delivery_order_idx",
            ),
            models.Index(fields=["status", "-done_at"], name="bus_delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event.name} → {self.subscriber}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES


class Probe(models.Model):
    """An operator's test event: proves that publishing, the relay, the broker and a worker all work.

    Sent from the integration page; its subscriber stamps when it arrived, so
    the round trip shows what a real event would wait right now.
    """

    event_uuid = models.UUIDField(unique=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent"))
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("test event")
        verbose_name_plural = _("test events")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Probe {self.event_uuid}"

    @property
    def round_trip_ms(self) -> int | None:
        if self.received_at is None:
            return None
        return int((self.received_at - self.sent_at).total_seconds() * 1000)
