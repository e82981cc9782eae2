"""/api/v1/finance/invoices/: the list with its filters, one invoice with its lines, issue and credit (idempotent)."""

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from backoffice.finance.models import FiscalYear, Invoice, JournalEntry
from backoffice.finance.tests.test_invoice_pages import make_invoice
from core.models import IdempotentRequest
from core.parties.models import Address
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/finance/invoices/"


@pytest.fixture(autouse=True)
def _year(db):
    year = timezone.localdate().year
    for y in (year - 1, year, year + 1):
        FiscalYear.objects.get_or_create(name=str(y), defaults={"start": date(y, 1, 1), "end": date(y, 12, 31)})


@pytest.fixture
def finance(api_client_for, make_staff):
    return api_client_for(make_staff("Finance"))


@pytest.fixture
def management(api_client_for, make_staff):
    return api_client_for(make_staff("Management"))


@pytest.fixture
def sales(api_client_for, make_staff):
    return api_client_for(make_staff("Sales"))


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_filters_by_customer_order_and_state(management):
    alfa, beta = OrganizationFactory(name="Alfa AB"), OrganizationFactory(name="Beta AB")
    issued = make_invoice(alfa, issue=True, order_number="SO-2026-00021", order_id=21)
    draft = make_invoice(beta, order_number="SO-2026-00022", order_id=22)
    assert _ids(management.get(INVOICES)) == [draft.pk, issued.pk]
    assert _ids(management.get(INVOICES, {"customer": alfa.pk})) == [issued.pk]
    assert _ids(management.get(INVOICES, {"order": "SO-2026-00022"})) == [draft.pk]
    assert _ids(management.get(INVOICES, {"state": "issued"})) == [issued.pk]
    row = management.get(INVOICES, {"state": "issued"}).json()["results"][0]
    assert (row["number"], row["customer"], row["total"], row["kind"]) == (issued.number, alfa.pk, "306.00", "invoice")
    for bad in ({"customer": "abc"}, {"state": "sent"}):
        response = management.get(INVOICES, bad)
        assert response.status_code == 400 and set(bad) <= set(response.json())


def test_one_invoice_has_its_lines(management, sales):
    invoice = make_invoice(issue=True)
    body = management.get(f"{INVOICES}{invoice.pk}/").json()
    assert [line["description"] for line in body["lines"]] == ["Tält", "Kaffe"]
    assert (body["ocr"], body["entry"], body["credit_notes"]) == (invoice.ocr, invoice.entry_id, [])
    assert management.get(f"{INVOICES}999999/").status_code == 404
    assert sales.get(INVOICES).status_code == 403


def test_management_reads_but_does_not_issue(management):
    invoice = make_invoice()
    assert management.post(f"{INVOICES}{invoice.pk}/issue/").status_code == 403
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.DRAFT


def test_issue_with_a_key_replays_without_issuing_again(finance):
    invoice = make_invoice()
    url = f"{INVOICES}{invoice.pk}/issue/"
    first = finance.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="issue-1")
    assert first.status_code == 200, first.content
    assert first.json()["state"] == "issued" and first.json()["number"]
    entries = JournalEntry.objects.count()
    replay = finance.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="issue-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json() and JournalEntry.objects.count() == entries
    again = finance.post(url, {}, format="json")
    assert again.status_code == 400 and "Only a draft invoice can be issued." in str(again.json())


def test_issuing_answers_what_the_invoice_then_shows(finance, management):
    customer = OrganizationFactory(name="Gamma AB")
    Address.objects.create(
        organization=customer, kind=Address.Kind.BILLING, line1="Storgatan 1", postal_code="111 22", city="Stockholm"
    )
    invoice = make_invoice(customer)
    issued = finance.post(f"{INVOICES}{invoice.pk}/issue/", {}, format="json", HTTP_IDEMPOTENCY_KEY="issue-2")
    assert issued.status_code == 200, issued.content
    shown = management.get(f"{INVOICES}{invoice.pk}/").json()
    assert issued.json() == shown
    assert (shown["state"], shown["billing_address"]["city"], len(shown["lines"]), shown["credit_notes"]) == (
        "issued",
        "Stockholm",
        2,
        [],
    )


def test_issuing_takes_a_fixed_number_of_queries_and_leaves_the_pdf_and_mail_to_after_the_commit(
    finance, django_assert_num_queries, django_capture_on_commit_callbacks, monkeypatch
):
    customer = OrganizationFactory(name="Delta AB", email="ekonomi@delta.example")
    first, invoice = make_invoice(customer), make_invoice(customer)
    monkeypatch.setattr("backoffice.finance.mail.invoice_pdf", _not_now)
    finance.post(f"{INVOICES}{first.pk}/issue/", {}, format="json")  # the process's caches (content types) filled
    # The token (the user's rights are cached), the key looked up, then in the key's transaction (a savepoint here,
    # in the test's): the key stored; in the service's savepoint the invoice locked, its lines, the settings, the
    # fiscal year, the billing address, the accounts; the sales journal locked, then its number,
    # the invoice's and the chain's last hash in one statement; the entry, its lines, its posting; the invoice,
    # both audit rows in one insert, the event with its sequence number in one statement; the answer kept.
    with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_num_queries(21):
        response = finance.post(f"{INVOICES}{invoice.pk}/issue/", {}, format="json", HTTP_IDEMPOTENCY_KEY="issue-3")
    assert response.status_code == 200, response.content
    assert mail.outbox == [] and len(callbacks) == 2  # the mail task and the bus's relay, queued after the commit
    monkeypatch.undo()
    for callback in callbacks:
        callback()
    number = response.json()["number"]
    sent = [message for message in mail.outbox if number in message.subject]
    assert [attachment[0] for attachment in sent[0].attachments] == [f"{number}.pdf"]


def _not_now(*args, **kwargs):
    raise AssertionError("The PDF is made by the mail task, after the commit.")


def test_issuing_a_missing_invoice_is_not_found(finance):
    assert finance.post(f"{INVOICES}999999/issue/", {}, format="json").status_code == 404
    missing = finance.post(f"{INVOICES}999999/issue/", {}, format="json", HTTP_IDEMPOTENCY_KEY="issue-4")
    assert missing.status_code == 404 and not IdempotentRequest.objects.filter(key="issue-4").exists()
    assert finance.post(f"{INVOICES}x/issue/", {}, format="json").status_code == 404


def test_credit_with_a_key_creates_one_credit_note(finance):
    invoice = make_invoice(issue=True)
    url = f"{INVOICES}{invoice.pk}/credit/"
    assert finance.post(url, {}, format="json").status_code == 400  # a reason is needed
    first = finance.post(url, {"reason": "Returned"}, format="json", HTTP_IDEMPOTENCY_KEY="credit-1")
    assert first.status_code == 201, first.content
    note = invoice.credit_notes.get()
    assert (first.json()["id"], first.json()["kind"], first.json()["credited_invoice"]) == (
        note.pk,
        "credit_note",
        invoice.pk,
    )
    replay = finance.post(url, {"reason": "Returned"}, format="json", HTTP_IDEMPOTENCY_KEY="credit-1")
    assert replay.status_code == 201 and replay.json() == first.json()
    other = finance.post(url, {"reason": "Something else"}, format="json", HTTP_IDEMPOTENCY_KEY="credit-1")
    assert other.status_code == 422
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1
    assert finance.get(f"{INVOICES}{invoice.pk}/").json()["credit_notes"] == [note.pk]


def test_send_mails_an_issued_invoice_and_refuses_a_draft(finance, django_capture_on_commit_callbacks):
    invoice = make_invoice(issue=True)
    invoice.organization.email = "ekonomi@kund.example"
    invoice.organization.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = finance.post(f"{INVOICES}{invoice.pk}/send/")
    assert (response.status_code, response.json()["number"], len(callbacks)) == (202, invoice.number, 1)
    draft = make_invoice()
    refused = finance.post(f"{INVOICES}{draft.pk}/send/")
    assert refused.status_code == 400 and "Only an issued invoice can be sent." in str(refused.json())
