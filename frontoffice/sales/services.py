"""Every write of sales: leads, their conversion, and opportunities through the pipeline."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot
from core.exceptions import ServiceError
from core.parties import selectors as parties_selectors
from core.parties import services as parties
from frontoffice.crm import selectors as crm_selectors
from frontoffice.crm import services as crm
from frontoffice.crm.models import Account
from frontoffice.sales.models import Lead, Opportunity, PipelineStage

LEAD_FIELDS = [
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "source",
    "campaign",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "status",
    "notes",
    "owner",
]
OPPORTUNITY_FIELDS = [
    "name",
    "account",
    "contact",
    "stage",
    "amount",
    "currency",
    "probability",
    "expected_close",
    "owner",
]


def _apply(instance, fields: list[str], values: dict[str, Any]) -> None:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()


@transaction.atomic
def lead_create(*, actor: User | None, **values: Any) -> Lead:
    """Register a lead; a converted status can only come from lead_convert."""
    if values.get("status") == Lead.Status.CONVERTED:
        raise ServiceError({"status": _("A lead becomes converted by converting it.")})
    values.setdefault("email", "")
    values["email"] = values["email"].strip().lower()
    lead = Lead()
    _apply(lead, LEAD_FIELDS, values)
    lead.save()
    audit_record(actor=actor, instance=lead, action=AuditEntry.Action.CREATE)
    return lead


@transaction.atomic
def lead_update(*, actor: User | None, lead: Lead, **values: Any) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise ServiceError(_("A converted lead is kept as it was; change the account or opportunity instead."))
    if values.get("status") == Lead.Status.CONVERTED:
        raise ServiceError({"status": _("A lead becomes converted by converting it.")})
    if "email" in values:
        values["email"] = values["email"].strip().lower()
    before = snapshot(lead, list(values))
    _apply(lead, LEAD_FIELDS, values)
    changes = changes_between(before, snapshot(lead, list(values)))
    if changes:
        lead.save()
        audit_record(actor=actor, instance=lead, action=AuditEntry.Action.UPDATE, changes=changes)
    return lead


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    account: Account | None = None,
    opportunity_name: str = "",
    amount: Decimal = Decimal("0"),
) -> Opportunity:
    """Turn a lead into an account, a contact and an opportunity in one go.

    An existing customer is found by its name (the duplicate rules of the
    kernel) and reused, and so is a person with the lead's e-mail; only what
    is missing is created. Returns the new opportunity.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status in {Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED}:
        raise ServiceError(_("Only an open lead can be converted."))
    if account is None:
        organization = parties_selectors.organization_duplicates(name=lead.company_name).first()
        if organization is None:
            organization = parties.organization_create(
                actor=actor, name=lead.company_name, roles=["prospect"], country="SE"
            )
        account = crm_selectors.account_for_organization(organization_id=organization.pk) or crm.account_open(
            actor=actor, organization=organization, owner=lead.owner or actor, lifecycle_stage=Account.Stage.PROSPECT
        )
    contact = None
    if lead.email:
        contact = parties_selectors.person_duplicates(email=lead.email).first()
    if contact is None and (lead.first_name or lead.last_name or lead.email):
        contact = parties.person_create(
            actor=actor,
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            phone=lead.phone,
            organization=account.organization,
            roles=["prospect"],
        )
    opportunity = opportunity_create(
        actor=actor,
        name=opportunity_name or _("%(company)s: new business") % {"company": account},
        account=account,
        contact=contact,
        stage=PipelineStage.objects.filter(is_active=True).order_by("position").first(),
        amount=amount,
        owner=lead.owner or actor,
        lead=lead,
    )
    lead.status = Lead.Status.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_account = account
    lead.converted_contact = contact
    lead.save(update_fields=["status", "converted_at", "converted_account", "converted_contact"])
    audit_record(
        actor=actor,
        instance=lead,
        action=AuditEntry.Action.ACTION,
        message=_("Converted into %(opportunity)s") % {"opportunity": opportunity},
    )
    return opportunity


@transaction.atomic
def opportunity_create(*, actor: User | None, lead: Lead | None = None, **values: Any) -> Opportunity:
    """Open a deal in the pipeline for an account; its contact must work at the account's organization."""
    opportunity = Opportunity(lead=lead)
    _apply(opportunity, OPPORTUNITY_FIELDS, values)
    if opportunity.contact and opportunity.contact.organization_id != opportunity.account.organization_id:
        raise ServiceError({"contact": _("This person does not belong to the account's organization.")})
    opportunity.save()
    audit_record(actor=actor, instance=opportunity, action=AuditEntry.Action.CREATE)
    return opportunity


def _lock_open(opportunity: Opportunity) -> Opportunity:
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opportunity.status != Opportunity.Status.OPEN:
        raise ServiceError(_("This opportunity is closed (%(status)s).") % {"status": opportunity.get_status_display()})
    return opportunity


@transaction.atomic
def opportunity_move(*, actor: User | None, opportunity: Opportunity, stage: PipelineStage) -> Opportunity:
    """Move an open opportunity to another stage of the pipeline."""
    opportunity = _lock_open(opportunity)
    if opportunity.stage_id != stage.pk:
        audit_record(
            actor=actor,
            instance=opportunity,
            action=AuditEntry.Action.UPDATE,
            changes={"stage": [str(opportunity.stage), str(stage)]},
        )
        opportunity.stage = stage
        opportunity.save(update_fields=["stage", "updated_at"])
    return opportunity


@transaction.atomic
def opportunity_mark_won(*, actor: User | None, opportunity: Opportunity) -> Opportunity:
    """The customer said yes."""
    opportunity = _lock_open(opportunity)
    opportunity.status = Opportunity.Status.WON
    opportunity.closed_at = timezone.now()
    opportunity.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(actor=actor, instance=opportunity, action=AuditEntry.Action.ACTION, message=_("Won"))
    return opportunity


@transaction.atomic
def opportunity_mark_lost(*, actor: User | None, opportunity: Opportunity, reason: str) -> Opportunity:
    """The customer said no; the reason is kept for the win/loss analysis."""
    if not reason.strip():
        raise ServiceError({"lost_reason": _("Say why it was lost.")})
    opportunity = _lock_open(opportunity)
    opportunity.status = Opportunity.Status.LOST
    opportunity.lost_reason = reason.strip()[:200]
    opportunity.closed_at = timezone.now()
    opportunity.save(update_fields=["status", "lost_reason", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=opportunity,
        action=AuditEntry.Action.ACTION,
        message=_("Lost: %(reason)s") % {"reason": opportunity.lost_reason},
    )
    return opportunity
