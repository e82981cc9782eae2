"""Inbound e-mail: a customer's mail to a support address becomes a ticket, or a reply on the ticket it answers.

Every mail that arrives leaves one InboundMail row saying what became of it: a new ticket, a reply, ignored
(bounces and auto-replies, so an out-of-office never opens a ticket or starts a mail loop), a duplicate (the
same Message-ID again), or failed, with the error. A failure is kept with the raw message, shown to staff and
can be tried again; a mail is never dropped without a trace.

How a mail finds its ticket:

- In-Reply-To / References name the ticket's thread Message-ID or the Message-ID of one of its messages
  (mail programs keep these when the customer answers one of our e-mails), or
- the subject carries "[T-1234]" and the sender is the ticket's requester, one of its CC people or a person of
  the ticket's customer. A stranger who writes "[T-1234]" gets a ticket of their own instead, so nobody can
  write into someone else's ticket by guessing its number.

A reply to a closed ticket opens a new ticket that mentions the old one.
"""

import hashlib
import logging
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.exceptions import ServiceError
from core.parties.models import Person
from core.parties.services import person_create
from frontoffice.service import attachments, services
from frontoffice.service.attachments import CheckedFile
from frontoffice.service.models import InboundMail, Message, Queue, Ticket

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome
NO_TEXT = "(no text)"
# What the standard library's parser may raise on broken mail (headers, charsets, encodings).
_PARSE_ERRORS = (MessageError, LookupError, ValueError, TypeError, IndexError, AttributeError, KeyError)
BODY_MAX_CHARS = 100_000
# A sender whose mails opened or answered this many tickets within the window is most likely another
# robot answering ours: their further mail is ignored until the window has passed (a mail loop breaker).
LOOP_LIMIT = 10
LOOP_WINDOW = timedelta(minutes=10)

_TICKET_REFERENCE = re.compile(r"\[T-(\d{1,18})\]", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(r"^\s*((re|sv|aw|antw|vs|ref)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|auto[ -]?response|out of (the )?office|autosvar|automatiskt svar|"
    r"fr[åa]nvaro(meddelande)?|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique)\b",
    re.IGNORECASE,
)
# "On Mon, 3 Mar 2025, Anna <anna@example.com> wrote:" and its translations: the start of quoted history.
# The verb may close the line ("… Anna <a@b> wrote:") or come before the name ("… skrev Anna <a@b>:"); a date's
# digits must be there, so an ordinary sentence ("On Monday I wrote:") is not taken for one.
_WROTE = re.compile(
    r"^\s*(on|den|am|le|el|il|op|em|p[åa])\b(?=.*\d).{0,300}\b(wrote|skrev|schrieb|a [ée]crit|escribi[óo]|"
    r"ha scritto|schreef|escreveu|kirjoitti)\b.{0,300}:\s*$",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|ursprungligt meddelande|originalmeddelande|urspr[üu]ngliche nachricht|"
    r"message d'origine|mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERLINE = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\**\s*(from|fr[åa]n|von|de|van)\s*\**\s*:", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\**\s*(sent|skickat|gesendet|envoy[ée]|date|datum|enviado|verzonden)\s*\**\s*:", re.IGNORECASE
)


# --- parsing ----------------------------------------------------------------------------------------------


@dataclass
class ParsedMail:
    """What Kontor needs of one e-mail, read with the standard library's parser."""

    message_id: str
    sender_email: str
    sender_name: str
    subject: str
    references: list[str]
    text: str
    files: list[tuple[str, bytes]]
    copied: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    ignore_reason: str = ""

    @property
    def sender(self) -> str:
        return f"{self.sender_name} <{self.sender_email}>" if self.sender_name else self.sender_email

    @property
    def ticket_numbers(self) -> list[int]:
        return [int(number) for number in _TICKET_REFERENCE.findall(self.subject)]


def parse(raw: bytes) -> ParsedMail:
    """Read a raw RFC 5322 message: sender, subject, thread references, the text and the files."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender_name, sender_email = _address(message, "From")
    body_part = _body_part(message)
    return ParsedMail(
        message_id=_message_id(message, raw),
        sender_email=sender_email,
        sender_name=sender_name,
        subject=_one_line(_header(message, "Subject")),
        references=_references(message),
        text=_text_of(body_part) if body_part is not None else "",
        files=list(_files(message, body_part)),
        copied=_addresses(message, "Cc"),
        to=_addresses(message, "To", "Delivered-To", "X-Original-To"),
        ignore_reason=_ignore_reason(message, sender_email),
    )


def _clean(value: str) -> str:
    return value.replace("\x00", "")


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded text; a malformed header gives its raw text rather than an error."""
    try:
        value = message.get(name)
    except _PARSE_ERRORS:  # the policy's header classes raise on some broken input: take the text as it came
        value = next((value for key, value in message.raw_items() if key.lower() == name.lower()), "")
    return _clean(str(value or ""))


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _address(message: EmailMessage, name: str) -> tuple[str, str]:
    """The first address of a header: (display name, address in lower case)."""
    try:
        addresses = getattr(message.get(name), "addresses", ())
    except _PARSE_ERRORS:
        addresses = ()
    if addresses and addresses[0].addr_spec and "@" in addresses[0].addr_spec:
        display, address = addresses[0].display_name, addresses[0].addr_spec
    else:
        display, address = parseaddr(_header(message, name))
    return _one_line(_clean(display)), _clean(address).strip().lower()


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    values = [_header(message, name) for name in names]
    return [address.strip().lower() for _name, address in getaddresses([v for v in values if v]) if "@" in address]


def _normalize_id(token: str) -> str:
    token = _clean(token.strip())
    if not token:
        return ""
    if not token.startswith("<"):
        token = f"<{token.strip('<>')}>"
    if len(token) > 255:  # longer than the column: a stable stand-in that still matches itself
        token = f"<{hashlib.sha256(token.encode()).hexdigest()}@long-message-id.invalid>"
    return token


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = _header(message, "Message-ID")
    found = _MESSAGE_ID.search(value)
    if found or value.strip():
        return _normalize_id(found.group(0) if found else value.split()[0])
    # No Message-ID: one derived from the content, so the same mail delivered twice is still known as one.
    body = raw.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[-1]
    digest = hashlib.sha256()
    for name in ("From", "To", "Date", "Subject"):
        digest.update(_header(message, name).encode("utf-8", "replace") + b"\0")
    digest.update(body)
    return f"<{digest.hexdigest()[:40]}@no-message-id.invalid>"


def _references(message: EmailMessage) -> list[str]:
    """Message-IDs this mail answers, the most direct first (In-Reply-To, then References from the newest)."""
    found = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    found += reversed(_MESSAGE_ID.findall(_header(message, "References")))
    seen: dict[str, None] = {}
    for token in found:
        seen.setdefault(_normalize_id(token), None)
    return list(seen)[:50]


def _ignore_reason(message: EmailMessage, sender_email: str) -> str:
    """Why this mail is a robot's (a bounce, a delivery report, an auto-reply, list traffic), or ""."""
    content_type = message.get_content_type()
    if content_type == "multipart/report" or content_type.startswith("message/delivery-status"):
        return _("A delivery report or bounce.")
    if _header(message, "Return-Path").strip() == "<>":
        return _("A bounce (the envelope sender is empty).")
    local_part = sender_email.partition("@")[0]
    if local_part in ("mailer-daemon", "mailer_daemon") or _header(message, "X-Failed-Recipients"):
        return _("A bounce from a mail server.")
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return _("An automatic message (Auto-Submitted: %(value)s).") % {"value": auto_submitted[:50]}
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if name in message:
            return _("An automatic reply (%(header)s).") % {"header": name}
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply", "list"):
        return _("Bulk or automatic mail (Precedence: %(value)s).") % {"value": precedence}
    if _header(message, "List-Id").strip():
        return _("Mailing-list traffic (List-Id).")
    if _AUTO_REPLY_SUBJECT.match(_header(message, "Subject")):
        return _("An automatic reply (by its subject).")
    return ""


def _body_part(message: EmailMessage) -> EmailMessage | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except _PARSE_ERRORS:
        return None


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        return str(content)
    except _PARSE_ERRORS:  # an unknown charset or broken transfer encoding: read it as well as we can
        payload = part.get_payload(decode=True) or b""
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace") if payload else ""


def _text_of(part: EmailMessage) -> str:
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return normalize_text(text)


def normalize_text(text: str) -> str:
    """One kind of line end, no trailing spaces, at most one blank line in a row, no NUL characters."""
    lines = [line.rstrip() for line in _clean(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if not line and kept and not kept[-1]:
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _leaf_parts(part: EmailMessage) -> Iterator[EmailMessage]:
    if part.get_content_maintype() == "multipart":
        for child in part.iter_parts():
            yield from _leaf_parts(child)
    else:
        yield part


def _files(message: EmailMessage, body_part: EmailMessage | None) -> Iterator[tuple[str, bytes]]:
    """Every part that is a file: not the text we read, nor the other text version of the same body."""
    if message.get_content_type() == "multipart/report":
        return
    for number, part in enumerate(_leaf_parts(message), start=1):
        if part is body_part:
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if part.get_content_type() in ("text/plain", "text/html") and not filename and disposition != "attachment":
            continue  # the other alternative of the body, or a second text part of it
        if part.get_content_maintype() == "message":
            inner = part.get_payload(0) if part.is_multipart() else None
            content = inner.as_bytes() if inner is not None else (part.get_payload(decode=True) or b"")
            filename = filename or f"message-{number}.eml"
        else:
            content = part.get_payload(decode=True) or b""
        if not filename:
            extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
            filename = f"attachment-{number}{extension}"
        yield _clean(filename), content


class _HtmlText(HTMLParser):
    """HTML to plain text: blocks end lines, paragraphs get a blank line, quoted blocks become "> " lines."""

    _PARAGRAPHS = frozenset({"p", "table", "ul", "ol", "dl", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})
    _LINES = frozenset({"div", "li", "tr", "dt", "dd", "address", "section", "article", "header", "footer"})
    _SKIP = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.depth = 0
        self.skipping = 0
        self.links: list[str] = []

    def _end_line(self, *, force: bool = False) -> None:
        text = " ".join("".join(self.current).split())
        if text or force:
            self.lines.append((self.depth, text))
        self.current = []

    def _blank_line(self) -> None:
        self._end_line()
        if self.lines and self.lines[-1][1]:
            self.lines.append((0, ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag == "br":
            self._end_line(force=True)
        elif tag == "blockquote":
            self._blank_line()
            self.depth += 1
        elif tag in self._PARAGRAPHS:
            self._blank_line()
        elif tag in self._LINES:
            self._end_line()
            if tag == "li":
                self.current.append("- ")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if href.startswith(("http://", "https://")) else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self._blank_line()
            self.depth = max(0, self.depth - 1)
        elif tag in self._PARAGRAPHS:
            self._blank_line()
        elif tag in self._LINES:
            self._end_line()
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href not in "".join(self.current):
                self.current.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)

    def text(self) -> str:
        self._end_line()
        return "\n".join(">" * depth + " " + line if depth and line else line for depth, line in self.lines)


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail; no markup survives (Kontor never stores a customer's HTML)."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return normalize_text(parser.text())


def _is_separator(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _WROTE.match(line) or _ORIGINAL_MESSAGE.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if following and _WROTE.match(f"{line} {following}"):
        return True  # "On …, Anna <" / "anna@example.com> wrote:" wrapped over two lines
    if _UNDERLINE.match(line):
        return bool(_HEADER_FROM.match(following))
    if _HEADER_FROM.match(line):
        return any(_HEADER_SENT.match(next_line) for next_line in lines[index + 1 : index + 5])
    return False


def _is_quote_or_blank(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith(">")


def trim_quoted(text: str) -> str:
    """The new part of a reply: what stands above "On … wrote:" (or an Outlook header), minus trailing quotes."""
    lines = text.split("\n")
    cut = next((index for index in range(len(lines)) if _is_separator(lines, index)), len(lines))
    kept = lines[:cut]
    while kept and _is_quote_or_blank(kept[-1]):
        kept.pop()
    while kept and _is_quote_or_blank(kept[0]):  # a quote above the answer (written below it)
        kept.pop(0)
    if not any(line.strip() for line in kept):
        # Written below the quote (or only a quote): keep what is not quoted.
        kept = [
            line
            for index, line in enumerate(lines)
            if not line.lstrip().startswith(">") and not _is_separator(lines, index)
        ]
    return normalize_text("\n".join(kept))


def _body(text: str, *, is_reply: bool) -> str:
    body = trim_quoted(text) if is_reply else normalize_text(text)
    if len(body) > BODY_MAX_CHARS:
        body = body[:BODY_MAX_CHARS] + "\n\n" + _("[The rest of this long message is in the original e-mail.]")
    return body or NO_TEXT


def _subject_for_ticket(subject: str) -> str:
    """The subject without ticket references and reply prefixes, short enough for a ticket."""
    subject = _one_line(_TICKET_REFERENCE.sub(" ", subject))
    subject = _one_line(_REPLY_PREFIX.sub("", subject))
    if len(subject) > services.SUBJECT_MAX:
        subject = subject[: services.SUBJECT_MAX - 1].rstrip() + "…"
    return subject or _("(no subject)")


# --- the receive service ----------------------------------------------------------------------------------


@dataclass
class _Result:
    outcome: str
    ticket: Ticket | None = None
    notes: list[str] = field(default_factory=list)


def support_addresses() -> set[str]:
    """The addresses that take mail for customer service: the main support address and every queue's own."""
    addresses = {address.lower() for address in Queue.objects.exclude(email="").values_list("email", flat=True)}
    if settings.SUPPORT_EMAIL:
        addresses.add(settings.SUPPORT_EMAIL.lower())
    return addresses


@transaction.atomic
def receive(raw: bytes, *, recipient: str = "", channel: str = "smtp") -> InboundMail:
    """Take one received e-mail: open a ticket, add a reply, or ignore it, and record what happened.

    The row is written even when handling the mail fails (outcome FAILED with the error), so the mail stays
    visible and can be tried again. Only a database that cannot be reached raises: the sender's mail server
    then keeps the mail and tries again later.
    """
    inbound = InboundMail(raw=bytes(raw), recipient=_clean(recipient.strip())[:320], channel=channel[:10])
    return _handle(inbound)


@transaction.atomic
def inbound_retry(*, inbound: InboundMail, actor: User | None = None) -> InboundMail:
    """Handle a failed (or ignored) mail again from its stored raw message; the same row records the new outcome."""
    inbound = InboundMail.objects.select_for_update().get(pk=inbound.pk)
    if inbound.outcome not in (Outcome.FAILED, Outcome.IGNORED):
        raise ServiceError(_("Only a failed or ignored e-mail is tried again."))
    before = inbound.outcome
    inbound = _handle(inbound)
    audit_record(
        actor=actor,
        instance=inbound,
        action=AuditEntry.Action.ACTION,
        changes={"outcome": [before, inbound.outcome]},
        message=_("Inbound e-mail tried again"),
    )
    return inbound


def _handle(inbound: InboundMail) -> InboundMail:
    """Parse and act in a savepoint; whatever goes wrong there is rolled back and recorded on the row."""
    raw = bytes(inbound.raw)
    try:
        with transaction.atomic():
            parsed = parse(raw)
            inbound.message_id = parsed.message_id
            inbound.sender = parsed.sender[:320]
            inbound.subject = parsed.subject[:300]
            result = _act(parsed, inbound)
    except (OperationalError, InterfaceError):
        raise  # the database is away or busy: not this mail's fault, the sender's server tries again
    except Exception as error:
        logger.exception("Inbound e-mail %s failed", inbound.message_id or "(unparsed)")
        inbound.outcome = Outcome.FAILED
        inbound.ticket = None
        inbound.detail = _error_text(error)
    else:
        inbound.outcome = result.outcome
        inbound.ticket = result.ticket
        inbound.detail = "\n".join(result.notes)
    inbound.save()
    return inbound


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"[:5000]


def _advisory_lock(key: str) -> None:
    """Serialize work on one key (a Message-ID, a sender) until the transaction ends, across processes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _act(parsed: ParsedMail, inbound: InboundMail) -> _Result:
    _advisory_lock(f"service.inbound:{parsed.message_id}")
    duplicate = _duplicate_of(parsed.message_id, exclude_pk=inbound.pk)
    if duplicate is not None:
        return duplicate
    if parsed.ignore_reason:
        return _Result(Outcome.IGNORED, notes=[parsed.ignore_reason])
    if parsed.sender_email in support_addresses():
        return _Result(Outcome.IGNORED, notes=[_("Sent from one of our own support addresses (a mail loop).")])
    try:
        validate_email(parsed.sender_email)
    except ValidationError:
        raise ServiceError(_("The sender's address is missing or not valid: nobody to answer.")) from None
    _advisory_lock(f"service.inbound-sender:{parsed.sender_email}")
    if _looping(parsed.sender_email, exclude_pk=inbound.pk):
        return _Result(
            Outcome.IGNORED,
            notes=[
                _("%(count)d mails from this sender in the last %(minutes)d minutes already: most likely a mail loop.")
                % {"count": LOOP_LIMIT, "minutes": int(LOOP_WINDOW.total_seconds() // 60)}
            ],
        )
    files, refused = _check_files(parsed.files)
    ticket, found_by_subject = _ticket_answered(parsed)
    notes: list[str] = []
    if ticket is not None and ticket.status == Ticket.Status.CLOSED:
        result = _open(parsed, inbound, files, follow_up_of=ticket)
    elif ticket is not None:
        services.ticket_reply(
            ticket=ticket,
            body=_body(parsed.text, is_reply=True),
            author=None,
            author_person=_person_on_ticket(parsed, ticket),
            source=Ticket.Source.EMAIL,
            attachments=files,
            email_message_id=parsed.message_id,
        )
        result = _Result(
            Outcome.REPLY, ticket, [_("Added as a reply to %(reference)s.") % {"reference": ticket.reference}]
        )
    else:
        if found_by_subject:
            notes.append(
                _("The subject names %(references)s, but the sender is not one of its people: a new ticket instead.")
                % {"references": ", ".join(f"T-{number}" for number in parsed.ticket_numbers)}
            )
        result = _open(parsed, inbound, files)
    result.notes += notes
    if refused:
        result.notes.append(_("Attachments not kept:"))
        result.notes += [f"- {reason}" for reason in refused]
    return result


def _duplicate_of(message_id: str, *, exclude_pk: int | None) -> _Result | None:
    """A DUPLICATE result (with the ticket that has the mail) when this Message-ID was handled before."""
    message = Message.objects.filter(email_message_id=message_id).select_related("ticket").first()
    if message is not None:
        note = _("This Message-ID is already on %(reference)s.") % {"reference": message.ticket.reference}
        return _Result(Outcome.DUPLICATE, message.ticket, [note])
    earlier = (
        InboundMail.objects.filter(message_id=message_id, outcome__in=[Outcome.TICKET, Outcome.REPLY, Outcome.IGNORED])
        .exclude(pk=exclude_pk)
        .select_related("ticket")
        .defer("raw")
        .order_by("pk")
        .first()
    )
    if earlier is None:
        return None
    note = _("Already received on %(date)s (%(outcome)s).") % {
        "date": timezone.localtime(earlier.received_at).strftime("%Y-%m-%d %H:%M"),
        "outcome": earlier.get_outcome_display(),
    }
    return _Result(Outcome.DUPLICATE, earlier.ticket, [note])


def _looping(sender_email: str, *, exclude_pk: int | None) -> bool:
    recent = InboundMail.objects.filter(
        received_at__gte=timezone.now() - LOOP_WINDOW,
        outcome__in=[Outcome.TICKET, Outcome.REPLY],
    ).filter(Q(sender__iexact=sender_email) | Q(sender__iendswith=f"<{sender_email}>"))
    recent = recent.exclude(pk=exclude_pk)
    return recent.count() >= LOOP_LIMIT


def _check_files(files: list[tuple[str, bytes]]) -> tuple[list[CheckedFile], list[str]]:
    """The files a ticket accepts, and for each refused one the reason (the mail itself is kept either way)."""
    kept: list[CheckedFile] = []
    refused: list[str] = []
    for name, content in files:
        if len(kept) >= attachments.MAX_FILES_PER_MESSAGE:
            refused.append(
                _("%(name)s: more than %(count)d files in one message.")
                % {"name": name, "count": attachments.MAX_FILES_PER_MESSAGE}
            )
            continue
        try:
            kept.append(attachments.check(name=name, content=content))
        except ServiceError as error:
            refused.extend(error.messages)
    return kept, refused


def _ticket_answered(parsed: ParsedMail) -> tuple[Ticket | None, bool]:
    """The ticket this mail answers, and whether only its subject pointed at a ticket (then refused)."""
    if parsed.references:
        ticket = Ticket.objects.filter(thread_message_id__in=parsed.references).order_by("pk").first()
        if ticket is None:
            ticket = (
                Ticket.objects.filter(
                    pk__in=Message.objects.filter(email_message_id__in=parsed.references).values("ticket_id")
                )
                .order_by("pk")
                .first()
            )
        if ticket is not None:
            return _surviving(ticket), False
    numbers = parsed.ticket_numbers
    if not numbers:
        return None, False
    for ticket in Ticket.objects.filter(number__in=numbers).select_related("requester").order_by("-number"):
        if _is_ticket_person(parsed.sender_email, ticket):
            return _surviving(ticket), False
    return None, True


def _surviving(ticket: Ticket) -> Ticket:
    """A merged ticket's conversation goes on in the ticket it was merged into."""
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = ticket.merged_into
    return ticket


def _is_ticket_person(email: str, ticket: Ticket) -> bool:
    if (ticket.requester.email or "").strip().lower() == email:
        return True
    if ticket.cc.filter(email_key=email).exists():
        return True
    return (
        bool(ticket.organization_id)
        and Person.objects.filter(email_key=email, organization_id=ticket.organization_id).exists()
    )


def _person_on_ticket(parsed: ParsedMail, ticket: Ticket) -> Person:
    """The sender as one of the ticket's people when they are one (an address may belong to several people)."""
    email = parsed.sender_email
    if (ticket.requester.email or "").strip().lower() == email:
        return ticket.requester
    person = ticket.cc.filter(email_key=email).order_by("pk").first()
    if person is None and ticket.organization_id:
        person = Person.objects.filter(email_key=email, organization_id=ticket.organization_id).order_by("pk").first()
    return person or _sender_person(parsed)


def _sender_person(parsed: ParsedMail) -> Person:
    """The person with the sender's address (active, with a portal login and a customer first), else a new one.

    A new person belongs to no organization: an address's domain proves nothing about who they work for.
    """
    person = (
        Person.objects.filter(email_key=parsed.sender_email)
        .order_by("-is_active", F("user_id").asc(nulls_last=True), F("organization_id").asc(nulls_last=True), "pk")
        .first()
    )
    if person is not None:
        return person
    first_name, last_name = _split_name(parsed.sender_name, parsed.sender_email)
    return person_create(actor=None, first_name=first_name, last_name=last_name, email=parsed.sender_email)


def _split_name(display: str, email: str) -> tuple[str, str]:
    display = display.strip().strip("\"'").strip()
    if not display or display.lower() == email or "@" in display:
        return "", ""
    if "," in display:
        last, first = (part.strip() for part in display.split(",", 1))
    else:
        first, _space, last = display.rpartition(" ")
        if not first:
            first, last = last, ""
    return first[:100], last[:100]


def _queue_for(recipient: str, parsed: ParsedMail) -> Queue | None:
    """The active queue whose own address the mail was sent to; None sends it to the default queue."""
    candidates = [recipient.lower()] if recipient else parsed.to + parsed.copied
    for address in candidates:
        queue = Queue.objects.filter(email__iexact=address, is_active=True).first()
        if queue is not None:
            return queue
    return None


def _open(
    parsed: ParsedMail, inbound: InboundMail, files: list[CheckedFile], *, follow_up_of: Ticket | None = None
) -> _Result:
    requester = _sender_person(parsed)
    body = _body(parsed.text, is_reply=follow_up_of is not None)
    notes = []
    if follow_up_of is not None:
        body = _("(A reply to %(reference)s, which is closed.)") % {"reference": follow_up_of.reference} + "\n\n" + body
        notes.append(_("%(reference)s is closed: opened a new ticket.") % {"reference": follow_up_of.reference})
    cc = []
    if requester.organization_id:
        addresses = set(parsed.copied + parsed.to) - support_addresses() - {parsed.sender_email}
        cc = list(
            Person.objects.filter(
                email_key__in=addresses, organization_id=requester.organization_id, is_active=True
            ).exclude(pk=requester.pk)
        )
    ticket = services.ticket_open(
        requester=requester,
        subject=_subject_for_ticket(parsed.subject),
        description=body,
        source=Ticket.Source.EMAIL,
        queue=_queue_for(inbound.recipient, parsed),
        cc=cc,
        attachments=files,
        email_message_id=parsed.message_id,
    )
    notes.insert(
        0, _("Opened %(reference)s in %(queue)s.") % {"reference": ticket.reference, "queue": ticket.queue.name}
    )
    return _Result(Outcome.TICKET, ticket, notes)


# --- reads for the staff page -----------------------------------------------------------------------------


def inbound_mail_list(*, search: str = "", outcome: str = "", ordering: str = "-received_at") -> QuerySet[InboundMail]:
    """Received mail, newest first, without the raw message (the list never needs it)."""
    queryset = InboundMail.objects.select_related("ticket").defer("raw")
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    if search:
        queryset = queryset.filter(
            Q(sender__icontains=search) | Q(subject__icontains=search) | Q(message_id__icontains=search)
        )
    if ordering not in ("received_at", "-received_at"):
        ordering = "-received_at"
    return queryset.order_by(ordering, "-pk" if ordering.startswith("-") else "pk")


def inbound_failed_count() -> int:
    return InboundMail.objects.filter(outcome=Outcome.FAILED).count()
