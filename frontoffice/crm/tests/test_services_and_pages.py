"""The CRM's services, pages and the events it publishes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.notifications.models import Notification
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import selectors, services
from frontoffice.crm.models import Account, Activity, ContactProfile
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


@pytest.fixture
def account(sales):
    return services.account_open(actor=sales, organization=OrganizationFactory(name="Kund AB"), owner=sales)


def test_opening_an_account_publishes_customer_created(sales):
    organization = OrganizationFactory(name="Ny Kund AB", org_number="556000-1111")
    account = services.account_open(actor=sales, organization=organization, owner=sales, tags=[" VIP ", "vip", "nord"])
    event = OutboxEvent.objects.get(name="crm.customer_created")
    assert (event.aggregate_type, event.aggregate_id) == ("parties.organization", str(organization.pk))
    assert event.payload["name"] == "Ny Kund AB"
    assert event.payload["org_number"] == "556000-1111"
    assert event.payload["owner_id"] == sales.pk
    assert account.tags == ["nord", "vip"]


def test_an_organization_has_one_account(sales, account):
    with pytest.raises(ValidationError):
        services.account_open(actor=sales, organization=account.organization)
    assert Account.objects.count() == 1


def test_update_publishes_the_changed_fields_only_when_something_changed(sales, account):
    services.account_update(actor=sales, account=account, lifecycle_stage=Account.Stage.CUSTOMER, industry="")
    event = OutboxEvent.objects.get(name="crm.customer_updated")
    assert event.payload["changed_fields"] == ["lifecycle_stage"]
    assert event.sequence == 2  # after crm.customer_created of the same organization
    services.account_update(actor=sales, account=account, lifecycle_stage=Account.Stage.CUSTOMER)
    assert OutboxEvent.objects.filter(name="crm.customer_updated").count() == 1


def test_consent_change_keeps_date_and_source(sales):
    person = PersonFactory()
    profile = services.contact_profile_update(
        actor=sales, person=person, role="Buyer", email_consent=True, phone_consent=False, source="form"
    )
    assert (profile.email_consent, profile.email_consent_source) == (True, "form")
    assert profile.email_consent_at is not None
    assert profile.phone_consent_at is None


def test_consent_change_without_source_is_refused(sales):
    with pytest.raises(ValidationError) as error:
        services.contact_profile_update(
            actor=sales, person=PersonFactory(), role="", email_consent=True, phone_consent=False, source=""
        )
    assert "source" in error.value.error_dict
    assert not ContactProfile.objects.exists()


def test_logged_call_is_done_and_task_is_open(sales, account):
    call = services.activity_create(actor=sales, kind="call", subject="Called", account=account, assignee=sales)
    task = services.activity_create(
        actor=sales,
        kind="task",
        subject="Send offer",
        account=account,
        assignee=sales,
        due_at=timezone.now() + timedelta(days=1),
    )
    assert call.is_done and not task.is_done


def test_activity_contact_must_belong_to_the_account(sales, account):
    stranger = PersonFactory()
    with pytest.raises(ValidationError) as error:
        services.activity_create(
            actor=sales, kind="task", subject="x", account=account, contact=stranger, assignee=sales
        )
    assert "contact" in error.value.error_dict


def test_my_activities_buckets(sales, account):
    now = timezone.now()
    for subject, due in [("late", now - timedelta(days=2)), ("now", now), ("later", now + timedelta(days=3))]:
        services.activity_create(actor=sales, kind="task", subject=subject, account=account, assignee=sales, due_at=due)
    subjects = {
        bucket: [a.subject for a in selectors.activities_for(user=sales, bucket=bucket)] for bucket in selectors.BUCKETS
    }
    assert subjects == {"overdue": ["late"], "today": ["now"], "upcoming": ["later"], "done": []}


def test_reminders_notify_the_assignee_once(sales, account, django_capture_on_commit_callbacks):
    services.activity_create(
        actor=sales,
        kind="task",
        subject="Call back",
        account=account,
        assignee=sales,
        due_at=timezone.now() + timedelta(minutes=5),
    )
    services.activity_create(
        actor=sales,
        kind="task",
        subject="Next month",
        account=account,
        assignee=sales,
        due_at=timezone.now() + timedelta(days=30),
    )
    assert services.activity_send_reminders() == 1
    assert services.activity_send_reminders() == 0
    notification = Notification.objects.get(recipient=sales)
    assert notification.title == "Due: Call back · Kund AB"
    assert notification.url == account.get_absolute_url()


@pytest.mark.parametrize(
    ("department", "status"),
    [("Sales", 200), ("Customer Service", 200), ("Management", 200), ("HR", 403), ("Finance", 403)],
)
def test_account_pages_by_department(client, make_staff, account, department, status):
    client.force_login(make_staff(department))
    assert client.get(reverse("crm:account-list")).status_code == status
    assert client.get(account.get_absolute_url()).status_code == status


def test_open_account_through_the_page(client, sales):
    organization = OrganizationFactory(name="Sida AB")
    client.force_login(sales)
    response = client.post(
        reverse("crm:account-open"),
        {"organization": organization.pk, "owner": sales.pk, "lifecycle_stage": "prospect", "tags": "nord, vip"},
    )
    account = Account.objects.get(organization=organization)
    assert response["Location"] == account.get_absolute_url()
    assert account.tags == ["nord", "vip"]


def test_customer_service_can_log_but_not_open_accounts(client, make_staff, account):
    agent = make_staff("Customer Service")
    client.force_login(agent)
    assert client.get(reverse("crm:account-open")).status_code == 403
    response = client.post(
        reverse("crm:activity-create", args=[account.pk]),
        {"kind": "call", "subject": "Support call", "assignee": agent.pk},
    )
    assert response.status_code == 302
    assert Activity.objects.get().subject == "Support call"


def test_activity_form_errors_stay_on_the_page(client, sales, account):
    client.force_login(sales)
    response = client.post(reverse("crm:activity-create", args=[account.pk]), {"kind": "call", "subject": ""})
    assert response.status_code == 200
    assert "subject" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_toggle_done_with_htmx(client, sales, account):
    activity = services.activity_create(
        actor=sales, kind="task", subject="Offer", account=account, assignee=sales, due_at=timezone.now()
    )
    client.force_login(sales)
    response = client.post(reverse("crm:activity-toggle", args=[activity.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="activity-' in response.content.decode()
    activity.refresh_from_db()
    assert activity.is_done


def test_account_list_queries_do_not_grow(client, sales):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(sales)
    for _ in range(2):
        services.account_open(actor=sales, organization=OrganizationFactory(), owner=sales)
    client.get(reverse("crm:account-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("crm:account-list"))
    for _ in range(20):
        services.account_open(actor=sales, organization=OrganizationFactory(), owner=sales)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("crm:account-list"))
    assert len(many) == len(few)


def test_consent_page_requires_source_for_a_change(client, make_staff):
    marketing = make_staff("Marketing")
    person = PersonFactory()
    client.force_login(marketing)
    url = reverse("crm:contact-profile", args=[person.pk])
    response = client.post(url, {"role": "Buyer", "email_consent": "on"})
    assert response.status_code == 200
    assert "source" in response.context["form"].errors
    response = client.post(url, {"role": "Buyer", "email_consent": "on", "source": "conversation"})
    assert response.status_code == 302
    assert ContactProfile.objects.get(person=person).email_consent_source == "conversation"
