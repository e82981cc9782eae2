"""/api/v1/crm/: accounts, contacts and activities, written through the CRM's services."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.fields import DateTimeField

from core.audit.models import AuditEntry
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services
from frontoffice.crm.models import Account, Activity, ContactProfile
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/crm/accounts/"
CONTACTS = "/api/v1/crm/contacts/"
ACTIVITIES = "/api/v1/crm/activities/"


def _iso(value: datetime.datetime | None) -> str | None:
    return DateTimeField().to_representation(value) if value is not None else None


def _open_account(organization=None, **values) -> Account:
    return services.account_open(actor=None, organization=organization or OrganizationFactory(), **values)


def _activity(*, assignee, account=None, contact=None, **values) -> Activity:
    values.setdefault("subject", "Call back")
    return services.activity_create(actor=assignee, assignee=assignee, account=account, contact=contact, **values)


@pytest.fixture
def sales(api_client_for, make_staff):
    user = make_staff("Sales", full_name="Sara Sälj")
    client = api_client_for(user)
    client.user = user
    return client


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- accounts ----------------------------------------------------------------------


def test_an_account_as_the_api_shows_it(sales):
    organization = OrganizationFactory(name="Acme AB", org_number="556677-8899")
    account = _open_account(
        organization,
        owner=sales.user,
        segment=Account.Segment.ENTERPRISE,
        industry="Steel",
        lifecycle_stage=Account.Stage.CUSTOMER,
        tags=["north"],
        notes="Big.",
    )
    _activity(assignee=sales.user, account=account, kind=Activity.Kind.TASK)
    _activity(assignee=sales.user, account=account, kind=Activity.Kind.TASK)
    _activity(assignee=sales.user, account=account, kind=Activity.Kind.CALL)  # logged, so done

    response = sales.get(f"{ACCOUNTS}{account.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": account.pk,
        "organization": organization.pk,
        "organization_name": "Acme AB",
        "org_number": "556677-8899",
        "owner": sales.user.pk,
        "owner_name": "Sara Sälj",
        "segment": "enterprise",
        "industry": "Steel",
        "lifecycle_stage": "customer",
        "tags": ["north"],
        "notes": "Big.",
        "open_activities": 2,
        "created_at": _iso(account.created_at),
        "updated_at": _iso(account.updated_at),
    }


def test_sales_opens_an_account_and_the_other_office_hears_of_it(sales):
    # given an organization without an account
    organization = OrganizationFactory(name="Acme AB", org_number="556677-8899", vat_number="SE556677889901")

    # when Sales opens one through the API
    response = sales.post(
        ACCOUNTS,
        {
            "organization": organization.pk,
            "owner": sales.user.pk,
            "segment": "mid-market",
            "industry": "Steel",
            "lifecycle_stage": "prospect",
            "tags": ["North", "steel", "north"],
            "notes": "Met at the fair.",
        },
        format="json",
    )

    # then the account exists, as the service stored it
    assert response.status_code == 201, response.content
    account = Account.objects.get()
    assert response.json() == {
        "id": account.pk,
        "organization": organization.pk,
        "organization_name": "Acme AB",
        "org_number": "556677-8899",
        "owner": sales.user.pk,
        "owner_name": "Sara Sälj",
        "segment": "mid-market",
        "industry": "Steel",
        "lifecycle_stage": "prospect",
        "tags": ["north", "steel"],
        "notes": "Met at the fair.",
        "open_activities": 0,
        "created_at": _iso(account.created_at),
        "updated_at": _iso(account.updated_at),
    }
    # and the other office will hear of the new customer
    event = OutboxEvent.objects.get()
    assert (event.name, event.aggregate_type, event.aggregate_id) == (
        "crm.customer_created",
        "parties.organization",
        str(organization.pk),
    )
    assert event.payload == {
        "account_id": account.pk,
        "organization_id": organization.pk,
        "name": "Acme AB",
        "org_number": "556677-8899",
        "vat_number": "SE556677889901",
        "country": "SE",
        "lifecycle_stage": "prospect",
        "owner_id": sales.user.pk,
        "changed_fields": [],
    }
    # and the audit trail says who
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("create", sales.user, str(account.pk))


def test_an_account_needs_only_its_organization(sales):
    organization = OrganizationFactory()

    response = sales.post(ACCOUNTS, {"organization": organization.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["owner"], body["owner_name"], body["lifecycle_stage"], body["tags"]) == (None, None, "lead", [])


def test_an_organization_has_one_account(sales):
    # given an organization that already has an account
    organization = OrganizationFactory(name="Acme AB")
    _open_account(organization)

    # when someone opens another one for it
    response = sales.post(ACCOUNTS, {"organization": organization.pk}, format="json")

    # then the service's refusal is a 400, and nothing more is published
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Acme AB already has an account."]}
    assert Account.objects.count() == 1
    assert OutboxEvent.objects.filter(name="crm.customer_created").count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"organization": ["This field is required."]}),
        ({"organization": 999999}, {"organization": ['Invalid pk "999999" - object does not exist.']}),
        ({"lifecycle_stage": "won"}, {"lifecycle_stage": ['"won" is not a valid choice.']}),
        ({"segment": "huge"}, {"segment": ['"huge" is not a valid choice.']}),
        ({"tags": ["x" * 41]}, {"tags": {"0": ["Ensure this field has no more than 40 characters."]}}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(sales, body, errors):
    organization = OrganizationFactory()
    if body:
        body = {"organization": organization.pk, **body}

    response = sales.post(ACCOUNTS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Account.objects.exists()


def test_the_owner_is_an_active_employee(sales, customer_user, make_staff):
    organization = OrganizationFactory()
    former = make_staff("Sales", is_active=False)

    for owner in (customer_user, former):
        response = sales.post(ACCOUNTS, {"organization": organization.pk, "owner": owner.pk}, format="json")

        assert response.status_code == 400
        assert response.json() == {"owner": [f'Invalid pk "{owner.pk}" - object does not exist.']}


def test_sales_changes_an_account_and_the_event_names_what_changed(sales):
    # given an open account
    organization = OrganizationFactory()
    other = OrganizationFactory()
    account = _open_account(organization, lifecycle_stage=Account.Stage.PROSPECT, tags=["north"])

    # when Sales moves it on (and tries to move it to another organization)
    response = sales.patch(
        f"{ACCOUNTS}{account.pk}/",
        {"lifecycle_stage": "customer", "tags": ["North", "VIP"], "industry": "", "organization": other.pk},
        format="json",
    )

    # then the account changed, but stays with its organization
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["organization"], body["lifecycle_stage"], body["tags"]) == (
        organization.pk,
        "customer",
        ["north", "vip"],
    )
    account.refresh_from_db()
    assert (account.organization, account.lifecycle_stage, account.tags) == (organization, "customer", ["north", "vip"])
    # and crm.customer_updated names exactly what changed
    event = OutboxEvent.objects.get(name="crm.customer_updated")
    assert (event.aggregate_type, event.aggregate_id) == ("parties.organization", str(organization.pk))
    assert event.payload["changed_fields"] == ["lifecycle_stage", "tags"]
    assert event.payload["lifecycle_stage"] == "customer"
    entry = AuditEntry.objects.get(action="update")
    assert entry.actor == sales.user
    assert entry.changes == {"lifecycle_stage": ["prospect", "customer"], "tags": [["north"], ["north", "vip"]]}


def test_a_put_changes_the_account_too(sales, make_staff):
    account = _open_account(segment=Account.Segment.ENTERPRISE)
    owner = make_staff("Sales")

    response = sales.put(
        f"{ACCOUNTS}{account.pk}/",
        {"owner": owner.pk, "segment": "public-sector", "industry": "Schools", "lifecycle_stage": "customer"},
        format="json",
    )

    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert (account.owner, account.segment, account.industry) == (owner, "public-sector", "Schools")
    event = OutboxEvent.objects.get(name="crm.customer_updated")
    assert event.payload["changed_fields"] == ["industry", "lifecycle_stage", "owner", "segment"]
    assert event.payload["owner_id"] == owner.pk


def test_an_unchanged_account_publishes_nothing(sales):
    account = _open_account(industry="Steel")

    response = sales.patch(f"{ACCOUNTS}{account.pk}/", {"industry": "Steel"}, format="json")

    assert response.status_code == 200
    assert not OutboxEvent.objects.filter(name="crm.customer_updated").exists()


def test_account_filters_and_search(sales, make_staff):
    other_owner = make_staff("Sales")
    acme = _open_account(
        OrganizationFactory(name="Acme AB", org_number="556677-8899"),
        owner=sales.user,
        lifecycle_stage=Account.Stage.CUSTOMER,
        segment=Account.Segment.ENTERPRISE,
        tags=["vip"],
    )
    bolt = _open_account(
        OrganizationFactory(name="Bolt AB", org_number="556111-2222"),
        owner=other_owner,
        lifecycle_stage=Account.Stage.LEAD,
        industry="Acme tools",
    )
    cargo = _open_account(
        OrganizationFactory(name="Cargo AB", org_number="556333-4444"), lifecycle_stage=Account.Stage.CUSTOMER
    )

    assert _ids(sales.get(ACCOUNTS)) == [acme.pk, bolt.pk, cargo.pk]
    # The search box finds organizations (name, numbers, e-mail), not words in other fields like industry.
    assert _ids(sales.get(ACCOUNTS, {"search": "acme"})) == [acme.pk]
    assert _ids(sales.get(ACCOUNTS, {"search": "5566778899"})) == [acme.pk]
    assert _ids(sales.get(ACCOUNTS, {"owner": other_owner.pk})) == [bolt.pk]
    assert _ids(sales.get(ACCOUNTS, {"lifecycle_stage": "customer"})) == [acme.pk, cargo.pk]
    assert _ids(sales.get(ACCOUNTS, {"segment": "enterprise"})) == [acme.pk]
    assert _ids(sales.get(ACCOUNTS, {"tag": "VIP"})) == [acme.pk]
    assert _ids(sales.get(ACCOUNTS, {"lifecycle_stage": "customer", "search": "cargo"})) == [cargo.pk]
    assert _ids(sales.get(ACCOUNTS, {"ordering": "-organization__name"})) == [cargo.pk, bolt.pk, acme.pk]


def test_accounts_are_ordered_by_open_activities(sales):
    quiet = _open_account(OrganizationFactory(name="A AB"))
    busy = _open_account(OrganizationFactory(name="B AB"))
    _activity(assignee=sales.user, account=busy, kind=Activity.Kind.TASK)

    assert _ids(sales.get(ACCOUNTS, {"ordering": "-open_activities"})) == [busy.pk, quiet.pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"lifecycle_stage": "won"},
            {"lifecycle_stage": ["Select a valid choice. won is not one of the available choices."]},
        ),
        ({"owner": "abc"}, {"owner": ["Select a valid choice. That choice is not one of the available choices."]}),
    ],
)
def test_bad_account_filters_are_a_400(sales, query, errors):
    response = sales.get(ACCOUNTS, query)

    assert response.status_code == 400
    assert response.json() == errors


# --- contacts ----------------------------------------------------------------------


def test_contacts_are_the_people_of_organizations_with_an_account(sales):
    # given a customer with two people (one with a profile) and an organization without an account
    acme = OrganizationFactory()
    _open_account(acme)
    ada = PersonFactory(
        first_name="Ada", last_name="Andersson", email="ada@acme.example", phone="070-1", organization=acme
    )
    bo = PersonFactory(first_name="Bo", last_name="Berg", organization=acme)
    services.contact_profile_update(
        actor=None, person=bo, role="Decision maker", email_consent=True, phone_consent=False, source="form"
    )
    stranger = PersonFactory(organization=OrganizationFactory())

    # when Sales lists the contacts
    response = sales.get(CONTACTS)

    # then only the customer's people are there; a person without a profile has agreed to nothing
    assert _ids(response) == [ada.pk, bo.pk]
    profile = ContactProfile.objects.get(person=bo)
    assert response.json()["results"] == [
        {
            "id": ada.pk,
            "full_name": "Ada Andersson",
            "email": "ada@acme.example",
            "phone": "070-1",
            "organization": acme.pk,
            "role": "",
            "email_consent": False,
            "email_consent_at": None,
            "email_consent_source": "",
            "phone_consent": False,
            "phone_consent_at": None,
            "phone_consent_source": "",
        },
        {
            "id": bo.pk,
            "full_name": "Bo Berg",
            "email": bo.email,
            "phone": "",
            "organization": acme.pk,
            "role": "Decision maker",
            "email_consent": True,
            "email_consent_at": _iso(profile.email_consent_at),
            "email_consent_source": "form",
            "phone_consent": False,
            "phone_consent_at": None,
            "phone_consent_source": "",
        },
    ]
    assert sales.get(f"{CONTACTS}{stranger.pk}/").status_code == 404
    assert not ContactProfile.objects.filter(person=ada).exists()


def test_marketing_records_a_consent_with_its_source(api_client_for, make_staff):
    # given a contact at a customer
    user = make_staff("Marketing")
    person = PersonFactory(organization=_open_account().organization)

    # when Marketing records that they agreed to e-mail, from a web form
    response = api_client_for(user).patch(
        f"{CONTACTS}{person.pk}/", {"email_consent": True, "source": "form"}, format="json"
    )

    # then the consent is kept with when and where it came from
    assert response.status_code == 200, response.content
    profile = ContactProfile.objects.get(person=person)
    assert (profile.email_consent, profile.email_consent_source, profile.phone_consent) == (True, "form", False)
    assert profile.email_consent_at is not None
    body = response.json()
    assert (body["email_consent"], body["email_consent_at"], body["email_consent_source"]) == (
        True,
        _iso(profile.email_consent_at),
        "form",
    )
    assert "source" not in body
    entry = AuditEntry.objects.get(action="update")
    assert (entry.actor, entry.object_id, entry.changes) == (user, str(person.pk), {"email_consent": [False, True]})


def test_a_consent_change_without_a_source_is_a_400_naming_source(sales):
    person = PersonFactory(organization=_open_account().organization)

    response = sales.patch(f"{CONTACTS}{person.pk}/", {"phone_consent": True}, format="json")

    assert response.status_code == 400
    assert response.json() == {"source": ["Say where the consent (or its withdrawal) came from."]}
    assert not ContactProfile.objects.exists()


def test_withdrawing_a_consent_needs_a_source_too(sales):
    person = PersonFactory(organization=_open_account().organization)
    services.contact_profile_update(
        actor=None, person=person, role="", email_consent=True, phone_consent=True, source="contract"
    )

    refused = sales.patch(f"{CONTACTS}{person.pk}/", {"email_consent": False, "source": ""}, format="json")
    accepted = sales.patch(f"{CONTACTS}{person.pk}/", {"email_consent": False, "source": "conversation"}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()) == ["source"]
    assert accepted.status_code == 200
    profile = ContactProfile.objects.get(person=person)
    assert (profile.email_consent, profile.email_consent_source) == (False, "conversation")
    assert (profile.phone_consent, profile.phone_consent_source) == (True, "contract")


def test_a_role_changes_without_a_source(sales):
    person = PersonFactory(organization=_open_account().organization)

    response = sales.patch(f"{CONTACTS}{person.pk}/", {"role": " Buyer "}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "Buyer"
    assert ContactProfile.objects.get(person=person).role == "Buyer"


def test_a_bad_source_is_a_400(sales):
    person = PersonFactory(organization=_open_account().organization)

    response = sales.patch(f"{CONTACTS}{person.pk}/", {"email_consent": True, "source": "rumour"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"source": ['"rumour" is not a valid choice.']}


def test_contacts_are_not_created_replaced_or_deleted_here(sales):
    person = PersonFactory(organization=_open_account().organization)

    assert sales.post(CONTACTS, {"role": "Buyer"}, format="json").status_code == 405
    assert sales.put(f"{CONTACTS}{person.pk}/", {"role": "Buyer"}, format="json").status_code == 405
    assert sales.delete(f"{CONTACTS}{person.pk}/").status_code == 405


def test_contact_filters(sales):
    acme = _open_account().organization
    globex = _open_account().organization
    agrees = PersonFactory(last_name="A", organization=acme)
    silent = PersonFactory(last_name="B", organization=acme)
    withdrew = PersonFactory(last_name="C", organization=globex)
    services.contact_profile_update(
        actor=None, person=agrees, role="", email_consent=True, phone_consent=True, source="form"
    )
    services.contact_profile_update(
        actor=None, person=withdrew, role="", email_consent=False, phone_consent=False, source=""
    )

    assert _ids(sales.get(CONTACTS, {"organization": acme.pk})) == [agrees.pk, silent.pk]
    assert _ids(sales.get(CONTACTS, {"email_consent": "true"})) == [agrees.pk]
    assert _ids(sales.get(CONTACTS, {"email_consent": "false"})) == [silent.pk, withdrew.pk]
    assert _ids(sales.get(CONTACTS, {"phone_consent": "1", "organization": globex.pk})) == []
    response = sales.get(CONTACTS, {"email_consent": "maybe"})
    assert response.status_code == 400
    assert response.json() == {"email_consent": ["Enter true or false."]}


# --- activities --------------------------------------------------------------------


def test_sales_logs_a_call_on_an_account(sales):
    # given an account with a contact
    account = _open_account(OrganizationFactory(name="Acme AB"))
    person = PersonFactory(first_name="Ada", last_name="Lund", organization=account.organization)

    # when Sales logs a call (no due date, no assignee)
    response = sales.post(
        ACTIVITIES,
        {"kind": "call", "subject": "Asked for a quote", "account": account.pk, "contact": person.pk},
        format="json",
    )

    # then it is assigned to them and already done
    assert response.status_code == 201, response.content
    activity = Activity.objects.get()
    assert response.json() == {
        "id": activity.pk,
        "kind": "call",
        "subject": "Asked for a quote",
        "notes": "",
        "account": account.pk,
        "account_name": "Acme AB",
        "contact": person.pk,
        "contact_name": "Ada Lund",
        "assignee": sales.user.pk,
        "assignee_name": "Sara Sälj",
        "due_at": None,
        "done_at": _iso(activity.done_at),
        "is_done": True,
        "created_by": sales.user.pk,
        "created_at": _iso(activity.created_at),
    }
    assert activity.done_at is not None
    assert AuditEntry.objects.get(action="action").message == "Call: Asked for a quote"


def test_a_task_for_a_contact_alone_stays_open(sales, make_staff):
    colleague = make_staff("Customer Service")
    person = PersonFactory()
    due = timezone.now() + datetime.timedelta(days=2)

    response = sales.post(
        ACTIVITIES,
        {
            "kind": "task",
            "subject": "Send the brochure",
            "contact": person.pk,
            "assignee": colleague.pk,
            "due_at": _iso(due),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account"], body["contact"], body["assignee"], body["is_done"]) == (
        None,
        person.pk,
        colleague.pk,
        False,
    )
    assert body["due_at"] == _iso(due)


def test_an_activity_needs_an_account_or_a_contact(sales):
    response = sales.post(ACTIVITIES, {"kind": "task", "subject": "Something"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Link the activity to an account or a contact."]}
    assert not Activity.objects.exists()


def test_the_contact_must_belong_to_the_account(sales):
    account = _open_account()
    stranger = PersonFactory(organization=OrganizationFactory())

    response = sales.post(ACTIVITIES, {"subject": "Call", "account": account.pk, "contact": stranger.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"contact": ["This person does not belong to the account's organization."]}
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"subject": ""}, {"subject": ["This field may not be blank."]}),
        ({"subject": "X", "kind": "visit"}, {"kind": ['"visit" is not a valid choice.']}),
        (
            {"subject": "X", "due_at": "tomorrow"},
            {
                "due_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        ({"subject": "X", "account": 999999}, {"account": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_bad_activity_input_is_a_400_naming_the_field(sales, body, errors):
    response = sales.post(ACTIVITIES, {"contact": PersonFactory().pk, **body}, format="json")

    assert response.status_code == 400
    assert response.json() == errors


def test_an_activity_changes_but_stays_with_its_account(sales, make_staff):
    # given a planned task on an account
    account = _open_account()
    other = _open_account()
    colleague = make_staff("Sales")
    activity = _activity(assignee=sales.user, account=account, kind=Activity.Kind.TASK, subject="Call back")
    due = timezone.now() + datetime.timedelta(days=1)

    # when Sales reschedules it for a colleague (and tries to move it to another account)
    response = sales.patch(
        f"{ACTIVITIES}{activity.pk}/",
        {"subject": "Call back about the quote", "due_at": _iso(due), "assignee": colleague.pk, "account": other.pk},
        format="json",
    )

    # then it changed, on the same account
    assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert (activity.subject, activity.due_at, activity.assignee, activity.account) == (
        "Call back about the quote",
        due,
        colleague,
        account,
    )
    assert response.json()["assignee_name"] == colleague.full_name


def test_an_activity_is_ticked_off_and_opened_again(sales):
    activity = _activity(assignee=sales.user, account=_open_account(), kind=Activity.Kind.TASK)

    done = sales.post(f"{ACTIVITIES}{activity.pk}/done/")
    activity.refresh_from_db()
    done_at = activity.done_at
    done_again = sales.post(f"{ACTIVITIES}{activity.pk}/done/")

    assert done.status_code == 200
    assert (done.json()["is_done"], done.json()["done_at"]) == (True, _iso(done_at))
    assert done_at is not None
    assert done_again.json()["done_at"] == _iso(done_at)  # done once, not again

    reopened = sales.post(f"{ACTIVITIES}{activity.pk}/reopen/")

    assert reopened.status_code == 200
    assert (reopened.json()["is_done"], reopened.json()["done_at"]) == (False, None)
    activity.refresh_from_db()
    assert activity.done_at is None


def test_activity_filters(sales, make_staff):
    colleague = make_staff("Sales")
    acme = _open_account()
    globex = _open_account()
    now = timezone.now()
    overdue = _activity(assignee=sales.user, account=acme, kind="task", due_at=now - datetime.timedelta(days=1))
    later = _activity(assignee=colleague, account=acme, kind="meeting", due_at=now + datetime.timedelta(days=3))
    logged = _activity(assignee=sales.user, account=globex, kind="call")

    def ids(**query) -> set[int]:
        return set(_ids(sales.get(ACTIVITIES, query)))

    assert ids() == {overdue.pk, later.pk, logged.pk}
    assert ids(assignee=colleague.pk) == {later.pk}
    assert ids(account=acme.pk) == {overdue.pk, later.pk}
    assert ids(kind="call") == {logged.pk}
    assert ids(done="true") == {logged.pk}
    assert ids(done="false") == {overdue.pk, later.pk}
    assert ids(due_before=_iso(now)) == {overdue.pk}
    assert ids(due_after=_iso(now)) == {later.pk}
    assert ids(done="no", assignee=sales.user.pk) == {overdue.pk}
    assert _ids(sales.get(ACTIVITIES, {"ordering": "due_at", "done": "false"})) == [overdue.pk, later.pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"done": "maybe"}, {"done": ["Enter true or false."]}),
        ({"kind": "visit"}, {"kind": ["Select a valid choice. visit is not one of the available choices."]}),
        ({"due_before": "soon"}, {"due_before": ["Enter a valid date/time."]}),
    ],
)
def test_bad_activity_filters_are_a_400(sales, query, errors):
    response = sales.get(ACTIVITIES, query)

    assert response.status_code == 400
    assert response.json() == errors


# --- rights ------------------------------------------------------------------------

READ = "read"
ACCOUNT_OPEN = "open account"
ACCOUNT_CHANGE = "change account"
CONTACT_CHANGE = "change contact"
ACTIVITY_CREATE = "create activity"
ACTIVITY_CHANGE = "change activity"
ACTIVITY_DONE = "tick off activity"
EVERYTHING = {READ, ACCOUNT_OPEN, ACCOUNT_CHANGE, CONTACT_CHANGE, ACTIVITY_CREATE, ACTIVITY_CHANGE, ACTIVITY_DONE}


@pytest.fixture
def records(make_staff) -> dict[str, object]:
    owner = make_staff("Sales")
    account = _open_account()
    person = PersonFactory(organization=account.organization)
    activity = _activity(assignee=owner, account=account, kind=Activity.Kind.TASK)
    return {"account": account, "person": person, "activity": activity, "free": OrganizationFactory()}


def _requests(records: dict[str, object]) -> dict[str, list[tuple[str, str, dict | None]]]:
    account, person, activity = records["account"], records["person"], records["activity"]
    return {
        READ: [
            ("get", ACCOUNTS, None),
            ("get", f"{ACCOUNTS}{account.pk}/", None),
            ("get", CONTACTS, None),
            ("get", f"{CONTACTS}{person.pk}/", None),
            ("get", ACTIVITIES, None),
            ("get", f"{ACTIVITIES}{activity.pk}/", None),
        ],
        ACCOUNT_OPEN: [("post", ACCOUNTS, {"organization": records["free"].pk})],
        ACCOUNT_CHANGE: [("patch", f"{ACCOUNTS}{account.pk}/", {"industry": "Steel"})],
        CONTACT_CHANGE: [("patch", f"{CONTACTS}{person.pk}/", {"email_consent": True, "source": "form"})],
        ACTIVITY_CREATE: [("post", ACTIVITIES, {"subject": "Visit", "account": account.pk})],
        ACTIVITY_CHANGE: [("patch", f"{ACTIVITIES}{activity.pk}/", {"subject": "Visit them"})],
        ACTIVITY_DONE: [("post", f"{ACTIVITIES}{activity.pk}/done/", None)],
    }


@pytest.mark.parametrize(
    ("department", "allowed"),
    [
        ("Sales", EVERYTHING),
        ("Customer Service", {READ, ACTIVITY_CREATE, ACTIVITY_CHANGE, ACTIVITY_DONE}),
        ("Marketing", {READ, CONTACT_CHANGE}),
        ("Management", {READ}),
        ("HR", set()),
        ("Finance", set()),
        ("IT", set()),
        ("Logistics", set()),
        ("Legal", set()),
    ],
)
def test_departments_work_with_the_crm_by_their_rights(api_client_for, make_staff, records, department, allowed):
    client = api_client_for(make_staff(department))

    for operation, requests in _requests(records).items():
        for method, url, body in requests:
            response = getattr(client, method)(url, body, format="json")

            if operation in allowed:
                assert response.status_code in (200, 201), (operation, method, url, response.content)
            else:
                assert response.status_code == 403, (operation, method, url)


def test_ticking_an_activity_off_takes_the_change_right_not_the_add_right(api_client_for, make_staff, records):
    from django.contrib.auth.models import Permission

    def user_with(*codenames: str):
        user = make_staff()
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="crm", codename__in=codenames))
        return api_client_for(user)

    may_change = user_with("view_activity", "change_activity")
    may_add = user_with("view_activity", "add_activity")
    url = f"{ACTIVITIES}{records['activity'].pk}/"

    assert may_change.post(f"{url}done/").status_code == 200
    assert may_change.post(f"{url}reopen/").status_code == 200
    assert may_add.post(f"{url}done/").status_code == 403
    assert may_add.post(f"{url}reopen/").status_code == 403


def test_customers_are_refused_even_with_crm_rights(api_client_for, customer_user, records):
    from django.contrib.auth.models import Permission

    customer_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="crm"))
    client = api_client_for(customer_user)

    for requests in _requests(records).values():
        for method, url, body in requests:
            assert getattr(client, method)(url, body, format="json").status_code == 403, (method, url)


def test_anonymous_requests_are_asked_to_sign_in(api_client, records):
    for requests in _requests(records).values():
        for method, url, body in requests:
            assert getattr(api_client, method)(url, body, format="json").status_code == 401, (method, url)


def test_nothing_is_deleted_through_the_crm_api(api_client_for, admin_user, records):
    client = api_client_for(admin_user)

    for url in (
        f"{ACCOUNTS}{records['account'].pk}/",
        f"{CONTACTS}{records['person'].pk}/",
        f"{ACTIVITIES}{records['activity'].pk}/",
    ):
        response = client.delete(url)

        assert response.status_code == 405, url
        assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert Account.objects.filter(pk=records["account"].pk).exists()
    assert Activity.objects.filter(pk=records["activity"].pk).exists()


def test_the_crm_is_in_the_schema(client, make_staff):
    client.force_login(make_staff("Sales"))

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/v1/crm/accounts/",
        "/api/v1/crm/accounts/{id}/",
        "/api/v1/crm/contacts/",
        "/api/v1/crm/contacts/{id}/",
        "/api/v1/crm/activities/",
        "/api/v1/crm/activities/{id}/",
        "/api/v1/crm/activities/{id}/done/",
        "/api/v1/crm/activities/{id}/reopen/",
    }
    assert set(paths["/api/v1/crm/contacts/{id}/"]) == {"get", "patch"}
    assert "delete" not in paths["/api/v1/crm/accounts/{id}/"]
    assert "delete" not in paths["/api/v1/crm/activities/{id}/"]


# --- queries -----------------------------------------------------------------------

# Token and user, the user's rights (own and their groups') and the MFA check, the count, the page (at most:
# the rights and the MFA check are cached after the first request).
LIST_QUERIES = 6


def _fill(rows: int, *, assignee) -> None:
    """`rows` accounts, each with a contact (with a profile) and an open activity."""
    for _ in range(rows - Account.objects.count()):
        account = _open_account(owner=assignee)
        person = PersonFactory(organization=account.organization)
        services.contact_profile_update(
            actor=None, person=person, role="Buyer", email_consent=True, phone_consent=False, source="form"
        )
        _activity(assignee=assignee, account=account, contact=person, kind=Activity.Kind.TASK)


@pytest.mark.parametrize("url", [ACCOUNTS, CONTACTS, ACTIVITIES])
def test_every_list_takes_the_same_queries_for_3_or_30_rows(sales, django_assert_max_num_queries, url):
    for rows in (3, 30):
        _fill(rows, assignee=sales.user)

        with django_assert_max_num_queries(LIST_QUERIES):
            response = sales.get(url, {"page_size": 100})

        assert response.status_code == 200
        assert len(response.json()["results"]) == rows
