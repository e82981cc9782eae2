"""Import of accounts and contacts from a CSV or XLSX file: check every row first, then import all or nothing.

A file is read into rows (`read_sheet`), and every row goes through the
services the pages use (organization_create, account_open, person_update,
contact_profile_update, ...) inside one transaction, so an import checks, audits
and publishes exactly like a person typing the same values. A dry run rolls the
transaction back and keeps only the report; the real run commits only when
every row went through.

Between the dry run and the real run the uploaded file waits in the cache
(Redis) under a random token tied to the user who uploaded it; both runs are
Celery tasks (`frontoffice.crm.import_tasks`) that report their progress there.
"""

import csv
import io
import logging
import re
import secrets
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.accounts.models import User
from core.accounts.selectors import staff_users
from core.parties import selectors as parties_selectors
from core.parties import services as parties
from core.parties.models import Organization
from frontoffice.crm import selectors, services
from frontoffice.crm.exporting import ACCOUNT_COLUMNS, CONTACT_COLUMNS, Column, account_cells, contact_cells
from frontoffice.crm.models import Account, ContactProfile

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# An XLSX file is a zip: refuse one that would unpack to more than this (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
PROGRESS_EVERY = 100  # rows between two progress reports

NEW, UPDATE, ERROR = "new", "update", "error"
ACCOUNTS, CONTACTS = "accounts", "contacts"
COLUMNS = {ACCOUNTS: ACCOUNT_COLUMNS, CONTACTS: CONTACT_COLUMNS}

TRUE_WORDS = {"yes", "y", "true", "1", "ja", "j"}
FALSE_WORDS = {"no", "n", "false", "0", "nej"}


class ImportFileError(Exception):
    """The file cannot be read as a table of the expected columns; the message is for the user."""


# --- reading the file -------------------------------------------------------------------


@dataclass
class Sheet:
    """The rows of an uploaded file: the known columns it has, and each row's number and values."""

    columns: list[str]
    ignored_columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _column_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    # The export defuses formulas with an apostrophe (exporting.csv_safe); take it off again.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        text = text[1:]
    return text


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ImportFileError(_("This file is not a readable XLSX workbook.")) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("This workbook is too big once unpacked."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except ImportFileError:
        raise
    # openpyxl raises many kinds of error for a broken workbook (zip, XML, key and value errors).
    except Exception as error:
        raise ImportFileError(_("This file is not a readable XLSX workbook.")) from error


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the Windows code page; Latin-1 decodes anything.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError(_("This file is neither a CSV file nor an XLSX workbook."))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise ImportFileError(
            _("Row %(row)d of the CSV file cannot be read: %(error)s") % {"row": reader.line_num, "error": error}
        ) from error


def read_sheet(data: bytes, *, columns: list[Column]) -> Sheet:
    """Read an uploaded CSV or XLSX file into rows keyed by column; raise ImportFileError if it cannot be used.

    The kind of file is told by its content, not its name: an XLSX workbook is
    a zip (it starts with "PK"); anything else is read as CSV, in UTF-8 (with or
    without BOM) or else the Windows code page, separated by commas or semicolons.
    """
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel file (.xls): save it as XLSX or CSV and upload that."))
    lines = _xlsx_rows(data) if data.startswith(b"PK") else _csv_rows(data)
    known = {column.key for column in columns}
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(lines, start=1):
        texts = [_cell_text(cell) for cell in cells]
        if not any(texts):
            continue
        if header is None:
            header = [_column_key(text) for text in texts]
            named = [key for key in header if key]
            duplicates = sorted({key for key in named if named.count(key) > 1})
            if duplicates:
                raise ImportFileError(
                    _("These columns appear twice: %(columns)s.") % {"columns": ", ".join(duplicates)}
                )
            missing = [column.key for column in columns if column.required and column.key not in header]
            if missing:
                raise ImportFileError(
                    _("The first row must name the columns; these are missing: %(missing)s. Expected: %(expected)s.")
                    % {"missing": ", ".join(missing), "expected": ", ".join(column.key for column in columns)}
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(limit)s rows; split it into smaller files.") % {"limit": f"{MAX_ROWS:,}"}
            )
        rows.append(
            (
                number,
                {key: texts[index] if index < len(texts) else "" for index, key in enumerate(header) if key in known},
            )
        )
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header row but no rows below it."))
    return Sheet(
        columns=[key for key in header if key in known],
        ignored_columns=[key for key in header if key and key not in known],
        rows=rows,
    )


class ImportUploadForm(forms.Form):
    """The upload step: a CSV or XLSX file that must be readable, have the required columns and not be too big."""

    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (comma or semicolon separated, UTF-8) or XLSX; up to 5 MB and 20,000 rows."),
    )

    def __init__(self, *args: Any, columns: list[Column], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.sheet: Sheet | None = None
        self.content = b""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is bigger than 5 MB; split it into smaller files."))
        content = upload.read()
        try:
            self.sheet = read_sheet(content, columns=self.columns)
        except ImportFileError as error:
            raise ValidationError(str(error)) from error
        self.content = content
        return upload


# --- importing the rows -----------------------------------------------------------------


@dataclass
class RowResult:
    """What happened (or would happen) to one row: new, update or error, with the columns that change."""

    line: int
    label: str
    action: str = ""
    changes: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


@dataclass
class ImportReport:
    kind: str
    rows: list[RowResult]
    committed: bool
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {NEW: 0, UPDATE: 0, ERROR: 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts


class RowError(Exception):
    """A row that cannot be imported; `errors` are (column, message) pairs, column "" for the whole row."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _choice(text: str, choices, column: str, errors: list[tuple[str, str]]) -> str:
    """A choice given by its value or its English label, in any case."""
    wanted = text.strip().lower()
    for value, label in choices.choices:
        if wanted in (value, str(label).lower()):
            return value
    with translation.override("en"):
        for value, label in choices.choices:
            if wanted == str(label).lower():
                return value
    errors.append(
        (column, _("“%(value)s” is not one of: %(values)s.") % {"value": text, "values": ", ".join(choices.values)})
    )
    return ""


def _boolean(text: str, column: str, errors: list[tuple[str, str]]) -> bool | None:
    wanted = text.strip().lower()
    if wanted in TRUE_WORDS:
        return True
    if wanted in FALSE_WORDS:
        return False
    errors.append((column, _("Write yes or no.")))
    return None


def _identifier(value: str) -> str:
    """An org number's letters and digits, upper-cased: the Python twin of core.parties.keys.identifier_key."""
    return re.sub(r"[\W_]+", "", value).upper()


def _differing(instance: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values that would change the record. A service given none would change nothing, so it is not called:
    a file exported and imported again then costs a few queries a row instead of some twenty.
    """
    differing = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.is_relation:
            current, value_key = getattr(instance, field.attname), getattr(value, "pk", None)
        elif name == "tags":  # as account_update stores them
            current, value_key = instance.tags, sorted({tag.strip().lower() for tag in value if tag.strip()})
        else:
            current, value_key = getattr(instance, name), value
        if current != value_key:
            differing[name] = value
    return differing


def _changed_columns(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key, value in after.items() if before.get(key) != value]


def _one(matches: list, column: str, message: str) -> Any:
    """The only match, or None; several matches are an error of the row (`message` takes the count)."""
    if len(matches) > 1:
        raise RowError([(column, message % {"count": len(matches)})])
    return matches[0] if matches else None


def _find_organization(*, name: str, org_number: str, number_column: str, name_column: str) -> Organization | None:
    """The organization a row means: the one with its org number, else the one of its name (legal form ignored).

    An organization found by name but holding another org number is another company.
    """
    # One query for both: what matches the number is the answer; what matched only by name is the fallback.
    found = list(parties_selectors.organization_duplicates(name=name, org_number=org_number))
    key = _identifier(org_number)
    by_number = [organization for organization in found if key and organization.org_number_key == key]
    if by_number:
        return _one(by_number, number_column, _("%(count)d organizations have this org number; merge them first."))
    by_name = [organization for organization in found if not (key and organization.org_number_key)]
    return _one(by_name, name_column, _("%(count)d organizations have this name; merge them or give the org number."))


class _Importer:
    """Turns one row into service calls; subclasses know accounts or contacts."""

    field_columns: dict[str, str] = {}

    def __init__(self, *, actor: User, columns: list[str]) -> None:
        self.actor = actor
        self.present = set(columns)

    def label(self, values: dict[str, str]) -> str:
        raise NotImplementedError

    def import_row(self, values: dict[str, str]) -> RowResult:
        raise NotImplementedError

    def errors_of(self, error: ValidationError) -> list[tuple[str, str]]:
        """A service's ValidationError as (column, message) pairs, naming the column where the field is one."""
        if not hasattr(error, "error_dict"):
            return [("", message) for message in error.messages]
        pairs = []
        for name, messages in error.message_dict.items():
            column = self.field_columns.get(name, name if name in self.present else "")
            if name == NON_FIELD_ERRORS:
                column = ""
            pairs.extend((column, message) for message in messages)
        return pairs


class AccountImporter(_Importer):
    field_columns = {"owner": "owner_email", "organization": "name"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._staff: dict[str, User] | None = None

    def label(self, values: dict[str, str]) -> str:
        return values.get("name", "")

    def _owner(self, email: str, errors: list[tuple[str, str]]) -> User | None:
        if not email:
            return None
        if self._staff is None:
            self._staff = {user.email.lower(): user for user in staff_users()}
        owner = self._staff.get(email.lower())
        if owner is None:
            errors.append(("owner_email", _("No active staff member has this e-mail address.")))
        return owner

    def import_row(self, values: dict[str, str]) -> RowResult:
        errors: list[tuple[str, str]] = []
        name = values.get("name", "")
        if not name:
            errors.append(("name", _("A name is needed.")))
        organization_values: dict[str, Any] = {
            key: values[key] for key in ("org_number", "vat_number") if key in self.present
        }
        if values.get("country"):
            organization_values["country"] = values["country"].upper()
        account_values: dict[str, Any] = {key: values[key] for key in ("industry", "notes") if key in self.present}
        if "segment" in self.present:
            account_values["segment"] = values["segment"] and _choice(
                values["segment"], Account.Segment, "segment", errors
            )
        if values.get("lifecycle_stage"):
            account_values["lifecycle_stage"] = _choice(
                values["lifecycle_stage"], Account.Stage, "lifecycle_stage", errors
            )
        if "owner_email" in self.present:
            account_values["owner"] = self._owner(values["owner_email"], errors)
        if "tags" in self.present:
            account_values["tags"] = _split_tags(values["tags"])
        if errors:
            raise RowError(errors)

        result = RowResult(line=0, label=name)
        organization = _find_organization(
            name=name, org_number=values.get("org_number", ""), number_column="org_number", name_column="name"
        )
        if organization is None:
            stage = account_values.get("lifecycle_stage", Account.Stage.LEAD)
            roles = ["customer"] if stage in (Account.Stage.CUSTOMER, Account.Stage.FORMER) else ["prospect"]
            organization = parties.organization_create(actor=self.actor, name=name, roles=roles, **organization_values)
            services.account_open(actor=self.actor, organization=organization, **account_values)
            result.action = NEW
            return result
        if _identifier(organization_values.get("org_number", "")) == organization.org_number_key:
            del organization_values["org_number"]  # the same number, only written differently: keep its form
        account = selectors.account_for_organization(organization_id=organization.pk)
        before = account_cells(account) if account else None
        organization_values = _differing(organization, {"name": name, **organization_values})
        if organization_values:
            organization = parties.organization_update(
                actor=self.actor, organization=organization, **organization_values
            )
        if account is None:
            services.account_open(actor=self.actor, organization=organization, **account_values)
            result.action = NEW
            result.note = _("New account for an existing organization.")
            return result
        account_values = _differing(account, account_values)
        if account_values:
            account = services.account_update(actor=self.actor, account=account, **account_values)
        account.organization = organization
        result.action = UPDATE
        result.changes = _changed_columns(before, account_cells(account))
        return result


class ContactImporter(_Importer):
    field_columns = {"organization": "organization_name"}

    def label(self, values: dict[str, str]) -> str:
        name = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
        email = values.get("email", "")
        return f"{name} <{email}>" if name and email else name or email

    def _organization(self, values: dict[str, str], errors: list[tuple[str, str]]) -> Organization | None:
        org_number = values.get("organization_org_number", "")
        name = values.get("organization_name", "")
        if not (org_number or name):
            return None
        column = "organization_org_number" if org_number else "organization_name"
        try:
            organization = _find_organization(
                name=name,
                org_number=org_number,
                number_column="organization_org_number",
                name_column="organization_name",
            )
        except RowError as error:
            errors.extend(error.errors)
            return None
        if organization is None:
            errors.append((column, _("No organization has this org number or name; import it as an account first.")))
            return None
        if selectors.account_for_organization(organization_id=organization.pk) is None:
            errors.append((column, _("%(name)s has no account; open one first.") % {"name": organization.name}))
            return None
        return organization

    def import_row(self, values: dict[str, str]) -> RowResult:
        errors: list[tuple[str, str]] = []
        email = values.get("email", "")
        if not email:
            errors.append(("email", _("An e-mail address is needed: contacts are found by it.")))
        person_values: dict[str, Any] = {
            key: values[key] for key in ("first_name", "last_name", "phone") if key in self.present
        }
        organization = self._organization(values, errors)
        consent: dict[str, bool | None] = {}
        for key in ("email_consent", "phone_consent"):
            if values.get(key):
                consent[key] = _boolean(values[key], key, errors)
        if errors:
            raise RowError(errors)

        result = RowResult(line=0, label=self.label(values))
        person = _one(
            list(parties_selectors.person_duplicates(email=email)),
            "email",
            _("%(count)d people have this e-mail address; merge them first."),
        )
        if person is None:
            if organization is None:
                raise RowError(
                    [("organization_name", _("Give the organization (org number or name) of a new contact."))]
                )
            roles = ["customer"] if "customer" in organization.roles else ["prospect"]
            person = parties.person_create(
                actor=self.actor, email=email, organization=organization, roles=roles, **person_values
            )
            services.contact_profile_update(
                actor=self.actor,
                person=person,
                role=values.get("role", ""),
                email_consent=bool(consent.get("email_consent")),
                phone_consent=bool(consent.get("phone_consent")),
                source=ContactProfile.Source.IMPORT,
            )
            result.action = NEW
            return result
        profile = ContactProfile.objects.filter(person=person).first()
        before = contact_cells(person, profile or ContactProfile(person=person))
        if organization is not None:
            person_values["organization"] = organization
        person_values = _differing(person, person_values)
        if person_values:
            person = parties.person_update(actor=self.actor, person=person, **person_values)
        current = profile or ContactProfile(person=person)
        wanted = {
            "role": values["role"].strip() if "role" in self.present else current.role,
            "email_consent": consent.get("email_consent", current.email_consent),
            "phone_consent": consent.get("phone_consent", current.phone_consent),
        }
        if any(getattr(current, key) != value for key, value in wanted.items()):
            profile = services.contact_profile_update(
                actor=self.actor, person=person, source=ContactProfile.Source.IMPORT, **wanted
            )
        if organization is not None:
            person.organization = organization
        result.action = UPDATE
        result.changes = _changed_columns(before, contact_cells(person, profile or current))
        return result


IMPORTERS: dict[str, type[_Importer]] = {ACCOUNTS: AccountImporter, CONTACTS: ContactImporter}


def rows_import(
    *,
    kind: str,
    actor: User,
    sheet: Sheet,
    commit: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Put every row of a sheet through the services, in one transaction; keep it only if asked and all went well.

    With commit=False this is the dry run: it tells, row by row, what would be
    new, what would change and what is wrong, and changes nothing. With
    commit=True the rows are kept only if every one of them went through;
    otherwise nothing is, and the report says why.
    """
    importer = IMPORTERS[kind](actor=actor, columns=sheet.columns)
    results: list[RowResult] = []
    with transaction.atomic():
        for index, (line, values) in enumerate(sheet.rows, start=1):
            try:
                with transaction.atomic():
                    result = importer.import_row(values)
            except RowError as error:
                result = RowResult(line=line, label=importer.label(values), action=ERROR, errors=error.errors)
            except ValidationError as error:
                result = RowResult(
                    line=line, label=importer.label(values), action=ERROR, errors=importer.errors_of(error)
                )
            except (IntegrityError, DataError) as error:
                logger.warning("Import row %s refused by the database: %s", line, error)
                result = RowResult(
                    line=line,
                    label=importer.label(values),
                    action=ERROR,
                    errors=[("", _("The database refused this row: %(error)s") % {"error": str(error).strip()[:200]})],
                )
            result.line = line
            results.append(result)
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(index)
        committed = commit and not any(result.action == ERROR for result in results)
        if not committed:
            transaction.set_rollback(True)
    return ImportReport(kind=kind, rows=results, committed=committed, ignored_columns=sheet.ignored_columns)


# --- the job between upload, dry run and import ------------------------------------------

JOB_TIMEOUT = 6 * 60 * 60  # an upload waits this long for its confirmation

# A job's status: checking (dry run running), checked (preview shown), importing, then imported or refused
# (a row failed when it ran for real: nothing was kept); failed when the task itself broke.
CHECKING, CHECKED, IMPORTING = "checking", "checked", "importing"
IMPORTED, REFUSED, FAILED = "imported", "refused", "failed"
RUNNING = (CHECKING, IMPORTING)


def _key(token: str, part: str) -> str:
    return f"crm:import:{token}:{part}"


def import_job_start(*, kind: str, user: User, file_name: str, content: bytes, sheet: Sheet) -> str:
    """Keep an uploaded file for its dry run and confirmation; returns the job's token (random, secret)."""
    token = secrets.token_urlsafe(18)
    cache.set(_key(token, "file"), content, JOB_TIMEOUT)
    _job_save(
        token,
        {
            "token": token,
            "kind": kind,
            "user_id": user.pk,
            "file_name": file_name[:200],
            "language": translation.get_language() or "en",
            "total": len(sheet.rows),
            "done": 0,
            "status": CHECKING,
            "message": "",
        },
    )
    return token


def _job_save(token: str, job: dict[str, Any]) -> None:
    cache.set(_key(token, "job"), job, JOB_TIMEOUT)


def import_job_get(*, token: str, kind: str, user: User) -> dict[str, Any] | None:
    """The job of this token if it is this user's upload of this kind (None otherwise, as if there were none)."""
    job = cache.get(_key(token, "job"))
    if job is None or job["user_id"] != user.pk or job["kind"] != kind:
        return None
    return job


def import_job_report(*, job: dict[str, Any]) -> dict[str, Any] | None:
    return cache.get(_key(job["token"], "report"))


def import_job_confirm(*, job: dict[str, Any]) -> bool:
    """Accept the user's confirmation once, and only after a dry run without errors."""
    report = import_job_report(job=job)
    if job["status"] != CHECKED or report is None or report["counts"][ERROR]:
        return False
    if not cache.add(_key(job["token"], "confirmed"), True, JOB_TIMEOUT):
        return False
    _job_save(job["token"], {**job, "status": IMPORTING, "done": 0})
    return True


def _report_data(report: ImportReport) -> dict[str, Any]:
    return {
        "counts": report.counts,
        "committed": report.committed,
        "ignored_columns": report.ignored_columns,
        "rows": [asdict(row) for row in report.rows],
    }


def import_job_run(*, token: str, commit: bool) -> None:
    """Run a job's dry run (commit=False) or its confirmed import; safe to run twice (a redelivered task)."""
    job = cache.get(_key(token, "job"))
    if job is None or job["status"] != (IMPORTING if commit else CHECKING):
        return
    content = cache.get(_key(token, "file"))
    actor = User.objects.filter(pk=job["user_id"], is_active=True).first()
    if content is None or actor is None:
        _job_save(token, {**job, "status": FAILED, "message": _("The upload expired; upload the file again.")})
        return

    def progress(done: int) -> None:
        _job_save(token, {**job, "done": done})

    try:
        with translation.override(job["language"]):
            sheet = read_sheet(content, columns=COLUMNS[job["kind"]])
            report = rows_import(kind=job["kind"], actor=actor, sheet=sheet, commit=commit, progress=progress)
    except Exception:
        # Whatever went wrong, the page must stop waiting; the task's failure is logged by Celery.
        _job_save(token, {**job, "status": FAILED, "message": _("The import stopped on an unexpected error.")})
        raise
    cache.set(_key(token, "report"), _report_data(report), JOB_TIMEOUT)
    if commit:
        cache.delete(_key(token, "file"))
        status = IMPORTED if report.committed else REFUSED
    else:
        status = CHECKED
    _job_save(token, {**job, "status": status, "done": len(sheet.rows)})
