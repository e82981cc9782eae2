"""/api/v1/core/people/: contacts at organizations, written through the services."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import DateTimeField

from core.accounts.tests.factories import UserFactory
from core.audit.models import AuditEntry
from core.parties.models import Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/core/people/"


def _iso(value: datetime.datetime) -> str:
    return DateTimeField().to_representation(value)


@pytest.fixture
def sales(api_client_for, make_staff):
    user = make_staff("Sales")
    client = api_client_for(user)
    client.user = user
    return client


def _last_names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["last_name"] for row in response.json()["results"]]


def test_a_person_as_the_api_shows_them(sales):
    organization = OrganizationFactory()
    person = PersonFactory(
        first_name="Ada",
        last_name="Lund",
        email="ada@acme.example",
        phone="070-123",
        job_title="Buyer",
        organization=organization,
        roles=["customer"],
        user=UserFactory(),
    )

    response = sales.get(f"{URL}{person.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": person.pk,
        "first_name": "Ada",
        "last_name": "Lund",
        "full_name": "Ada Lund",
        "email": "ada@acme.example",
        "phone": "070-123",
        "job_title": "Buyer",
        "organization": organization.pk,
        "roles": ["customer"],
        "is_active": True,
        "has_portal_access": True,
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
    }


def test_a_deactivated_login_is_no_portal_access(sales):
    person = PersonFactory(user=UserFactory(is_active=False))
    without = PersonFactory()

    assert sales.get(f"{URL}{person.pk}/").json()["has_portal_access"] is False
    assert sales.get(f"{URL}{without.pk}/").json()["has_portal_access"] is False


def _list_queries(client, count: int) -> int:
    for _ in range(count - Person.objects.count()):
        PersonFactory(user=UserFactory())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 25)
    return len(queries)


def test_the_list_takes_the_same_queries_for_3_or_30_rows(sales):
    sales.get(URL)  # the first request puts the user's rights in the cache
    few = _list_queries(sales, 3)
    many = _list_queries(sales, 30)

    assert few == many == 3  # token, count, page (rights and MFA policy from the cache)


def test_sales_registers_a_person_at_an_organization(sales):
    organization = OrganizationFactory()

    response = sales.post(
        URL,
        {
            "first_name": "Ada",
            "last_name": "Lund",
            "email": " Ada@Acme.Example ",
            "organization": organization.pk,
            "roles": ["customer"],
        },
        format="json",
    )

    assert response.status_code == 201
    person = Person.objects.get()
    assert response.json() == {
        "id": person.pk,
        "first_name": "Ada",
        "last_name": "Lund",
        "full_name": "Ada Lund",
        "email": "ada@acme.example",
        "phone": "",
        "job_title": "",
        "organization": organization.pk,
        "roles": ["customer"],
        "is_active": True,
        "has_portal_access": False,
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
    }
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("create", sales.user, str(person.pk))


def test_a_person_without_an_organization(sales):
    response = sales.post(URL, {"email": "solo@example.com", "organization": None}, format="json")

    assert response.status_code == 201
    assert response.json()["organization"] is None
    assert response.json()["full_name"] == ""


def test_sales_changes_a_person_and_the_audit_trail_says_who(sales):
    person = PersonFactory(job_title="Buyer")
    other = OrganizationFactory()

    response = sales.patch(
        f"{URL}{person.pk}/", {"job_title": "Head of buying", "organization": other.pk}, format="json"
    )

    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.job_title, person.organization) == ("Head of buying", other)
    entry = AuditEntry.objects.get()
    assert entry.action == "update"
    assert entry.actor == sales.user
    assert entry.changes["job_title"] == ["Buyer", "Head of buying"]


def test_marketing_may_change_people(api_client_for, make_staff):
    person = PersonFactory(phone="")

    response = api_client_for(make_staff("Marketing")).patch(f"{URL}{person.pk}/", {"phone": "08-1"}, format="json")

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.phone == "08-1"


def test_the_service_refuses_changing_a_portal_users_address(sales):
    # given a person who signs in to the portal with their address
    user = UserFactory(email="ada@acme.example")
    person = PersonFactory(email="ada@acme.example", user=user)

    # when staff change the address through the API
    response = sales.patch(f"{URL}{person.pk}/", {"email": "other@acme.example"}, format="json")

    # then the service's error names the field
    assert response.status_code == 400
    assert response.json() == {
        "email": ["This person signs in to the portal with this address; they change it themselves."]
    }
    person.refresh_from_db()
    assert person.email == "ada@acme.example"
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"first_name": "", "email": ""}, {"non_field_errors": ["Give at least a name or an e-mail address."]}),
        ({"email": "nope"}, {"email": ["Enter a valid email address."]}),
        (
            {"email": "a@b.example", "organization": 999999},
            {"organization": ['Invalid pk "999999" - object does not exist.']},
        ),
        (
            {"email": "a@b.example", "organization": "abc"},
            {"organization": ["Incorrect type. Expected pk value, received str."]},
        ),
        ({"email": "a@b.example", "roles": ["boss"]}, {"roles": {"0": ['"boss" is not a valid choice.']}}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(sales, body, errors):
    response = sales.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Person.objects.exists()


def test_clearing_the_last_name_and_address_of_a_person_is_refused(sales):
    person = PersonFactory(first_name="", last_name="Lund", email="")

    response = sales.patch(f"{URL}{person.pk}/", {"last_name": ""}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Give at least a name or an e-mail address."]}


def test_filters(sales):
    acme = OrganizationFactory()
    PersonFactory(last_name="Andersson", organization=acme, roles=["customer"], email="anna@acme.example")
    PersonFactory(last_name="Berg", organization=acme, roles=["supplier"], user=UserFactory())
    PersonFactory(last_name="Carlsson", roles=["customer"], user=UserFactory(is_active=False), is_active=False)

    assert _last_names(sales.get(URL, {"organization": acme.pk})) == ["Andersson", "Berg"]
    assert _last_names(sales.get(URL, {"role": "customer"})) == ["Andersson", "Carlsson"]
    assert _last_names(sales.get(URL, {"has_portal_access": "true"})) == ["Berg"]
    assert _last_names(sales.get(URL, {"has_portal_access": "false"})) == ["Andersson", "Carlsson"]
    assert _last_names(sales.get(URL, {"email": "ANNA@acme.example"})) == ["Andersson"]
    assert _last_names(sales.get(URL, {"is_active": "0"})) == ["Carlsson"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"organization": "abc"},
            {"organization": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        (
            {"organization": "999999"},
            {"organization": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        ({"has_portal_access": "maybe"}, {"has_portal_access": ["Enter true or false."]}),
        ({"role": "boss"}, {"role": ["Select a valid choice. boss is not one of the available choices."]}),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(sales, query, errors):
    response = sales.get(URL, query)

    assert response.status_code == 400
    assert response.json() == errors


def test_search_by_name_or_email(sales):
    PersonFactory(first_name="Ada", last_name="Lund", email="ada@acme.example")
    PersonFactory(first_name="Bo", last_name="Adamsson", email="bo@globex.example")
    PersonFactory(first_name="Cia", last_name="Berg", email="cia@globex.example")

    assert _last_names(sales.get(URL, {"search": "ada"})) == ["Adamsson", "Lund"]
    assert _last_names(sales.get(URL, {"search": "globex"})) == ["Adamsson", "Berg"]
    assert _last_names(sales.get(URL, {"search": "bo globex"})) == ["Adamsson"]


def test_ordering(sales):
    PersonFactory(last_name="Berg", email="a@example.com", organization=OrganizationFactory(name="Z AB"))
    PersonFactory(last_name="Adamsson", email="c@example.com", organization=OrganizationFactory(name="Y AB"))
    PersonFactory(last_name="Carlsson", email="b@example.com", organization=OrganizationFactory(name="X AB"))

    assert _last_names(sales.get(URL)) == ["Adamsson", "Berg", "Carlsson"]
    assert _last_names(sales.get(URL, {"ordering": "email"})) == ["Berg", "Carlsson", "Adamsson"]
    assert _last_names(sales.get(URL, {"ordering": "organization__name"})) == ["Carlsson", "Adamsson", "Berg"]
    assert _last_names(sales.get(URL, {"ordering": "-last_name"})) == ["Carlsson", "Berg", "Adamsson"]
