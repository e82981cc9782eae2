import uuid

from django.core.cache import cache
from django.db.models import QuerySet

from core.accounts.models import User
from core.notifications.kinds import KINDS
from core.notifications.models import Notification, NotificationPreference


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: the bell on every staff page.

    Kept in the cache under the user's notification version, which
    core.notifications.signals replaces whenever one of their notifications
    is created, changed, deleted or marked read (at once and again on
    commit). A count read while a change was uncommitted is stored under the
    old version and never used; the time limit is only a safety net.
    """
    version_key, count_key = unread_version_key(user.pk), f"notifications:unread:{user.pk}"
    stored = cache.get_many([version_key, count_key])
    version = stored.get(version_key)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(version_key, version, timeout=UNREAD_TIMEOUT):
            version = cache.get(version_key) or version
    entry = stored.get(count_key)
    if entry and entry[0] == version:
        return entry[1]
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    cache.set(count_key, (version, count), timeout=UNREAD_TIMEOUT)
    return count


UNREAD_TIMEOUT = 300  # seconds


def unread_version_key(user_id: int) -> str:
    return f"notifications:unread-version:{user_id}"


def notification_preferences(*, user: User) -> list[dict]:
    """Every kind with the user's choice (defaults where they made none)."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    rows = []
    for kind, label in KINDS.items():
        preference = stored.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": label,
                "in_app": preference.in_app if preference else True,
                "by_email": preference.by_email if preference else True,
            }
        )
    return rows
