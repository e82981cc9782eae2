"""What a ticket accepts as an attachment, judged by the file's first bytes, never by its name.

A file is kept when its content matches one of the allowlisted formats and it
is not too big; it is stored under a random name and served only as a
download (images excepted) with headers that stop a browser from sniffing or
running it. SVG and HTML are refused outright: they can carry script.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.exceptions import ServiceError

MAX_FILES_PER_MESSAGE = 10

# (leading bytes, offset, MIME type): the formats a ticket accepts.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),  # RIFF....WEBP
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),  # also .docx, .xlsx, .odt: offered as downloads
)
# Shown in the page (as <img>); everything else is only ever downloaded.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Text that a browser could take for markup if it ever rendered it.
_MARKUP_MARKERS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe", b"<object")


def max_bytes() -> int:
    return getattr(settings, "SERVICE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks: its content, the uploader's name for it, and its real type."""

    name: str
    content: bytes
    content_type: str

    @property
    def size(self) -> int:
        return len(self.content)

    def as_content_file(self) -> ContentFile:
        return ContentFile(self.content)


def sniff(content: bytes) -> str | None:
    """The MIME type the content really is, if it is one we accept; None otherwise."""
    for signature, offset, content_type in _SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and content[:4] != b"RIFF":
                continue
            return content_type
    return "text/plain" if _is_plain_text(content) else None


def _is_plain_text(content: bytes) -> bool:
    head = content[:8192]
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at 8192 bytes is still text.
        try:
            head[:-4].decode("utf-8")
            text = head.decode("utf-8", errors="ignore")
        except UnicodeDecodeError:
            return False
    lowered = text.lower().encode()
    return not any(marker in lowered for marker in _MARKUP_MARKERS)


def _clean_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "attachment"


def check(*, name: str, content: bytes) -> CheckedFile:
    """Accept one file or raise ServiceError on the field "attachments" with a message the uploader can act on."""
    display = _clean_name(name)
    if not content:
        raise ServiceError({"attachments": _("%(name)s is empty.") % {"name": display}})
    if len(content) > max_bytes():
        raise _too_big(display)
    content_type = sniff(content)
    if content_type is None:
        raise ServiceError(
            {
                "attachments": _(
                    "%(name)s is not a file type we accept (images, PDF, text, Office documents and ZIP archives)."
                )
                % {"name": display}
            }
        )
    return CheckedFile(name=display, content=content, content_type=content_type)


def _too_big(display: str) -> ServiceError:
    return ServiceError(
        {
            "attachments": _("%(name)s is larger than %(limit)s.")
            % {"name": display, "limit": filesizeformat(max_bytes())}
        }
    )


def check_uploads(files) -> list[CheckedFile]:
    """Check Django UploadedFiles from a form or API request (read once, size-limited before reading)."""
    files = list(files or [])
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ServiceError(
            {"attachments": _("At most %(count)d files per message.") % {"count": MAX_FILES_PER_MESSAGE}}
        )
    checked = []
    for upload in files:
        if upload.size is not None and upload.size > max_bytes():
            raise _too_big(_clean_name(upload.name))  # refused before reading it
        checked.append(check(name=upload.name, content=upload.read()))
    return checked


def download_response(attachment) -> FileResponse:
    """The file, as a download unless it is an image, with headers that keep a browser from running it."""
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
