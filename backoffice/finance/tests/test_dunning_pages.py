"""Staff pages of dunning and credit hold: the overdue list (search, level filter, pages, empty state, a constant
number of queries), running dunning from the page, the letters, holding and releasing customers, and the policy.
Finance acts, Management reads, Sales and customers are refused."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.finance import dunning, services
from backoffice.finance.models import CreditHold, DunningLetter, FiscalYear, Invoice
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("finance:dunning")
LETTERS = reverse("finance:dunning-letters")
HOLDS = reverse("finance:dunning-holds")
POLICY = reverse("finance:dunning-policy")
RUN = reverse("finance:dunning-run")


@pytest.fixture(autouse=True)
def _years(db):
    year = timezone.localdate().year
    for name in (year - 1, year, year + 1):
        FiscalYear.objects.get_or_create(
            name=str(name), defaults={"start": date(name, 1, 1), "end": date(name, 12, 31)}
        )


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def finance(make_staff):
    return make_staff("Finance", full_name="Fia Finans")


@pytest.fixture
def management(make_staff):
    return make_staff("Management")


def overdue_invoice(organization, *, days_overdue: int, net: str = "800.00") -> Invoice:
    """An issued invoice whose due date was `days_overdue` days ago (30 days' terms)."""
    today = timezone.localdate()
    draft = services.invoice_create(
        actor=None,
        organization=organization,
        payment_terms_days=30,
        lines=[
            services.InvoiceLineInput(
                description="Tält", quantity=Decimal(1), unit_price=Decimal(net), tax_rate=Decimal(25)
            )
        ],
    )
    return services.invoice_issue(actor=None, invoice=draft, invoice_date=today - timedelta(days=30 + days_overdue))


def policy_data(**changes) -> dict:
    data = {
        "reminder_days": "7",
        "second_reminder_days": "21",
        "final_notice_days": "35",
        "reminder_fee": "60.00",
        "fee_from_level": "2",
        "interest_rate": "10.50",
        "charge_interest": "on",
        "hold_after_days": "30",
        "hold_over_amount": "50000.00",
        "is_active": "on",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- who may do what -----------------------------------------------------------------------------------------------


def test_sales_and_customers_are_refused_everything(client, client_for, make_staff, customer_user):
    organization = OrganizationFactory()
    release = reverse("finance:dunning-hold-release", args=[organization.pk])
    assert client.get(OVERVIEW).status_code == 302  # to sign in
    for user in (make_staff("Sales"), customer_user):
        signed_in = client_for(user)
        for url in (OVERVIEW, LETTERS, HOLDS, POLICY):
            assert signed_in.get(url).status_code == 403, url
        assert signed_in.post(RUN).status_code == 403
        assert signed_in.post(HOLDS, {"organization": organization.pk, "reason": "x"}).status_code == 403
        assert signed_in.post(release, {"reason": "x"}).status_code == 403
        assert signed_in.post(POLICY, policy_data()).status_code == 403
    assert not CreditHold.objects.exists()


def test_management_reads_every_page_and_changes_nothing(client_for, management, finance):
    organization = OrganizationFactory(name="Held AB")
    dunning.credit_hold_set(actor=finance, organization=organization, on_hold=True, reason="Disputes")
    client = client_for(management)
    for url in (OVERVIEW, LETTERS, HOLDS, POLICY):
        assert client.get(url).status_code == 200, url
    assert "Run dunning now" not in client.get(OVERVIEW).content.decode()
    holds_page = client.get(HOLDS).content.decode()
    assert "Held AB" in holds_page and "Disputes" in holds_page
    assert "Put a customer on credit hold" not in holds_page and ">Release<" not in holds_page
    policy_page = client.get(POLICY).content.decode()
    assert "Save the policy" not in policy_page and "21 days overdue" in policy_page
    assert client.post(RUN).status_code == 403
    assert client.post(HOLDS, {"organization": OrganizationFactory().pk, "reason": "x"}).status_code == 403
    release = reverse("finance:dunning-hold-release", args=[organization.pk])
    assert client.post(release, {"reason": "Paid"}).status_code == 403
    assert client.post(POLICY, policy_data(reminder_days="3")).status_code == 403
    assert CreditHold.objects.get(organization=organization).on_hold is True
    assert dunning.dunning_policy().reminder_days == 7


def test_the_sidebar_shows_dunning_to_finance_only(client_for, finance, make_staff):
    assert "Overdue &amp; dunning" in client_for(finance).get("/app/").content.decode()
    assert "Overdue &amp; dunning" not in client_for(make_staff("Sales")).get("/app/").content.decode()


# --- the overdue list --------------------------------------------------------------------------------------------


def test_the_overdue_list_shows_each_invoice_with_its_level_and_last_letter(client_for, finance):
    old = overdue_invoice(OrganizationFactory(name="Alfa AB"), days_overdue=40)
    dunning.dunning_run(timezone.localdate())
    recent = overdue_invoice(OrganizationFactory(name="Beta AB"), days_overdue=3)
    overdue_invoice(OrganizationFactory(name="Gamma AB"), days_overdue=-5)  # not due yet
    client = client_for(finance)
    response = client.get(OVERVIEW)
    rows = list(response.context["rows"])
    assert rows == [old, recent]
    assert [(row.days_overdue, row.due, row.dunning_level) for row in rows] == [
        (40, Decimal("1000.00"), 3),
        (3, Decimal("1000.00"), 0),
    ]
    assert rows[0].last_letter_date == timezone.localdate() and rows[1].last_letter_date is None
    page = response.content.decode()
    assert "Alfa AB" in page and "Beta AB" in page and "Gamma AB" not in page
    assert "Final notice" in page and "No letter yet" in page and "Run dunning now" in page
    totals = response.context["totals"]
    # the fee invoice of the final notice is not yet due, so it is not in the overdue figures
    assert (totals["invoices"], totals["customers"], totals["amount"]) == (2, 2, Decimal("2000.00"))

    def numbers(**params):
        return [row.number for row in client.get(OVERVIEW, params).context["rows"]]

    assert numbers(q="beta") == [recent.number]
    assert numbers(q=old.number) == [old.number]
    assert numbers(level="3") == [old.number]
    assert numbers(level="0") == [recent.number]
    assert numbers(level="nonsense") == [old.number, recent.number]  # a bad filter is ignored
    assert numbers(sort="days_overdue") == [recent.number, old.number]
    assert numbers(sort="-dunning_level") == [old.number, recent.number]
    assert numbers(sort="customer_name") == [old.number, recent.number]
    assert numbers(sort="-customer_name") == [recent.number, old.number]
    assert numbers(sort="total; drop table") == [old.number, recent.number]  # an unknown sort is ignored
    assert 'aria-sort="none">Days overdue' in page
    filtered = client.get(OVERVIEW, {"q": "nobody"}).content.decode()
    assert "Nothing matches these filters" in filtered


def test_an_empty_overdue_list_says_what_it_is_for(client_for, finance):
    page = client_for(finance).get(OVERVIEW).content.decode()
    assert "Nothing is overdue" in page


def test_the_overdue_list_takes_the_same_queries_for_more_invoices(client_for, finance):
    client = client_for(finance)
    overdue_invoice(OrganizationFactory(), days_overdue=10)
    client.get(OVERVIEW)
    with CaptureQueriesContext(connection) as few:
        client.get(OVERVIEW)
    for days in (12, 25, 40, 50):
        overdue_invoice(OrganizationFactory(), days_overdue=days)
    dunning.dunning_run(timezone.localdate())
    with CaptureQueriesContext(connection) as many:
        response = client.get(OVERVIEW)
    assert len(response.context["rows"]) == 5
    assert len(many) == len(few)


def test_the_overdue_list_pages(client_for, finance):
    organization = OrganizationFactory()
    for days in range(1, 28):
        overdue_invoice(organization, days_overdue=days)
    client = client_for(finance)
    first = client.get(OVERVIEW)
    assert len(first.context["rows"]) == 25 and first.context["page"].has_next()
    second = client.get(OVERVIEW, {"page": 2})
    assert [row.days_overdue for row in second.context["rows"]] == [2, 1]


def test_finance_runs_dunning_from_the_page(client_for, finance, django_capture_on_commit_callbacks):
    invoice = overdue_invoice(OrganizationFactory(name="Sen AB", email="sen@example.com"), days_overdue=22)
    client = client_for(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUN, follow=True)
    assert response.redirect_chain[-1][0] == OVERVIEW
    assert "Dunning is running in the background" in response.content.decode()
    letter = DunningLetter.objects.get()
    assert (letter.invoice, letter.level, letter.fee) == (invoice, 2, Decimal("60.00"))
    assert client.get(RUN).status_code == 405


# --- letters -------------------------------------------------------------------------------------------------------


def test_the_letters_list_and_the_invoice_show_what_was_sent(client_for, management):
    invoice = overdue_invoice(OrganizationFactory(name="Sen AB"), days_overdue=8)
    dunning.dunning_run(timezone.localdate() - timedelta(days=1))  # the reminder, yesterday
    dunning.dunning_run(timezone.localdate() + timedelta(days=14))  # the second reminder, with its fee invoice
    second = DunningLetter.objects.get(level=2)
    client = client_for(management)
    response = client.get(LETTERS)
    assert [(letter.invoice, letter.level) for letter in response.context["rows"]] == [(invoice, 2), (invoice, 1)]
    page = response.content.decode()
    assert second.fee_invoice.number in page and "Second reminder" in page and "Not sent" in page
    assert [letter.level for letter in client.get(LETTERS, {"level": "1"}).context["rows"]] == [1]
    assert list(client.get(LETTERS, {"q": "nobody"}).context["rows"]) == []
    detail = client.get(reverse("finance:invoice-detail", args=[invoice.pk])).content.decode()
    assert 'id="reminders"' in detail and second.fee_invoice.number in detail
    fee_detail = client.get(reverse("finance:invoice-detail", args=[second.fee_invoice_id])).content.decode()
    assert 'id="reminders"' not in fee_detail and "Reminder fee: second reminder about invoice" in fee_detail


def test_an_empty_letters_list_says_what_it_is_for(client_for, finance):
    assert "No letters yet" in client_for(finance).get(LETTERS).content.decode()


# --- credit holds --------------------------------------------------------------------------------------------------


def test_finance_puts_a_customer_on_hold_with_a_reason_and_releases_it(client_for, finance):
    organization = OrganizationFactory(name="Riskabel AB")
    client = client_for(finance)
    assert "No customer is on credit hold" in client.get(HOLDS).content.decode()

    refused = client.post(HOLDS, {"organization": organization.pk, "reason": ""})
    assert refused.status_code == 200
    assert refused.context["hold_form"].errors == {"reason": ["This field is required."]}
    assert "Please correct the errors below." in refused.content.decode()
    assert not CreditHold.objects.exists()

    response = client.post(HOLDS, {"organization": organization.pk, "reason": "Unpaid since spring"}, follow=True)
    assert response.redirect_chain[-1][0] == HOLDS
    page = response.content.decode()
    assert "Riskabel AB is on credit hold" in page and "Unpaid since spring" in page and "Set by hand" in page
    assert [hold.organization for hold in response.context["rows"]] == [organization]
    event = OutboxEvent.objects.get(name="finance.credit_hold_changed")
    assert (event.payload["organization_id"], event.payload["on_hold"], event.payload["reason"]) == (
        organization.pk,
        True,
        "Unpaid since spring",
    )

    release = reverse("finance:dunning-hold-release", args=[organization.pk])
    no_reason = client.post(release, {"reason": ""}, follow=True)
    assert "Release Riskabel AB: This field is required." in no_reason.content.decode()
    assert CreditHold.objects.get(organization=organization).on_hold is True

    released = client.post(release, {"reason": "Paid in full"}, follow=True)
    assert "Riskabel AB is released from credit hold." in released.content.decode()
    assert list(released.context["rows"]) == []
    assert CreditHold.objects.get(organization=organization).on_hold is False
    again = client.post(release, {"reason": "Twice"}, follow=True)
    assert "Riskabel AB is not on credit hold." in again.content.decode()
    assert OutboxEvent.objects.filter(name="finance.credit_hold_changed").count() == 2
    assert client.post(reverse("finance:dunning-hold-release", args=[99999]), {"reason": "x"}).status_code == 404


def test_the_holds_list_searches_and_keeps_its_queries(client_for, finance):
    client = client_for(finance)
    dunning.credit_hold_set(actor=finance, organization=OrganizationFactory(name="Alfa AB"), on_hold=True, reason="a")
    client.get(HOLDS)
    with CaptureQueriesContext(connection) as few:
        client.get(HOLDS)
    for name in ("Beta AB", "Gamma AB", "Delta AB"):
        dunning.credit_hold_set(actor=finance, organization=OrganizationFactory(name=name), on_hold=True, reason="b")
    with CaptureQueriesContext(connection) as many:
        response = client.get(HOLDS)
    assert len(response.context["rows"]) == 4 and len(many) == len(few)
    assert [hold.organization.name for hold in client.get(HOLDS, {"q": "gamma"}).context["rows"]] == ["Gamma AB"]


# --- the policy ----------------------------------------------------------------------------------------------------


def test_finance_edits_the_policy_and_sees_errors_on_the_fields(client_for, finance):
    client = client_for(finance)
    assert 'name="reminder_days" value="7"' in client.get(POLICY).content.decode()

    refused = client.post(POLICY, policy_data(second_reminder_days="5", reminder_fee="-1"))
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert errors["second_reminder_days"] == ["The second reminder comes after the first."]
    assert "reminder_fee" in errors  # the model field's own minimum, or the service's rule
    page = refused.content.decode()
    assert "Please correct the errors below." in page and 'value="5"' in page  # nothing typed is lost

    missing = client.post(POLICY, policy_data(final_notice_days=""))
    assert missing.context["form"].errors == {"final_notice_days": ["This field is required."]}

    response = client.post(
        POLICY, policy_data(reminder_days="10", hold_after_days="45", charge_interest=None), follow=True
    )
    assert response.redirect_chain[-1][0] == POLICY
    assert "The dunning policy is saved." in response.content.decode()
    policy = dunning.dunning_policy()
    assert (policy.reminder_days, policy.hold_after_days, policy.charge_interest) == (10, 45, False)
