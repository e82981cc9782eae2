"""/api/v1/core/products/: the catalog, kept by Finance and Logistics, read by everyone on staff."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import DateTimeField

from core.audit.models import AuditEntry
from core.catalog.models import Product, TaxRate
from core.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/core/products/"
NEW = {
    "sku": " abc-123 ",
    "name": "Consulting hour",
    "description": "Senior consultant.",
    "type": "service",
    "unit": "h",
    "list_price": "1200.00",
    "currency": "EUR",
    "tax_rate": "se-25",
}


def _iso(value: datetime.datetime) -> str:
    return DateTimeField().to_representation(value)


@pytest.fixture
def finance(api_client_for, make_staff):
    user = make_staff("Finance")
    client = api_client_for(user)
    client.user = user
    return client


def _skus(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["sku"] for row in response.json()["results"]]


def test_finance_adds_a_product_through_the_service(finance):
    response = finance.post(URL, NEW, format="json")

    assert response.status_code == 201
    product = Product.objects.get()
    assert response.json() == {
        "id": product.pk,
        "sku": "ABC-123",
        "name": "Consulting hour",
        "description": "Senior consultant.",
        "type": "service",
        "unit": "h",
        "list_price": "1200.00",
        "currency": "EUR",
        "tax_rate": "se-25",
        "is_active": True,
        "price_including_tax": "1500.00",
        "created_at": _iso(product.created_at),
        "updated_at": _iso(product.updated_at),
    }
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("create", finance.user, str(product.pk))


def test_the_currency_is_sek_when_left_out(finance):
    body = {key: value for key, value in NEW.items() if key != "currency"}

    response = finance.post(URL, body, format="json")

    assert response.status_code == 201
    assert response.json()["currency"] == "SEK"


def test_sales_may_read_but_not_add_products(api_client_for, make_staff):
    client = api_client_for(make_staff("Sales"))
    ProductFactory()

    assert client.get(URL).status_code == 200
    response = client.post(URL, NEW, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert Product.objects.count() == 1


def test_finance_changes_a_price_and_the_audit_trail_says_who(finance):
    product = ProductFactory(list_price=Decimal("100.00"))

    response = finance.patch(f"{URL}{product.pk}/", {"list_price": "80.00", "tax_rate": "se-12"}, format="json")

    assert response.status_code == 200
    assert (response.json()["list_price"], response.json()["price_including_tax"]) == ("80.00", "89.60")
    product.refresh_from_db()
    assert (product.list_price, product.tax_rate.code) == (Decimal("80.00"), "se-12")
    entry = AuditEntry.objects.get()
    assert entry.action == "update"
    assert entry.actor == finance.user
    assert entry.changes == {"list_price": ["100.00", "80.00"], "tax_rate": ["VAT 25%", "VAT 12%"]}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"list_price": "-1.00"}, {"list_price": ["Ensure this value is greater than or equal to 0."]}),
        ({"list_price": "1.001"}, {"list_price": ["Ensure that there are no more than 2 decimal places."]}),
        ({"list_price": "cheap"}, {"list_price": ["A valid number is required."]}),
        ({"unit": "crate"}, {"unit": ["Object with code=crate does not exist."]}),
        ({"currency": "XXX"}, {"currency": ["Object with code=XXX does not exist."]}),
        ({"tax_rate": "se-99"}, {"tax_rate": ["Object with code=se-99 does not exist."]}),
        ({"type": "gift"}, {"type": ['"gift" is not a valid choice.']}),
        ({"sku": ""}, {"sku": ["This field may not be blank."]}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(finance, change, errors):
    response = finance.post(URL, {**NEW, **change}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Product.objects.exists()


def test_a_taken_sku_is_refused_whatever_its_case(finance):
    ProductFactory(sku="ABC-123")

    exact = finance.post(URL, {**NEW, "sku": "ABC-123"}, format="json")
    lower = finance.post(URL, {**NEW, "sku": "abc-123"}, format="json")

    assert exact.status_code == 400
    assert exact.json() == {"sku": ["product with this SKU already exists."]}
    # the serializer lets the lower-case SKU through; the service's check catches it
    assert lower.status_code == 400
    assert lower.json() == {"sku": ["Product with this SKU already exists."]}
    assert Product.objects.count() == 1


def _list_queries(client, count: int) -> int:
    ProductFactory.create_batch(count - Product.objects.count())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 25)
    return len(queries)


def test_the_list_takes_the_same_queries_for_3_or_30_rows(finance):
    finance.get(URL)  # the first request puts the user's rights in the cache
    few = _list_queries(finance, 3)
    many = _list_queries(finance, 30)

    assert few == many == 3  # token, count, page (rights and MFA policy from the cache)


def test_filters(finance):
    ProductFactory(sku="G-SEK", type="goods")
    ProductFactory(sku="S-EUR", type="service", currency_id="EUR")
    ProductFactory(sku="G-OLD", type="goods", is_active=False, tax_rate=TaxRate.objects.get(code="se-6"))

    assert _skus(finance.get(URL, {"type": "goods", "ordering": "sku"})) == ["G-OLD", "G-SEK"]
    assert _skus(finance.get(URL, {"is_active": "false"})) == ["G-OLD"]
    assert _skus(finance.get(URL, {"currency": "EUR"})) == ["S-EUR"]
    assert _skus(finance.get(URL, {"tax_rate": "se-6"})) == ["G-OLD"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"is_active": "maybe"}, {"is_active": ["Enter true or false."]}),
        ({"type": "gift"}, {"type": ["Select a valid choice. gift is not one of the available choices."]}),
        (
            {"currency": "XXX"},
            {"currency": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        (
            {"tax_rate": "se-99"},
            {"tax_rate": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(finance, query, errors):
    response = finance.get(URL, query)

    assert response.status_code == 400
    assert response.json() == errors


def test_search_by_sku_or_name(finance):
    ProductFactory(sku="CHAIR-1", name="Office chair")
    ProductFactory(sku="DESK-1", name="Standing desk")

    assert _skus(finance.get(URL, {"search": "chair"})) == ["CHAIR-1"]
    assert _skus(finance.get(URL, {"search": "desk-1"})) == ["DESK-1"]


def test_ordering_by_price(finance):
    ProductFactory(sku="MID", name="A", list_price=Decimal("50.00"))
    ProductFactory(sku="LOW", name="B", list_price=Decimal("5.00"))
    ProductFactory(sku="HIGH", name="C", list_price=Decimal("500.00"))

    assert _skus(finance.get(URL)) == ["MID", "LOW", "HIGH"]
    assert _skus(finance.get(URL, {"ordering": "list_price"})) == ["LOW", "MID", "HIGH"]
    assert _skus(finance.get(URL, {"ordering": "-list_price"})) == ["HIGH", "MID", "LOW"]
