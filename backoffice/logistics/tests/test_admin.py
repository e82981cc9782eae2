"""The admin of logistics: every model is there, stock and deliveries are read-only, and a delivery is reserved
again or cancelled through the services."""

import uuid
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from backoffice.logistics import services
from backoffice.logistics.models import DeliveryOrder, Location, StockMove, StockQuant
from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def _delivery(product, quantity) -> DeliveryOrder:
    return services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=1,
        order_number="SO-000001",
        organization_id=OrganizationFactory().pk,
        customer_name="Kund AB",
        lines=[services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(quantity))],
    )


def test_every_logistics_model_is_in_the_admin_and_its_pages_open(client, admin_user):
    product = ProductFactory()
    services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(5),
        location=Location.objects.get(warehouse__code="WH", code="STOCK"),
        unit_cost=Decimal(10),
    )
    delivery = _delivery(product, "2")
    services.count_start(actor=None, location=Location.objects.get(warehouse__code="WH", code="STOCK"), reason="x")
    from django.apps import apps

    # The stock models (purchasing, production and returns register their own admin).
    names = "warehouse location stockproduct lot stockquant stockmove deliveryorder deliveryline reservation package"
    models = [apps.get_model("logistics", name) for name in (*names.split(), "stockcount", "stockcountline")]
    assert all(admin.site.is_registered(model) for model in models)
    client.force_login(admin_user)
    for model in models:
        assert client.get(reverse(f"admin:logistics_{model._meta.model_name}_changelist")).status_code == 200
    assert client.get(reverse("admin:logistics_deliveryorder_change", args=[delivery.pk])).status_code == 200
    move = StockMove.objects.get()
    assert client.get(reverse("admin:logistics_stockmove_change", args=[move.pk])).status_code == 200
    for name in ("stockmove", "stockquant", "reservation", "deliveryorder"):
        assert client.get(reverse(f"admin:logistics_{name}_add")).status_code == 403


def test_admin_actions_reserve_again_and_cancel_through_the_services(client, admin_user):
    product = ProductFactory()
    location = Location.objects.get(warehouse__code="WH", code="STOCK")
    services.stock_receive(actor=None, product=product, quantity=Decimal(2), location=location, unit_cost=Decimal(1))
    delivery = _delivery(product, "2")
    client.force_login(admin_user)
    url = reverse("admin:logistics_deliveryorder_changelist")
    response = client.post(url, {"action": "reserve_again", "_selected_action": [delivery.pk]}, follow=True)
    assert "Deliveries reserved again: 1." in response.text
    response = client.post(url, {"action": "cancel_deliveries", "_selected_action": [delivery.pk]}, follow=True)
    assert "Deliveries cancelled: 1." in response.text
    delivery.refresh_from_db()
    assert delivery.state == "cancelled"
    assert StockQuant.objects.get(product=product).reserved == Decimal("0.000")
