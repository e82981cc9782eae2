"""Every write of the CRM: accounts, contact consent, activities."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot
from core.exceptions import ServiceError
from core.notifications.services import notify
from core.parties.models import Organization, Person
from frontoffice.crm.models import Account, Activity, ContactProfile
from integration.bus import publish

ACCOUNT_FIELDS = ["owner", "segment", "industry", "lifecycle_stage", "tags", "notes"]
ACTIVITY_FIELDS = ["kind", "subject", "notes", "account", "contact", "assignee", "due_at"]
ACTIVITY_CHANGE_FIELDS = ["kind", "subject", "notes", "assignee", "due_at"]
REMINDER_AHEAD = timedelta(minutes=15)


def _customer_payload(account: Account, changed: list[str] | None = None) -> dict[str, Any]:
    organization = account.organization
    return {
        "account_id": account.pk,
        "organization_id": organization.pk,
        "name": organization.name,
        "org_number": organization.org_number,
        "vat_number": organization.vat_number,
        "country": organization.country,
        "lifecycle_stage": account.lifecycle_stage,
        "owner_id": account.owner_id,
        "changed_fields": changed or [],
    }


def _apply(instance, fields: list[str], values: dict[str, Any]) -> None:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(instance, name, value)
    if hasattr(instance, "tags"):
        instance.tags = sorted({tag.strip().lower() for tag in instance.tags if tag.strip()})
    instance.full_clean()


@transaction.atomic
def account_open(*, actor: User | None, organization: Organization, **values: Any) -> Account:
    """Start a customer relationship for an organization; the other office hears crm.customer_created."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if Account.objects.filter(organization=organization).exists():
        raise ServiceError(_("%(name)s already has an account.") % {"name": organization.name})
    account = Account(organization=organization)
    _apply(account, ACCOUNT_FIELDS, values)
    account.save()
    audit_record(actor=actor, instance=account, action=AuditEntry.Action.CREATE)
    publish("crm.customer_created", _customer_payload(account), aggregate=organization)
    return account


@transaction.atomic
def account_update(*, actor: User | None, account: Account, **values: Any) -> Account:
    """Change owner, segment, stage, tags or notes; publishes crm.customer_updated naming what changed."""
    account = Account.objects.select_for_update().select_related("organization").get(pk=account.pk)
    before = snapshot(account, list(values))
    _apply(account, ACCOUNT_FIELDS, values)
    changes = changes_between(before, snapshot(account, list(values)))
    if changes:
        account.save()
        audit_record(actor=actor, instance=account, action=AuditEntry.Action.UPDATE, changes=changes)
        publish("crm.customer_updated", _customer_payload(account, sorted(changes)), aggregate=account.organization)
    return account


@transaction.atomic
def contact_profile_update(
    *,
    actor: User | None,
    person: Person,
    role: str,
    email_consent: bool,
    phone_consent: bool,
    source: str,
) -> ContactProfile:
    """Record a contact's role and consent; a change of consent keeps when and from where it came."""
    profile, _created = ContactProfile.objects.select_for_update().get_or_create(person=person)
    before = snapshot(profile, ["role", "email_consent", "phone_consent"])
    now = timezone.now()
    profile.role = role.strip()
    for channel, agreed in (("email", email_consent), ("phone", phone_consent)):
        if getattr(profile, f"{channel}_consent") != agreed:
            if not source:
                raise ServiceError({"source": _("Say where the consent (or its withdrawal) came from.")})
            setattr(profile, f"{channel}_consent", agreed)
            setattr(profile, f"{channel}_consent_at", now)
            setattr(profile, f"{channel}_consent_source", source)
    profile.full_clean()
    profile.save()
    changes = changes_between(before, snapshot(profile, ["role", "email_consent", "phone_consent"]))
    if changes:
        audit_record(
            actor=actor, instance=person, action=AuditEntry.Action.UPDATE, changes=changes, message=_("Contact profile")
        )
    return profile


@transaction.atomic
def activity_create(*, actor: User, **values: Any) -> Activity:
    """Log a call, meeting or e-mail, or plan a task; a logged activity with no due date is done at once."""
    activity = Activity(created_by=actor)
    _apply(activity, ACTIVITY_FIELDS, values)
    if activity.account is None and activity.contact is None:
        raise ServiceError(_("Link the activity to an account or a contact."))
    if activity.contact and activity.account and activity.contact.organization_id != activity.account.organization_id:
        raise ServiceError({"contact": _("This person does not belong to the account's organization.")})
    if activity.kind != Activity.Kind.TASK and activity.due_at is None:
        activity.done_at = timezone.now()
    activity.save()
    if activity.account:
        audit_record(
            actor=actor,
            instance=activity.account,
            action=AuditEntry.Action.ACTION,
            message=_("%(kind)s: %(subject)s") % {"kind": activity.get_kind_display(), "subject": activity.subject},
        )
    return activity


@transaction.atomic
def activity_update(*, actor: User, activity: Activity, **values: Any) -> Activity:
    """Change what an activity is, when it is due or who does it; a new due date earns a new reminder."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    before = snapshot(activity, list(values))
    _apply(activity, ACTIVITY_CHANGE_FIELDS, values)
    changes = changes_between(before, snapshot(activity, list(values)))
    if not changes:
        return activity
    if "due_at" in changes:
        activity.reminded_at = None
    activity.save()
    if activity.account_id:
        audit_record(
            actor=actor,
            instance=activity.account,
            action=AuditEntry.Action.UPDATE,
            changes=changes,
            message=_("%(kind)s: %(subject)s") % {"kind": activity.get_kind_display(), "subject": activity.subject},
        )
    return activity


@transaction.atomic
def activity_set_done(*, actor: User, activity: Activity, done: bool) -> Activity:
    """Tick an activity off, or open it again."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.is_done != done:
        activity.done_at = timezone.now() if done else None
        activity.save(update_fields=["done_at"])
    return activity


def activity_send_reminders(*, now: datetime | None = None) -> int:
    """Remind assignees in the app (and by e-mail, as they prefer) of tasks due within 15 minutes or overdue."""
    now = now or timezone.now()
    sent = 0
    due = Activity.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=now + REMINDER_AHEAD)
    for activity_id in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            activity = (
                Activity.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("assignee", "account__organization")
                .filter(pk=activity_id, reminded_at__isnull=True, done_at__isnull=True)
                .first()
            )
            if activity is None:
                continue
            where = f" · {activity.account}" if activity.account else ""
            notify(
                recipient=activity.assignee,
                kind="crm.activity_due",
                title=_("Due: %(subject)s%(where)s") % {"subject": activity.subject, "where": where},
                url=activity.account.get_absolute_url() if activity.account else "",
            )
            activity.reminded_at = now
            activity.save(update_fields=["reminded_at"])
            sent += 1
    return sent


def _move_account_links(merged: Account, kept: Account) -> None:
    """Point every record of any app that refers to the merged account (activities, opportunities, quotes,
    orders, tickets later) at the kept one: found through the model's relations, so new apps need no change here.
    """
    for relation in Account._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and relation.one_to_many:
            relation.related_model._base_manager.filter(**{relation.field.name: merged}).update(
                **{relation.field.name: kept}
            )


@transaction.atomic
def customers_merge(*, actor: User, survivor: Organization, duplicate: Organization) -> Organization:
    """Merge two organizations that are the same customer, with everything the CRM holds about them.

    The shared kernel moves people and addresses; the CRM keeps one account
    (the survivor's, or the duplicate's if the survivor had none) and moves the
    activities; the other apps hear crm.customers_merged and move theirs.
    """
    from core.parties.services import organization_merge

    survivor = organization_merge(actor=actor, survivor=survivor, duplicate=duplicate)
    duplicate = Organization.objects.get(pk=duplicate.pk)
    kept = Account.objects.select_for_update().filter(organization=survivor).first()
    merged = Account.objects.select_for_update().filter(organization=duplicate).first()
    if merged is not None and kept is None:
        merged.organization = survivor
        merged.save(update_fields=["organization", "updated_at"])
        kept = merged
    elif merged is not None:
        _move_account_links(merged, kept)
        kept.tags = sorted(set(kept.tags) | set(merged.tags))
        kept.notes = "\n\n".join(note for note in (kept.notes, merged.notes) if note)
        kept.owner = kept.owner or merged.owner
        kept.save()
        audit_record(
            actor=actor,
            instance=kept,
            action=AuditEntry.Action.ACTION,
            message=_("Account of %(name)s merged into this one") % {"name": duplicate.name},
        )
        merged.delete()
    publish(
        "crm.customers_merged",
        {
            "survivor_id": survivor.pk,
            "merged_id": duplicate.pk,
            "survivor_name": survivor.name,
            "merged_name": duplicate.name,
        },
        aggregate=survivor,
    )
    if kept is not None:
        publish("crm.customer_updated", _customer_payload(kept, ["merged"]), aggregate=survivor)
    return survivor
