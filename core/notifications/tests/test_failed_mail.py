"""E-mail that cannot be sent is kept, shown on the integration page and can be sent again: never silent."""

import pytest
from django.core import mail
from django.urls import reverse

from core.notifications.models import FailedMail
from core.notifications.services import mail_resend
from core.tasks import send_templated_mail

pytestmark = pytest.mark.django_db


def test_a_mail_that_cannot_be_sent_is_kept_with_its_error():
    result = send_templated_mail.apply(
        kwargs={"template": "no/such/template", "context": {"x": 1}, "to": ["a@example.com"], "language": "sv"},
        throw=False,
    )
    assert result.failed()
    failed = FailedMail.objects.get()
    assert failed.template == "no/such/template"
    assert failed.to == ["a@example.com"]
    assert failed.options == {"language": "sv"}
    assert "TemplateDoesNotExist" in failed.error
    assert not mail.outbox


def test_smtp_errors_are_kept_once_the_retries_are_used_up(monkeypatch, settings):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    monkeypatch.setattr(send_templated_mail, "max_retries", 0)  # the last try: no retry left
    result = send_templated_mail.apply(
        kwargs={"template": "notifications/email/notification", "context": {"title": "t"}, "to": ["b@example.com"]},
        throw=False,
    )
    assert result.failed()
    assert "smtp down" in FailedMail.objects.get().error


def test_failed_mail_is_sent_again_and_shown_until_then(client, make_staff, django_capture_on_commit_callbacks):
    failed = FailedMail.objects.create(
        template="notifications/email/notification",
        to=["c@example.com"],
        context={"title": "Hello again", "body": "", "url": "", "name": "C"},
        options={"language": "en"},
        error="ConnectionRefusedError",
    )
    client.force_login(make_staff("IT"))
    assert "could not be sent after every retry" in client.get(reverse("bus:overview")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        mail_resend(failed=failed)
    assert [message.to for message in mail.outbox] == [["c@example.com"]]
    failed.refresh_from_db()
    assert failed.resent_at is not None
    assert "could not be sent after every retry" not in client.get(reverse("bus:overview")).content.decode()
