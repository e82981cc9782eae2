"""The mail receiver: a small LMTP or SMTP server (aiosmtpd) that hands support mail to inbound.receive.

It accepts only the support addresses (settings.SUPPORT_EMAIL and every queue's own address) and refuses any
other recipient with 550 at RCPT, before the message is sent. After DATA it answers 250 once the mail is
recorded, whatever became of it (a mail that failed is kept, shown to staff and can be tried again), and 451
only when the mail could not be recorded at all (the database is unreachable), so the sending server keeps it
and tries again later. In LMTP mode every accepted recipient gets its own answer, as RFC 2033 asks.

The Django work runs in a small thread pool, never in the event loop, and each job starts and ends with
close_old_connections(), as a request does. Run it with `manage.py run_mail_receiver` (see that command for
how to put it behind Postfix).
"""

import asyncio
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import DatabaseError, close_old_connections

from frontoffice.service import inbound

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
TEMPORARY_FAILURE = "451 4.3.0 The message could not be recorded just now; please try again later"


def _in_django(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run Django work in a worker thread with a connection that is fresh and given back afterwards."""
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()


def _is_support_address(address: str) -> bool:
    return address.strip().lower() in inbound.support_addresses()


def _with_return_path(envelope: Envelope) -> bytes:
    """The message as delivered: like a final delivery agent, put the envelope sender on top as Return-Path.

    A bounce's envelope sender is empty ("<>"), which is how inbound tells bounces from people.
    """
    content = envelope.original_content or envelope.content or b""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if envelope.mail_from is None or content[:12].lower() == b"return-path:":
        return content
    sender = envelope.mail_from.strip().strip("<>")  # aiosmtpd gives the null sender as "<>"
    return f"Return-Path: <{sender}>\r\n".encode() + content


class InboundMailHandler:
    """The aiosmtpd handler: support recipients only, one inbound.receive per recipient."""

    def __init__(self, *, channel: str = "smtp", workers: int = 4) -> None:
        self.channel = channel
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inbound-mail")

    async def _run(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(_in_django, function, *args, **kwargs))

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            known = await self._run(_is_support_address, address)
        except DatabaseError:
            logger.exception("Inbound mail: cannot check the recipient %s", address)
            return TEMPORARY_FAILURE
        if not known:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = _with_return_path(envelope)
        replies = [await self._deliver(raw, recipient) for recipient in envelope.rcpt_tos]
        if self.channel == "lmtp":
            return "\r\n".join(replies)  # one reply per accepted recipient, in order
        return next((reply for reply in replies if not reply.startswith("250")), replies[0])

    async def _deliver(self, raw: bytes, recipient: str) -> str:
        try:
            mail = await self._run(inbound.receive, raw, recipient=recipient, channel=self.channel)
        except Exception:
            # Not recorded (the database is unreachable, or worse): the sending server must keep the mail.
            logger.exception("Inbound mail for %s could not be recorded", recipient)
            return TEMPORARY_FAILURE
        return f"250 2.0.0 <{recipient}> received ({mail.outcome}, #{mail.pk})"

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class MailReceiver(Controller):
    """The server in a thread of its own: start() it, stop() it. LMTP for Postfix's lmtp transport, else SMTP."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8025,
        lmtp: bool = False,
        max_bytes: int = MAX_MESSAGE_BYTES,
        workers: int = 4,
        server_name: str = "",
    ) -> None:
        self.lmtp = lmtp
        handler = InboundMailHandler(channel="lmtp" if lmtp else "smtp", workers=workers)
        super().__init__(
            handler,
            hostname=host,
            port=port,
            server_hostname=server_name or socket.gethostname(),
            data_size_limit=max_bytes,
            ident="Kontor inbound mail",
        )

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        try:
            super().stop(no_assert=no_assert)
        finally:
            self.handler.close()
