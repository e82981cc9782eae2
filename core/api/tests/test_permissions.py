"""Who may do what on the staff API: employees by department, never customers, never anonymous."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission

from core.accounts.models import Department
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

ORGANIZATIONS = "/api/v1/core/organizations/"
PEOPLE = "/api/v1/core/people/"
PRODUCTS = "/api/v1/core/products/"

NEW_ORGANIZATION = {"name": "Nya Bolaget AB"}
NEW_PERSON = {"first_name": "Ada", "last_name": "Lund"}
NEW_PRODUCT = {"sku": "NEW-1", "name": "New thing", "unit": "pcs", "list_price": "10.00", "tax_rate": "se-25"}


@pytest.fixture
def records(db) -> dict[str, int]:
    """One organization, person and product, by the list URL they are found under."""
    return {
        ORGANIZATIONS: OrganizationFactory().pk,
        PEOPLE: PersonFactory().pk,
        PRODUCTS: ProductFactory().pk,
    }


def _every_request(records: dict[str, int]) -> list[tuple[str, str, dict | None]]:
    bodies = {ORGANIZATIONS: NEW_ORGANIZATION, PEOPLE: NEW_PERSON, PRODUCTS: NEW_PRODUCT}
    requests = []
    for url, pk in records.items():
        requests += [
            ("get", url, None),
            ("post", url, bodies[url]),
            ("get", f"{url}{pk}/", None),
            ("patch", f"{url}{pk}/", {"is_active": False}),
            ("put", f"{url}{pk}/", bodies[url]),
            ("options", url, None),
        ]
    return requests


def test_anonymous_requests_are_asked_to_sign_in(api_client, records):
    for method, url, body in _every_request(records):
        response = getattr(api_client, method)(url, body, format="json")

        assert response.status_code == 401, (method, url)
        assert response.headers["WWW-Authenticate"] == "Token"
    assert api_client.get("/api/v1/core/").status_code == 401


def test_a_wrong_token_is_a_401(api_client, records):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = api_client.get(ORGANIZATIONS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_customers_are_refused_every_staff_endpoint(api_client_for, customer_user, records):
    client = api_client_for(customer_user)

    for method, url, body in _every_request(records):
        response = getattr(client, method)(url, body, format="json")

        assert response.status_code == 403, (method, url)
    assert client.get("/api/v1/core/").status_code == 403


def test_customers_are_refused_even_with_model_rights(api_client_for, customer_user):
    customer_user.user_permissions.add(Permission.objects.get(codename="view_organization"))

    response = api_client_for(customer_user).get(ORGANIZATIONS)

    assert response.status_code == 403


def test_customers_are_refused_through_the_session_too(client, customer_user):
    client.force_login(customer_user)

    assert client.get(ORGANIZATIONS).status_code == 403


def test_staff_signed_in_to_the_web_app_may_use_the_api(client, make_staff):
    client.force_login(make_staff("Sales"))

    assert client.get(ORGANIZATIONS).status_code == 200


def test_staff_without_a_department_may_not_read(api_client_for, make_staff, records):
    client = api_client_for(make_staff())

    for url in records:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(
    ("departments", "url", "can_read", "can_write"),
    [
        (["Sales"], ORGANIZATIONS, True, True),
        (["Sales"], PEOPLE, True, True),
        (["Sales"], PRODUCTS, True, False),
        (["Customer Service"], ORGANIZATIONS, True, True),
        (["Customer Service"], PEOPLE, True, True),
        (["Marketing"], ORGANIZATIONS, True, False),
        (["Marketing"], PEOPLE, True, True),
        (["HR"], ORGANIZATIONS, True, False),
        (["HR"], PEOPLE, True, False),
        (["HR"], PRODUCTS, True, False),
        (["Finance"], PRODUCTS, True, True),
        (["Logistics"], PRODUCTS, True, True),
        (["Logistics"], ORGANIZATIONS, True, True),
        (["IT"], PRODUCTS, True, False),
        (["Management"], ORGANIZATIONS, True, False),
        (["Management"], PEOPLE, True, False),
        (["Management"], PRODUCTS, True, False),
    ],
)
def test_departments_read_and_create_by_their_rights(
    api_client_for, make_staff, records, departments, url, can_read, can_write
):
    client = api_client_for(make_staff(*departments))
    body = {ORGANIZATIONS: NEW_ORGANIZATION, PEOPLE: NEW_PERSON, PRODUCTS: NEW_PRODUCT}[url]

    read = client.get(url)
    detail = client.get(f"{url}{records[url]}/")
    create = client.post(url, body, format="json")

    assert (read.status_code, detail.status_code) == ((200, 200) if can_read else (403, 403))
    assert create.status_code == (201 if can_write else 403)


def test_management_cannot_change_anything(api_client_for, make_staff, records):
    client = api_client_for(make_staff("Management"))

    for url, pk in records.items():
        assert client.patch(f"{url}{pk}/", {"is_active": False}, format="json").status_code == 403, url


def test_finance_may_change_organizations_but_not_register_them(api_client_for, make_staff, records):
    client = api_client_for(make_staff("Finance"))
    pk = records[ORGANIZATIONS]

    assert client.patch(f"{ORGANIZATIONS}{pk}/", {"notes": "Pays late."}, format="json").status_code == 200
    assert client.post(ORGANIZATIONS, NEW_ORGANIZATION, format="json").status_code == 403


def test_superusers_may_do_everything(api_client_for, admin_user, records):
    client = api_client_for(admin_user)

    assert client.post(PRODUCTS, NEW_PRODUCT, format="json").status_code == 201
    assert client.post(ORGANIZATIONS, NEW_ORGANIZATION, format="json").status_code == 201


def test_nothing_is_deleted_through_the_api(api_client_for, admin_user, make_staff, records):
    for user in (admin_user, make_staff("Sales"), make_staff("HR")):
        client = api_client_for(user)
        for url, pk in records.items():
            response = client.delete(f"{url}{pk}/")

            assert response.status_code == 405, (user, url)
            assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert OrganizationFactory._meta.model.objects.filter(pk=records[ORGANIZATIONS]).exists()


def test_the_api_root_lists_the_resources_for_staff(api_client_for, make_staff):
    response = api_client_for(make_staff("Sales")).get("/api/v1/core/")

    assert response.status_code == 200
    assert response.json() == {
        "organizations": "http://testserver/api/v1/core/organizations/",
        "people": "http://testserver/api/v1/core/people/",
        "products": "http://testserver/api/v1/core/products/",
    }


def test_the_schema_is_served(client, make_staff):
    client.force_login(make_staff("Sales"))

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/v1/auth/token/",
        "/api/v1/core/organizations/",
        "/api/v1/core/organizations/{id}/",
        "/api/v1/core/people/",
        "/api/v1/core/people/{id}/",
        "/api/v1/core/products/",
        "/api/v1/core/products/{id}/",
    }
    assert "delete" not in paths["/api/v1/core/organizations/{id}/"]


def test_the_docs_page_uses_local_assets_only(client, make_staff):
    client.force_login(make_staff("Sales"))

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode().lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    for outside in ("cdn", "unpkg", "jsdelivr"):
        assert outside not in html


def test_staff_whose_department_requires_two_factor_must_set_it_up_first(api_client_for, make_staff):
    # given a Finance employee with a token, and then Finance starts requiring two-factor sign-in
    client = api_client_for(make_staff("Finance"))
    Department.objects.filter(group__name="Finance").update(mfa_required=True)

    response = client.get(PRODUCTS)

    assert response.status_code == 403
    assert response.json() == {"detail": "Your department requires two-factor sign-in: set it up in Kontor first."}


def test_staff_with_two_factor_set_up_may_use_the_api(api_client_for, make_staff):
    Department.objects.filter(group__name="Finance").update(mfa_required=True)
    user = make_staff("Finance")
    TOTP.activate(user, generate_totp_secret())

    assert api_client_for(user).get(PRODUCTS).status_code == 200
