"""The customer 360: its subscribers, the page, visibility by department, and a fixed query count."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.parties.tests.factories import OrganizationFactory
from frontoffice.crm import services as crm
from integration.bus import services as bus
from integration.bus.models import Delivery
from integration.customer360.models import TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The bus's services are driven by hand here; nothing goes to the broker."""
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


def _deliver_all() -> None:
    bus.relay_pending()
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        bus.deliver(delivery_id)


def _entry(organization, *, permission: str = "", title: str = "x", office: str = "front", name: str = "crm.x"):
    return TimelineEntry(
        organization=organization,
        event_uuid=uuid.uuid4(),
        event_name=name,
        office=office,
        occurred_at=timezone.now(),
        title=title,
        required_permission=permission,
    )


def test_account_events_reach_the_timeline_once(make_staff):
    sales = make_staff("Sales")
    organization = OrganizationFactory(name="Kund AB")
    account = crm.account_open(actor=sales, organization=organization, owner=sales)
    crm.account_update(actor=sales, account=account, lifecycle_stage="customer")
    _deliver_all()
    for delivery_id in Delivery.objects.values_list("pk", flat=True):  # delivered again: nothing new
        bus.deliver(delivery_id)
    titles = list(TimelineEntry.objects.filter(organization=organization).values_list("title", flat=True))
    assert titles == ["Account changed: lifecycle_stage", "Became an account (lead)"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}


def test_page_shows_only_what_the_users_departments_may_see(client, make_staff):
    organization = OrganizationFactory()
    TimelineEntry.objects.bulk_create(
        [
            _entry(organization, title="Sales fact", permission="crm.view_account"),
            _entry(organization, title="HR-only fact", permission="hr.view_employee", office="back"),
            _entry(organization, title="Open fact"),
        ]
    )
    client.force_login(make_staff("Sales"))
    html = client.get(reverse("customer360:customer", args=[organization.pk])).content.decode()
    assert "Sales fact" in html and "Open fact" in html
    assert "HR-only fact" not in html
    client.force_login(make_staff("HR"))
    html = client.get(reverse("customer360:customer", args=[organization.pk])).content.decode()
    assert "Sales fact" not in html and "Open fact" in html


def test_timeline_filters_by_office_and_kind(client, make_staff):
    organization = OrganizationFactory()
    TimelineEntry.objects.bulk_create(
        [
            _entry(organization, title="front one", name="crm.a"),
            _entry(organization, title="back one", office="back", name="x.b"),
        ]
    )
    client.force_login(make_staff("Management"))
    url = reverse("customer360:customer", args=[organization.pk])
    html = client.get(url, {"office": "back"}, headers={"HX-Request": "true"}).content.decode()
    assert "back one" in html and "front one" not in html and "<html" not in html
    html = client.get(url, {"kind": "crm.a"}).content.decode()
    assert "front one" in html and "back one" not in html


def test_page_queries_are_fixed_with_ten_thousand_entries(client, make_staff):
    organization = OrganizationFactory()
    TimelineEntry.objects.bulk_create([_entry(organization) for _ in range(3)])
    client.force_login(make_staff("Sales"))
    url = reverse("customer360:customer", args=[organization.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    TimelineEntry.objects.bulk_create([_entry(organization) for _ in range(10_000)], batch_size=2000)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"page": 3})
    assert response.status_code == 200
    # A long timeline is counted up to 1,001 entries, then the planner estimates the rest:
    # one query more than a short one (the EXPLAIN), never one per entry.
    assert len(many) == len(few) + 1
    assert len(many) <= 15
    assert not any("DISTINCT" in query["sql"] for query in many.captured_queries)  # kinds by index probes
    html = response.content.decode()
    assert "Showing 51–75 of" in html and ("of about" in html or "of more than 1,000" in html)


def test_timeline_api(make_staff, customer_user):
    organization = OrganizationFactory()
    TimelineEntry.objects.bulk_create(
        [
            _entry(organization, title="Sales fact", permission="crm.view_account"),
            _entry(organization, title="HR fact", permission="hr.view_employee"),
        ]
    )
    api = APIClient()
    api.force_authenticate(make_staff("Sales"))
    response = api.get(f"/api/v1/customers/{organization.pk}/timeline/")
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["Sales fact"]
    assert api.get(f"/api/v1/customers/{organization.pk}/timeline/", {"office": "sideways"}).status_code == 400
    assert api.get("/api/v1/customers/999999/timeline/").status_code == 404
    api.force_authenticate(customer_user)
    assert api.get(f"/api/v1/customers/{organization.pk}/timeline/").status_code == 403


def test_customers_cannot_open_the_page(client, customer_user):
    organization = OrganizationFactory()
    client.force_login(customer_user)
    assert client.get(reverse("customer360:customer", args=[organization.pk])).status_code == 403


def test_order_events_and_credit_hold_reach_the_timeline_and_header(client, make_staff):
    from decimal import Decimal

    from frontoffice.sales import services as sales_services
    from integration.bus import publish

    sales = make_staff("Sales")
    organization = OrganizationFactory(name="Kund AB")
    account = crm.account_open(actor=sales, organization=organization, owner=sales)
    stage = sales_services.PipelineStage.objects.order_by("position").first()
    sales_services.opportunity_create(actor=sales, name="Big deal", account=account, stage=stage, amount=Decimal(900))
    order = sales_services.order_create(
        actor=sales, account=account, lines=[{"description": "Box", "quantity": 2, "unit_price": 50, "tax_rate": 25}]
    )
    sales_services.order_confirm(actor=sales, order=order)
    publish(
        "finance.credit_hold_changed",
        {"organization_id": organization.pk, "on_hold": True, "reason": "Invoice 1001 is 60 days late"},
        aggregate=organization,
    )
    _deliver_all()
    titles = set(TimelineEntry.objects.filter(organization=organization).values_list("title", flat=True))
    assert f"Order {order.number} confirmed: 125.00 SEK" in titles
    assert "Put on credit hold: Invoice 1001 is 60 days late" in titles
    client.force_login(sales)
    html = client.get(reverse("customer360:customer", args=[organization.pk])).content.decode()
    assert "Big deal" in html and order.number in html and "Not yet invoiced" in html
    assert "On credit hold: Invoice 1001 is 60 days late" in html
    # HR sees the customer but not its deals, orders or credit
    client.force_login(make_staff("HR"))
    html = client.get(reverse("customer360:customer", args=[organization.pk])).content.decode()
    assert "Big deal" not in html and order.number not in html and "credit hold" not in html


def test_timeline_rows_markup_escaped_local_time_and_swedish(client, make_staff, settings):
    from datetime import UTC, datetime

    from django.utils import translation

    organization = OrganizationFactory()
    linked = _entry(organization, title="Order <1> & co", name="sales.order_<x>", office="back")
    linked.url, linked.occurred_at = "/app/sales/orders/1/?a=1&b=2", datetime(2026, 6, 1, 10, 5, tzinfo=UTC)
    plain = _entry(organization, title="Plain fact")
    plain.occurred_at = datetime(2026, 1, 2, 23, 30, tzinfo=UTC)
    TimelineEntry.objects.bulk_create([linked, plain])
    settings.TIME_ZONE = "Europe/Stockholm"
    client.force_login(make_staff("Sales"))
    url = reverse("customer360:customer", args=[organization.pk])
    html = client.get(url).content.decode()
    assert (
        '<li class="list-group-item d-flex gap-3">\n'
        '          <span class="badge badge-warning badge-status align-self-start">Back office</span>\n'
        '          <div class="flex-grow-1">\n'
        '            <div><a href="/app/sales/orders/1/?a=1&amp;b=2">Order &lt;1&gt; &amp; co</a></div>\n'
        '            <div class="small text-body-secondary"><time datetime="2026-06-01T12:05:00+02:00">'
    ) in html
    assert "</time> · <code>sales.order_&lt;x&gt;</code></div>" in html
    assert '<span class="badge badge-info badge-status align-self-start">Front office</span>' in html
    assert "<div>Plain fact</div>" in html and 'datetime="2026-01-03T00:30:00+01:00"' in html
    with translation.override("en"):
        client.post("/i18n/setlang/", {"language": "sv", "next": "/app/"})
        html = client.get(url).content.decode()
    assert "2026-01-03 00:30" in html


def test_ticket_events_reach_the_timeline_for_service_not_for_sales(client, make_staff):
    from core.parties.tests.factories import PersonFactory
    from frontoffice.service import services as service
    from frontoffice.service.tests.factories import default_queue

    agent = make_staff("Customer Service")
    organization = OrganizationFactory()
    ticket = service.ticket_open(
        requester=PersonFactory(organization=organization),
        subject="Broken zip",
        description="It broke",
        source="portal",
        queue=default_queue(),
    )
    service.ticket_set_status(ticket=ticket, status="resolved", actor=agent)
    service.ticket_rate(ticket=ticket, rating=5)
    _deliver_all()
    titles = set(TimelineEntry.objects.filter(organization=organization).values_list("title", flat=True))
    assert titles == {
        f"Ticket {ticket.reference} opened: Broken zip",
        f"Ticket {ticket.reference} resolved: Broken zip",
        f"Rated ticket {ticket.reference} 5 of 5",
    }
    url = reverse("customer360:customer", args=[organization.pk])
    client.force_login(agent)
    page = client.get(url).content.decode()
    assert "opened: Broken zip" in page and "Open tickets" in page
    client.force_login(make_staff("Sales"))
    page = client.get(url).content.decode()
    assert "Broken zip" not in page and "Open tickets" not in page


def test_tickets_without_a_customer_stay_off_every_timeline():
    from core.parties.tests.factories import PersonFactory
    from frontoffice.service import services as service
    from frontoffice.service.tests.factories import default_queue

    service.ticket_open(
        requester=PersonFactory(organization=None), subject="Hi", description="?", source="email", queue=default_queue()
    )
    _deliver_all()
    assert not TimelineEntry.objects.exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}


def test_finance_sees_the_balance_due_and_sales_does_not(client, make_staff, monkeypatch):
    from datetime import date, timedelta
    from decimal import Decimal

    from backoffice.finance import services as finance
    from backoffice.finance.models import FiscalYear
    from integration.bus import services as bus

    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)
    today = timezone.localdate()
    FiscalYear.objects.get_or_create(
        name=str(today.year), defaults={"start": date(today.year, 1, 1), "end": date(today.year, 12, 31)}
    )
    organization = OrganizationFactory()

    def issued(day):
        invoice = finance.invoice_create(
            actor=None,
            organization=organization,
            payment_terms_days=10,
            lines=[
                finance.InvoiceLineInput(
                    description="Tält", quantity=Decimal(1), unit_price=Decimal("1000.00"), tax_rate=Decimal(25)
                )
            ],
        )
        return finance.invoice_issue(actor=None, invoice=invoice, invoice_date=day)

    old, new = issued(max(today - timedelta(days=20), date(today.year, 1, 1))), issued(today)
    finance.payment_register(
        actor=None,
        organization=organization,
        date=today,
        amount=Decimal("300.00"),
        currency="SEK",
        allocations=[finance.Allocation(invoice=new, amount=Decimal("250.00"))],
    )
    url = reverse("customer360:customer", args=[organization.pk])
    client.force_login(make_staff("Finance"))
    html = client.get(url).content.decode()
    assert 'id="customer-balance"' in html and old.number in html and new.number in html
    balance = client.get(url).context["balance"]
    overdue = Decimal("1250.00") if old.due_date < today else Decimal("0.00")
    assert (balance.due, balance.overdue, balance.on_account) == (Decimal("2250.00"), overdue, Decimal("50.00"))
    client.force_login(make_staff("Sales"))
    assert 'id="customer-balance"' not in client.get(url).content.decode()
