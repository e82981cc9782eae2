"""/api/v1/sales/: pipeline stages, leads and their conversion, opportunities, written through the services."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient

from core.audit.models import AuditEntry
from core.parties.models import Organization, Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services as crm
from frontoffice.crm.models import Account
from frontoffice.sales import services
from frontoffice.sales.models import Lead, Opportunity, PipelineStage
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

STAGES = "/api/v1/sales/stages/"
LEADS = "/api/v1/sales/leads/"
OPPORTUNITIES = "/api/v1/sales/opportunities/"


def _iso(value: datetime.datetime | None) -> str | None:
    return DateTimeField().to_representation(value) if value is not None else None


def _stage(name: str) -> PipelineStage:
    return PipelineStage.objects.get(name=name)


def _lead(actor=None, **values) -> Lead:
    defaults = {"company_name": "Ny Kund AB", "first_name": "Kim", "last_name": "Ek", "email": "kim@nykund.example"}
    return services.lead_create(actor=actor, **{**defaults, **values})


def _account(name: str = "", **values) -> Account:
    organization = OrganizationFactory(name=name) if name else OrganizationFactory()
    return crm.account_open(actor=None, organization=organization, **values)


def _opportunity(account: Account | None = None, **values) -> Opportunity:
    values.setdefault("name", "Framework deal")
    values.setdefault("stage", _stage("Qualification"))
    return services.opportunity_create(actor=None, account=account or _account(), **values)


@pytest.fixture
def sales(api_client_for, make_staff):
    return api_client_for(make_staff("Sales", full_name="Sara Sälj"))


@pytest.fixture
def marketing(api_client_for, make_staff):
    return api_client_for(make_staff("Marketing", full_name="Mia Marknad"))


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- stages ------------------------------------------------------------------------


def test_the_active_stages_in_their_order(sales):
    PipelineStage.objects.create(name="Retired", position=99, probability=5, is_active=False)

    response = sales.get(STAGES)

    assert response.status_code == 200
    assert response.json() == {
        "count": 4,
        "next": None,
        "previous": None,
        "results": [
            {"id": _stage(name).pk, "name": name, "position": position, "probability": probability}
            for name, position, probability in [
                ("Qualification", 10, 10),
                ("Needs analysis", 20, 25),
                ("Proposal", 30, 50),
                ("Negotiation", 40, 75),
            ]
        ],
    }


def test_stages_are_only_listed(sales):
    stage = _stage("Proposal")

    assert sales.post(STAGES, {"name": "New", "position": 9, "probability": 1}, format="json").status_code == 405
    assert sales.get(f"{STAGES}{stage.pk}/").status_code == 404
    assert sales.delete(f"{STAGES}{stage.pk}/").status_code == 404


# --- leads -------------------------------------------------------------------------


def test_a_lead_as_the_api_shows_it(sales):
    lead = _lead(
        owner=sales.user,
        phone="070-123",
        source=Lead.Source.CAMPAIGN,
        campaign="Vår 2027",
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="spring",
        status=Lead.Status.CONTACTED,
        notes="Called once.",
    )

    response = sales.get(f"{LEADS}{lead.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": lead.pk,
        "company_name": "Ny Kund AB",
        "first_name": "Kim",
        "last_name": "Ek",
        "email": "kim@nykund.example",
        "phone": "070-123",
        "source": "campaign",
        "campaign": "Vår 2027",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
        "status": "contacted",
        "notes": "Called once.",
        "owner": sales.user.pk,
        "owner_name": "Sara Sälj",
        "converted_at": None,
        "converted_account": None,
        "converted_contact": None,
        "created_at": _iso(lead.created_at),
    }


def test_marketing_registers_a_lead_from_a_campaign(marketing):
    # when Marketing registers a lead from a campaign
    response = marketing.post(
        LEADS,
        {
            "company_name": "Vårkund AB",
            "first_name": "Alva",
            "email": " Alva@Varkund.Example ",
            "source": "campaign",
            "campaign": "Vår 2027",
            "utm_source": "newsletter",
        },
        format="json",
    )

    # then the lead is new, unowned, with its e-mail in lower case
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    body = response.json()
    assert body["id"] == lead.pk
    assert (body["company_name"], body["email"], body["source"], body["status"], body["owner"]) == (
        "Vårkund AB",
        "alva@varkund.example",
        "campaign",
        "new",
        None,
    )
    assert (lead.email, lead.campaign, lead.utm_source) == ("alva@varkund.example", "Vår 2027", "newsletter")
    # and the audit trail says who
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("create", marketing.user, str(lead.pk))


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"company_name": ["This field is required."]}),
        ({"company_name": ""}, {"company_name": ["This field may not be blank."]}),
        ({"company_name": "X AB", "email": "not-an-address"}, {"email": ["Enter a valid email address."]}),
        ({"company_name": "X AB", "source": "fax"}, {"source": ['"fax" is not a valid choice.']}),
        ({"company_name": "X AB", "status": "converted"}, {"status": ["A lead becomes converted by converting it."]}),
        ({"company_name": "X AB", "owner": 999999}, {"owner": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_bad_lead_input_is_a_400_naming_the_field(sales, body, errors):
    response = sales.post(LEADS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Lead.objects.exists()


def test_the_owner_of_a_lead_is_an_active_employee(sales, customer_user):
    response = sales.post(LEADS, {"company_name": "X AB", "owner": customer_user.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"owner": [f'Invalid pk "{customer_user.pk}" - object does not exist.']}


def test_marketing_qualifies_a_lead(marketing):
    # given a new lead
    lead = _lead()

    # when Marketing qualifies it
    response = marketing.patch(f"{LEADS}{lead.pk}/", {"status": "qualified", "notes": "Budget in Q3."}, format="json")

    # then it is qualified, and the audit trail names the change
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["notes"]) == ("qualified", "Budget in Q3.")
    lead.refresh_from_db()
    assert (lead.status, lead.notes) == ("qualified", "Budget in Q3.")
    entry = AuditEntry.objects.get(action="update")
    assert (entry.actor, entry.changes) == (
        marketing.user,
        {"notes": ["", "Budget in Q3."], "status": ["new", "qualified"]},
    )


def test_a_put_changes_the_lead_too(sales):
    lead = _lead()

    response = sales.put(
        f"{LEADS}{lead.pk}/",
        {"company_name": "Ny Kund Holding AB", "source": "import", "owner": sales.user.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert (lead.company_name, lead.source, lead.owner) == ("Ny Kund Holding AB", "import", sales.user)


def test_a_lead_is_not_marked_converted_by_hand(sales):
    lead = _lead()

    response = sales.patch(f"{LEADS}{lead.pk}/", {"status": "converted"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"status": ["A lead becomes converted by converting it."]}
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_converted_lead_is_kept_as_it_was(sales):
    lead = _lead()
    services.lead_convert(actor=sales.user, lead=lead)

    response = sales.patch(f"{LEADS}{lead.pk}/", {"notes": "Later."}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A converted lead is kept as it was; change the account or opportunity instead."]
    }


def test_lead_filters_and_search(sales, make_staff):
    colleague = make_staff("Sales")
    acme = _lead(company_name="Acme AB", email="ada@acme.example", owner=sales.user, source=Lead.Source.WEB_FORM)
    bolt = _lead(company_name="Bolt AB", email="bo@bolt.example", last_name="Acmesson", owner=colleague)
    cargo = _lead(company_name="Cargo AB", email="cy@cargo.example", status=Lead.Status.QUALIFIED)

    assert _ids(sales.get(LEADS)) == [cargo.pk, bolt.pk, acme.pk]
    assert _ids(sales.get(LEADS, {"search": "acme"})) == [bolt.pk, acme.pk]
    assert _ids(sales.get(LEADS, {"search": "CY@cargo.example"})) == [cargo.pk]
    assert _ids(sales.get(LEADS, {"status": "qualified"})) == [cargo.pk]
    assert _ids(sales.get(LEADS, {"owner": colleague.pk})) == [bolt.pk]
    assert _ids(sales.get(LEADS, {"source": "web-form"})) == [acme.pk]
    assert _ids(sales.get(LEADS, {"source": "manual", "search": "acme"})) == [bolt.pk]
    assert _ids(sales.get(LEADS, {"ordering": "company_name"})) == [acme.pk, bolt.pk, cargo.pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "hot"}, {"status": ["Select a valid choice. hot is not one of the available choices."]}),
        ({"source": "fax"}, {"source": ["Select a valid choice. fax is not one of the available choices."]}),
        ({"owner": "abc"}, {"owner": ["Select a valid choice. That choice is not one of the available choices."]}),
    ],
)
def test_bad_lead_filters_are_a_400(sales, query, errors):
    response = sales.get(LEADS, query)

    assert response.status_code == 400
    assert response.json() == errors


# --- converting --------------------------------------------------------------------


def test_sales_converts_a_lead_into_account_contact_and_opportunity(sales):
    # given a lead from a company Kontor does not know yet
    lead = _lead(owner=sales.user)

    # when Sales converts it
    response = sales.post(
        f"{LEADS}{lead.pk}/convert/",
        {"account": None, "opportunity_name": "Första ordern", "amount": "125000.00"},
        format="json",
    )

    # then an account, a contact and an opportunity exist
    assert response.status_code == 201, response.content
    organization = Organization.objects.get()
    account = Account.objects.get()
    contact = Person.objects.get()
    opportunity = Opportunity.objects.get()
    assert (organization.name, account.organization, account.lifecycle_stage) == (
        "Ny Kund AB",
        organization,
        "prospect",
    )
    assert (contact.first_name, contact.last_name, contact.email, contact.organization) == (
        "Kim",
        "Ek",
        "kim@nykund.example",
        organization,
    )
    # and the answer is the new opportunity, as the opportunity endpoint shows it
    assert response.json() == {
        "id": opportunity.pk,
        "name": "Första ordern",
        "account": account.pk,
        "account_name": "Ny Kund AB",
        "contact": contact.pk,
        "stage": _stage("Qualification").pk,
        "stage_name": "Qualification",
        "amount": "125000.00",
        "currency": "SEK",
        "probability": None,
        "effective_probability": 10,
        "expected_close": None,
        "owner": sales.user.pk,
        "owner_name": "Sara Sälj",
        "status": "open",
        "lost_reason": "",
        "closed_at": None,
        "lead": lead.pk,
        "created_at": _iso(opportunity.created_at),
        "updated_at": _iso(opportunity.updated_at),
    }
    assert response.json() == sales.get(f"{OPPORTUNITIES}{opportunity.pk}/").json()
    # and the lead is converted into them
    lead.refresh_from_db()
    assert (lead.status, lead.converted_account, lead.converted_contact) == ("converted", account, contact)
    assert lead.converted_at is not None
    # and the other office hears of the new customer
    event = OutboxEvent.objects.get(name="crm.customer_created")
    assert (event.aggregate_type, event.aggregate_id) == ("parties.organization", str(organization.pk))
    assert (event.payload["account_id"], event.payload["name"]) == (account.pk, "Ny Kund AB")
    # and the audit trail says who converted it
    entry = AuditEntry.objects.get(action="action", object_id=str(lead.pk), content_type__model="lead")
    assert (entry.actor, entry.message) == (sales.user, "Converted into Första ordern")


def test_a_lead_is_converted_onto_an_existing_account(sales):
    account = _account("Befintlig AB")
    lead = _lead(company_name="Annat namn AB", first_name="", last_name="", email="")

    response = sales.post(f"{LEADS}{lead.pk}/convert/", {"account": account.pk}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account"], body["contact"], body["name"], body["amount"], body["owner"]) == (
        account.pk,
        None,
        "Befintlig AB: new business",
        "0.00",
        sales.user.pk,
    )
    assert Account.objects.count() == 1
    # No new customer: the one event is the existing account's own.
    assert OutboxEvent.objects.filter(name="crm.customer_created").count() == 1


def test_a_lead_is_converted_once(sales):
    lead = _lead()
    first = sales.post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    second = sales.post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.json() == {"non_field_errors": ["Only an open lead can be converted."]}
    assert Opportunity.objects.count() == 1
    assert OutboxEvent.objects.filter(name="crm.customer_created").count() == 1


def test_a_disqualified_lead_is_not_converted(sales):
    lead = _lead(status=Lead.Status.DISQUALIFIED)

    response = sales.post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only an open lead can be converted."]}
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"amount": "-5"}, {"amount": ["Ensure this value is greater than or equal to 0."]}),
        ({"amount": "1.234"}, {"amount": ["Ensure that there are no more than 2 decimal places."]}),
        ({"amount": "lots"}, {"amount": ["A valid number is required."]}),
        ({"account": 999999}, {"account": ['Invalid pk "999999" - object does not exist.']}),
        ({"opportunity_name": "x" * 201}, {"opportunity_name": ["Ensure this field has no more than 200 characters."]}),
    ],
)
def test_bad_conversion_input_is_a_400_naming_the_field(sales, body, errors):
    lead = _lead()

    response = sales.post(f"{LEADS}{lead.pk}/convert/", body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Opportunity.objects.exists()
    assert not Account.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_marketing_creates_leads_but_does_not_convert_them(marketing):
    created = marketing.post(LEADS, {"company_name": "Kampanjkund AB"}, format="json")
    lead = Lead.objects.get()

    response = marketing.post(f"{LEADS}{lead.pk}/convert/", {"amount": "1"}, format="json")

    assert created.status_code == 201
    assert response.status_code == 403
    assert not Opportunity.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_converting_takes_the_right_to_change_leads_and_to_add_opportunities(api_client_for, make_staff):
    def user_with(*codenames: str) -> APIClient:
        user = make_staff()
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="sales", codename__in=codenames))
        return api_client_for(user)

    may_change_lead = user_with("view_lead", "change_lead")
    may_add_opportunity = user_with("view_lead", "add_opportunity")
    may_both = user_with("view_lead", "change_lead", "add_opportunity")
    url = f"{LEADS}{_lead().pk}/convert/"

    assert may_change_lead.post(url, {}, format="json").status_code == 403
    assert may_add_opportunity.post(url, {}, format="json").status_code == 403
    assert may_both.post(url, {}, format="json").status_code == 201


# --- opportunities -----------------------------------------------------------------


def test_sales_opens_an_opportunity(sales, make_staff):
    # given an account with a contact
    account = _account("Acme AB")
    person = PersonFactory(organization=account.organization)
    colleague = make_staff("Sales", full_name="Kalle Kollega")

    # when Sales opens an opportunity for a colleague
    response = sales.post(
        OPPORTUNITIES,
        {
            "name": "Ramavtal 2027",
            "account": account.pk,
            "contact": person.pk,
            "stage": _stage("Proposal").pk,
            "amount": "48000.50",
            "currency": "EUR",
            "probability": 60,
            "expected_close": "2027-03-31",
            "owner": colleague.pk,
        },
        format="json",
    )

    # then it is open, as the service stored it
    assert response.status_code == 201, response.content
    opportunity = Opportunity.objects.get()
    assert response.json() == {
        "id": opportunity.pk,
        "name": "Ramavtal 2027",
        "account": account.pk,
        "account_name": "Acme AB",
        "contact": person.pk,
        "stage": _stage("Proposal").pk,
        "stage_name": "Proposal",
        "amount": "48000.50",
        "currency": "EUR",
        "probability": 60,
        "effective_probability": 60,
        "expected_close": "2027-03-31",
        "owner": colleague.pk,
        "owner_name": "Kalle Kollega",
        "status": "open",
        "lost_reason": "",
        "closed_at": None,
        "lead": None,
        "created_at": _iso(opportunity.created_at),
        "updated_at": _iso(opportunity.updated_at),
    }
    assert (opportunity.amount, opportunity.currency_id, opportunity.expected_close) == (
        Decimal("48000.50"),
        "EUR",
        datetime.date(2027, 3, 31),
    )
    entry = AuditEntry.objects.get(action="create", object_id=str(opportunity.pk), content_type__model="opportunity")
    assert entry.actor == sales.user


def test_an_opportunity_needs_a_name_an_account_and_a_stage(sales):
    account = _account()

    response = sales.post(
        OPPORTUNITIES, {"name": "Small", "account": account.pk, "stage": _stage("Qualification").pk}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["currency"], body["owner"], body["effective_probability"], body["contact"]) == (
        "0.00",
        "SEK",
        sales.user.pk,
        10,
        None,
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"amount": "-5"}, {"amount": ["Ensure this value is greater than or equal to 0."]}),
        ({"amount": "1e20"}, {"amount": ["Ensure that there are no more than 14 digits in total."]}),
        ({"currency": "XXX"}, {"currency": ["Object with code=XXX does not exist."]}),
        ({"probability": 101}, {"probability": ["Ensure this value is less than or equal to 100."]}),
        (
            {"expected_close": "soon"},
            {"expected_close": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"account": None}, {"account": ["This field may not be null."]}),
        ({"stage": None}, {"stage": ["This field may not be null."]}),
    ],
)
def test_bad_opportunity_input_is_a_400_naming_the_field(sales, body, errors):
    account = _account()
    valid = {"name": "Deal", "account": account.pk, "stage": _stage("Qualification").pk}

    response = sales.post(OPPORTUNITIES, {**valid, **body}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Opportunity.objects.exists()


def test_an_opportunity_starts_on_an_active_stage(sales):
    retired = PipelineStage.objects.create(name="Retired", position=99, probability=5, is_active=False)

    response = sales.post(OPPORTUNITIES, {"name": "Deal", "account": _account().pk, "stage": retired.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"stage": [f'Invalid pk "{retired.pk}" - object does not exist.']}


def test_the_contact_of_an_opportunity_works_at_the_account(sales):
    account = _account()
    stranger = PersonFactory(organization=OrganizationFactory())

    response = sales.post(
        OPPORTUNITIES,
        {"name": "Deal", "account": account.pk, "stage": _stage("Qualification").pk, "contact": stranger.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"contact": ["This person does not belong to the account's organization."]}
    assert not Opportunity.objects.exists()


def test_an_opportunity_moves_through_the_pipeline(sales):
    # given an open opportunity in qualification
    opportunity = _opportunity()

    # when Sales moves it to the proposal stage
    response = sales.post(f"{OPPORTUNITIES}{opportunity.pk}/move/", {"stage": _stage("Proposal").pk}, format="json")

    # then it is there, with the stage's chance
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["stage_name"], body["effective_probability"], body["status"]) == (
        _stage("Proposal").pk,
        "Proposal",
        50,
        "open",
    )
    opportunity.refresh_from_db()
    assert opportunity.stage == _stage("Proposal")
    entry = AuditEntry.objects.get(action="update", object_id=str(opportunity.pk), content_type__model="opportunity")
    assert (entry.actor, entry.changes) == (sales.user, {"stage": ["Qualification", "Proposal"]})


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"stage": ["This field is required."]}),
        ({"stage": 999999}, {"stage": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_moving_needs_an_active_stage(sales, body, errors):
    opportunity = _opportunity()

    response = sales.post(f"{OPPORTUNITIES}{opportunity.pk}/move/", body, format="json")

    assert response.status_code == 400
    assert response.json() == errors


def test_an_opportunity_is_won(sales):
    opportunity = _opportunity(amount=Decimal("9000"))

    response = sales.post(f"{OPPORTUNITIES}{opportunity.pk}/mark-won/")

    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.lost_reason) == ("won", "")
    assert opportunity.closed_at is not None
    body = response.json()
    assert (body["status"], body["closed_at"], body["amount"]) == ("won", _iso(opportunity.closed_at), "9000.00")
    entry = AuditEntry.objects.get(action="action", object_id=str(opportunity.pk), content_type__model="opportunity")
    assert (entry.actor, entry.message) == (sales.user, "Won")


def test_an_opportunity_is_lost_with_a_reason(sales):
    opportunity = _opportunity()

    response = sales.post(f"{OPPORTUNITIES}{opportunity.pk}/mark-lost/", {"reason": " Price too high "}, format="json")

    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.lost_reason) == ("lost", "Price too high")
    body = response.json()
    assert (body["status"], body["lost_reason"], body["closed_at"]) == (
        "lost",
        "Price too high",
        _iso(opportunity.closed_at),
    )


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_losing_without_a_reason_is_a_400_naming_lost_reason(sales, body):
    opportunity = _opportunity()

    response = sales.post(f"{OPPORTUNITIES}{opportunity.pk}/mark-lost/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"lost_reason": ["Say why it was lost."]}
    opportunity.refresh_from_db()
    assert opportunity.status == "open"


@pytest.mark.parametrize(
    ("close", "message"),
    [
        (lambda o: services.opportunity_mark_won(actor=None, opportunity=o), "This opportunity is closed (Won)."),
        (
            lambda o: services.opportunity_mark_lost(actor=None, opportunity=o, reason="Price"),
            "This opportunity is closed (Lost).",
        ),
    ],
)
def test_a_closed_opportunity_stays_closed(sales, close, message):
    opportunity = _opportunity()
    close(opportunity)
    opportunity.refresh_from_db()
    status, closed_at = opportunity.status, opportunity.closed_at

    for path, body in [
        ("move/", {"stage": _stage("Negotiation").pk}),
        ("mark-won/", None),
        ("mark-lost/", {"reason": "Changed our mind"}),
    ]:
        response = sales.post(f"{OPPORTUNITIES}{opportunity.pk}/{path}", body, format="json")

        assert response.status_code == 400, path
        assert response.json() == {"non_field_errors": [message]}, path
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.closed_at, opportunity.stage) == (
        status,
        closed_at,
        _stage("Qualification"),
    )


def test_opportunities_are_not_changed_or_deleted_but_through_their_actions(sales):
    opportunity = _opportunity()
    url = f"{OPPORTUNITIES}{opportunity.pk}/"

    assert sales.put(url, {"name": "Other"}, format="json").status_code == 405
    assert sales.patch(url, {"name": "Other"}, format="json").status_code == 405
    assert sales.delete(url).status_code == 405
    opportunity.refresh_from_db()
    assert opportunity.name == "Framework deal"


def test_opportunity_filters_search_and_ordering(sales, make_staff):
    colleague = make_staff("Sales")
    acme = _account("Acme AB")
    bolt = _account("Bolt AB")
    big = _opportunity(
        acme, name="Big deal", amount=Decimal("900"), expected_close=datetime.date(2027, 6, 1), owner=sales.user
    )
    small = _opportunity(
        acme,
        name="Small deal",
        amount=Decimal("100"),
        expected_close=datetime.date(2027, 1, 1),
        stage=_stage("Proposal"),
        owner=colleague,
    )
    middle = _opportunity(bolt, name="Service", amount=Decimal("500"), expected_close=datetime.date(2027, 3, 1))
    services.opportunity_mark_won(actor=None, opportunity=middle)

    assert _ids(sales.get(OPPORTUNITIES)) == [small.pk, middle.pk, big.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"status": "open"})) == [small.pk, big.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"status": "won"})) == [middle.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"stage": _stage("Proposal").pk})) == [small.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"owner": colleague.pk})) == [small.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"account": bolt.pk})) == [middle.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"search": "acme"})) == [small.pk, big.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"search": "service"})) == [middle.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"account": acme.pk, "status": "open", "search": "big"})) == [big.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"ordering": "-amount"})) == [big.pk, middle.pk, small.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"ordering": "amount"})) == [small.pk, middle.pk, big.pk]
    assert _ids(sales.get(OPPORTUNITIES, {"ordering": "-expected_close"})) == [big.pk, middle.pk, small.pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "pending"}, {"status": ["Select a valid choice. pending is not one of the available choices."]}),
        ({"stage": "999999"}, {"stage": ["Select a valid choice. That choice is not one of the available choices."]}),
        ({"account": "abc"}, {"account": ["Select a valid choice. That choice is not one of the available choices."]}),
    ],
)
def test_bad_opportunity_filters_are_a_400(sales, query, errors):
    response = sales.get(OPPORTUNITIES, query)

    assert response.status_code == 400
    assert response.json() == errors


def test_moving_winning_and_losing_take_the_change_right(api_client_for, make_staff):
    def user_with(*codenames: str) -> APIClient:
        user = make_staff()
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="sales", codename__in=codenames))
        return api_client_for(user)

    may_add = user_with("view_opportunity", "add_opportunity")
    may_change = user_with("view_opportunity", "change_opportunity")
    moved, won, lost = _opportunity(), _opportunity(), _opportunity()

    for client, expected in ((may_add, 403), (may_change, 200)):
        assert client.post(f"{OPPORTUNITIES}{moved.pk}/move/", {"stage": _stage("Proposal").pk}).status_code == expected
        assert client.post(f"{OPPORTUNITIES}{won.pk}/mark-won/").status_code == expected
        assert client.post(f"{OPPORTUNITIES}{lost.pk}/mark-lost/", {"reason": "Price"}).status_code == expected


# --- rights ------------------------------------------------------------------------

READ_LEADS = "read leads"
READ_PIPELINE = "read stages and opportunities"
LEAD_CREATE = "create lead"
LEAD_CHANGE = "change lead"
LEAD_CONVERT = "convert lead"
OPPORTUNITY_CREATE = "open opportunity"
OPPORTUNITY_ACTIONS = "move, win and lose opportunities"
EVERYTHING = {
    READ_LEADS,
    READ_PIPELINE,
    LEAD_CREATE,
    LEAD_CHANGE,
    LEAD_CONVERT,
    OPPORTUNITY_CREATE,
    OPPORTUNITY_ACTIONS,
}


@pytest.fixture
def records() -> dict[str, object]:
    account = _account()
    return {
        "lead": _lead(),
        "account": account,
        "moved": _opportunity(account),
        "won": _opportunity(account),
        "lost": _opportunity(account),
    }


def _requests(records: dict[str, object]) -> dict[str, list[tuple[str, str, dict | None]]]:
    lead, account = records["lead"], records["account"]
    moved, won, lost = records["moved"], records["won"], records["lost"]
    return {
        READ_LEADS: [("get", LEADS, None), ("get", f"{LEADS}{lead.pk}/", None)],
        READ_PIPELINE: [
            ("get", STAGES, None),
            ("get", OPPORTUNITIES, None),
            ("get", f"{OPPORTUNITIES}{moved.pk}/", None),
        ],
        LEAD_CREATE: [("post", LEADS, {"company_name": "Rättighet AB"})],
        LEAD_CHANGE: [("patch", f"{LEADS}{lead.pk}/", {"status": "contacted"})],
        LEAD_CONVERT: [("post", f"{LEADS}{lead.pk}/convert/", {"account": account.pk})],
        OPPORTUNITY_CREATE: [
            ("post", OPPORTUNITIES, {"name": "Deal", "account": account.pk, "stage": _stage("Qualification").pk})
        ],
        OPPORTUNITY_ACTIONS: [
            ("post", f"{OPPORTUNITIES}{moved.pk}/move/", {"stage": _stage("Proposal").pk}),
            ("post", f"{OPPORTUNITIES}{won.pk}/mark-won/", None),
            ("post", f"{OPPORTUNITIES}{lost.pk}/mark-lost/", {"reason": "Price"}),
        ],
    }


@pytest.mark.parametrize(
    ("department", "allowed"),
    [
        ("Sales", EVERYTHING),
        ("Marketing", {READ_LEADS, LEAD_CREATE, LEAD_CHANGE}),
        ("Management", {READ_LEADS, READ_PIPELINE}),
        ("Customer Service", set()),
        ("HR", set()),
        ("Finance", set()),
        ("IT", set()),
        ("Logistics", set()),
        ("Legal", set()),
    ],
)
def test_departments_work_with_sales_by_their_rights(api_client_for, make_staff, records, department, allowed):
    client = api_client_for(make_staff(department))

    for operation, requests in _requests(records).items():
        for method, url, body in requests:
            response = getattr(client, method)(url, body, format="json")

            if operation in allowed:
                assert response.status_code in (200, 201), (operation, method, url, response.content)
            else:
                assert response.status_code == 403, (operation, method, url)
    if LEAD_CONVERT not in allowed:
        assert not Opportunity.objects.filter(lead=records["lead"]).exists()


def test_customers_are_refused_even_with_sales_rights(api_client_for, customer_user, records):
    customer_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="sales"))
    client = api_client_for(customer_user)

    for requests in _requests(records).values():
        for method, url, body in requests:
            assert getattr(client, method)(url, body, format="json").status_code == 403, (method, url)
    assert Lead.objects.count() == 1
    assert Opportunity.objects.count() == 3


def test_anonymous_requests_are_asked_to_sign_in(api_client, records):
    for requests in _requests(records).values():
        for method, url, body in requests:
            assert getattr(api_client, method)(url, body, format="json").status_code == 401, (method, url)


def test_nothing_is_deleted_through_the_sales_api(api_client_for, admin_user, records):
    client = api_client_for(admin_user)

    for url in (STAGES, f"{LEADS}{records['lead'].pk}/", f"{OPPORTUNITIES}{records['moved'].pk}/"):
        response = client.delete(url)

        assert response.status_code == 405, url
        assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert Lead.objects.filter(pk=records["lead"].pk).exists()
    assert Opportunity.objects.filter(pk=records["moved"].pk).exists()


def test_sales_is_in_the_schema(client, make_staff):
    client.force_login(make_staff("Sales"))

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/v1/sales/stages/",
        "/api/v1/sales/leads/",
        "/api/v1/sales/leads/{id}/",
        "/api/v1/sales/leads/{id}/convert/",
        "/api/v1/sales/opportunities/",
        "/api/v1/sales/opportunities/{id}/",
        "/api/v1/sales/opportunities/{id}/move/",
        "/api/v1/sales/opportunities/{id}/mark-won/",
        "/api/v1/sales/opportunities/{id}/mark-lost/",
    }
    assert set(paths["/api/v1/sales/stages/"]) == {"get"}
    assert set(paths["/api/v1/sales/leads/{id}/"]) == {"get", "put", "patch"}
    assert set(paths["/api/v1/sales/opportunities/{id}/"]) == {"get"}
    convert = paths["/api/v1/sales/leads/{id}/convert/"]["post"]
    assert set(convert["responses"]) == {"201"}
    assert convert["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Opportunity"
    }


# --- queries -----------------------------------------------------------------------

# Token and user, the count, the page (the user's rights and the MFA check come from the cache).
LIST_QUERIES = 3


def _fill(rows: int, *, owner) -> None:
    """`rows` leads and `rows` opportunities, each opportunity on its own account, with a contact."""
    for _ in range(rows - Lead.objects.count()):
        _lead(owner=owner, email="")
    for _ in range(rows - Opportunity.objects.count()):
        account = _account(owner=owner)
        _opportunity(account, owner=owner, contact=PersonFactory(organization=account.organization))


@pytest.mark.parametrize("url", [STAGES, LEADS, OPPORTUNITIES])
def test_every_list_takes_the_same_queries_for_3_or_30_rows(sales, url):
    sales.get(url)  # the first request puts the user's rights in the cache
    counts = []
    for rows in (3, 30):
        _fill(rows, owner=sales.user)

        with CaptureQueriesContext(connection) as queries:
            response = sales.get(url, {"page_size": 100})

        assert response.status_code == 200
        counts.append(len(queries))
    assert counts == [LIST_QUERIES, LIST_QUERIES]
