import pytest
from django.core.exceptions import ValidationError

from core.audit.models import AuditEntry
from core.parties import selectors, services
from core.parties.models import Address, Organization, Person
from core.parties.tests.factories import AddressFactory, OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_organization_create_writes_audit_row(make_staff):
    actor = make_staff("Sales")
    organization = services.organization_create(
        actor=actor, name="Kafferosteriet AB", org_number="556677-8899", roles=["customer"], country="se"
    )
    assert organization.country == "SE"
    entry = AuditEntry.objects.get(object_id=str(organization.pk), content_type__model="organization")
    assert entry.actor == actor
    assert entry.action == AuditEntry.Action.CREATE


def test_organization_create_refuses_bad_input_and_changes_nothing(make_staff):
    with pytest.raises(ValidationError) as error:
        services.organization_create(actor=make_staff("Sales"), name="", country="Sweden", roles=["king"])
    assert set(error.value.error_dict) >= {"name", "country", "roles"}
    assert Organization.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_organization_update_records_only_changed_fields(make_staff):
    organization = OrganizationFactory(name="Old Name AB", phone="08-1")
    services.organization_update(actor=make_staff("Sales"), organization=organization, name="New Name AB", phone="08-1")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes == {"name": ["Old Name AB", "New Name AB"]}


def test_update_without_changes_writes_no_audit_row(make_staff):
    organization = OrganizationFactory(name="Same AB")
    services.organization_update(actor=make_staff("Sales"), organization=organization, name="Same AB")
    assert not AuditEntry.objects.exists()


def test_generated_keys_normalize_name_and_org_number():
    organization = OrganizationFactory(name="ACME Sverige AB.", org_number="556 677-8899")
    organization.refresh_from_db()
    assert organization.name_key == "acmesverige"
    assert organization.org_number_key == "5566778899"


def test_duplicates_found_by_normalized_name_org_number_and_email():
    original = OrganizationFactory(name="Acme Sverige AB", org_number="556677-8899", email="info@acme.example")
    OrganizationFactory(name="Something Else AB", org_number="111111-1111", email="x@else.example")
    assert list(selectors.organization_duplicates(name="acme sverige")) == [original]
    assert list(selectors.organization_duplicates(org_number="5566778899")) == [original]
    assert list(selectors.organization_duplicates(email="INFO@acme.example")) == [original]
    assert list(selectors.organization_duplicates(name="acme sverige", exclude_pk=original.pk)) == []


def test_duplicate_groups_lists_organizations_sharing_a_key():
    first = OrganizationFactory(name="Nordic Outdoor AB", org_number="1")
    second = OrganizationFactory(name="Nordic outdoor", org_number="2")
    OrganizationFactory(name="Unique AB", org_number="3")
    groups = selectors.organization_duplicate_groups()
    assert [(group["match"], group["organizations"]) for group in groups] == [("name_key", [first, second])]


def test_person_duplicates_by_email_and_full_name():
    person = PersonFactory(first_name="Kim", last_name="Ek", email="kim@ek.example")
    assert list(selectors.person_duplicates(email=" KIM@ek.example ")) == [person]
    assert list(selectors.person_duplicates(first_name="kim", last_name="EK")) == [person]


def test_person_create_lowercases_email(make_staff):
    person = services.person_create(actor=make_staff("Sales"), first_name="Ida", email="Ida@Example.COM")
    assert person.email == "ida@example.com"


def test_person_needs_name_or_email(make_staff):
    with pytest.raises(ValidationError):
        services.person_create(actor=make_staff("Sales"))
    assert Person.objects.count() == 0


def test_portal_users_email_cannot_be_changed_by_staff(make_staff, customer_user):
    person = customer_user.person
    with pytest.raises(ValidationError) as error:
        services.person_update(actor=make_staff("Sales"), person=person, email="other@example.com")
    assert "email" in error.value.error_dict


def test_address_default_is_unique_per_kind(make_staff):
    organization = OrganizationFactory()
    actor = make_staff("Sales")
    values = {
        "kind": "billing",
        "line1": "Gatan 1",
        "line2": "",
        "postal_code": "111 22",
        "city": "Sthlm",
        "country": "SE",
    }
    first = services.address_save(actor=actor, organization=organization, is_default=True, **values)
    second = services.address_save(actor=actor, organization=organization, is_default=True, **values)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_address_belongs_to_exactly_one_owner_in_the_database():
    from django.db import IntegrityError

    organization = OrganizationFactory()
    person = PersonFactory()
    with pytest.raises(IntegrityError):
        Address.objects.create(organization=organization, person=person, line1="x", postal_code="1", city="y")


def test_organization_set_active_changes_and_audits_each(make_staff):
    active = OrganizationFactory(is_active=True)
    inactive = OrganizationFactory(is_active=False)
    count = services.organization_set_active(actor=make_staff("Sales"), pks=[active.pk, inactive.pk], is_active=False)
    assert count == 1
    active.refresh_from_db()
    assert active.is_active is False
    assert AuditEntry.objects.filter(object_id=str(active.pk)).count() == 1


def test_address_delete_is_audited_on_owner(make_staff):
    address = AddressFactory()
    services.address_delete(actor=make_staff("Sales"), address=address)
    assert not Address.objects.exists()
    assert AuditEntry.objects.get().object_id == str(address.organization_id)


def test_invite_requires_email(make_staff):
    person = PersonFactory(email="")
    with pytest.raises(ValidationError) as error:
        services.person_invite_to_portal(actor=make_staff("Sales"), person=person)
    assert "email" in error.value.error_dict


@pytest.mark.django_db
def test_the_portal_person_and_colleagues_in_one_query_are_the_two_selectors_answers(django_assert_num_queries):
    from core.accounts.tests.factories import UserFactory
    from core.parties.selectors import person_for_portal_user, portal_colleagues, portal_person_and_colleagues
    from core.parties.tests.factories import OrganizationFactory, PersonFactory

    organization = OrganizationFactory()
    user = UserFactory()
    person = PersonFactory(user=user, organization=organization, last_name="Östberg")  # last by name
    for index in range(4):
        PersonFactory(user=UserFactory(), organization=organization, last_name=f"Berg {index}")
    PersonFactory(user=UserFactory(), organization=organization, last_name="Ahl", is_active=False)
    PersonFactory(organization=organization, last_name="Utan inloggning")
    PersonFactory(user=UserFactory(), last_name="Annan firma")
    with django_assert_num_queries(1):
        found, colleagues = portal_person_and_colleagues(user=user, limit=3)
    assert found == person_for_portal_user(user=user) == person
    assert (str(found), found.organization_id, found.is_active) == (str(person), organization.pk, True)
    assert colleagues == portal_colleagues(person=person)[:3]
    names = [str(other) for other in portal_colleagues(person=person)[:3]]
    assert [str(colleague) for colleague in colleagues] == names
    with django_assert_num_queries(1):  # a field it did not read is read when touched
        assert found.phone == person.phone
    assert [colleague.last_name for colleague in portal_person_and_colleagues(user=user)[1]] == [
        f"Berg {index}" for index in range(4)
    ]
    alone = PersonFactory(user=UserFactory(), organization=None)
    assert portal_person_and_colleagues(user=alone.user) == (alone, [])
    assert portal_person_and_colleagues(user=UserFactory()) == (None, [])


@pytest.mark.django_db
def test_the_portal_viewer_says_who_sees_what(django_assert_num_queries):
    from core.accounts.tests.factories import UserFactory
    from core.parties.models import Organization
    from core.parties.selectors import PortalViewer, portal_viewer
    from core.parties.tests.factories import OrganizationFactory, PersonFactory

    everyone = OrganizationFactory(portal_visibility=Organization.PortalVisibility.ORGANIZATION)
    own = OrganizationFactory(portal_visibility=Organization.PortalVisibility.OWN)
    cases = {
        PersonFactory(user=UserFactory(), organization=everyone): True,
        PersonFactory(user=UserFactory(), organization=own): False,
        PersonFactory(user=UserFactory(), organization=None): False,
    }
    for person, sees_organization in cases.items():
        with django_assert_num_queries(1):
            viewer = portal_viewer(user=person.user)
        assert viewer == PortalViewer(person.pk, person.organization_id, sees_organization)
    inactive = PersonFactory(user=UserFactory(), organization=everyone, is_active=False)
    assert portal_viewer(user=inactive.user) is None
    assert portal_viewer(user=UserFactory()) is None


@pytest.mark.django_db
def test_the_whole_portal_person_carries_every_field_and_the_organization_in_the_one_query(
    django_assert_num_queries,
):
    from core.accounts.tests.factories import UserFactory
    from core.parties.selectors import portal_colleagues, portal_person_and_colleagues
    from core.parties.tests.factories import OrganizationFactory, PersonFactory

    organization = OrganizationFactory(name="Hela Bolaget AB")
    user = UserFactory()
    person = PersonFactory(user=user, organization=organization, phone="+46 8 123 45")
    PersonFactory(user=UserFactory(), organization=organization, last_name="Kollega")
    with django_assert_num_queries(1):
        found, colleagues = portal_person_and_colleagues(user=user, whole=True)
    expected = [(other.last_name, other.phone) for other in portal_colleagues(person=person)]
    with django_assert_num_queries(0):  # nothing deferred, the organization at hand, the colleagues whole too
        assert (found, found.phone, found.roles) == (person, "+46 8 123 45", person.roles)
        assert (found.organization, found.organization.name) == (organization, "Hela Bolaget AB")
        assert [(colleague.last_name, colleague.phone) for colleague in colleagues] == expected
    alone = PersonFactory(user=UserFactory(), organization=None)
    with django_assert_num_queries(1):
        found, colleagues = portal_person_and_colleagues(user=alone.user, whole=True)
        assert (found, found.organization, colleagues) == (alone, None, [])
