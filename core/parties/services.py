"""Every write to organizations, people and addresses."""

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot
from core.exceptions import ServiceError
from core.mail import send_mail_after_commit
from core.notifications.services import notify
from core.parties.models import Address, Organization, Person

ORGANIZATION_FIELDS = [
    "name",
    "org_number",
    "vat_number",
    "roles",
    "email",
    "phone",
    "website",
    "country",
    "portal_visibility",
    "is_active",
    "notes",
]
PERSON_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "organization",
    "roles",
    "is_active",
    "notes",
]
ADDRESS_FIELDS = ["kind", "line1", "line2", "postal_code", "city", "country", "is_default"]


def _apply(instance, fields: list[str], values: dict[str, Any]) -> None:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(instance, name, value)
    if hasattr(instance, "country") and instance.country:
        instance.country = instance.country.upper()
    instance.full_clean(exclude=["name_key", "org_number_key", "email_key"])


def _lock(model, pk: int):
    return model.objects.select_for_update().get(pk=pk)


@transaction.atomic
def organization_create(*, actor: User | None, **values: Any) -> Organization:
    """Register an organization the company deals with."""
    organization = Organization()
    _apply(organization, ORGANIZATION_FIELDS, values)
    organization.save()
    audit_record(actor=actor, instance=organization, action=AuditEntry.Action.CREATE)
    return organization


@transaction.atomic
def organization_update(*, actor: User | None, organization: Organization, **values: Any) -> Organization:
    """Change an organization's facts; the audit trail records what moved."""
    organization = _lock(Organization, organization.pk)
    before = snapshot(organization, list(values))
    _apply(organization, ORGANIZATION_FIELDS, values)
    changes = changes_between(before, snapshot(organization, list(values)))
    if changes:
        organization.save()
        audit_record(actor=actor, instance=organization, action=AuditEntry.Action.UPDATE, changes=changes)
    return organization


@transaction.atomic
def organization_set_active(*, actor: User | None, pks: list[int], is_active: bool) -> int:
    """Activate or deactivate several organizations at once; returns how many changed."""
    changed = list(Organization.objects.select_for_update().filter(pk__in=pks).exclude(is_active=is_active))
    for organization in changed:
        organization.is_active = is_active
        organization.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            instance=organization,
            action=AuditEntry.Action.UPDATE,
            changes={"is_active": [not is_active, is_active]},
        )
    return len(changed)


@transaction.atomic
def person_create(*, actor: User | None, **values: Any) -> Person:
    """Register a person, usually a contact at an organization."""
    person = Person()
    _apply(person, PERSON_FIELDS, values)
    person.email = person.email.strip().lower()
    person.save()
    audit_record(actor=actor, instance=person, action=AuditEntry.Action.CREATE)
    return person


@transaction.atomic
def person_update(*, actor: User | None, person: Person, **values: Any) -> Person:
    person = _lock(Person, person.pk)
    before = snapshot(person, list(values))
    _apply(person, PERSON_FIELDS, values)
    person.email = person.email.strip().lower()
    if person.user_id and "email" in values and person.email != before.get("email"):
        raise ServiceError(
            {"email": _("This person signs in to the portal with this address; they change it themselves.")}
        )
    changes = changes_between(before, snapshot(person, list(values)))
    if changes:
        person.save()
        audit_record(actor=actor, instance=person, action=AuditEntry.Action.UPDATE, changes=changes)
    return person


@transaction.atomic
def address_save(
    *,
    actor: User | None,
    address: Address | None = None,
    organization: Organization | None = None,
    person: Person | None = None,
    **values: Any,
) -> Address:
    """Add an address to an organization or person, or change one; one default per kind."""
    if address is None:
        if (organization is None) == (person is None):
            raise ServiceError(_("An address belongs to exactly one organization or person."))
        address = Address(organization=organization, person=person)
    else:
        address = _lock(Address, address.pk)
    before = snapshot(address, list(values))
    if values.get("is_default", address.is_default):
        # One default per kind: the new default takes over from the old one.
        Address.objects.filter(
            organization=address.organization,
            person=address.person,
            kind=values.get("kind", address.kind),
            is_default=True,
        ).exclude(pk=address.pk).update(is_default=False)
    _apply(address, ADDRESS_FIELDS, values)
    address.save()
    owner = address.organization or address.person
    audit_record(
        actor=actor,
        instance=owner,
        action=AuditEntry.Action.UPDATE,
        changes=changes_between(before, snapshot(address, list(values))),
        message=_("Address: %(address)s") % {"address": address},
    )
    return address


@transaction.atomic
def address_delete(*, actor: User | None, address: Address) -> None:
    owner = address.organization or address.person
    text = str(address)
    address.delete()
    audit_record(actor=actor, instance=owner, action=AuditEntry.Action.UPDATE, message=_("Address removed: %s") % text)


@transaction.atomic
def person_link_verified_portal_user(*, user: User, email: str) -> Person:
    """Tie a customer who has just verified their e-mail to the person with that address.

    A verified address is the only proof we accept: the person (and so their
    organization) is found by it, or a new person without an organization is
    made. Never called for an unverified address.
    """
    existing = Person.objects.filter(user=user).first()
    if existing is not None:
        return existing
    candidates = Person.objects.select_for_update().filter(email__iexact=email.strip(), user__isnull=True)
    person = candidates.order_by("organization_id", "pk").first()
    if person is None:
        first_name, _space, last_name = user.full_name.strip().partition(" ")
        person = Person.objects.create(
            first_name=first_name, last_name=last_name, email=email.strip().lower(), user=user, roles=["customer"]
        )
        audit_record(actor=user, instance=person, action=AuditEntry.Action.CREATE, message=_("Signed up on the portal"))
    else:
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        audit_record(actor=user, instance=person, action=AuditEntry.Action.ACTION, message=_("Portal sign-up linked"))
    if not user.full_name and person.full_name:
        user.full_name = person.full_name
        user.save(update_fields=["full_name"])
    return person


@transaction.atomic
def person_invite_to_portal(*, actor: User, person: Person) -> User:
    """Give a customer contact a portal login and e-mail them a link to choose a password.

    The link proves the address when they follow it (see portal_invitation_accept).
    """
    person = _lock(Person, person.pk)
    if not person.email:
        raise ServiceError({"email": _("The person needs an e-mail address to be invited.")})
    if person.user_id:
        user = person.user
        if user.has_usable_password():
            raise ServiceError(_("%(person)s already has a portal login.") % {"person": person})
    else:
        if User.objects.filter(email__iexact=person.email).exists():
            raise ServiceError({"email": _("Another login already uses this e-mail address.")})
        user = User.objects.create_user(email=person.email, full_name=person.full_name, kind=User.Kind.CUSTOMER)
        person.user = user
    person.portal_invited_by = actor
    person.portal_invited_at = timezone.now()
    person.save(update_fields=["user", "portal_invited_by", "portal_invited_at", "updated_at"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    send_mail_after_commit(
        template="parties/email/portal_invitation",
        context={
            "name": person.full_name or person.email,
            "organization": person.organization.name if person.organization else "",
            "invited_by": actor.get_full_name(),
            "path": reverse("portal-invitation", args=[uid, token]),
        },
        to=[person.email],
        language=user.language,
    )
    audit_record(actor=actor, instance=person, action=AuditEntry.Action.ACTION, message=_("Invited to the portal"))
    return user


@transaction.atomic
def portal_invitation_accept(*, user: User, password: str) -> User:
    """The invited customer sets a password; following the e-mailed link verified the address."""
    from allauth.account.models import EmailAddress

    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    person = Person.objects.select_related("portal_invited_by").filter(user=user).first()
    if person is not None:
        audit_record(
            actor=user, instance=person, action=AuditEntry.Action.ACTION, message=_("Portal invitation accepted")
        )
        if person.portal_invited_by is not None:
            notify(
                recipient=person.portal_invited_by,
                kind="portal.invitation_accepted",
                title=_("%(person)s accepted your portal invitation") % {"person": person},
                url=person.get_absolute_url(),
            )
    return user


MERGE_FILLABLE = ["org_number", "vat_number", "email", "phone", "website", "notes"]


@transaction.atomic
def organization_merge(*, actor: User | None, survivor: Organization, duplicate: Organization) -> Organization:
    """Fold a duplicate organization into the one that stays.

    People and addresses move to the survivor, blank facts of the survivor are
    filled from the duplicate, roles are joined, and the duplicate stays as an
    inactive record pointing at the survivor, so old references still lead
    somewhere. Apps that link to organizations move their own records in the
    same transaction (the CRM's merge service) or when they hear
    crm.customers_merged.
    """
    if survivor.pk == duplicate.pk:
        raise ServiceError(_("Choose two different organizations."))
    first, second = sorted([survivor.pk, duplicate.pk])
    locked = {org.pk: org for org in Organization.objects.select_for_update().filter(pk__in=[first, second])}
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if duplicate.merged_into_id or survivor.merged_into_id:
        raise ServiceError(_("One of these organizations was already merged into another."))
    before = snapshot(survivor, [*MERGE_FILLABLE, "roles"])
    for name in MERGE_FILLABLE:
        if not getattr(survivor, name) and getattr(duplicate, name):
            setattr(survivor, name, getattr(duplicate, name))
    survivor.roles = sorted(set(survivor.roles) | set(duplicate.roles))
    survivor.save()
    moved_people = Person.objects.filter(organization=duplicate).update(organization=survivor)
    kinds_with_default = set(
        Address.objects.filter(organization=survivor, is_default=True).values_list("kind", flat=True)
    )
    Address.objects.filter(organization=duplicate, is_default=True, kind__in=kinds_with_default).update(
        is_default=False
    )
    moved_addresses = Address.objects.filter(organization=duplicate).update(organization=survivor)
    duplicate.is_active = False
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["is_active", "merged_into", "updated_at"])
    message = _("Merged %(duplicate)s into %(survivor)s: %(people)d people, %(addresses)d addresses moved") % {
        "duplicate": duplicate,
        "survivor": survivor,
        "people": moved_people,
        "addresses": moved_addresses,
    }
    audit_record(
        actor=actor,
        instance=survivor,
        action=AuditEntry.Action.ACTION,
        changes=changes_between(before, snapshot(survivor, [*MERGE_FILLABLE, "roles"])),
        message=message,
    )
    audit_record(actor=actor, instance=duplicate, action=AuditEntry.Action.ACTION, message=message)
    return survivor
