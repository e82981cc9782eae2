import pytest
from django.core import mail
from django.urls import reverse

from core.notifications.models import Notification, NotificationPreference
from core.notifications.services import notification_mark_read, notify

pytestmark = pytest.mark.django_db


def test_notify_creates_in_app_row_and_sends_email_after_commit(make_staff, django_capture_on_commit_callbacks):
    user = make_staff("Sales")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(recipient=user, kind="portal.invitation_accepted", title="Kim accepted", url="/app/")
    assert notification.recipient == user
    assert len(mail.outbox) == 0  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Kim accepted"
    assert mail.outbox[0].to == [user.email]


def test_preferences_turn_channels_off(make_staff, django_capture_on_commit_callbacks):
    user = make_staff("Sales")
    NotificationPreference.objects.create(user=user, kind="portal.invitation_accepted", in_app=False, by_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(recipient=user, kind="portal.invitation_accepted", title="x") is None
    assert not Notification.objects.exists()
    assert len(mail.outbox) == 0


def test_bell_shows_unread_count_and_mark_read(client, make_staff):
    user = make_staff("Sales")
    other = make_staff("Sales")
    for index in range(3):
        Notification.objects.create(recipient=user, kind="k", title=f"n{index}")
    Notification.objects.create(recipient=other, kind="k", title="not yours")
    client.force_login(user)
    html = client.get("/app/").content.decode()
    assert 'bell-count">3<' in html
    page = client.get(reverse("notifications")).content.decode()
    assert "not yours" not in page
    client.post(reverse("notifications-mark-read"))
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_mark_read_only_touches_own(make_staff):
    user, other = make_staff(), make_staff()
    theirs = Notification.objects.create(recipient=other, kind="k", title="x")
    assert notification_mark_read(user=user, notification_ids=[theirs.pk]) == 0


def test_settings_page_saves_preferences(client, make_staff):
    user = make_staff("Sales")
    client.force_login(user)
    response = client.post(reverse("notification-settings"), {"portal.invitation_accepted:in_app": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=user, kind="portal.invitation_accepted")
    assert (preference.in_app, preference.by_email) == (True, False)


def test_bell_count_is_cached_and_follows_every_change(client, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.notifications import services

    user = make_staff("Sales")
    client.force_login(user)

    def bell() -> str:
        html = client.get("/app/").content.decode()
        return html.split('bell-count">')[1].split("<")[0] if 'bell-count">' in html else "0"

    assert bell() == "0"
    with CaptureQueriesContext(connection) as cached:
        assert bell() == "0"
    assert not [query for query in cached.captured_queries if "notifications_notification" in query["sql"]]
    first = services.notify(recipient=user, kind="k", title="one")
    services.notify(recipient=user, kind="k", title="two")
    assert bell() == "2"
    services.notification_mark_read(user=user, notification_ids=[first.pk])  # an update(): no signals
    assert bell() == "1"
    Notification.objects.create(recipient=make_staff(), kind="k", title="someone else's")
    assert bell() == "1"
    Notification.objects.get(recipient=user, read_at__isnull=True).delete()
    assert bell() == "0"
    unread = Notification.objects.create(recipient=user, kind="k", title="three")
    assert bell() == "1"
    unread.read_at = unread.created_at
    unread.save()
    assert bell() == "0"


def test_a_count_read_while_a_notification_was_uncommitted_is_not_kept(make_staff, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from core.notifications import selectors

    user = make_staff()
    assert selectors.notification_unread_count(user=user) == 0
    with django_capture_on_commit_callbacks(execute=True):
        Notification.objects.create(recipient=user, kind="k", title="pending")
        # Another request, which read the table before this commit, stores its count under the version it saw.
        version = cache.get(selectors.unread_version_key(user.pk))
        cache.set(f"notifications:unread:{user.pk}", (version, 0))
    assert selectors.notification_unread_count(user=user) == 1
