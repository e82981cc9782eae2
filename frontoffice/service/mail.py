"""E-mail to customers about their tickets: one thread per ticket, the reference in every subject.

Every message gets its own Message-ID and answers the ticket's first one
(In-Reply-To and References), so a mail program shows the whole ticket as one
conversation and a reply by e-mail finds its way back to the ticket.
"""

import secrets
from typing import Any

from django.conf import settings
from django.urls import reverse

from core.mail import send_mail_after_commit
from frontoffice.service.models import Message, Ticket

TEMPLATE = "service/email/ticket"


def new_message_id(kind: str) -> str:
    return f"<{kind}.{secrets.token_hex(12)}@{settings.SERVICE_MAIL_DOMAIN}>"


def _recipients(ticket: Ticket) -> list[str]:
    """The requester and the people copied."""
    people = [ticket.requester, *ticket.cc.all()]
    seen: dict[str, None] = {}
    for person in people:
        if person.email and person.is_active:
            seen.setdefault(person.email.lower(), None)
    return list(seen)


def _link(ticket: Ticket) -> str:
    """The portal page for a customer with a login; a guest link for someone who only ever wrote by e-mail."""
    from frontoffice.service.services import guest_token

    if ticket.requester.user_id:
        return settings.SITE_URL + ticket.get_portal_url()
    return settings.SITE_URL + reverse("portal-ticket-guest", args=[guest_token(ticket)])


def _send(ticket: Ticket, kind: str, **extra: Any) -> None:
    to = _recipients(ticket)
    if not to:
        return
    user = ticket.requester.user if ticket.requester.user_id else None
    context = {
        "kind": kind,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "name": ticket.requester.first_name or ticket.requester.full_name,
        "status": str(ticket.get_status_display()),
        "link": _link(ticket),
        "company": settings.COMPANY_NAME,
        **extra,
    }
    headers = {"Message-ID": new_message_id(kind), "X-Kontor-Ticket": ticket.reference}
    if ticket.thread_message_id:
        headers["In-Reply-To"] = ticket.thread_message_id
        headers["References"] = ticket.thread_message_id
    # RFC 3834: machine-made mail says so, so that other systems' auto-responders do not answer it.
    headers["Auto-Submitted"] = "no" if kind == "reply" else "auto-replied"
    send_mail_after_commit(
        template=TEMPLATE,
        context=context,
        to=to,
        language=(user.language if user else "") or settings.LANGUAGE_CODE,
        headers=headers,
        reply_to=[ticket.queue.email or settings.SUPPORT_EMAIL],
    )


def ticket_acknowledgement(ticket: Ticket) -> None:
    """The "we have your ticket" mail."""
    _send(ticket, "created")


def agent_reply(ticket: Ticket, message: Message) -> None:
    agent = message.author_user
    # First names only, as on the portal: the person behind the answer, not their full identity.
    _send(ticket, "reply", body=message.body, agent=(agent.get_short_name() if agent else settings.COMPANY_NAME))


def status_changed(ticket: Ticket, old_status: str) -> None:
    _send(ticket, "status", old_status=str(Ticket.Status(old_status).label))


def csat_request(ticket: Ticket) -> None:
    _send(ticket, "csat")
