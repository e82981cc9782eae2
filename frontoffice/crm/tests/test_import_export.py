"""Import of accounts and contacts (dry run, then confirmed) and their export, as CSV and XLSX."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.audit.models import AuditEntry
from core.parties.models import Organization, Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import importing, services
from frontoffice.crm.exporting import ACCOUNT_COLUMNS, CONTACT_COLUMNS
from frontoffice.crm.models import Account, ContactProfile
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = [column.key for column in ACCOUNT_COLUMNS]
CONTACT_HEADER = [column.key for column in CONTACT_COLUMNS]


def csv_file(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_file(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "accounts": Account.objects.count(),
        "people": Person.objects.count(),
        "profiles": ContactProfile.objects.count(),
        "audit": AuditEntry.objects.count(),
        "events": OutboxEvent.objects.count(),
    }


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales", email="saljare@kontor.example")


@pytest.fixture
def acme(sales):
    organization = OrganizationFactory(name="Acme AB", org_number="556677-8899", vat_number="", country="SE")
    return services.account_open(
        actor=sales, organization=organization, owner=sales, segment="enterprise", lifecycle_stage="prospect"
    )


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """upload(user, kind, content) -> the token of the upload, after its dry run (Celery runs in-process)."""

    def send(user, kind: str, content: bytes, name: str = "file.csv") -> str:
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(f"crm:{kind}-import"), {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        return response["Location"].rstrip("/").rsplit("/", 1)[-1]

    return send


@pytest.fixture
def preview(client):
    def get(kind: str, token: str, **params) -> dict:
        response = client.get(reverse(f"crm:{kind}-import-job", args=[token]), params)
        assert response.status_code == 200
        return response.context

    return get


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    def post(kind: str, token: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse(f"crm:{kind}-import-confirm", args=[token]))

    return post


def by_line(report: dict) -> dict[int, dict]:
    return {row["line"]: row for row in report["rows"]}


# --- reading files --------------------------------------------------------------------------


def test_reads_csv_with_commas():
    sheet = importing.read_sheet(
        csv_file([["name", "org_number", "tags"], ["Acme AB", "556677-8899", "nord, vip"]]), columns=ACCOUNT_COLUMNS
    )
    assert sheet.columns == ["name", "org_number", "tags"]
    assert sheet.rows == [(2, {"name": "Acme AB", "org_number": "556677-8899", "tags": "nord, vip"})]


def test_reads_csv_with_semicolons_bom_and_loose_headers():
    content = "\ufeffName;Org number;Unknown\n\nBjörk & Co;556000-0001;x\n".encode()
    sheet = importing.read_sheet(content, columns=ACCOUNT_COLUMNS)
    assert sheet.columns == ["name", "org_number"]
    assert sheet.ignored_columns == ["unknown"]
    assert sheet.rows == [(3, {"name": "Björk & Co", "org_number": "556000-0001"})]


def test_reads_csv_saved_in_the_windows_code_page():
    sheet = importing.read_sheet(csv_file([["name"], ["Åkeri Söder"]], encoding="cp1252"), columns=ACCOUNT_COLUMNS)
    assert sheet.rows == [(2, {"name": "Åkeri Söder"})]


def test_reads_xlsx_whatever_the_file_is_called():
    content = xlsx_file([["email", "first_name", "email_consent"], ["a@b.example", "Anna", True], [None, None, None]])
    sheet = importing.read_sheet(content, columns=CONTACT_COLUMNS)
    assert sheet.rows == [(2, {"email": "a@b.example", "first_name": "Anna", "email_consent": "yes"})]


def test_numbers_in_xlsx_become_plain_text():
    sheet = importing.read_sheet(xlsx_file([["name", "org_number"], ["Acme", 5566778899]]), columns=ACCOUNT_COLUMNS)
    assert sheet.rows[0][1]["org_number"] == "5566778899"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n \n", "The file is empty."),
        (b"name,org_number\n", "The file has a header row but no rows below it."),
        (b"org_number\n556677-8899\n", "these are missing: name."),
        (b"name,name\nA,B\n", "These columns appear twice: name."),
        (b"PK\x03\x04 not really a workbook", "This file is not a readable XLSX workbook."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "old Excel file (.xls)"),
        (b"%PDF-1.7\x00\x00\x01binary", "neither a CSV file nor an XLSX workbook"),
    ],
)
def test_unusable_files_are_refused_with_a_message(content, message):
    with pytest.raises(importing.ImportFileError) as error:
        importing.read_sheet(content, columns=ACCOUNT_COLUMNS)
    assert message in str(error.value)


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    with pytest.raises(importing.ImportFileError) as error:
        importing.read_sheet(csv_file([["name"], ["A"], ["B"], ["C"]]), columns=ACCOUNT_COLUMNS)
    assert "more than 2 rows" in str(error.value)


# --- accounts ---------------------------------------------------------------------------------


ACCOUNT_ROWS = [
    ACCOUNT_HEADER,
    # Found by org number (written differently), renamed, moved to customer.
    ["ACME Aktiebolag", "5566778899", "", "", "enterprise", "Tools", "customer", "saljare@kontor.example", "vip", ""],
    # New organization and account.
    [
        "Nya Kunden AB",
        "556111-2222",
        "SE556111222201",
        "se",
        "small-business",
        "",
        "lead",
        "",
        "nord, ny",
        "Met at fair",
    ],
]


def test_dry_run_shows_new_and_updated_rows_and_changes_nothing(sales, acme, upload, preview):
    before = counts()
    token = upload(sales, "account", csv_file(ACCOUNT_ROWS))
    context = preview("account", token)
    assert context["job"]["status"] == importing.CHECKED
    report = context["report"]
    assert report["counts"] == {"new": 1, "update": 1, "error": 0}
    rows = by_line(report)
    assert rows[2]["action"] == "update"
    assert rows[2]["changes"] == ["name", "industry", "lifecycle_stage", "tags"]
    assert rows[3]["action"] == "new"
    assert counts() == before
    acme.refresh_from_db()
    assert (acme.lifecycle_stage, acme.organization.name) == ("prospect", "Acme AB")


def test_confirmed_import_creates_and_updates_through_the_services(sales, acme, upload, confirm, preview):
    token = upload(sales, "account", csv_file(ACCOUNT_ROWS, delimiter=";"))
    response = confirm("account", token)
    assert response.status_code == 302
    context = preview("account", token)
    assert context["job"]["status"] == importing.IMPORTED
    assert context["report"]["committed"] is True

    acme.refresh_from_db()
    assert acme.organization.name == "ACME Aktiebolag"
    assert (acme.lifecycle_stage, acme.industry, acme.tags) == ("customer", "Tools", ["vip"])
    new = Account.objects.select_related("organization").get(organization__org_number="556111-2222")
    assert new.organization.name == "Nya Kunden AB"
    assert new.organization.country == "SE"
    assert new.organization.roles == ["prospect"]
    assert (new.segment, new.lifecycle_stage, new.owner, new.tags, new.notes) == (
        "small-business",
        "lead",
        None,
        ["nord", "ny"],
        "Met at fair",
    )
    assert OutboxEvent.objects.filter(name="crm.customer_created", payload__org_number="556111-2222").count() == 1
    updated = OutboxEvent.objects.get(name="crm.customer_updated")
    assert updated.payload["changed_fields"] == ["industry", "lifecycle_stage", "tags"]
    created = AuditEntry.objects.filter(actor=sales, action=AuditEntry.Action.CREATE, object_repr="Nya Kunden AB")
    assert created.count() == 2  # the organization and its account


def test_a_second_confirmation_does_not_import_again(sales, upload, confirm):
    token = upload(sales, "account", csv_file(ACCOUNT_ROWS[:1] + ACCOUNT_ROWS[2:]))
    confirm("account", token)
    response = confirm("account", token)
    assert response.status_code == 302
    assert Account.objects.filter(organization__name="Nya Kunden AB").count() == 1
    assert OutboxEvent.objects.filter(name="crm.customer_created", payload__name="Nya Kunden AB").count() == 1


def test_matches_by_normalized_name_when_the_file_has_no_org_number(sales, acme, upload, preview):
    token = upload(sales, "account", csv_file([["name", "industry"], ["acme", "Steel"]]))
    rows = by_line(preview("account", token)["report"])
    assert rows[2]["action"] == "update"
    assert rows[2]["changes"] == ["name", "industry"]


def test_several_organizations_of_one_name_are_an_error_not_a_guess(sales, upload, preview):
    OrganizationFactory(name="Tvilling AB", org_number="")
    OrganizationFactory(name="Tvilling", org_number="")
    report = preview("account", upload(sales, "account", csv_file([["name"], ["TVILLING AB"]])))["report"]
    assert by_line(report)[2]["errors"] == [
        ("name", "2 organizations have this name; merge them or give the org number.")
    ]


def test_an_organization_without_account_gets_one(sales, upload, confirm):
    organization = OrganizationFactory(name="Utan Konto AB", org_number="556999-0000")
    token = upload(sales, "account", csv_file([["name", "org_number"], ["Utan Konto AB", "556999-0000"]]))
    before = Organization.objects.count()
    confirm("account", token)
    assert Account.objects.get(organization__name="Utan Konto AB").organization == organization
    assert Organization.objects.count() == before


def test_row_errors_name_the_column_and_nothing_can_be_imported(sales, acme, upload, preview, client):
    rows = [
        ACCOUNT_HEADER,
        ["Bra AB", "", "", "", "", "", "", "", "", ""],
        ["", "556000-0009", "", "", "", "", "", "", "", ""],
        ["Fel Segment AB", "", "", "", "huge", "", "", "", "", ""],
        ["Okänd Ägare AB", "", "", "", "", "", "", "nobody@kontor.example", "", ""],
        ["Fel Land AB", "", "", "Sweden", "", "", "", "", "", ""],
        ["Fel Steg AB", "", "", "", "", "", "won", "", "", ""],
    ]
    before = counts()
    token = upload(sales, "account", csv_file(rows))
    context = preview("account", token)
    report = context["report"]
    assert report["counts"] == {"new": 1, "update": 0, "error": 5}
    errors = {line: [column for column, _message in row["errors"]] for line, row in by_line(report).items()}
    assert errors == {2: [], 3: ["name"], 4: ["segment"], 5: ["owner_email"], 6: ["country"], 7: ["lifecycle_stage"]}
    assert context["show"] == "error"  # the errors are shown first
    assert [row["line"] for row in context["page"].object_list] == [3, 4, 5, 6, 7]
    response = client.get(reverse("crm:account-import-job", args=[token]))
    assert "Ensure this value has at most 2 characters" in response.content.decode()

    response = client.post(reverse("crm:account-import-confirm", args=[token]))
    assert response.status_code == 302
    assert counts() == before


def test_a_row_failing_for_real_keeps_nothing(sales, make_staff, upload, confirm, preview):
    owner = make_staff("Sales", email="agare@kontor.example")
    rows = [ACCOUNT_HEADER, ["Ett AB", *[""] * 6, "", "", ""], ["Två AB", *[""] * 6, "agare@kontor.example", "", ""]]
    token = upload(sales, "account", csv_file(rows))
    assert preview("account", token)["report"]["counts"]["error"] == 0
    owner.is_active = False  # between the check and the import
    owner.save()
    before = counts()
    confirm("account", token)
    context = preview("account", token)
    assert context["job"]["status"] == importing.REFUSED
    assert by_line(context["report"])[3]["errors"][0][0] == "owner_email"
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("accounts.xlsx", b"PK\x03\x04broken", "This file is not a readable XLSX workbook."),
        ("accounts.pdf", b"%PDF-1.4\x00\x00", "neither a CSV file nor an XLSX workbook"),
        ("accounts.csv", b"vat_number\nSE1\n", "these are missing: name."),
        ("accounts.csv", b"", "The submitted file is empty."),
    ],
)
def test_bad_files_get_a_message_on_the_form(client, sales, name, content, message):
    before = counts()
    client.force_login(sales)
    response = client.post(reverse("crm:account-import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["file"])
    assert counts() == before


def test_a_file_over_5_mb_is_refused(client, sales):
    client.force_login(sales)
    content = b"name\n" + b"x" * (5 * 1024 * 1024)
    response = client.post(reverse("crm:account-import"), {"file": SimpleUploadedFile("big.csv", content)})
    assert "bigger than 5 MB" in str(response.context["form"].errors["file"])


def test_the_import_page_documents_the_columns(client, sales):
    client.force_login(sales)
    response = client.get(reverse("crm:account-import"))
    page = response.content.decode()
    for key in ACCOUNT_HEADER:
        assert f"<code>{key}</code>" in page
    assert reverse("crm:account-import-template") in page


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_template_is_the_header_row(client, sales, file_format):
    client.force_login(sales)
    response = client.get(reverse("crm:contact-import-template"), {"format": file_format})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if file_format == "csv":
        assert content.decode("utf-8-sig").strip() == ",".join(CONTACT_HEADER)
    else:
        assert [cell.value for cell in load_workbook(io.BytesIO(content)).active[1]] == CONTACT_HEADER


# --- contacts ---------------------------------------------------------------------------------


def test_contacts_are_created_and_updated_by_email(sales, acme, upload, confirm, preview):
    known = PersonFactory(
        first_name="Anna", last_name="Berg", email="anna@acme.example", organization=acme.organization
    )
    rows = [
        CONTACT_HEADER,
        ["Anna", "Berg", "ANNA@acme.example", "08-123", "", "", "Buyer", "ja", ""],
        ["Erik", "Ek", "erik@acme.example", "", "556677-8899", "", "CEO", "no", "yes"],
        ["Eva", "Al", "eva@acme.example", "", "", "acme ab", "", "", ""],
    ]
    token = upload(sales, "contact", xlsx_file(rows), "contacts.xlsx")
    report = preview("contact", token)["report"]
    assert [(row["action"], row["changes"]) for row in report["rows"]] == [
        ("update", ["phone", "role", "email_consent"]),
        ("new", []),
        ("new", []),
    ]
    assert not ContactProfile.objects.exists()

    confirm("contact", token)
    known.refresh_from_db()
    assert (known.phone, known.crm_profile.role, known.crm_profile.email_consent) == ("08-123", "Buyer", True)
    assert known.crm_profile.email_consent_source == ContactProfile.Source.IMPORT
    erik = Person.objects.select_related("crm_profile").get(email="erik@acme.example")
    assert (erik.organization, erik.crm_profile.phone_consent, erik.crm_profile.email_consent) == (
        acme.organization,
        True,
        False,
    )
    assert Person.objects.get(email="eva@acme.example").organization == acme.organization


def test_contact_errors(sales, acme, upload, preview):
    OrganizationFactory(name="Utan Konto AB", org_number="556999-0000")
    rows = [
        CONTACT_HEADER,
        ["Utan", "Mejl", "", "", "556677-8899", "", "", "", ""],
        ["Ny", "Person", "ny@x.example", "", "", "", "", "", ""],
        ["Fel", "Org", "fel@x.example", "", "556999-0000", "", "", "", ""],
        ["Ingen", "Org", "ingen@x.example", "", "", "Finns Inte AB", "", "", ""],
        ["Fel", "Samtycke", "sam@x.example", "", "556677-8899", "", "", "kanske", ""],
        ["Fel", "Adress", "inte-en-adress", "", "556677-8899", "", "", "", ""],
    ]
    report = preview("contact", upload(sales, "contact", csv_file(rows)))["report"]
    errors = {line: [column for column, _message in row["errors"]] for line, row in by_line(report).items()}
    assert errors == {
        2: ["email"],
        3: ["organization_name"],
        4: ["organization_org_number"],
        5: ["organization_name"],
        6: ["email_consent"],
        7: ["email"],
    }
    assert not Person.objects.filter(last_name="Adress").exists()


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "account_import", "contact_import", "account_export", "contact_export"),
    [
        ("Sales", 200, 200, 200, 200),
        ("Customer Service", 403, 403, 200, 200),
        ("Marketing", 403, 200, 200, 200),
        ("HR", 403, 403, 403, 403),
    ],
)
def test_who_may_import_and_export(
    client, make_staff, department, account_import, contact_import, account_export, contact_export
):
    client.force_login(make_staff(department))
    assert client.get(reverse("crm:account-import")).status_code == account_import
    assert client.get(reverse("crm:contact-import")).status_code == contact_import
    assert client.get(reverse("crm:account-export")).status_code == account_export
    assert client.get(reverse("crm:contact-export")).status_code == contact_export
    assert client.get(reverse("crm:contact-list")).status_code == contact_export


def test_customers_get_403(client, customer_user):
    client.force_login(customer_user)
    for name in ("account-import", "contact-import", "account-export", "contact-export", "account-import-template"):
        assert client.get(reverse(f"crm:{name}")).status_code == 403
    response = client.post(reverse("crm:account-import"), {"file": SimpleUploadedFile("a.csv", b"name\nA\n")})
    assert response.status_code == 403
    assert not Organization.objects.filter(name="A").exists()


def test_an_upload_is_only_its_uploaders(client, make_staff, sales, upload):
    token = upload(sales, "account", csv_file([["name"], ["Ny AB"]]))
    other = make_staff("Sales")
    client.force_login(other)
    assert client.get(reverse("crm:account-import-job", args=[token])).status_code == 404
    assert client.post(reverse("crm:account-import-confirm", args=[token])).status_code == 404
    assert client.get(reverse("crm:contact-import-job", args=[token])).status_code == 404
    assert not Account.objects.filter(organization__name="Ny AB").exists()


# --- progress ---------------------------------------------------------------------------------


def test_progress_polls_until_done_then_refreshes(client, sales):
    client.force_login(sales)
    response = client.post(reverse("crm:account-import"), {"file": SimpleUploadedFile("a.csv", b"name\nNy AB\n")})
    url = response["Location"]  # the dry run is queued on commit; in this test it has not run yet
    poll = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-progress"})
    assert poll.status_code == 200
    assert 'hx-trigger="every 1s"' in poll.content.decode()
    importing.import_job_run(token=url.rstrip("/").rsplit("/", 1)[-1], commit=False)
    poll = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-progress"})
    assert poll["HX-Refresh"] == "true"


def test_preview_tabs_reload_only_the_table(client, sales, acme, upload):
    token = upload(sales, "account", csv_file(ACCOUNT_ROWS))
    url = reverse("crm:account-import-job", args=[token])
    response = client.get(url, {"show": "new"}, headers={"HX-Request": "true", "HX-Target": "preview"})
    page = response.content.decode()
    assert "<html" not in page
    assert "Nya Kunden AB" in page
    assert "ACME Aktiebolag" not in page


# --- export ---------------------------------------------------------------------------------


def _download(response) -> bytes:
    return b"".join(response.streaming_content)


def _rows_of(content: bytes, file_format: str) -> list[list[str]]:
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_export_takes_every_row_the_filters_select(client, sales):
    for number in range(30):
        services.account_open(
            actor=sales, organization=OrganizationFactory(name=f"Kund {number:02d} AB"), lifecycle_stage="customer"
        )
    services.account_open(actor=sales, organization=OrganizationFactory(name="Kund Lead AB"), lifecycle_stage="lead")
    client.force_login(sales)
    response = client.get(reverse("crm:account-export"), {"format": "csv", "stage": "customer", "q": "Kund"})
    assert response["Content-Disposition"].startswith('attachment; filename="accounts-')
    rows = _rows_of(_download(response), "csv")
    assert rows[0] == ACCOUNT_HEADER
    assert len(rows) == 31
    assert [row[0] for row in rows[1:3]] == ["Kund 00 AB", "Kund 01 AB"]


def test_export_buttons_keep_the_filters(client, sales, acme):
    client.force_login(sales)
    page = client.get(reverse("crm:account-list"), {"stage": "prospect", "page": "1"}).content.decode()
    assert f"{reverse('crm:account-export')}?stage=prospect&amp;format=xlsx" in page
    assert reverse("crm:account-import") in page


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_accounts_import_again_as_updates_without_changes(client, sales, acme, upload, preview, file_format):
    acme_two = services.account_open(
        actor=sales, organization=OrganizationFactory(name="Formel AB", org_number=""), tags=["a", "b"]
    )
    services.account_update(actor=sales, account=acme_two, notes='=HYPERLINK("http://evil.example")', industry="-")
    client.force_login(sales)
    content = _download(client.get(reverse("crm:account-export"), {"format": file_format}))
    formel = next(row for row in _rows_of(content, file_format) if row[0] == "Formel AB")
    notes = formel[ACCOUNT_HEADER.index("notes")]
    assert notes == ("'" if file_format == "csv" else "") + '=HYPERLINK("http://evil.example")'
    exported = len(_rows_of(content, file_format)) - 1
    assert exported == Account.objects.count() >= 2
    before = counts()
    report = preview("account", upload(sales, "account", content, f"export.{file_format}"))["report"]
    assert report["counts"] == {"new": 0, "update": exported, "error": 0}
    assert all(row["changes"] == [] for row in report["rows"])
    assert counts() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_contacts_import_again_as_updates_without_changes(client, sales, acme, upload, preview, file_format):
    for email in ("a@acme.example", "b@acme.example"):
        person = PersonFactory(email=email, phone="+46 8 123 45", organization=acme.organization)
        services.contact_profile_update(
            actor=sales, person=person, role="Buyer", email_consent=True, phone_consent=False, source="form"
        )
    PersonFactory(email="c@acme.example", organization=acme.organization)  # no profile yet
    client.force_login(sales)
    content = _download(client.get(reverse("crm:contact-export"), {"format": file_format}))
    exported = len(_rows_of(content, file_format)) - 1
    assert exported == Person.objects.filter(organization__crm_account__isnull=False).count() >= 3
    report = preview("contact", upload(sales, "contact", content, f"export.{file_format}"))["report"]
    assert report["counts"] == {"new": 0, "update": exported, "error": 0}
    assert all(row["changes"] == [] for row in report["rows"])


def test_contact_export_follows_the_list_filters(client, sales, acme):
    agreed = PersonFactory(email="ja@acme.example", organization=acme.organization)
    services.contact_profile_update(
        actor=sales, person=agreed, role="", email_consent=True, phone_consent=False, source="form"
    )
    PersonFactory(email="nej@acme.example", organization=acme.organization)
    PersonFactory(email="utan-konto@annan.example")  # an organization without an account
    client.force_login(sales)
    page = client.get(reverse("crm:contact-list"), {"q": "acme"})
    assert {person.email for person in page.context["rows"]} == {"ja@acme.example", "nej@acme.example"}
    for consent, expected in (("yes", ["ja@acme.example"]), ("no", ["nej@acme.example"])):
        response = client.get(reverse("crm:contact-export"), {"q": "acme", "email_consent": consent})
        assert [row[CONTACT_HEADER.index("email")] for row in _rows_of(_download(response), "csv")[1:]] == expected


@pytest.mark.parametrize(("kind", "file_format"), [("account", "csv"), ("account", "xlsx"), ("contact", "csv")])
def test_export_queries_do_not_grow_with_the_rows(client, sales, kind, file_format):
    def add(number: int) -> None:
        for _ in range(number):
            account = services.account_open(actor=sales, organization=OrganizationFactory(), owner=sales)
            person = PersonFactory(organization=account.organization)
            services.contact_profile_update(
                actor=sales, person=person, role="x", email_consent=True, phone_consent=False, source="form"
            )

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(f"crm:{kind}-export"), {"format": file_format})
            _download(response)
        return len(queries)

    client.force_login(sales)
    add(10)
    export_queries()  # the first request also reads the session from the database
    few = export_queries()
    add(90)
    assert export_queries() == few


def test_the_contact_list_takes_the_same_queries_for_3_or_30_contacts(client, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.parties.tests.factories import OrganizationFactory, PersonFactory
    from frontoffice.crm import services as crm_services

    sales = make_staff("Sales")
    organization = OrganizationFactory(name="Räkna AB")
    crm_services.account_open(actor=sales, organization=organization)
    client.force_login(sales)
    PersonFactory.create_batch(3, organization=organization)
    client.get(reverse("crm:contact-list"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("crm:contact-list"), {"q": "Räkna"}).status_code == 200
    PersonFactory.create_batch(27, organization=organization)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("crm:contact-list"), {"q": "Räkna"}).content.decode()
    assert html.count("Räkna AB") >= 25
    assert len(many) == len(few) <= 15
