"""Accounts and contacts as rows of a file: the columns, their values, and CSV or XLSX downloads.

The same columns are what the import reads (frontoffice.crm.importing), so an
exported file can be changed in a spreadsheet and imported again.
"""

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.parties.models import Person
from frontoffice.crm.models import Account, ContactProfile

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = ("csv", "xlsx")
CHUNK_SIZE = 2000  # rows fetched per round trip of the server-side cursor


@dataclass(frozen=True)
class Column:
    """A column of the import/export file: a stable key (the header) and what it means."""

    key: str
    help: Promise | str
    required: bool = False
    values: tuple[str, ...] = ()  # the only values it takes, if any


ACCOUNT_COLUMNS = [
    Column(
        "name",
        _("The organization's name. An existing organization is found by org number, or else by name."),
        required=True,
    ),
    Column("org_number", _("Organization number, e.g. 556677-8899.")),
    Column("vat_number", _("VAT number, e.g. SE556677889901.")),
    Column("country", _("ISO 3166 code, e.g. SE. Empty: SE for a new organization, unchanged for an existing one.")),
    Column("segment", _("The segment, or empty."), values=tuple(Account.Segment.values)),
    Column("industry", _("Free text.")),
    Column(
        "lifecycle_stage",
        _("Empty: lead for a new account, unchanged for an existing one."),
        values=tuple(Account.Stage.values),
    ),
    Column("owner_email", _("E-mail address of the staff member who owns the account; empty for nobody.")),
    Column("tags", _("Separated by commas.")),
    Column("notes", _("Free text.")),
]

CONTACT_COLUMNS = [
    Column("first_name", _("First name.")),
    Column("last_name", _("Last name.")),
    Column("email", _("E-mail address. An existing person is found by it."), required=True),
    Column("phone", _("Phone number.")),
    Column(
        "organization_org_number",
        _("Org number of the person's organization, which must have an account. Used before the name."),
    ),
    Column(
        "organization_name",
        _("Name of the person's organization. Needed (or its org number) for a new contact; empty keeps it."),
    ),
    Column("role", _("Their role in the deal, e.g. decision maker.")),
    Column(
        "email_consent",
        _("Agrees to e-mail. A change is recorded with the source Import. Empty: unchanged (no for a new contact)."),
        values=("yes", "no"),
    ),
    Column("phone_consent", _("Agrees to phone calls. Same rules as email_consent."), values=("yes", "no")),
]


def account_cells(account: Account) -> dict[str, Any]:
    """An account as one row of the file, keyed by column."""
    organization = account.organization
    return {
        "name": organization.name,
        "org_number": organization.org_number,
        "vat_number": organization.vat_number,
        "country": organization.country,
        "segment": account.segment,
        "industry": account.industry,
        "lifecycle_stage": account.lifecycle_stage,
        "owner_email": account.owner.email if account.owner_id else "",
        "tags": ", ".join(account.tags),
        "notes": account.notes,
    }


def contact_cells(person: Person, profile: ContactProfile | None = None) -> dict[str, Any]:
    """A person and their CRM profile as one row of the file; consent as booleans."""
    if profile is None:
        profile = getattr(person, "crm_profile", None) or ContactProfile(person=person)
    organization = person.organization
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "organization_org_number": organization.org_number if organization else "",
        "organization_name": organization.name if organization else "",
        "role": profile.role,
        "email_consent": profile.email_consent,
        "phone_consent": profile.phone_consent,
    }


# --- files ------------------------------------------------------------------------------

# A cell a spreadsheet would run as a formula; phone numbers and plain numbers are left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().,/-]*$")


def csv_safe(value: str) -> str:
    """Defuse a text that a spreadsheet would take for a formula ("CSV injection") with a leading apostrophe.

    The import removes the apostrophe again, so the value survives a round trip.
    """
    if value.startswith(_FORMULA_START) and not _NUMBER_LIKE.match(value):
        return "'" + value
    return value


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return csv_safe("" if value is None else str(value))


class _Echo:
    """A file-like object whose write() hands back what it was given, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so that Excel reads the file as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_csv_text(row[key]) for key in header])


def _file_name(stem: str, file_format: str) -> str:
    return f"{stem}-{timezone.localdate().isoformat()}.{file_format}"


def csv_response(*, stem: str, columns: list[Column], rows: Iterable[dict[str, Any]]) -> StreamingHttpResponse:
    """Stream rows as a CSV download; rows are read as they are sent, never all held in memory."""
    header = [column.key for column in columns]
    response = StreamingHttpResponse(_csv_lines(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_file_name(stem, "csv")}"'
    return response


def xlsx_response(*, stem: str, columns: list[Column], rows: Iterable[dict[str, Any]]) -> FileResponse:
    """Write rows to an XLSX workbook in a temporary file (openpyxl's write-only mode) and send it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    header = [column.key for column in columns]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=stem[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for key in header:
        cell = WriteOnlyCell(sheet, value=key)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for key in header:
            value = row[key]
            if isinstance(value, bool):
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
            cell.data_type = "s"  # text stays text: "=..." is never stored as a formula
            cells.append(cell)
        sheet.append(cells)
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=_file_name(stem, "xlsx"), content_type=XLSX_CONTENT_TYPE)


def export_response(
    *, file_format: str, stem: str, columns: list[Column], rows: Iterable[dict[str, Any]]
) -> StreamingHttpResponse | FileResponse:
    if file_format == "xlsx":
        return xlsx_response(stem=stem, columns=columns, rows=rows)
    return csv_response(stem=stem, columns=columns, rows=rows)


def account_rows(queryset: QuerySet[Account]) -> Iterator[dict[str, Any]]:
    """Every account of a selection as file rows, read in chunks through one server-side cursor."""
    for account in queryset.select_related("organization", "owner").iterator(chunk_size=CHUNK_SIZE):
        yield account_cells(account)


def contact_rows(queryset: QuerySet[Person]) -> Iterator[dict[str, Any]]:
    for person in queryset.select_related("organization", "crm_profile").iterator(chunk_size=CHUNK_SIZE):
        yield contact_cells(person)
