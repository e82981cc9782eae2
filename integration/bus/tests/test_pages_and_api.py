"""The integration page, dead-letter actions, the read-only API, health and the generated docs."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from integration.bus import services
from integration.bus.models import Delivery, OutboxEvent, Probe
from tests.bus_probe.models import Switch

pytestmark = pytest.mark.django_db


def _dead_letter(settings) -> Delivery:
    settings.BUS_MAX_ATTEMPTS = 1
    Switch.objects.create(name="bug")
    services.publish("probe.pinged", {"number": 1, "switch": "bug"}, aggregate=("probe", "A"))
    services.relay_pending()
    delivery = Delivery.objects.get(subscriber__endswith=".first")
    services.deliver(delivery.pk)
    delivery.refresh_from_db()
    return delivery


@pytest.mark.parametrize(("department", "status"), [("IT", 200), ("Management", 200), ("Sales", 403), ("Finance", 403)])
def test_integration_page_is_for_it_and_management(client, make_staff, department, status):
    client.force_login(make_staff(department))
    assert client.get(reverse("bus:overview")).status_code == status


def test_integration_page_shows_figures_and_refreshes_as_a_partial(client, make_staff, settings):
    _dead_letter(settings)
    client.force_login(make_staff("IT"))
    html = client.get(reverse("bus:overview")).content.decode()
    assert 'hx-trigger="every 5s"' in html
    assert "tests.bus_probe.handlers.first" in html
    assert "switch &#x27;bug&#x27; is broken" in html
    partial = client.get(reverse("bus:overview"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "Dead letters" in partial


def test_dead_letter_retry_and_discard_from_the_page(client, make_staff, settings):
    delivery = _dead_letter(settings)
    it = make_staff("IT")
    client.force_login(it)
    assert delivery.subscriber in client.get(reverse("bus:dead-letters")).content.decode()
    response = client.post(reverse("bus:delivery-discard", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.resolved_by) == (Delivery.Status.DISCARDED, it)
    response = client.post(reverse("bus:delivery-retry", args=[delivery.pk]), follow=True)
    assert "Only a dead letter can be retried." in response.content.decode()


def test_management_sees_but_cannot_retry(client, make_staff, settings):
    delivery = _dead_letter(settings)
    client.force_login(make_staff("Management"))
    assert client.get(reverse("bus:delivery-detail", args=[delivery.pk])).status_code == 200
    assert client.post(reverse("bus:delivery-retry", args=[delivery.pk])).status_code == 403


def test_probe_round_trip(client, make_staff):
    client.force_login(make_staff("IT"))
    response = client.post(reverse("bus:probe"))
    assert response.status_code == 302
    probe = Probe.objects.get()
    assert probe.received_at is None
    services.relay_pending()
    services.deliver(Delivery.objects.get(event__uuid=probe.event_uuid).pk)
    probe.refresh_from_db()
    assert probe.round_trip_ms is not None and probe.round_trip_ms >= 0


def test_catalogue_page_lists_declared_events(client, make_staff):
    client.force_login(make_staff("IT"))
    html = client.get(reverse("bus:catalogue")).content.decode()
    assert "bus.probe" in html and "integration.bus.handlers.record_probe" in html


def test_api_lists_events_with_filters(make_staff):
    services.publish("probe.pinged", {"number": 1}, aggregate=("probe", "A"))
    services.publish("probe.pinged", {"number": 2}, aggregate=("probe", "B"))
    services.publish("bus.probe", {"note": "x"}, aggregate=("bus.probe", "probe"))
    api = APIClient()
    api.force_authenticate(make_staff("IT"))
    response = api.get("/api/v1/integration/events/", {"name": "probe.pinged", "aggregate_id": "B"})
    assert response.status_code == 200
    assert [row["payload"]["number"] for row in response.json()["results"]] == [2]
    assert api.get("/api/v1/integration/events/", {"status": "pending"}).json()["count"] == 3
    bad = api.get("/api/v1/integration/events/", {"occurred_after": "yesterday"})
    assert bad.status_code == 400 and "occurred_after" in bad.json()


def test_api_lists_deliveries_by_state(make_staff, settings):
    _dead_letter(settings)
    api = APIClient()
    api.force_authenticate(make_staff("Management"))
    rows = api.get("/api/v1/integration/deliveries/", {"status": "dead"}).json()["results"]
    assert [row["subscriber"] for row in rows] == ["tests.bus_probe.handlers.first"]
    assert api.get("/api/v1/integration/deliveries/", {"status": "sideways"}).status_code == 400


def test_api_refuses_other_departments_and_customers(make_staff, customer_user):
    api = APIClient()
    api.force_authenticate(make_staff("Sales"))
    assert api.get("/api/v1/integration/events/").status_code == 403
    api.force_authenticate(customer_user)
    assert api.get("/api/v1/integration/deliveries/").status_code == 403


def test_api_list_query_count_is_constant(make_staff, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(make_staff("IT"))
    for number in range(30):
        services.publish("probe.pinged", {"number": number}, aggregate=("probe", str(number)))
    services.relay_pending()
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/integration/deliveries/").json()["results"]) == 25


def test_health_includes_the_bus_lag(client, settings):
    body = client.get("/health/").json()
    assert body["checks"]["bus"] == {"ok": True, "lag_seconds": 0.0, "dead_letters": 0}
    settings.BUS_LAG_THRESHOLD_SECONDS = -1  # any pending work is now "too late"
    services.publish("bus.probe", {"note": "x"}, aggregate=("bus.probe", "probe"))
    body = client.get("/health/").json()
    assert body["checks"]["bus"]["ok"] is False
    assert "bus" in body["down"]


def test_events_doc_is_generated_from_the_catalogue():
    call_command("bus_catalogue", "--check")


def test_admin_lists_events_and_deliveries(client, admin_user):
    services.publish("bus.probe", {"note": "x"}, aggregate=("bus.probe", "probe"))
    services.relay_pending()
    client.force_login(admin_user)
    assert client.get("/admin/bus/outboxevent/").status_code == 200
    assert client.get("/admin/bus/delivery/").status_code == 200
    event = OutboxEvent.objects.get()
    assert client.get(f"/admin/bus/outboxevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/bus/probe/").status_code == 200
    assert client.get("/admin/bus/aggregatesequence/").status_code == 200
