"""A salesperson's day in the CRM, in a real browser: open an account, log a call, tick off a task."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services
from frontoffice.crm.models import Account, Activity
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_salesperson_opens_an_account_logs_a_call_and_ticks_off_a_task(page, live_server, make_staff, password):
    sales = make_staff("Sales", full_name="Johan Berg")
    organization = OrganizationFactory(name="Fjällbolaget AB")
    PersonFactory(organization=organization, first_name="Kim", last_name="Ek")
    sign_in(page, live_server, sales.email, password)
    page.wait_for_url(f"{live_server.url}/app/")

    page.goto(f"{live_server.url}/app/crm/accounts/new/")
    page.get_by_role("combobox", name="Organization").fill("Fjäll")
    page.get_by_role("option", name=re.compile("Fjällbolaget AB")).click()
    page.get_by_label("Tags").fill("nord, vip")
    page.get_by_role("button", name="Open account").click()
    page.wait_for_url(re.compile(r".*/app/crm/accounts/\d+/$"))
    account = Account.objects.get(organization=organization)
    assert account.owner == sales

    page.get_by_label("Subject").fill("Talked about the spring order")
    page.get_by_label("Contact").select_option(label="Kim Ek")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_text("The activity is saved.")).to_be_visible()
    assert Activity.objects.get(account=account).is_done  # a logged call is done at once

    task = services.activity_create(
        actor=sales, kind="task", subject="Send the offer", account=account, assignee=sales, due_at=timezone.now()
    )
    page.goto(f"{live_server.url}/app/crm/activities/?show=today")
    screenshot(page, "crm-my-activities")
    page.get_by_role("button", name="Mark as done: Send the offer").click()
    page.wait_for_selector(f"#activity-{task.pk} .btn-success")
    task.refresh_from_db()
    assert task.is_done
    assert Activity.objects.filter(done_at__isnull=True).count() == 0
    assert timezone.now() - task.done_at < timedelta(minutes=1)
