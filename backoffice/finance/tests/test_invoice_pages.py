"""Staff pages of invoices: the list, the detail, issuing and crediting through the pages, the PDF."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.finance import services
from backoffice.finance.models import FiscalYear, Invoice
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _year(db):
    year = timezone.localdate().year
    for y in (year - 1, year, year + 1):
        FiscalYear.objects.get_or_create(name=str(y), defaults={"start": date(y, 1, 1), "end": date(y, 12, 31)})


@pytest.fixture
def finance(make_staff):
    return make_staff("Finance", full_name="Fia Finans")


@pytest.fixture
def management(make_staff):
    return make_staff("Management")


def make_invoice(organization=None, *, issue: bool = False, order_number: str = "", order_id: int | None = None):
    invoice = services.invoice_create(
        actor=None,
        organization=organization or OrganizationFactory(name="Kund AB"),
        order_number=order_number,
        order_id=order_id,
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(2), unit_price=Decimal("100.00"), tax_rate=Decimal(25)
            ),
            services.InvoiceLineInput(
                description="Kaffe", quantity=Decimal(1), unit_price=Decimal("50.00"), tax_rate=Decimal(12)
            ),
        ],
    )
    if issue:
        invoice = services.invoice_issue(actor=None, invoice=invoice)
    return invoice


LIST = reverse("finance:invoice-list")


def test_only_finance_and_management_see_invoices(client_for, make_staff, management):
    invoice = make_invoice()
    assert client_for(make_staff("Sales")).get(LIST).status_code == 403
    client = client_for(management)
    assert client.get(LIST).status_code == 200
    page = client.get(reverse("finance:invoice-detail", args=[invoice.pk])).content.decode()
    assert "Tält" in page and 'action="/app/finance/invoices/' not in page
    assert client.post(reverse("finance:invoice-issue", args=[invoice.pk])).status_code == 403
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.DRAFT


def test_the_list_searches_and_filters(client_for, finance):
    issued = make_invoice(OrganizationFactory(name="Alfa AB"), issue=True, order_number="SO-2026-00011")
    draft = make_invoice(OrganizationFactory(name="Beta AB"), order_number="SO-2026-00012")
    client = client_for(finance)

    def rows(**params):
        return list(client.get(LIST, params).context["rows"])

    assert rows() == [draft, issued]
    assert rows(q=issued.number) == [issued]
    assert rows(q="beta") == [draft]
    assert rows(q="SO-2026-00011") == [issued]
    assert rows(state="draft") == [draft]
    assert rows(kind="credit_note") == []
    assert rows(state="nonsense") == [draft, issued]  # a bad filter is ignored


def test_the_list_takes_the_same_queries_for_more_invoices(client_for, finance):
    client = client_for(finance)
    make_invoice(issue=True)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(4):
        make_invoice(issue=True)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["rows"]) == 5
    assert len(many) == len(few)


def test_finance_issues_a_draft_from_its_page(client_for, finance):
    invoice = make_invoice()
    client = client_for(finance)
    response = client.post(reverse("finance:invoice-issue", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED and invoice.number and invoice.entry_id
    page = response.content.decode()
    assert f"Invoice {invoice.number} is issued and booked." in page
    assert invoice.ocr in page and reverse("finance:entry-detail", args=[invoice.entry_id]) in page
    assert "VAT 25 % on" in page and reverse("finance:invoice-pdf", args=[invoice.pk]) in page
    again = client.post(reverse("finance:invoice-issue", args=[invoice.pk]), follow=True)
    assert "Only a draft invoice can be issued." in again.content.decode()


def test_finance_credits_an_issued_invoice_with_a_reason(client_for, finance):
    invoice = make_invoice(issue=True)
    client = client_for(finance)
    url = reverse("finance:invoice-credit", args=[invoice.pk])
    refused = client.post(url, {"reason": ""}, follow=True)
    assert not invoice.credit_notes.exists() and "This field is required." in refused.content.decode()
    response = client.post(url, {"reason": "Returned"}, follow=True)
    note = invoice.credit_notes.get()
    assert (note.state, note.reason, note.total) == (Invoice.State.ISSUED, "Returned", invoice.total)
    assert response.redirect_chain[-1][0] == reverse("finance:invoice-detail", args=[note.pk])
    assert f"Credit note {note.number} credits the invoice in full." in response.content.decode()
    page = client.get(reverse("finance:invoice-detail", args=[invoice.pk])).content.decode()
    assert f"Credited by credit note {note.number}." in page and "Credit the invoice" not in page
    again = client.post(url, {"reason": "Twice"}, follow=True)
    assert "already credited" in again.content.decode() and invoice.credit_notes.count() == 1


def test_the_pdf_downloads(client_for, management):
    invoice = make_invoice(issue=True)
    response = client_for(management).get(reverse("finance:invoice-pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert invoice.number in response["Content-Disposition"]
    assert client_for(management).get(reverse("finance:invoice-detail", args=[99999])).status_code == 404


# --- the customer portal ---------------------------------------------------------------


PORTAL = "/portal/invoices/"


def test_a_customer_sees_only_its_organizations_issued_invoices(client_for, customer_user):
    from core.parties.models import Person

    mine = Person.objects.get(user=customer_user).organization
    issued = make_invoice(mine, issue=True, order_number="SO-2026-00031")
    note = services.invoice_credit(actor=None, invoice=issued, reason="Returned")
    draft = make_invoice(mine)
    others = make_invoice(OrganizationFactory(name="Annan AB"), issue=True)
    client = client_for(customer_user)
    response = client.get(PORTAL)
    assert response.status_code == 200
    assert list(response.context["rows"]) == [note, issued]
    page = response.content.decode()
    assert f"Invoice {issued.number}" in page and f"Credit note {note.number}" in page and others.number not in page
    assert 'href="/portal/invoices/"' in page  # the portal's menu links here
    pdf = client.get(reverse("portal-invoice-pdf", args=[issued.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for guessed in (draft, others):
        assert client.get(reverse("portal-invoice-pdf", args=[guessed.pk])).status_code == 404


def test_staff_and_visitors_do_not_use_the_portal_list(client, client_for, finance):
    assert client.get(PORTAL).status_code == 302  # to sign in
    assert client_for(finance).get(PORTAL).status_code == 403


def test_finance_sends_an_issued_invoice_again_and_cancels_a_draft(
    client_for, finance, django_capture_on_commit_callbacks
):
    invoice = make_invoice(OrganizationFactory(name="Kund AB", email="ekonomi@kund.example"), issue=True)
    client = client_for(finance)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("finance:invoice-send", args=[invoice.pk]), follow=True)
    assert f"Invoice {invoice.number} is on its way to the customer." in response.content.decode()
    assert len(callbacks) == 1  # the mail task is queued once the request's transaction commits
    assert "Sent to ekonomi@kund.example" in response.content.decode()

    draft = make_invoice()
    assert "Cancel draft" in client.get(reverse("finance:invoice-detail", args=[draft.pk])).content.decode()
    response = client.post(reverse("finance:invoice-cancel", args=[draft.pk]), {"reason": "Fel kund"}, follow=True)
    draft.refresh_from_db()
    assert (draft.state, draft.reason, draft.number) == (Invoice.State.CANCELLED, "Fel kund", "")
    assert "it never gets a number" in response.content.decode()
    refused = client.post(reverse("finance:invoice-send", args=[draft.pk]), follow=True)
    assert "Only an issued invoice can be sent." in refused.content.decode()


def test_the_list_shows_one_customers_invoices_and_keeps_it_while_searching(client_for, finance):
    mine, other = OrganizationFactory(name="Alfa AB"), OrganizationFactory(name="Beta AB")
    kept = make_invoice(mine, issue=True)
    make_invoice(other, issue=True)
    client = client_for(finance)
    response = client.get(LIST, {"organization": mine.pk})
    assert [invoice.pk for invoice in response.context["rows"]] == [kept.pk]
    assert 'id="customer-filter"' in response.text and "Alfa AB" in response.text
    assert f'<input type="hidden" name="organization" value="{mine.pk}">' in response.text
    assert len(client.get(LIST, {"organization": "nonsense"}).context["rows"]) == 2
