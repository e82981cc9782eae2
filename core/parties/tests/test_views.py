"""Staff pages for organizations and people: rights, forms, lists with a constant number of queries."""

import pytest
from django.urls import reverse

from core.parties.models import Organization, Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("department", ["Sales", "Customer Service", "HR", "Finance", "IT", "Legal", "Management"])
def test_every_department_can_read_organizations(client, make_staff, department):
    organization = OrganizationFactory()
    client.force_login(make_staff(department))
    assert client.get(reverse("parties:organization-list")).status_code == 200
    assert client.get(organization.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(("department", "status"), [("Sales", 200), ("HR", 403), ("Management", 403)])
def test_creating_organizations_needs_the_right(client, make_staff, department, status):
    client.force_login(make_staff(department))
    assert client.get(reverse("parties:organization-create")).status_code == status


def test_create_organization_through_the_form(client, make_staff):
    client.force_login(make_staff("Sales"))
    response = client.post(
        reverse("parties:organization-create"),
        {
            "name": "Ny Kund AB",
            "org_number": "559999-0001",
            "roles": ["customer"],
            "country": "SE",
            "portal_visibility": "organization",
            "is_active": "on",
        },
    )
    organization = Organization.objects.get(name="Ny Kund AB")
    assert response.status_code == 302
    assert response["Location"] == organization.get_absolute_url()


def test_form_errors_keep_input_and_change_nothing(client, make_staff):
    client.force_login(make_staff("Sales"))
    response = client.post(
        reverse("parties:organization-create"),
        {"name": "", "org_number": "559999-0001", "country": "Sweden", "portal_visibility": "organization"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below." in html
    assert 'value="559999-0001"' in html
    assert response.context["form"].errors.keys() >= {"name", "country"}
    assert Organization.objects.count() == 0


def test_likely_duplicate_asks_for_confirmation_first(client, make_staff):
    OrganizationFactory(name="Acme AB", org_number="556677-8899")
    client.force_login(make_staff("Sales"))
    data = {"name": "ACME", "country": "SE", "portal_visibility": "organization", "roles": ["customer"]}
    response = client.post(reverse("parties:organization-create"), data)
    assert response.status_code == 200
    assert "This organization may already exist" in response.content.decode()
    assert Organization.objects.count() == 1
    response = client.post(reverse("parties:organization-create"), {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Organization.objects.count() == 2


def test_organization_list_search_filter_and_sort(client, make_staff):
    OrganizationFactory(name="Alpha AB", roles=["customer"])
    OrganizationFactory(name="Beta AB", roles=["supplier"])
    OrganizationFactory(name="Gamma AB", roles=["customer"], is_active=False)
    client.force_login(make_staff("Sales"))
    url = reverse("parties:organization-list")
    names = lambda response: [o.name for o in response.context["rows"]]  # noqa: E731
    assert names(client.get(url, {"q": "beta"})) == ["Beta AB"]
    assert names(client.get(url, {"role": "customer"})) == ["Alpha AB", "Gamma AB"]
    assert names(client.get(url, {"active": "no"})) == ["Gamma AB"]
    assert names(client.get(url, {"sort": "-name"})) == ["Gamma AB", "Beta AB", "Alpha AB"]


def test_htmx_request_gets_only_the_results(client, make_staff):
    OrganizationFactory(name="Alpha AB")
    client.force_login(make_staff("Sales"))
    response = client.get(reverse("parties:organization-list"), {"q": "alp"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Alpha AB" in html
    assert "<html" not in html


def test_empty_list_offers_the_first_action(client, make_staff):
    client.force_login(make_staff("Sales"))
    html = client.get(reverse("parties:organization-list")).content.decode()
    assert "No organizations yet" in html
    assert reverse("parties:organization-create") in html


def test_organization_list_query_count_does_not_grow_with_rows(client, make_staff, django_assert_num_queries):
    client.force_login(make_staff("Sales"))
    url = reverse("parties:organization-list")
    for organization in OrganizationFactory.create_batch(3):
        PersonFactory(organization=organization)
    client.get(url)  # warm caches (content types, permissions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    OrganizationFactory.create_batch(30)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    assert len(many) <= 10


def test_person_list_query_count_is_constant(client, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_staff("Sales"))
    url = reverse("parties:person-list")
    PersonFactory.create_batch(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    PersonFactory.create_batch(25)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_bulk_deactivate(client, make_staff):
    first, second = OrganizationFactory.create_batch(2)
    client.force_login(make_staff("Sales"))
    response = client.post(
        reverse("parties:organization-bulk"), {"selected": [first.pk, second.pk], "action": "deactivate"}
    )
    assert response.status_code == 302
    assert Organization.objects.filter(is_active=False).count() == 2


def test_bulk_needs_change_right(client, make_staff):
    organization = OrganizationFactory()
    client.force_login(make_staff("HR"))
    response = client.post(
        reverse("parties:organization-bulk"), {"selected": [organization.pk], "action": "deactivate"}
    )
    assert response.status_code == 403
    organization.refresh_from_db()
    assert organization.is_active


def test_person_create_with_organization_autocomplete(client, make_staff):
    organization = OrganizationFactory(name="Kunden AB")
    client.force_login(make_staff("Sales"))
    form_page = client.get(reverse("parties:person-create"), {"organization": organization.pk}).content.decode()
    assert 'role="combobox"' in form_page and 'value="Kunden AB"' in form_page
    lookup = client.get(reverse("parties:organization-lookup"), {"q": "kund"}).content.decode()
    assert f'data-value="{organization.pk}"' in lookup
    response = client.post(
        reverse("parties:person-create"),
        {
            "first_name": "Ada",
            "last_name": "Lind",
            "email": "ada@kunden.example",
            "organization": organization.pk,
            "roles": ["customer"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Person.objects.get(email="ada@kunden.example").organization == organization


def test_person_page_shows_history(client, make_staff):
    actor = make_staff("Sales")
    client.force_login(actor)
    client.post(
        reverse("parties:person-create"),
        {"first_name": "Bo", "last_name": "Ek", "email": "bo@ek.example", "roles": ["customer"], "is_active": "on"},
    )
    person = Person.objects.get(email="bo@ek.example")
    client.post(
        reverse("parties:person-edit", args=[person.pk]),
        {
            "first_name": "Bo",
            "last_name": "Ekström",
            "email": "bo@ek.example",
            "roles": ["customer"],
            "is_active": "on",
        },
    )
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Ekström" in html
    assert "Last name" in html  # the changed field, by its human name


def test_address_add_and_remove(client, make_staff):
    organization = OrganizationFactory()
    client.force_login(make_staff("Sales"))
    response = client.post(
        reverse("parties:organization-address-create", args=[organization.pk]),
        {"kind": "billing", "line1": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm", "country": "SE"},
    )
    assert response.status_code == 302
    address = organization.addresses.get()
    response = client.post(reverse("parties:organization-address-delete", args=[organization.pk, address.pk]))
    assert response.status_code == 302
    assert not organization.addresses.exists()


def test_address_links_and_pages_follow_the_address_rights(client, make_staff):
    """Legal may change an organization but not its addresses: no address link shows, and the pages refuse."""
    from core.parties.tests.factories import AddressFactory

    organization = OrganizationFactory()
    address = AddressFactory(organization=organization)
    create = reverse("parties:organization-address-create", args=[organization.pk])
    edit = reverse("parties:organization-address-edit", args=[organization.pk, address.pk])
    client.force_login(make_staff("Legal"))
    html = client.get(organization.get_absolute_url()).content.decode()
    assert address.line1 in html and create not in html and edit not in html
    assert client.get(create).status_code == 403 and client.get(edit).status_code == 403

    client.force_login(make_staff("Sales"))  # keeps customers: adds and changes addresses
    html = client.get(organization.get_absolute_url()).content.decode()
    assert create in html and edit in html
    assert client.get(create).status_code == 200 and client.get(edit).status_code == 200


def test_duplicates_page(client, make_staff):
    OrganizationFactory(name="Twin AB", org_number="1")
    OrganizationFactory(name="Twin", org_number="2")
    client.force_login(make_staff("Sales"))
    html = client.get(reverse("parties:organization-duplicates")).content.decode()
    assert html.count("Twin") >= 2
