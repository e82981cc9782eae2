"""Finance books what logistics' stock moves are worth: goods in raise inventory (1460) against the change of
inventory (4990), goods out lower it; once per move, whatever the bus repeats."""

from datetime import date
from decimal import Decimal

import pytest

from backoffice.finance import selectors, services
from backoffice.finance.models import FiscalYear, JournalEntry
from backoffice.finance.tests.test_invoices import run_bus
from integration.bus import publish
from integration.bus import services as bus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(db, monkeypatch):
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def valued(move_id: int, value: str, from_kind: str, to_kind: str, kind: str = "receipt") -> dict:
    return {
        "move_id": move_id,
        "kind": kind,
        "product_id": 1,
        "sku": "TENT-2",
        "quantity": "4.000",
        "unit_cost": "250.0000",
        "value": value,
        "from_kind": from_kind,
        "to_kind": to_kind,
        "reference": "",
        "occurred_at": "2026-11-20T10:00:00+01:00",
    }


def lines(reference: str) -> list[tuple[str, Decimal, Decimal]]:
    entry = JournalEntry.objects.get(journal__code="STOCK", reference=reference)
    return [(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")]


def test_goods_in_and_out_are_booked_once_each():
    publish(
        "logistics.stock_valued", valued(1, "1000.00", "supplier", "internal"), aggregate=("logistics.stockmove", 1)
    )
    publish(
        "logistics.stock_valued",
        valued(2, "250.00", "internal", "customer", kind="delivery"),
        aggregate=("logistics.stockmove", 2),
    )
    assert set(run_bus().values()) == {"done"}
    assert lines("MOVE-1") == [("1460", Decimal("1000.00"), Decimal("0")), ("4990", Decimal("0"), Decimal("1000.00"))]
    assert lines("MOVE-2") == [("4990", Decimal("250.00"), Decimal("0")), ("1460", Decimal("0"), Decimal("250.00"))]
    entry = JournalEntry.objects.get(reference="MOVE-1")
    assert (entry.date, entry.state) == (date(2026, 11, 20), "posted")

    again = services.stock_valuation_post(
        move_id=1,
        kind="receipt",
        value=Decimal("1000.00"),
        from_kind="supplier",
        to_kind="internal",
        sku="",
        quantity="",
        day=date(2026, 11, 20),
    )
    assert again == entry and JournalEntry.objects.filter(journal__code="STOCK").count() == 2
    assert selectors.verify_ledger() == []


def test_a_move_in_a_locked_period_is_booked_on_the_first_open_day():
    services.lock_date_set(actor=None, lock_date=date(2026, 11, 25))
    entry = services.stock_valuation_post(
        move_id=3,
        kind="scrap",
        value=Decimal("80.00"),
        from_kind="internal",
        to_kind="scrap",
        sku="X",
        quantity="1",
        day=date(2026, 11, 20),
    )
    assert entry.date == date(2026, 11, 26)
    assert (
        services.stock_valuation_post(
            move_id=4,
            kind="transfer",
            value=Decimal("80.00"),
            from_kind="internal",
            to_kind="internal",
            sku="X",
            quantity="1",
            day=date(2026, 11, 26),
        )
        is None
    )
