"""Merging duplicate customers: what moves, what stays, who hears of it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.audit.models import AuditEntry
from core.parties.models import Organization
from core.parties.tests.factories import AddressFactory, OrganizationFactory, PersonFactory
from frontoffice.crm import services
from frontoffice.crm.models import Account, Activity
from integration.bus import services as bus
from integration.bus.models import Delivery, OutboxEvent
from integration.customer360.models import TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


@pytest.fixture
def twins(sales):
    survivor = OrganizationFactory(name="Acme AB", org_number="556677-8899", phone="", roles=["customer"])
    duplicate = OrganizationFactory(name="ACME", org_number="", phone="08-123", roles=["prospect"])
    return survivor, duplicate


def test_merge_moves_people_addresses_account_and_activities(sales, twins):
    survivor, duplicate = twins
    PersonFactory(organization=duplicate, email="kim@acme.example")
    AddressFactory(organization=survivor, kind="billing", is_default=True)
    AddressFactory(organization=duplicate, kind="billing", is_default=True)
    kept = services.account_open(actor=sales, organization=survivor, owner=sales, tags=["a"])
    merged = services.account_open(actor=sales, organization=duplicate, tags=["b"])
    services.activity_create(actor=sales, kind="call", subject="Old call", account=merged, assignee=sales)

    services.customers_merge(actor=sales, survivor=survivor, duplicate=duplicate)

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert survivor.people.get().email == "kim@acme.example"
    assert survivor.addresses.count() == 2
    assert survivor.addresses.filter(is_default=True).count() == 1
    assert (survivor.phone, survivor.roles) == ("08-123", ["customer", "prospect"])
    assert (duplicate.is_active, duplicate.merged_into) == (False, survivor)
    assert list(Account.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Activity.objects.get().account_id == kept.pk
    assert Account.objects.get().tags == ["a", "b"]
    merged_event = OutboxEvent.objects.get(name="crm.customers_merged")
    assert merged_event.payload == {
        "survivor_id": survivor.pk,
        "merged_id": duplicate.pk,
        "survivor_name": "Acme AB",
        "merged_name": "ACME",
    }
    assert AuditEntry.objects.filter(object_id=str(duplicate.pk), message__startswith="Merged ACME").exists()


def test_duplicate_account_becomes_the_survivors_when_it_has_none(sales, twins):
    survivor, duplicate = twins
    account = services.account_open(actor=sales, organization=duplicate)
    services.customers_merge(actor=sales, survivor=survivor, duplicate=duplicate)
    account.refresh_from_db()
    assert account.organization == survivor


def test_merging_twice_or_into_itself_is_refused(sales, twins):
    survivor, duplicate = twins
    with pytest.raises(ValidationError):
        services.customers_merge(actor=sales, survivor=survivor, duplicate=survivor)
    services.customers_merge(actor=sales, survivor=survivor, duplicate=duplicate)
    with pytest.raises(ValidationError):
        services.customers_merge(actor=sales, survivor=survivor, duplicate=duplicate)


def test_the_timeline_follows_the_merge(sales, twins, monkeypatch):
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)
    survivor, duplicate = twins
    services.account_open(actor=sales, organization=duplicate)
    services.customers_merge(actor=sales, survivor=survivor, duplicate=duplicate)
    bus.relay_pending()
    for delivery_id in Delivery.objects.order_by("sequence", "pk").values_list("pk", flat=True):
        bus.deliver(delivery_id)
    assert not TimelineEntry.objects.filter(organization=duplicate).exists()
    titles = list(TimelineEntry.objects.filter(organization=survivor).values_list("title", flat=True))
    assert "ACME was merged into this customer" in titles


def test_merged_duplicates_no_longer_show_as_duplicates(sales, twins):
    from core.parties.selectors import organization_duplicate_groups, organization_duplicates

    survivor, duplicate = twins
    assert organization_duplicate_groups()
    services.customers_merge(actor=sales, survivor=survivor, duplicate=duplicate)
    assert organization_duplicate_groups() == []
    assert list(organization_duplicates(name="acme")) == [survivor]


def test_merge_page_previews_then_merges(client, sales, twins):
    survivor, duplicate = twins
    PersonFactory(organization=duplicate)
    client.force_login(sales)
    url = reverse("crm:merge")
    html = client.get(url, {"survivor": survivor.pk, "duplicate": duplicate.pk}).content.decode()
    assert "Merge ACME into Acme AB?" in html and "1 person moves." in html
    assert Organization.objects.get(pk=duplicate.pk).merged_into is None  # only a preview
    response = client.post(url, {"survivor": survivor.pk, "duplicate": duplicate.pk, "confirm": "on"})
    assert response["Location"] == survivor.get_absolute_url()
    assert Organization.objects.get(pk=duplicate.pk).merged_into == survivor


def test_merge_page_needs_the_rights(client, make_staff, twins):
    survivor, duplicate = twins
    client.force_login(make_staff("Customer Service"))
    response = client.post(reverse("crm:merge"), {"survivor": survivor.pk, "duplicate": duplicate.pk, "confirm": "on"})
    assert response.status_code == 403
    assert Organization.objects.get(pk=duplicate.pk).merged_into is None
