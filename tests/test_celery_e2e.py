"""Background work on the real Celery worker and beat processes: health and e-mail after commit."""

import pytest
from django.db import transaction
from django.test import Client

from core.notifications.services import notify
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("celery"), pytest.mark.django_db(transaction=True)]


def test_health_is_200_with_worker_and_beat_running(celery_worker):
    client = Client()

    def healthy():
        response = client.get("/health/")
        return response if response.status_code == 200 else None

    response = wait_for(healthy, timeout=45, message=f"a healthy /health/\n{celery_worker.logs()}")
    body = response.json()
    assert body["ok"] is True
    assert body["down"] == []
    assert body["checks"]["workers"]["workers"][0]["name"].startswith("test-")


def test_notification_email_is_sent_by_the_worker_after_commit(celery_worker, make_staff):
    user = make_staff("Sales")
    with transaction.atomic():
        notify(recipient=user, kind="portal.invitation_accepted", title="Kim accepted your invitation", url="/app/")
        # Inside the transaction nothing has been queued yet.
        assert list(celery_worker.mail_dir.glob("*")) == []

    def mail_written():
        files = list(celery_worker.mail_dir.glob("*"))
        return files[0].read_text() if files else None

    text = wait_for(mail_written, timeout=30, message=f"the e-mail file\n{celery_worker.logs()}")
    assert "Subject: Kim accepted your invitation" in text
    assert f"To: {user.email}" in text


def test_rolled_back_transaction_sends_nothing(celery_worker, make_staff):
    user = make_staff("Sales")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=user, kind="portal.invitation_accepted", title="Never sent")
        raise RuntimeError("rollback")
    # Give a wrongly queued task time to arrive before asserting absence.
    import time

    time.sleep(2)
    assert list(celery_worker.mail_dir.glob("*")) == []
