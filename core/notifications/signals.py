"""Forgetting a user's cached unread count (selectors.notification_unread_count) when their notifications change."""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from core.notifications.models import Notification
from core.notifications.selectors import UNREAD_TIMEOUT, unread_version_key


def unread_changed(user_id: int) -> None:
    """Replace the user's notification version: now, and again when the current transaction commits."""

    def bump() -> None:
        cache.set(unread_version_key(user_id), uuid.uuid4().hex, timeout=UNREAD_TIMEOUT)

    bump()
    transaction.on_commit(bump)


def _on_notification_changed(sender, instance: Notification, **kwargs) -> None:
    unread_changed(instance.recipient_id)


def connect() -> None:
    post_save.connect(_on_notification_changed, sender=Notification, dispatch_uid="notifications.unread_saved")
    post_delete.connect(_on_notification_changed, sender=Notification, dispatch_uid="notifications.unread_deleted")
