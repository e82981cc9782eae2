from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from core.audit.models import AuditEntry
from core.catalog.models import Currency, Product, TaxRate, Unit
from core.catalog.services import product_create, product_update
from core.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_reference_data_is_seeded():
    assert sorted(TaxRate.objects.values_list("rate", flat=True)) == [
        Decimal("0.00"),
        Decimal("6.00"),
        Decimal("12.00"),
        Decimal("25.00"),
    ]
    assert sorted(Currency.objects.values_list("code", flat=True)) == ["EUR", "SEK", "USD"]
    assert Unit.objects.filter(code="pcs").exists()


def test_product_create_normalizes_sku_and_audits(make_staff):
    actor = make_staff("Finance")
    product = product_create(
        actor=actor,
        sku=" tent-9 ",
        name="Tält",
        type="goods",
        unit=Unit.objects.get(code="pcs"),
        list_price=Decimal("1999.00"),
        currency=Currency.objects.get(code="SEK"),
        tax_rate=TaxRate.objects.get(code="se-25"),
    )
    assert product.sku == "TENT-9"
    assert product.price_including_tax == Decimal("2498.75")
    assert AuditEntry.objects.get(object_id=str(product.pk)).actor == actor


def test_duplicate_sku_is_refused_with_field_error(make_staff):
    ProductFactory(sku="ABC-1")
    with pytest.raises(ValidationError) as error:
        product_create(
            actor=make_staff("Finance"),
            sku="abc-1",
            name="Copy",
            type="goods",
            unit=Unit.objects.get(code="pcs"),
            list_price=Decimal("1"),
            currency=Currency.objects.get(code="SEK"),
            tax_rate=TaxRate.objects.get(code="se-25"),
        )
    assert "sku" in error.value.error_dict


def test_negative_price_refused_by_database():
    product = ProductFactory()
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=product.pk).update(list_price=Decimal("-1"))


def test_price_change_is_in_the_audit_trail(make_staff):
    product = ProductFactory(list_price=Decimal("100.00"))
    product_update(actor=make_staff("Finance"), product=product, list_price=Decimal("120.00"))
    assert AuditEntry.objects.get(action="update").changes == {"list_price": ["100.00", "120.00"]}


@pytest.mark.parametrize(("department", "status"), [("Finance", 200), ("Logistics", 200), ("Sales", 403)])
def test_product_create_page_needs_the_right(client, make_staff, department, status):
    client.force_login(make_staff(department))
    assert client.get(reverse("catalog:product-create")).status_code == status


def test_product_form_shows_field_errors(client, make_staff):
    client.force_login(make_staff("Finance"))
    response = client.post(
        reverse("catalog:product-create"),
        {
            "sku": "X-1",
            "name": "X",
            "type": "goods",
            "unit": Unit.objects.get(code="pcs").pk,
            "list_price": "-5",
            "currency": "SEK",
            "tax_rate": TaxRate.objects.get(code="se-25").pk,
        },
    )
    assert response.status_code == 200
    assert "list_price" in response.context["form"].errors
    assert not Product.objects.exists()


def test_product_list_money_in_swedish_and_english(client, make_staff):
    ProductFactory(name="Dyr sak", list_price=Decimal("12345.50"))
    client.force_login(make_staff("Finance"))
    english = client.get(reverse("catalog:product-list"), headers={"Accept-Language": "en"}).content.decode()
    assert "SEK\xa012,345.50" in english or "SEK 12,345.50" in english
    client.cookies["django_language"] = "sv"
    swedish = client.get(reverse("catalog:product-list")).content.decode()
    assert "12\xa0345,50\xa0kr" in swedish


def test_product_list_queries_constant(client, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_staff("Finance"))
    ProductFactory.create_batch(2)
    client.get(reverse("catalog:product-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("catalog:product-list"))
    ProductFactory.create_batch(20)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("catalog:product-list"))
    assert len(many) == len(few)
