import pytest

from integration.bus import services


@pytest.fixture(autouse=True)
def sent_to_broker(monkeypatch) -> list:
    """These tests drive the bus's services themselves: what would go to the broker is recorded instead.

    (A Celery worker started by other tests in the same session would otherwise take the work.)
    """
    sent: list = []
    monkeypatch.setattr(services, "_request_relay", lambda: sent.append("relay"))
    monkeypatch.setattr(services, "enqueue_deliveries", lambda ids, countdown=0: sent.append(list(ids)))
    return sent
