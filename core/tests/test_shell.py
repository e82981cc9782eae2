"""The staff shell: start page, global search, language switch, portal pages, health."""

import pytest
from django.urls import reverse

from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_global_search_finds_each_kind(client, make_staff):
    OrganizationFactory(name="Solsken AB")
    PersonFactory(first_name="Solveig", last_name="Berg")
    ProductFactory(name="Solskydd")
    client.force_login(make_staff("Logistics"))
    response = client.get(reverse("search"), {"q": "sol"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Solsken AB" in html and "Solveig" in html and "Solskydd" in html
    assert "<html" not in html


def test_global_search_respects_rights(client, make_staff):
    ProductFactory(name="Hemlig produkt")
    client.force_login(make_staff())  # no department: no rights
    html = client.get(reverse("search"), {"q": "hemlig"}).content.decode()
    assert "Hemlig produkt" not in html


def test_language_switch_to_swedish(client, make_staff):
    client.force_login(make_staff("Sales"))
    response = client.post(reverse("set_language"), {"language": "sv", "next": "/app/"})
    assert response.status_code == 302
    html = client.get("/app/").content.decode()
    assert '<html lang="sv"' in html


def test_portal_home_shows_own_organization(client, customer_user):
    client.force_login(customer_user)
    html = client.get(reverse("portal-home")).content.decode()
    assert customer_user.person.organization.name in html


def test_portal_profile_update(client, customer_user):
    client.force_login(customer_user)
    response = client.post(reverse("portal-profile"), {"full_name": "Nytt Namn", "phone": "070-1", "language": "sv"})
    assert response.status_code == 302
    customer_user.refresh_from_db()
    assert customer_user.full_name == "Nytt Namn"
    assert customer_user.person.phone == "070-1"


def test_portal_profile_requires_name(client, customer_user):
    client.force_login(customer_user)
    response = client.post(reverse("portal-profile"), {"full_name": ""})
    assert response.status_code == 200
    assert "full_name" in response.context["form"].errors


def test_root_redirects_by_kind(client, customer_user, make_staff):
    assert client.get("/")["Location"].startswith("/accounts/login/")
    client.force_login(customer_user)
    assert client.get("/")["Location"] == "/portal/"
    client.force_login(make_staff())
    assert client.get("/")["Location"] == "/app/"


def test_no_page_loads_assets_from_the_internet(client, make_staff):
    client.force_login(make_staff("Sales"))
    for url in ["/app/", "/app/organizations/", "/accounts/login/"]:
        html = client.get(url).content.decode()
        assert "https://" not in html.replace('"https://', "").split("<body")[0], url
        for host in ("cdn.", "unpkg.com", "jsdelivr", "googleapis"):
            assert host not in html, (url, host)


def test_health_reports_down_parts_with_503(client):
    # No Celery worker or beat runs in this unit test: health names them as down.
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert set(body["down"]) == {"workers", "beat"}
