"""Leads, their conversion, and opportunities through the pipeline: services and pages."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from core.parties.models import Organization, Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services as crm
from frontoffice.crm.models import Account
from frontoffice.sales import selectors, services
from frontoffice.sales.models import Lead, Opportunity, PipelineStage
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


def _lead(actor, **values):
    defaults = {"company_name": "Ny Kund AB", "first_name": "Kim", "last_name": "Ek", "email": "Kim@NyKund.example"}
    return services.lead_create(actor=actor, **{**defaults, **values})


def test_default_pipeline_exists():
    assert list(PipelineStage.objects.values_list("name", "probability")) == [
        ("Qualification", 10),
        ("Needs analysis", 25),
        ("Proposal", 50),
        ("Negotiation", 75),
    ]


def test_lead_keeps_campaign_and_utm(sales):
    lead = _lead(sales, source="campaign", campaign="Vår 2027", utm_source="newsletter", utm_medium="email")
    assert (lead.email, lead.campaign, lead.utm_source) == ("kim@nykund.example", "Vår 2027", "newsletter")


def test_converting_a_new_company_creates_account_contact_and_opportunity(sales):
    lead = _lead(sales)
    opportunity = services.lead_convert(actor=sales, lead=lead, amount=Decimal("125000.00"))
    lead.refresh_from_db()
    account = opportunity.account
    assert account.organization.name == "Ny Kund AB"
    assert opportunity.contact.email == "kim@nykund.example"
    assert opportunity.contact.organization == account.organization
    assert (opportunity.stage.name, opportunity.amount, opportunity.lead) == (
        "Qualification",
        Decimal("125000.00"),
        lead,
    )
    assert (lead.status, lead.converted_account, lead.converted_contact) == ("converted", account, opportunity.contact)
    assert OutboxEvent.objects.filter(name="crm.customer_created").count() == 1


def test_converting_finds_the_existing_account_and_person(sales):
    organization = OrganizationFactory(name="Befintlig AB")
    account = crm.account_open(actor=sales, organization=organization)
    person = PersonFactory(organization=organization, email="kim@befintlig.example")
    lead = _lead(sales, company_name="BEFINTLIG", email="kim@befintlig.example")
    opportunity = services.lead_convert(actor=sales, lead=lead)
    assert opportunity.account == account
    assert opportunity.contact == person
    assert Organization.objects.count() == 1
    assert Person.objects.count() == 1
    assert Account.objects.count() == 1


def test_a_lead_is_converted_once(sales):
    lead = _lead(sales)
    services.lead_convert(actor=sales, lead=lead)
    with pytest.raises(ValidationError):
        services.lead_convert(actor=sales, lead=lead)
    assert Opportunity.objects.count() == 1


def test_converted_status_only_comes_from_converting(sales):
    with pytest.raises(ValidationError) as error:
        _lead(sales, status="converted")
    assert "status" in error.value.error_dict


def test_move_win_and_lose(sales):
    opportunity = services.lead_convert(actor=sales, lead=_lead(sales))
    proposal = PipelineStage.objects.get(name="Proposal")
    services.opportunity_move(actor=sales, opportunity=opportunity, stage=proposal)
    opportunity.refresh_from_db()
    assert opportunity.effective_probability == 50
    with pytest.raises(ValidationError) as error:
        services.opportunity_mark_lost(actor=sales, opportunity=opportunity, reason=" ")
    assert "lost_reason" in error.value.error_dict
    services.opportunity_mark_won(actor=sales, opportunity=opportunity)
    opportunity.refresh_from_db()
    assert opportunity.status == "won" and opportunity.closed_at is not None
    with pytest.raises(ValidationError):
        services.opportunity_move(actor=sales, opportunity=opportunity, stage=proposal)


def test_the_database_refuses_a_lost_deal_without_reason(sales):
    opportunity = services.lead_convert(actor=sales, lead=_lead(sales))
    with pytest.raises(IntegrityError):
        Opportunity.objects.filter(pk=opportunity.pk).update(
            status="lost", lost_reason="", closed_at=opportunity.created_at
        )


@pytest.mark.parametrize(
    ("department", "status"), [("Sales", 200), ("Marketing", 200), ("Management", 200), ("HR", 403)]
)
def test_lead_pages_by_department(client, make_staff, department, status):
    client.force_login(make_staff(department))
    assert client.get(reverse("sales:lead-list")).status_code == status


def test_convert_through_the_page(client, sales):
    lead = _lead(sales)
    client.force_login(sales)
    response = client.post(
        reverse("sales:lead-detail", args=[lead.pk]), {"opportunity_name": "Första ordern", "amount": "5000"}
    )
    opportunity = Opportunity.objects.get()
    assert response["Location"] == opportunity.get_absolute_url()
    assert opportunity.name == "Första ordern"


def test_marketing_cannot_convert(client, make_staff, sales):
    lead = _lead(sales)
    client.force_login(make_staff("Marketing"))
    response = client.post(reverse("sales:lead-detail", args=[lead.pk]), {"amount": "1"})
    assert response.status_code == 403
    assert not Opportunity.objects.exists()


def test_opportunity_actions_through_the_page(client, sales):
    opportunity = services.lead_convert(actor=sales, lead=_lead(sales))
    client.force_login(sales)
    negotiation = PipelineStage.objects.get(name="Negotiation")
    client.post(reverse("sales:opportunity-move", args=[opportunity.pk]), {"stage": negotiation.pk})
    response = client.post(reverse("sales:opportunity-lost", args=[opportunity.pk]), {"reason": ""}, follow=True)
    assert "Say why it was lost." in response.content.decode()
    client.post(reverse("sales:opportunity-lost", args=[opportunity.pk]), {"reason": "Price"})
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.status, opportunity.lost_reason) == (negotiation, "lost", "Price")


def test_opportunity_list_filters_and_constant_queries(client, sales):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(3):
        services.lead_convert(
            actor=sales, lead=_lead(sales, company_name=f"Bolag {index} AB", email=f"a{index}@x.example")
        )
    client.force_login(sales)
    url = reverse("sales:opportunity-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(3, 20):
        services.lead_convert(
            actor=sales, lead=_lead(sales, company_name=f"Bolag {index} AB", email=f"a{index}@x.example")
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    assert [o.name for o in selectors.opportunity_list(search="Bolag 1 AB")] == ["Bolag 1 AB: new business"]


def test_account_lookup_for_the_autocomplete(client, sales):
    crm.account_open(actor=sales, organization=OrganizationFactory(name="Sökbar AB"))
    client.force_login(sales)
    html = client.get(reverse("sales:account-lookup"), {"q": "sökbar"}).content.decode()
    assert "Sökbar AB" in html and "data-value=" in html


def test_new_lead_form(client, sales):
    client.force_login(sales)
    assert client.get(reverse("sales:lead-create")).status_code == 200
    response = client.post(reverse("sales:lead-create"), {"company_name": "", "source": "manual", "status": "new"})
    assert "company_name" in response.context["form"].errors
    response = client.post(
        reverse("sales:lead-create"), {"company_name": "Formbolaget AB", "source": "manual", "status": "new"}
    )
    assert response["Location"] == Lead.objects.get().get_absolute_url()


def test_pages_render(client, sales):
    lead = _lead(sales)
    client.force_login(sales)
    assert "Convert lead" in client.get(lead.get_absolute_url()).content.decode()
    opportunity = services.lead_convert(actor=sales, lead=lead)
    html = client.get(opportunity.get_absolute_url()).content.decode()
    assert "Mark won" in html and "Move to stage" in html
    assert client.get(reverse("sales:opportunity-create")).status_code == 200
    assert "Converted" in client.get(lead.get_absolute_url()).content.decode()


def test_pipeline_board_columns_and_totals(client, sales):
    for index, amount in enumerate(["1000", "3000"]):
        services.lead_convert(
            actor=sales,
            lead=_lead(sales, company_name=f"Tavla {index} AB", email=f"t{index}@x.example"),
            amount=Decimal(amount),
        )
    columns = selectors.pipeline_board()
    first = columns[0]
    assert [column["stage"].name for column in columns] == [
        "Qualification",
        "Needs analysis",
        "Proposal",
        "Negotiation",
    ]
    assert (len(first["cards"]), first["total"], first["weighted"]) == (2, Decimal("4000"), Decimal("400.00"))
    client.force_login(sales)
    html = client.get(reverse("sales:pipeline")).content.decode()
    assert "Tavla 0 AB: new business" in html and 'draggable="true"' in html


def test_board_move_by_htmx_answers_204_and_moves(client, sales):
    opportunity = services.lead_convert(actor=sales, lead=_lead(sales))
    proposal = PipelineStage.objects.get(name="Proposal")
    client.force_login(sales)
    response = client.post(
        reverse("sales:opportunity-move", args=[opportunity.pk]), {"stage": proposal.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    opportunity.refresh_from_db()
    assert opportunity.stage == proposal
    services.opportunity_mark_won(actor=sales, opportunity=opportunity)
    response = client.post(
        reverse("sales:opportunity-move", args=[opportunity.pk]), {"stage": proposal.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400


def test_forecast_weights_by_probability_per_month_and_owner(client, sales, make_staff):
    from datetime import date

    other = make_staff("Sales", full_name="Ö Säljare")
    proposal = PipelineStage.objects.get(name="Proposal")  # 50 %
    today = date(2027, 3, 15)
    deals = [
        ("A", Decimal("1000"), date(2027, 3, 20), sales, None),
        ("B", Decimal("2000"), date(2027, 4, 2), sales, 90),
        ("C", Decimal("4000"), date(2027, 4, 28), other, None),
        ("D", Decimal("8000"), date(2027, 2, 1), sales, None),  # overdue
        ("E", Decimal("16000"), date(2027, 12, 1), sales, None),  # beyond the window
    ]
    for index, (name, amount, close, owner, probability) in enumerate(deals):
        opportunity = services.lead_convert(
            actor=sales,
            lead=_lead(sales, company_name=f"Prognos {name} AB", email=f"f{index}@x.example"),
            amount=amount,
        )
        services.opportunity_move(actor=sales, opportunity=opportunity, stage=proposal)
        Opportunity.objects.filter(pk=opportunity.pk).update(expected_close=close, owner=owner, probability=probability)
    data = selectors.forecast(months=3, today=today)
    assert data["months"] == [date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 1)]
    assert data["totals"] == [Decimal("500.00"), Decimal("3800.00"), Decimal("0")]
    assert {owner["name"]: owner["values"] for owner in data["owners"]} == {
        sales.full_name: [Decimal("500.00"), Decimal("1800.00"), Decimal("0")],
        "Ö Säljare": [Decimal("0"), Decimal("2000.00"), Decimal("0")],
    }
    assert data["undated"] == {"total": Decimal("8000.00"), "weighted": Decimal("4000.00")}
    client.force_login(sales)
    assert client.get(reverse("sales:forecast")).status_code == 200
