from django.db import models


class Effect(models.Model):
    """One run of a probe handler that committed. Deliberately not unique: duplicates must be visible."""

    event_id = models.UUIDField(db_index=True)
    subscriber = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=64)
    sequence = models.PositiveBigIntegerField()
    number = models.IntegerField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)


class Switch(models.Model):
    """A 'bug' a test can fix: handlers given this switch's name fail while it is broken."""

    name = models.CharField(max_length=50, unique=True)
    is_broken = models.BooleanField(default=True)
