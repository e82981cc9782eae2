"""/api/v1/core/organizations/: list, read, register and change organizations through the services."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.fields import DateTimeField

from core.audit.models import AuditEntry
from core.parties.models import Organization
from core.parties.tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/core/organizations/"


def _iso(value: datetime.datetime) -> str:
    return DateTimeField().to_representation(value)


@pytest.fixture
def sales(api_client_for, make_staff):
    user = make_staff("Sales")
    client = api_client_for(user)
    client.user = user
    return client


def _names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_list_shows_every_field_in_pages(sales):
    # given an organization with two people
    organization = OrganizationFactory(
        name="Acme AB",
        org_number="556677-8899",
        vat_number="SE556677889901",
        roles=["customer", "supplier"],
        email="info@acme.example",
        phone="+46 8 123 45",
        website="https://acme.example",
        notes="Big one.",
    )
    PersonFactory.create_batch(2, organization=organization)

    # when Sales lists organizations
    response = sales.get(URL)

    # then the page has its count, links and the organization as the API shows it
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": organization.pk,
                "name": "Acme AB",
                "org_number": "556677-8899",
                "vat_number": "SE556677889901",
                "roles": ["customer", "supplier"],
                "email": "info@acme.example",
                "phone": "+46 8 123 45",
                "website": "https://acme.example",
                "country": "SE",
                "portal_visibility": "organization",
                "is_active": True,
                "notes": "Big one.",
                "created_at": _iso(organization.created_at),
                "updated_at": _iso(organization.updated_at),
                "people_count": 2,
                "url": f"http://testserver/app/organizations/{organization.pk}/",
            }
        ],
    }


def test_pages_have_links_to_each_other(sales):
    OrganizationFactory.create_batch(5)

    first = sales.get(URL, {"page_size": 2}).json()
    last = sales.get(URL, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/core/organizations/?page=2&page_size=2"
    assert len(last["results"]) == 1
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/core/organizations/?page=2&page_size=2"


def test_a_page_past_the_end_is_a_404(sales):
    OrganizationFactory()

    response = sales.get(URL, {"page": 2})

    assert response.status_code == 404


def _list_queries(client, count: int) -> int:
    OrganizationFactory.create_batch(count - Organization.objects.count())
    for organization in Organization.objects.all():
        PersonFactory(organization=organization)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 25)
    return len(queries)


def test_the_list_takes_the_same_queries_for_3_or_30_rows(sales):
    sales.get(URL)  # the first request puts the user's rights in the cache
    few = _list_queries(sales, 3)
    many = _list_queries(sales, 30)

    # token, MFA policy, count, page (the user's rights come from the cache)
    assert few == many == 3  # token, count, page (rights and MFA policy from the cache)


def test_sales_registers_an_organization_through_the_service(sales):
    response = sales.post(
        URL,
        {"name": "Nya Bolaget AB", "roles": ["prospect", "customer", "prospect"], "country": "no"},
        format="json",
    )

    assert response.status_code == 201
    organization = Organization.objects.get()
    assert response.json() == {
        "id": organization.pk,
        "name": "Nya Bolaget AB",
        "org_number": "",
        "vat_number": "",
        "roles": ["prospect", "customer"],
        "email": "",
        "phone": "",
        "website": "",
        "country": "NO",
        "portal_visibility": "organization",
        "is_active": True,
        "notes": "",
        "created_at": _iso(organization.created_at),
        "updated_at": _iso(organization.updated_at),
        "people_count": 0,
        "url": f"http://testserver/app/organizations/{organization.pk}/",
    }
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("create", sales.user, str(organization.pk))


def test_sales_changes_an_organization_and_the_audit_trail_says_who(sales):
    organization = OrganizationFactory(name="Acme AB", roles=["prospect"])
    PersonFactory(organization=organization)

    response = sales.patch(
        f"{URL}{organization.pk}/", {"name": "Acme Sverige AB", "roles": ["customer"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Acme Sverige AB"
    assert response.json()["roles"] == ["customer"]
    assert response.json()["people_count"] == 1
    organization.refresh_from_db()
    assert (organization.name, organization.roles) == ("Acme Sverige AB", ["customer"])
    entry = AuditEntry.objects.get(content_type=ContentType.objects.get_for_model(Organization))
    assert entry.action == "update"
    assert entry.actor == sales.user
    assert entry.object_id == str(organization.pk)
    assert entry.changes == {"name": ["Acme AB", "Acme Sverige AB"], "roles": [["prospect"], ["customer"]]}


def test_put_replaces_the_whole_organization(sales):
    organization = OrganizationFactory(name="Acme AB", email="info@acme.example", notes="Old note")

    response = sales.put(f"{URL}{organization.pk}/", {"name": "Acme AB", "is_active": False}, format="json")

    assert response.status_code == 200
    organization.refresh_from_db()
    assert (organization.is_active, organization.email, organization.notes) == (False, "info@acme.example", "Old note")


def test_an_unchanged_organization_writes_no_audit_row(sales):
    organization = OrganizationFactory(name="Acme AB")

    response = sales.patch(f"{URL}{organization.pk}/", {"name": "Acme AB"}, format="json")

    assert response.status_code == 200
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({}, {"name": ["This field is required."]}),
        ({"name": "X", "roles": ["customer", "friend"]}, {"roles": {"1": ['"friend" is not a valid choice.']}}),
        ({"name": "X", "roles": "customer"}, {"roles": ['Expected a list of items but got type "str".']}),
        ({"name": "X", "country": "Sweden"}, {"country": ["Enter a two-letter ISO 3166 country code, such as SE."]}),
        ({"name": "X", "country": "S1"}, {"country": ["Enter a two-letter ISO 3166 country code, such as SE."]}),
        ({"name": "X", "email": "not-an-address"}, {"email": ["Enter a valid email address."]}),
        ({"name": "X", "website": "acme"}, {"website": ["Enter a valid URL."]}),
        ({"name": "X", "portal_visibility": "all"}, {"portal_visibility": ['"all" is not a valid choice.']}),
        ({"name": "X" * 201}, {"name": ["Ensure this field has no more than 200 characters."]}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(sales, body, errors):
    response = sales.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Organization.objects.exists()


def test_read_only_fields_are_ignored(sales):
    response = sales.post(URL, {"name": "Acme AB", "people_count": 7, "id": 999999}, format="json")

    assert response.status_code == 201
    assert response.json()["people_count"] == 0
    assert response.json()["id"] != 999999


def test_a_missing_organization_is_a_404(sales):
    response = sales.get(f"{URL}999999/")

    assert response.status_code == 404


def test_filter_by_role_activity_and_country(sales):
    OrganizationFactory(name="Customer SE", roles=["customer"])
    OrganizationFactory(name="Supplier SE", roles=["supplier", "partner"])
    OrganizationFactory(name="Supplier NO", roles=["supplier"], country="NO")
    OrganizationFactory(name="Old supplier", roles=["supplier"], is_active=False)

    assert _names(sales.get(URL, {"role": "supplier"})) == ["Old supplier", "Supplier NO", "Supplier SE"]
    assert _names(sales.get(URL, {"role": "supplier", "is_active": "true"})) == ["Supplier NO", "Supplier SE"]
    assert _names(sales.get(URL, {"is_active": "false"})) == ["Old supplier"]
    assert _names(sales.get(URL, {"country": "no"})) == ["Supplier NO"]
    assert _names(sales.get(URL, {"role": "partner"})) == ["Supplier SE"]


def test_filter_by_creation_time(sales):
    old = OrganizationFactory(name="Old")
    new = OrganizationFactory(name="New")
    Organization.objects.filter(pk=old.pk).update(created_at=timezone.make_aware(datetime.datetime(2024, 1, 10)))
    Organization.objects.filter(pk=new.pk).update(created_at=timezone.make_aware(datetime.datetime(2025, 6, 1)))

    assert _names(sales.get(URL, {"created_after": "2025-01-01"})) == ["New"]
    assert _names(sales.get(URL, {"created_before": "2025-01-01"})) == ["Old"]
    assert _names(sales.get(URL, {"created_after": "2024-01-10", "created_before": "2024-01-11"})) == ["Old"]
    assert _names(sales.get(URL, {"created_after": "2025-06-01T00:00:01+02:00"})) == []


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"is_active": "maybe"}, {"is_active": ["Enter true or false."]}),
        ({"created_after": "notadate"}, {"created_after": ["Enter a valid date/time."]}),
        ({"created_before": "2025-13-01"}, {"created_before": ["Enter a valid date/time."]}),
        ({"role": "friend"}, {"role": ["Select a valid choice. friend is not one of the available choices."]}),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(sales, query, errors):
    OrganizationFactory()

    response = sales.get(URL, query)

    assert response.status_code == 400
    assert response.json() == errors


def test_search_by_name_org_number_or_email(sales):
    OrganizationFactory(name="Acme AB", org_number="556677-8899", email="info@acme.example")
    OrganizationFactory(name="Globex AB", org_number="551122-3344", email="hello@globex.example")

    assert _names(sales.get(URL, {"search": "acme"})) == ["Acme AB"]
    assert _names(sales.get(URL, {"search": "551122"})) == ["Globex AB"]
    assert _names(sales.get(URL, {"search": "hello@globex"})) == ["Globex AB"]
    assert _names(sales.get(URL, {"search": "ab"})) == ["Acme AB", "Globex AB"]


def test_ordering(sales):
    busy = OrganizationFactory(name="B busy")
    PersonFactory.create_batch(2, organization=busy)
    OrganizationFactory(name="A quiet")
    some = OrganizationFactory(name="C some")
    PersonFactory(organization=some)

    assert _names(sales.get(URL)) == ["A quiet", "B busy", "C some"]
    assert _names(sales.get(URL, {"ordering": "-name"})) == ["C some", "B busy", "A quiet"]
    assert _names(sales.get(URL, {"ordering": "-people_count"})) == ["B busy", "C some", "A quiet"]
    assert _names(sales.get(URL, {"ordering": "-created_at"})) == ["C some", "A quiet", "B busy"]


def test_ordering_by_a_field_not_offered_is_ignored(sales):
    OrganizationFactory(name="B", notes="a")
    OrganizationFactory(name="A", notes="b")

    assert _names(sales.get(URL, {"ordering": "notes"})) == ["A", "B"]
