"""E-mail from templates, sent by Celery after the transaction commits."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def render_and_send_mail(
    *,
    template: str,
    context: dict[str, Any],
    to: Sequence[str],
    language: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    reply_to: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    from_email: str = "",
) -> None:
    """Render `<template>_subject.txt`, `.txt` and `.html` in the reader's language and send them now.

    `attachments` are (file name, content, MIME type), e.g. a quote's PDF; `headers` are extra ones such as
    Message-ID and In-Reply-To, which let a reader's mail program thread a conversation.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"{template}_subject.txt", context).strip().replace("\n", " ")
        body = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=list(to),
        reply_to=list(reply_to),
        headers=dict(headers or {}),
        from_email=from_email or None,
    )
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()


def send_mail_after_commit(
    *,
    template: str,
    context: dict[str, Any],
    to: Sequence[str],
    language: str = "",
    headers: dict[str, str] | None = None,
    reply_to: Sequence[str] = (),
    from_email: str = "",
) -> None:
    """Queue the e-mail once the caller's transaction commits; a rollback sends nothing.

    `context` must be JSON-safe: it travels through the broker.
    """
    from core.tasks import send_templated_mail

    kwargs: dict[str, Any] = {"template": template, "context": context, "to": list(to), "language": language}
    if headers:
        kwargs["headers"] = dict(headers)
    if reply_to:
        kwargs["reply_to"] = list(reply_to)
    if from_email:
        kwargs["from_email"] = from_email
    transaction.on_commit(lambda: send_templated_mail.delay(**kwargs))
