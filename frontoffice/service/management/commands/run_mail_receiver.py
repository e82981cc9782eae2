"""Receive customer-service e-mail: `manage.py run_mail_receiver --host 127.0.0.1 --port 8025 [--lmtp]`.

The receiver takes mail for the support addresses (SUPPORT_EMAIL and every queue's own address) and turns it
into tickets and replies (frontoffice.service.inbound). It speaks plain SMTP, or LMTP with --lmtp. It has no
TLS, no spam filter and no SPF/DKIM checks: keep it on 127.0.0.1 or a private network and let the company's
mail server (or mail provider) face the internet and hand mail on to it.

How a company deploys it
------------------------

1. Run it as a long-lived process next to web and worker, e.g. a Procfile line

       mail: python manage.py run_mail_receiver --host 127.0.0.1 --port 8025 --lmtp

   or a docker-compose service with the same command (bind to 0.0.0.0 inside the container, publish the port
   only to the mail server's network). Stopping it (SIGTERM or Ctrl-C) finishes the mail in hand first.

2. Point the mail server at it. With Postfix in front, over LMTP (preferred: one answer per recipient):

       # /etc/postfix/transport  (then: postmap /etc/postfix/transport)
       support@example.com   lmtp:inet:127.0.0.1:8025
       billing@example.com   lmtp:inet:127.0.0.1:8025
       # /etc/postfix/main.cf
       transport_maps = hash:/etc/postfix/transport

   When support is a local mailbox of that host, `mailbox_transport = lmtp:inet:127.0.0.1:8025` does the same
   for every local mailbox. Over plain SMTP instead (no --lmtp), route the addresses with
   `smtp:[127.0.0.1]:8025` in the transport map, or have the mail provider forward them to that host and port.

3. Mail to any other address is refused with 550 at RCPT. A mail is answered 250 once it is recorded (see
   Customer service › Inbound e-mail for what became of it, failures included); 451 means the database could
   not be reached and the mail server keeps the mail and tries again.
"""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontoffice.service.mailserver import MAX_MESSAGE_BYTES, MailReceiver


class Command(BaseCommand):
    help = "Receive customer-service e-mail over SMTP (or LMTP with --lmtp) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8025, help="Port to listen on (default 8025).")
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP (for Postfix's lmtp transport).")
        parser.add_argument(
            "--max-size",
            type=int,
            default=MAX_MESSAGE_BYTES // (1024 * 1024),
            help="Largest message accepted, in MB (default 25).",
        )
        parser.add_argument("--workers", type=int, default=4, help="Mails handled at the same time (default 4).")

    def handle(self, *args: Any, host: str, port: int, lmtp: bool, max_size: int, workers: int, **options: Any) -> None:
        receiver = MailReceiver(
            host=host, port=port, lmtp=lmtp, max_bytes=max_size * 1024 * 1024, workers=max(1, workers)
        )
        stopped = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stopped.set())
        receiver.start()
        self.stdout.write(f"Receiving support mail over {'LMTP' if lmtp else 'SMTP'} on {host}:{port}.")
        try:
            stopped.wait()
        finally:
            receiver.stop()
            self.stdout.write("Mail receiver stopped.")
