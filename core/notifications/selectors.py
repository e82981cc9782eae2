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
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


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
