"""Inbound e-mail: parsing, the receive service, the real LMTP/SMTP receiver on a local port, and the staff page."""

import smtplib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core import mail as outbox
from django.db import OperationalError
from django.urls import reverse
from django.utils.html import escape

from core.accounts.tests.factories import StaffFactory
from core.parties.models import Person
from core.parties.tests.factories import PersonFactory
from frontoffice.service import inbound, services
from frontoffice.service.mailserver import MailReceiver
from frontoffice.service.models import InboundMail, Message, Ticket
from frontoffice.service.tests.factories import QueueFactory, default_queue, make_ticket

SUPPORT = "support@kontor.test"
BILLING = "billing@kontor.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
Outcome = InboundMail.Outcome


@pytest.fixture(autouse=True)
def _support_setup(settings, tmp_path):
    settings.SUPPORT_EMAIL = SUPPORT
    settings.MEDIA_ROOT = tmp_path


def make_mail(
    *,
    sender: str = "Anna Svensson <anna@customer.example>",
    to: str = SUPPORT,
    subject: str = "The printer is on fire",
    text: str | None = "Hello, the printer in room 4 smokes. What do we do?",
    html: str | None = None,
    message_id: str | None = None,
    files: tuple[tuple[str, bytes, str], ...] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, content, content_type in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def receive(message: EmailMessage, recipient: str = SUPPORT) -> InboundMail:
    return inbound.receive(message.as_bytes(), recipient=recipient, channel="smtp")


# --- the real receiver on a local port -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_receiver():
    """start_receiver(lmtp=False, **options) -> the port of a running receiver, stopped after the test."""
    running: list[MailReceiver] = []

    def start(*, lmtp: bool = False, **options) -> int:
        receiver = MailReceiver(host="127.0.0.1", port=_free_port(), lmtp=lmtp, server_name="mx.kontor.test", **options)
        receiver.start()
        running.append(receiver)
        return receiver.port

    yield start
    for receiver in running:
        receiver.stop()


def send_smtp(port: int, message: EmailMessage, *, to: list[str] | None = None, mail_from: str | None = None) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.send_message(message, from_addr=mail_from, to_addrs=to)


def lmtp_session(port: int, *, mail_from: str, recipients: list[str], data: bytes) -> list[str]:
    """A raw LMTP conversation; returns the replies after the final dot (one per accepted recipient)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        stream = connection.makefile("rwb")

        def command(line: str) -> list[str]:
            stream.write(line.encode() + b"\r\n")
            stream.flush()
            return read_reply()

        def read_reply() -> list[str]:
            lines = []
            while True:
                line = stream.readline().decode().rstrip("\r\n")
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    return lines

        assert read_reply()[0].startswith("220")
        assert command("LHLO client.example")[-1].startswith("250")
        assert command(f"MAIL FROM:<{mail_from}>")[0].startswith("250")
        accepted = [recipient for recipient in recipients if command(f"RCPT TO:<{recipient}>")[0].startswith("250")]
        assert command("DATA")[0].startswith("354")
        stream.write(data.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        stream.flush()
        replies = [read_reply()[-1] for _ in accepted]
        command("QUIT")
        return replies


def _staff():
    return StaffFactory(departments=["Customer Service"])


@pytest.mark.django_db(transaction=True)
def test_a_new_mail_over_smtp_opens_a_ticket_in_the_queue_of_its_address(start_receiver):
    default_queue()
    billing = QueueFactory(email="Billing@Kontor.test")
    port = start_receiver()
    message = make_mail(to=BILLING, files=(("screenshot.png", PNG, "image/png"),))

    refused = send_smtp(port, message)

    assert refused == {}
    row = InboundMail.objects.get()
    ticket = Ticket.objects.get()
    assert (row.outcome, row.ticket, row.channel, row.recipient) == (Outcome.TICKET, ticket, "smtp", BILLING)
    assert row.message_id == message["Message-ID"]
    assert row.sender == "Anna Svensson <anna@customer.example>"
    assert row.detail == f"Opened {ticket.reference} in {billing.name}."
    assert bytes(row.raw).startswith(b"Return-Path: <anna@customer.example>\r\n")
    assert (ticket.queue, ticket.source, ticket.subject) == (billing, Ticket.Source.EMAIL, "The printer is on fire")
    assert ticket.description == "Hello, the printer in room 4 smokes. What do we do?"
    assert ticket.thread_message_id == message["Message-ID"]
    requester = ticket.requester
    assert (requester.first_name, requester.last_name, requester.email) == ("Anna", "Svensson", "anna@customer.example")
    assert requester.organization is None and ticket.organization is None
    first = ticket.messages.get()
    assert (first.email_message_id, first.from_customer, first.source) == (message["Message-ID"], True, "email")
    attachment = first.attachments.get()
    assert (attachment.name, attachment.content_type, attachment.size) == ("screenshot.png", "image/png", len(PNG))
    (acknowledgement,) = outbox.outbox
    assert acknowledgement.to == ["anna@customer.example"]
    assert f"[{ticket.reference}]" in acknowledgement.subject


@pytest.mark.django_db(transaction=True)
def test_lmtp_answers_every_recipient_and_records_the_mail_once(start_receiver):
    queue = default_queue()
    QueueFactory(email=BILLING)
    port = start_receiver(lmtp=True)
    message = make_mail(to=f"{SUPPORT}, {BILLING}")

    replies = lmtp_session(
        port, mail_from="anna@customer.example", recipients=[SUPPORT, BILLING], data=message.as_bytes()
    )

    assert [reply[:9] for reply in replies] == ["250 2.0.0", "250 2.0.0"]
    first, second = InboundMail.objects.order_by("pk")
    assert (first.outcome, first.recipient, first.channel) == (Outcome.TICKET, SUPPORT, "lmtp")
    assert (second.outcome, second.recipient) == (Outcome.DUPLICATE, BILLING)
    assert Ticket.objects.get().queue == queue

    with smtplib.LMTP("127.0.0.1", port) as client:  # the standard library's LMTP client, as Postfix would
        assert client.send_message(make_mail(subject="Over LMTP")) == {}
    assert Ticket.objects.filter(subject="Over LMTP").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_receiver_refuses_unknown_recipients_and_big_mail_and_defers_when_the_database_is_away(
    start_receiver, monkeypatch
):
    default_queue()
    port = start_receiver(max_bytes=20_000)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_smtp(port, make_mail(to="sales@kontor.test"))
    assert refused.value.recipients["sales@kontor.test"][0] == 550
    with pytest.raises(smtplib.SMTPResponseException) as too_big:
        send_smtp(port, make_mail(files=(("big.pdf", b"%PDF-" + b"x" * 40_000, "application/pdf"),)))
    assert too_big.value.smtp_code == 552
    assert not InboundMail.objects.exists()

    # One known recipient among unknown ones: the mail goes through for the known one only.
    assert send_smtp(port, make_mail(), to=["nobody@kontor.test", SUPPORT])["nobody@kontor.test"][0] == 550
    assert InboundMail.objects.get().recipient == SUPPORT

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(inbound, "receive", unreachable)
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        send_smtp(port, make_mail())
    assert deferred.value.smtp_code == 451  # not recorded: the sending server keeps the mail and tries again


@pytest.mark.django_db(transaction=True)
def test_a_reply_by_its_thread_id_joins_the_ticket_trimmed_and_reopens_it(start_receiver):
    requester = PersonFactory(email="anna@customer.example")
    ticket = make_ticket(requester=requester)
    services.ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING_CUSTOMER, actor=_staff())
    port = start_receiver()
    reply = make_mail(
        subject=f"Re: [{ticket.reference}] {ticket.subject}",
        text=(
            "Thanks, that worked.\n\n"
            "On Mon, 3 Mar 2025 at 10:00, Kontor Support <support@kontor.test>\nwrote:\n"
            "> We answered your request.\n> Regards\n"
        ),
        headers={"In-Reply-To": "<reply.abc@kontor.test>", "References": ticket.thread_message_id},
    )

    send_smtp(port, reply)

    ticket.refresh_from_db()
    message = ticket.messages.order_by("pk").last()
    assert message.body == "Thanks, that worked."
    assert (message.author_person, message.from_customer, message.source) == (requester, True, "email")
    assert message.email_message_id == reply["Message-ID"]
    assert ticket.status == Ticket.Status.OPEN
    row = InboundMail.objects.get()
    assert (row.outcome, row.ticket, row.detail) == (Outcome.REPLY, ticket, f"Added as a reply to {ticket.reference}.")


@pytest.mark.django_db(transaction=True)
def test_the_subject_reference_threads_only_for_the_tickets_people(start_receiver):
    requester = PersonFactory(email="anna@customer.example")
    ticket = make_ticket(requester=requester)
    port = start_receiver()

    send_smtp(port, make_mail(subject=f"Re: [{ticket.reference}] still broken", text="Still broken."))
    send_smtp(
        port,
        make_mail(
            sender="Mallory <mallory@elsewhere.example>", subject=f"[{ticket.reference}] I am in", text="Injected"
        ),
    )

    assert list(ticket.messages.order_by("pk").values_list("body", flat=True)) == [ticket.description, "Still broken."]
    from_anna, from_mallory = InboundMail.objects.order_by("pk")
    assert (from_anna.outcome, from_anna.ticket) == (Outcome.REPLY, ticket)
    assert from_mallory.outcome == Outcome.TICKET
    other = from_mallory.ticket
    assert other != ticket and other.requester.email == "mallory@elsewhere.example"
    assert other.subject == "I am in" and other.description == "Injected"
    assert f"The subject names {ticket.reference}, but the sender is not one of its people" in from_mallory.detail


@pytest.mark.django_db(transaction=True)
def test_auto_replies_and_bounces_are_ignored(start_receiver):
    default_queue()
    port = start_receiver()
    out_of_office = make_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    bounce = message_from_bytes(
        b"From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
        b"To: support@kontor.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce.1@mx.customer.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n"
        b"--b1--\r\n",
        policy=policy.default,
    )

    send_smtp(port, out_of_office)
    send_smtp(port, bounce, mail_from="")

    rows = InboundMail.objects.order_by("pk")
    assert [row.outcome for row in rows] == [Outcome.IGNORED, Outcome.IGNORED]
    assert rows[0].detail == "An automatic message (Auto-Submitted: auto-replied)."
    assert bytes(rows[1].raw).startswith(b"Return-Path: <>\r\n")
    assert not Ticket.objects.exists()
    assert not Person.objects.exists()
    assert outbox.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_same_message_id_twice_is_a_duplicate(start_receiver):
    default_queue()
    port = start_receiver()
    message = make_mail()

    send_smtp(port, message)
    send_smtp(port, message)

    first, second = InboundMail.objects.order_by("pk")
    ticket = Ticket.objects.get()
    assert (first.outcome, first.ticket) == (Outcome.TICKET, ticket)
    assert (second.outcome, second.ticket) == (Outcome.DUPLICATE, ticket)
    assert second.detail == f"This Message-ID is already on {ticket.reference}."


@pytest.mark.django_db(transaction=True)
def test_a_failure_is_recorded_answered_250_and_can_be_retried_from_the_page(start_receiver, monkeypatch, client):
    default_queue()
    port = start_receiver()

    def broken(**kwargs):
        raise RuntimeError("the queue service is down")

    monkeypatch.setattr(services, "ticket_open", broken)
    assert send_smtp(port, make_mail(files=(("a.png", PNG, "image/png"),))) == {}  # 250: kept and visible

    row = InboundMail.objects.get()
    assert (row.outcome, row.ticket, row.detail) == (Outcome.FAILED, None, "RuntimeError: the queue service is down")
    assert not Ticket.objects.exists()
    assert not Person.objects.exists()  # the half-done work was rolled back, the record of the failure was not

    monkeypatch.undo()
    client.force_login(_staff())
    page = client.get(reverse("service:inbound-list"), {"outcome": "failed"})
    assert page.status_code == 200
    assert b"RuntimeError: the queue service is down" in page.content
    response = client.post(reverse("service:inbound-retry", args=[row.pk]))
    assert response.status_code == 302

    row.refresh_from_db()
    ticket = Ticket.objects.get()
    assert (row.outcome, row.ticket) == (Outcome.TICKET, ticket)
    assert row.detail == f"Opened {ticket.reference} in {ticket.queue.name}."
    assert ticket.messages.get().attachments.count() == 1
    assert InboundMail.objects.count() == 1


# --- the receive service ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestReceive:
    @pytest.fixture(autouse=True)
    def _queue(self):
        self.queue = default_queue()

    def test_an_html_only_mail_becomes_text(self):
        html = (
            "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
            "<p>Hello <b>support</b>,</p><p>see <a href='https://status.example/x'>our status page</a>.</p>"
            "<ul><li>one</li><li>two</li></ul><p>Tom &amp; Jerry</p></body></html>"
        )
        row = receive(make_mail(text=None, html=html))
        assert row.ticket.description == (
            "Hello support,\n\nsee our status page (https://status.example/x).\n\n- one\n- two\n\nTom & Jerry"
        )

    def test_a_refused_attachment_is_listed_and_the_mail_kept(self):
        row = receive(
            make_mail(
                files=(
                    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream"),
                    ("a.png", PNG, "image/png"),
                )
            )
        )
        assert row.outcome == Outcome.TICKET
        assert [a.name for a in row.ticket.attachments.all()] == ["a.png"]
        assert row.detail.splitlines()[1:] == [
            "Attachments not kept:",
            "- setup.exe is not a file type we accept (images, PDF, text, Office documents and ZIP archives).",
        ]

    def test_a_known_sender_is_the_requester_and_brings_their_customer(self):
        person = PersonFactory(email="Anna@Customer.example")
        colleague = PersonFactory(email="bo@customer.example", organization=person.organization)
        PersonFactory(email="eve@other.example")
        message = make_mail(sender="ANNA@customer.example", headers={"Cc": "bo@customer.example, eve@other.example"})
        ticket = receive(message).ticket
        assert (ticket.requester, ticket.organization) == (person, person.organization)
        assert list(ticket.cc.all()) == [colleague]
        assert Person.objects.filter(email_key="anna@customer.example").count() == 1

    def test_an_unknown_sender_gets_a_person_named_from_the_display_name(self):
        first = receive(make_mail(sender='"Öberg, Åsa" <Asa.Oberg@Customer.example>', subject="Fråga om faktura"))
        second = receive(make_mail(sender="Bo <bo@customer.example>"))
        asa, bo = first.ticket.requester, second.ticket.requester
        assert (asa.first_name, asa.last_name, asa.email, asa.organization) == (
            "Åsa",
            "Öberg",
            "asa.oberg@customer.example",
            None,
        )
        assert (bo.first_name, bo.last_name) == ("Bo", "")
        assert first.sender == "Öberg, Åsa <asa.oberg@customer.example>"
        assert first.subject == first.ticket.subject == "Fråga om faktura"

    def test_a_colleague_of_the_customer_threads_by_the_subject(self):
        ticket = make_ticket()
        colleague = PersonFactory(organization=ticket.organization)
        row = receive(make_mail(sender=colleague.email, subject=f"SV: [{ticket.reference}] hej", text="Vi med."))
        assert (row.outcome, row.ticket) == (Outcome.REPLY, ticket)
        assert ticket.messages.last().author_person == colleague

    def test_a_reply_to_a_closed_ticket_opens_a_new_one_that_names_it(self):
        ticket = make_ticket(requester=PersonFactory(email="anna@customer.example"))
        services.ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=StaffFactory())
        row = receive(
            make_mail(
                subject=f"Re: [{ticket.reference}] {ticket.subject}",
                text="It is back.\n\nDen 3 mars 2025 skrev Kontor <support@kontor.test>:\n> Closed.",
                headers={"References": ticket.thread_message_id},
            )
        )
        assert row.outcome == Outcome.TICKET and row.ticket != ticket
        assert row.ticket.subject == ticket.subject
        assert row.ticket.description == f"(A reply to {ticket.reference}, which is closed.)\n\nIt is back."
        assert f"{ticket.reference} is closed: opened a new ticket." in row.detail

    def test_a_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(self):
        requester = PersonFactory()
        source, target = make_ticket(requester=requester), make_ticket(requester=requester)
        services.ticket_merge(source=source, target=target, actor=StaffFactory())
        row = receive(make_mail(sender=requester.email, headers={"In-Reply-To": source.thread_message_id}))
        assert (row.outcome, row.ticket) == (Outcome.REPLY, target)

    def test_a_reply_by_an_earlier_messages_id_finds_the_ticket(self):
        first = receive(make_mail())
        answer = receive(
            make_mail(
                subject="Re: something else entirely",
                text="More.\n\n-----Original Message-----\nFrom: Anna\nOld text",
                headers={"In-Reply-To": first.message_id},
            )
        )
        assert (answer.outcome, answer.ticket) == (Outcome.REPLY, first.ticket)
        assert answer.ticket.messages.last().body == "More."

    def test_mail_from_our_own_address_and_robots_is_ignored(self):
        outcomes = [
            receive(make_mail(sender=SUPPORT)),
            receive(make_mail(subject="Automatiskt svar: Semester")),
            receive(make_mail(headers={"Precedence": "bulk"})),
            receive(make_mail(headers={"X-Autoreply": "yes"})),
            receive(make_mail(headers={"List-Id": "<news.customer.example>"})),
        ]
        assert [row.outcome for row in outcomes] == [Outcome.IGNORED] * 5
        assert receive(make_mail(headers={"Auto-Submitted": "no"})).outcome == Outcome.TICKET

    def test_a_mail_without_a_message_id_is_still_known_the_second_time(self):
        message = make_mail()
        del message["Message-ID"]
        first, second = receive(message), receive(message)
        assert first.message_id.endswith("@no-message-id.invalid>")
        assert (first.outcome, second.outcome) == (Outcome.TICKET, Outcome.DUPLICATE)

    def test_an_unusable_sender_fails_visibly(self):
        row = receive(make_mail(sender="not an address"))
        assert row.outcome == Outcome.FAILED
        assert row.detail == "The sender's address is missing or not valid: nobody to answer."
        assert not Ticket.objects.exists()

    def test_an_empty_body_and_subject_still_make_a_ticket(self):
        row = receive(make_mail(subject="", text=None, files=(("a.png", PNG, "image/png"),)))
        assert (row.ticket.subject, row.ticket.description) == ("(no subject)", "(no text)")

    def test_only_a_failed_or_ignored_mail_is_tried_again(self):
        row = receive(make_mail())
        with pytest.raises(inbound.ServiceError):
            inbound.inbound_retry(inbound=row)

    def test_a_sender_in_a_loop_is_stopped(self, monkeypatch):
        monkeypatch.setattr(inbound, "LOOP_LIMIT", 2)
        rows = [receive(make_mail(sender="anna@helpdesk.example", subject=f"Ticket {n}")) for n in range(3)]
        assert [row.outcome for row in rows] == [Outcome.TICKET, Outcome.TICKET, Outcome.IGNORED]
        assert rows[2].detail == "2 mails from this sender in the last 10 minutes already: most likely a mail loop."
        assert receive(make_mail(sender="hanna@helpdesk.example")).outcome == Outcome.TICKET  # another sender


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes.\n\nOn Tue, 4 Mar 2025, Support <s@k.test> wrote:\n> Question?", "Yes."),
        ("Ja.\n\nDen tis 4 mars 2025 kl 10:00 skrev Support <s@k.test>:\n> Fråga?", "Ja."),
        ("Yes.\n\nOn Tue, 4 Mar 2025 at 10:00, Support <\ns@k.test> wrote:\n> Question?", "Yes."),
        ("Yes.\n\n________________________________\nFrom: Support\nSent: Tuesday\nSubject: x\n\nOld", "Yes."),
        ("Yes.\n\nFrån: Support\nSkickat: den 4 mars 2025\nÄmne: x\n\nGammalt", "Yes."),
        ("> Question?\n\nMy answer below the quote.", "My answer below the quote."),
        ("Line one\n> inline quote\nmy answer to it\n\n> trailing quote", "Line one\n> inline quote\nmy answer to it"),
    ],
)
def test_quoted_history_is_trimmed(text, expected):
    assert inbound.trim_quoted(text) == expected


def test_html_quotes_become_quoted_lines_that_a_reply_trims():
    html = "<div>Fixed, thanks!</div><div class='gmail_quote'><blockquote><p>Did it work?</p></blockquote></div>"
    assert inbound.html_to_text(html) == "Fixed, thanks!\n\n> Did it work?"
    assert inbound.trim_quoted(inbound.html_to_text(html)) == "Fixed, thanks!"


# --- the staff page --------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestInboundPage:
    def test_staff_see_failures_first_in_sight_filter_and_search(self, client, make_staff):
        default_queue()
        receive(make_mail(subject="About my invoice"))
        failed = receive(make_mail(sender="broken"))
        client.force_login(make_staff("Customer Service"))

        page = client.get(reverse("service:inbound-list"))
        assert page.status_code == 200
        assert "1 e-mail could not be handled." in page.content.decode()
        assert escape(failed.detail) in page.content.decode()
        assert reverse("service:inbound-retry", args=[failed.pk]) in page.content.decode()

        only_failed = client.get(reverse("service:inbound-list"), {"outcome": "failed"})
        assert [row.pk for row in only_failed.context["rows"]] == [failed.pk]
        found = client.get(reverse("service:inbound-list"), {"q": "invoice"})
        assert [row.subject for row in found.context["rows"]] == ["About my invoice"]

    def test_only_staff_with_the_rights_see_and_retry(self, client, make_staff, customer_user):
        row = receive(make_mail(sender="broken"))
        client.force_login(make_staff("Sales"))
        assert client.get(reverse("service:inbound-list")).status_code == 403
        client.force_login(make_staff("Management"))
        assert client.get(reverse("service:inbound-list")).status_code == 200
        assert client.post(reverse("service:inbound-retry", args=[row.pk])).status_code == 403
        client.force_login(customer_user)
        assert client.get(reverse("service:inbound-list")).status_code == 403

    def test_retry_is_a_post_and_a_failing_retry_says_so(self, client, make_staff):
        row = receive(make_mail(sender="broken"))
        client.force_login(make_staff("Customer Service"))
        url = reverse("service:inbound-retry", args=[row.pk])
        assert client.get(url).status_code == 405
        response = client.post(url, {"next": "https://evil.example/"}, follow=True)
        assert response.redirect_chain[0][0] == reverse("service:inbound-list")
        assert "It failed again" in response.content.decode()
        row.refresh_from_db()
        assert row.outcome == Outcome.FAILED

    def test_retry_of_a_mail_that_now_works(self, client, make_staff, monkeypatch):
        default_queue()
        monkeypatch.setattr(services, "ticket_open", lambda **kwargs: 1 / 0)
        row = receive(make_mail())
        assert (row.outcome, row.detail) == (Outcome.FAILED, "ZeroDivisionError: division by zero")
        monkeypatch.undo()
        client.force_login(make_staff("Customer Service"))
        client.post(reverse("service:inbound-retry", args=[row.pk]))
        row.refresh_from_db()
        assert row.outcome == Outcome.TICKET and Message.objects.get().ticket == row.ticket
