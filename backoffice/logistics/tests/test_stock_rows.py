"""The stock overview's rows, rendered in Python (logistics/templatetags/stock_rows.py): the template's markup."""

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from backoffice.logistics import services
from backoffice.logistics.forms import DeliveryFilterForm, StockFilterForm
from backoffice.logistics.models import Location, Warehouse
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus

pytestmark = pytest.mark.django_db

STOCK = reverse("logistics:stock")

# The rows as the template rendered them before they moved to Python.
TEMPLATE_ROWS = "{% load i18n %}" + (Path(__file__).parent / "stock_rows_template.html").read_text()


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def _without_blank_lines(html: str) -> str:
    return "\n".join(line for line in html.splitlines() if line.strip())


def _receive(product, quantity: str) -> None:
    services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(quantity),
        location=Location.objects.get(warehouse__code="WH", code="STOCK"),
        unit_cost=Decimal(10),
    )


@pytest.mark.parametrize("language", ["en", "sv"])
def test_stock_rows_are_the_templates_markup(client_for, make_staff, language):
    tent = ProductFactory(sku="TENT-1", name="Tält & <stänger>")
    _receive(tent, "12.5")
    _receive(ProductFactory(sku="BAG'1", name='Väska "stor"'), "3")
    _receive(ProductFactory(sku="ROPE-1", name="Rep"), "1234567.125")
    _receive(ProductFactory(sku="PEG-1", name="Pinne"), "5")
    services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=1,
        order_number="SO-1",
        organization_id=OrganizationFactory().pk,
        customer_name="Kund AB",
        lines=[services.DeliveryLineInput(product_id=tent.pk, quantity=Decimal("8.25"))],
    )
    client = client_for(make_staff("Logistics"))
    with translation.override("en"):
        if language == "sv":
            client.post("/i18n/setlang/", {"language": "sv", "next": "/app/"})
        response = client.get(STOCK)
        html = response.content.decode()
        with translation.override(language):
            context = {"rows": response.context["rows"], "low_below": response.context["low_below"]}
            expected = Template(TEMPLATE_ROWS).render(Context(context))
    assert len(response.context["rows"]) == 4
    assert _without_blank_lines(expected) in _without_blank_lines(html)
    assert html.count('data-low="1"') == 2  # BAG'1 with 3, TENT-1 with 4.25 available
    assert "Tält &amp; &lt;stänger&gt;" in html and "BAG&#x27;1" in html
    assert ("4,250" if language == "sv" else "4.250") in html


def test_the_warehouse_filter_offers_what_a_model_choice_field_would_without_a_cursor(client_for, make_staff):
    Warehouse.objects.create(code="ALPHA", name="Första & <bästa>", is_active=False)
    Warehouse.objects.create(code="ZULU", name="Sista")
    expected = forms.ModelChoiceField(queryset=Warehouse.objects.order_by("code"), empty_label="All")
    for form in (StockFilterForm(), DeliveryFilterForm()):
        offered = [(str(value), str(label)) for value, label in form.fields["warehouse"].choices]
        assert offered == [(str(value), str(label)) for value, label in expected.choices]
    assert StockFilterForm({"warehouse": Warehouse.objects.get(code="ZULU").pk}).is_valid()

    _receive(ProductFactory(), "1")
    client = client_for(make_staff("Logistics"))
    client.get(STOCK)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(STOCK)
    assert not [query["sql"] for query in queries if "CURSOR" in query["sql"]]
    assert "Första &amp; &lt;bästa&gt;" in page.text
