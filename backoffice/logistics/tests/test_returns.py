"""Returns (RMA): goods come back from a customer — from a delivery or a ticket — and are restocked or scrapped;
finance is told."""

import uuid
from decimal import Decimal

import pytest

from backoffice.logistics import return_services, selectors, services
from backoffice.logistics.models import Location, ReturnLine, StockMove, StockQuant
from core.catalog.tests.factories import ProductFactory
from core.exceptions import ServiceError
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def shipped(product, quantity, customer):
    services.stock_receive(
        actor=None,
        product=product,
        quantity=Decimal(quantity),
        location=Location.objects.get(code="STOCK"),
        unit_cost=Decimal("50"),
    )
    delivery = services.delivery_create_for_order(
        actor=None,
        event_id=uuid.uuid4(),
        order_id=42,
        order_number="SO-42",
        organization_id=customer.pk,
        customer_name=customer.name,
        lines=[services.DeliveryLineInput(product_id=product.pk, quantity=Decimal(quantity), order_line_id=4201)],
    )
    services.delivery_pick(actor=None, delivery=delivery)
    return services.delivery_dispatch(actor=None, delivery=delivery, carrier="PostNord")


def test_a_return_from_a_delivery_restocks_and_scraps_and_tells_finance():
    customer = OrganizationFactory()
    tent, stove = ProductFactory(), ProductFactory()
    delivery = shipped(tent, 3, customer)
    rma = return_services.return_create(
        actor=None,
        organization=customer,
        delivery=delivery,
        reason="Fel storlek",
        ticket_id=77,
        ticket_reference="T-1077",
        lines=[
            return_services.ReturnLineInput(product=tent, quantity=Decimal(1), order_line_id=4201),
            return_services.ReturnLineInput(
                product=tent, quantity=Decimal(1), order_line_id=4201, disposition=ReturnLine.Disposition.SCRAP
            ),
        ],
    )
    assert (rma.order_id, rma.ticket_reference, rma.state) == (42, "T-1077", "open")
    rma = return_services.return_receive(actor=None, rma=rma)
    assert rma.state == "received"
    assert StockQuant.objects.get(product=tent).quantity == Decimal("1.000")  # one back, one scrapped
    assert sorted(StockMove.objects.filter(reference=str(rma)).values_list("kind", flat=True)) == ["return", "return"]
    assert StockMove.objects.filter(kind="scrap", product=tent).count() == 1
    event = OutboxEvent.objects.get(name="logistics.return_received")
    assert (event.payload["order_id"], event.payload["ticket_id"]) == (42, 77)
    assert [line["disposition"] for line in event.payload["lines"]] == ["restock", "scrap"]
    assert selectors.stock_drift() == []

    with pytest.raises(ServiceError, match="more|More"):
        return_services.return_create(
            actor=None,
            organization=customer,
            delivery=delivery,
            reason="x",
            lines=[return_services.ReturnLineInput(product=tent, quantity=Decimal(4))],
        )
    with pytest.raises(ServiceError) as error:
        return_services.return_create(
            actor=None,
            organization=customer,
            reason=" ",
            lines=[return_services.ReturnLineInput(product=stove, quantity=Decimal(1))],
        )
    assert error.value.message_dict == {"reason": ["Say why the goods come back."]}
    with pytest.raises(ServiceError, match="already received"):
        return_services.return_receive(actor=None, rma=rma)
