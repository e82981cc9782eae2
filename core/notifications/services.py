"""Telling users things: in the app and by e-mail, as each prefers."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.accounts.models import User
from core.mail import send_mail_after_commit
from core.notifications.models import FailedMail, Notification, NotificationPreference
from core.notifications.signals import unread_changed


@transaction.atomic
def notify(*, recipient: User, kind: str, title: str, body: str = "", url: str = "") -> Notification | None:
    """Notify one user. The e-mail goes out by Celery after commit; a rollback sends nothing.

    Returns the in-app notification, or None when the user turned in-app off for this kind.
    """
    preference = NotificationPreference.objects.filter(user=recipient, kind=kind).first()
    in_app = preference.in_app if preference else True
    by_email = preference.by_email if preference else True
    notification = None
    if in_app:
        notification = Notification.objects.create(recipient=recipient, kind=kind, title=title, body=body, url=url)
    if by_email and recipient.is_active and recipient.email:
        send_mail_after_commit(
            template="notifications/email/notification",
            context={"title": title, "body": body, "url": url, "name": recipient.get_short_name()},
            to=[recipient.email],
            language=recipient.language,
        )
    return notification


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given); returns how many."""
    unread: QuerySet[Notification] = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    marked = unread.update(read_at=timezone.now())  # no signals: the bell's cached count is forgotten here
    unread_changed(user.pk)
    return marked


@transaction.atomic
def notification_preferences_save(*, user: User, preferences: dict[str, tuple[bool, bool]]) -> None:
    """Store {kind: (in_app, by_email)} for the user."""
    for kind, (in_app, by_email) in preferences.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": in_app, "by_email": by_email}
        )


def mail_failure_record(*, kwargs: dict, error: str) -> FailedMail:
    """Keep a mail that could not be sent (called by the mail task when it gives up)."""
    kwargs = dict(kwargs)
    return FailedMail.objects.create(
        template=kwargs.pop("template", ""),
        to=list(kwargs.pop("to", [])),
        context=kwargs.pop("context", {}),
        options=kwargs,
        error=error[:5000],
    )


def mail_resend(*, failed: FailedMail) -> None:
    """Queue a failed mail again (after the cause is mended); a new failure makes a new row."""
    with transaction.atomic():
        send_mail_after_commit(template=failed.template, context=failed.context, to=failed.to, **failed.options)
        FailedMail.objects.filter(pk=failed.pk).update(resent_at=timezone.now())
