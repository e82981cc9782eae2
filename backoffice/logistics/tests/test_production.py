"""Production: nested bills of materials with their cost roll-up, orders that reserve components, consume them
and bring the finished goods into stock at their cost; no product made from itself."""

from decimal import Decimal

import pytest

from backoffice.logistics import production_services, selectors, services
from backoffice.logistics.models import Location, ProductionOrder, StockMove, StockProduct, StockQuant
from core.catalog.tests.factories import ProductFactory
from core.exceptions import ServiceError
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def stock() -> Location:
    return Location.objects.get(warehouse__code="WH", code="STOCK")


def receive(product, quantity, cost):
    services.stock_receive(
        actor=None, product=product, quantity=Decimal(quantity), location=stock(), unit_cost=Decimal(cost)
    )


def on_hand(product) -> Decimal:
    quant = StockQuant.objects.filter(product=product, location=stock()).first()
    return quant.quantity if quant else Decimal(0)


def test_a_nested_bill_rolls_its_cost_up():
    pole, fabric, frame, tent = (
        ProductFactory(),
        ProductFactory(),
        ProductFactory(name="Stomme"),
        ProductFactory(name="Tält"),
    )
    receive(pole, 10, "15.00")
    receive(fabric, 10, "120.00")
    production_services.bom_create(actor=None, product=frame, components=[(pole, Decimal(4))])
    bom = production_services.bom_create(
        actor=None, product=tent, components=[(frame, Decimal(1)), (fabric, Decimal("2.5"))], quantity=Decimal(1)
    )
    assert production_services.bom_cost(bom) == Decimal("360.0000")  # frame 4 × 15 (rolled up) + 2.5 × 120


def test_a_product_cannot_be_made_from_itself_however_deep():
    a, b = ProductFactory(), ProductFactory()
    production_services.bom_create(actor=None, product=a, components=[(b, Decimal(1))])
    with pytest.raises(ServiceError, match="cannot be made from itself"):
        production_services.bom_create(actor=None, product=b, components=[(a, Decimal(1))])
    with pytest.raises(ServiceError) as error:
        production_services.bom_create(actor=None, product=b, components=[])
    assert "components" in error.value.message_dict


def test_an_order_reserves_consumes_and_produces_at_cost():
    pole, fabric, tent = ProductFactory(), ProductFactory(), ProductFactory(name="Tält")
    receive(pole, 10, "15.00")
    receive(fabric, 3, "120.00")
    production_services.bom_create(
        actor=None, product=tent, components=[(pole, Decimal(4)), (fabric, Decimal(2))], quantity=Decimal(2)
    )
    order = production_services.production_create(actor=None, product=tent, quantity=Decimal(4), location=stock())
    assert order.state == "waiting"  # needs 8 poles and 4 fabrics; only 3 fabrics
    assert sorted((c.product_id, c.quantity, c.reserved) for c in order.components.all()) == sorted(
        [(pole.pk, Decimal("8.000"), Decimal("8.000")), (fabric.pk, Decimal("4.000"), Decimal("3.000"))]
    )
    with pytest.raises(ServiceError, match="that cannot be done now"):
        production_services.production_complete(actor=None, order=order)
    receive(fabric, 1, "120.00")
    order = production_services.production_reserve(order=order)
    assert order.state == "ready"
    order = production_services.production_complete(actor=None, order=order)
    assert (order.state, order.unit_cost) == ("done", Decimal("150.0000"))  # (8 × 15 + 4 × 120) / 4
    assert (on_hand(pole), on_hand(fabric), on_hand(tent)) == (Decimal("2.000"), Decimal("0.000"), Decimal("4.000"))
    assert StockProduct.objects.get(product=tent).average_cost == Decimal("150.0000")
    kinds = list(StockMove.objects.filter(reference=str(order)).values_list("kind", flat=True))
    assert sorted(kinds) == ["consumption", "consumption", "production"]
    values = [
        event.payload["value"]
        for event in OutboxEvent.objects.filter(name="logistics.stock_valued", payload__reference=str(order))
    ]
    assert sorted(values) == ["120.00", "480.00", "600.00"]  # out 120 + 480, in 600: the value stays in stock
    assert selectors.stock_drift() == []


def test_a_cancelled_order_gives_its_components_back():
    pole, tent = ProductFactory(), ProductFactory()
    receive(pole, 4, "10.00")
    production_services.bom_create(actor=None, product=tent, components=[(pole, Decimal(4))])
    order = production_services.production_create(actor=None, product=tent, quantity=Decimal(1), location=stock())
    assert StockQuant.objects.get(product=pole).reserved == Decimal("4.000")
    production_services.production_cancel(actor=None, order=order)
    assert StockQuant.objects.get(product=pole).reserved == Decimal("0.000")
    assert ProductionOrder.objects.get(pk=order.pk).state == "cancelled"
    assert selectors.stock_drift() == []
