"""Every write of sales: leads, their conversion, and opportunities through the pipeline."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot
from core.exceptions import ServiceError
from core.notifications.services import notify
from core.parties import selectors as parties_selectors
from core.parties import services as parties
from core.parties.models import Address, Organization
from frontoffice.crm import selectors as crm_selectors
from frontoffice.crm import services as crm
from frontoffice.crm.models import Account
from frontoffice.sales import pricing
from frontoffice.sales.models import (
    CreditHold,
    Lead,
    Opportunity,
    PipelineStage,
    PricedDocument,
    PricedLine,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)
from integration.bus import publish

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


# --- quotes and orders ---------------------------------------------------------------

QUOTE_FIELDS = [
    "account",
    "contact",
    "opportunity",
    "currency",
    "tax_rounding",
    "payment_terms_days",
    "delivery_address",
    "notes",
    "owner",
    "valid_until",
]
ORDER_FIELDS = [*(name for name in QUOTE_FIELDS if name != "valid_until"), "customer_reference"]
LINE_FIELDS = ["product", "description", "quantity", "unit_price", "discount_percent", "tax_rate"]
QUOTE_VALIDITY_DAYS = 30


def _next_number(prefix: str, sequence: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (value,) = cursor.fetchone()
    return f"{prefix}-{value:06d}"


def _check_parties(document: PricedDocument) -> None:
    """The contact and the delivery address must be the customer's own; the opportunity the same account's."""
    organization_id = document.account.organization_id
    if document.contact and document.contact.organization_id != organization_id:
        raise ServiceError({"contact": _("This person does not belong to the customer.")})
    if document.delivery_address and document.delivery_address.organization_id != organization_id:
        raise ServiceError({"delivery_address": _("This address is not one of the customer's.")})
    if document.opportunity and document.opportunity.account_id != document.account_id:
        raise ServiceError({"opportunity": _("This opportunity belongs to another customer.")})
    if not document.currency.is_active:
        raise ServiceError({"currency": _("This currency is not in use.")})


def _build_lines(line_model: type[PricedLine], lines: list[dict[str, Any]]) -> list[PricedLine]:
    """Validate the lines a user entered; product defaults fill in what they left out. Raises naming the line."""
    built = []
    for index, values in enumerate(lines, start=1):
        unknown = set(values) - set(LINE_FIELDS)
        if unknown:
            raise TypeError(f"Unknown line fields: {', '.join(sorted(unknown))}")
        values = {name: value for name, value in values.items() if value not in (None, "")}
        product = values.get("product")
        if product is not None:
            if not product.is_active:
                raise ServiceError(
                    {"lines": _("Line %(line)s: %(product)s is no longer sold.") % {"line": index, "product": product}}
                )
            values.setdefault("description", product.name)
            values.setdefault("unit_price", product.list_price)
            values.setdefault("tax_rate", product.tax_rate.rate)
        values.setdefault("discount_percent", Decimal("0"))
        line = line_model(position=index, **values)
        try:
            line.full_clean(exclude=["quote", "order", "net_amount", "tax_amount", "position"])
        except ValidationError as error:
            problems = "; ".join(
                (f"{line_model._meta.get_field(field).verbose_name}: " if field != NON_FIELD_ERRORS else "")
                + " ".join(messages)
                for field, messages in error.message_dict.items()
            )
            raise ServiceError(
                {"lines": _("Line %(line)s: %(problems)s") % {"line": index, "problems": problems}}
            ) from None
        built.append(line)
    return built


def _price(document: PricedDocument, lines: list[PricedLine]) -> None:
    """Put each line's rounded net and VAT on it and the totals on the document (both kept in the database)."""
    totals = pricing.document_totals(
        [
            pricing.LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            for line in lines
        ],
        rounding=document.tax_rounding,
        decimal_places=document.currency.decimal_places,
    )
    for line, amounts in zip(lines, totals.lines, strict=True):
        line.net_amount, line.tax_amount = amounts.net, amounts.tax
    document.subtotal, document.tax_total, document.total = totals.subtotal, totals.tax, totals.total


def _copy_lines(lines, line_model: type[PricedLine]) -> list[PricedLine]:
    return [
        line_model(
            position=line.position,
            product=line.product,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
        )
        for line in lines
    ]


def _default_delivery_address(account: Account) -> Address | None:
    addresses = Address.objects.filter(organization_id=account.organization_id).order_by("-is_default", "pk")
    return addresses.filter(kind=Address.Kind.SHIPPING).first() or addresses.first()


@transaction.atomic
def quote_create(*, actor: User | None, lines: list[dict[str, Any]], **values: Any) -> Quote:
    """A draft quote with its lines; totals are computed here, never taken from the caller."""
    values.setdefault("valid_until", timezone.localdate() + timedelta(days=QUOTE_VALIDITY_DAYS))
    values.setdefault("owner", actor)
    quote = Quote(number=_next_number("Q", "sales_quote_number_seq"))
    _apply(quote, QUOTE_FIELDS, values)
    _check_parties(quote)
    if quote.valid_until < timezone.localdate():
        raise ServiceError({"valid_until": _("The quote must be valid today or later.")})
    built = _build_lines(QuoteLine, lines)
    _price(quote, built)
    quote.save()
    _attach_lines(quote, built)
    audit_record(actor=actor, instance=quote, action=AuditEntry.Action.CREATE)
    return quote


def _attach_lines(document: PricedDocument, built: list[PricedLine]) -> None:
    line_model = type(built[0]) if built else None
    document.lines.all().delete()
    if not built:
        return
    field = "quote" if isinstance(document, Quote) else "order"
    for line in built:
        setattr(line, field, document)
    line_model.objects.bulk_create(built)


def _lock_draft(model: type[Quote] | type[SalesOrder], document: PricedDocument) -> PricedDocument:
    document = model.objects.select_for_update(of=("self",)).select_related("account", "currency").get(pk=document.pk)
    if document.status != model.Status.DRAFT:
        raise ServiceError(
            _("%(document)s is %(status)s and can no longer be changed.")
            % {"document": document, "status": document.get_status_display().lower()}
        )
    return document


@transaction.atomic
def quote_update(
    *, actor: User | None, quote: Quote, lines: list[dict[str, Any]] | None = None, **values: Any
) -> Quote:
    """Change a draft quote; `lines`, when given, replace all its lines. A sent quote is revised instead."""
    quote = _lock_draft(Quote, quote)
    before = snapshot(quote, [*values, "total"])
    _apply(quote, QUOTE_FIELDS, values)
    _check_parties(quote)
    built = _build_lines(QuoteLine, lines) if lines is not None else _copy_lines(quote.lines.all(), QuoteLine)
    _price(quote, built)
    quote.save()
    _attach_lines(quote, built)
    changes = changes_between(before, snapshot(quote, [*values, "total"]))
    if changes or lines is not None:
        audit_record(actor=actor, instance=quote, action=AuditEntry.Action.UPDATE, changes=changes)
    return quote


@transaction.atomic
def quote_revise(*, actor: User | None, quote: Quote) -> Quote:
    """A new draft version of a sent or declined quote; the old version is kept as it was, marked revised."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("currency").get(pk=quote.pk)
    if quote.status not in {Quote.Status.SENT, Quote.Status.DECLINED}:
        raise ServiceError(_("Only a sent or declined quote is revised; a draft is simply edited."))
    revision = Quote(
        number=quote.number,
        version=quote.version + 1,
        previous=quote,
        **{name: getattr(quote, name) for name in QUOTE_FIELDS},
    )
    if revision.valid_until < timezone.localdate():
        revision.valid_until = timezone.localdate() + timedelta(days=QUOTE_VALIDITY_DAYS)
    built = _copy_lines(quote.lines.all(), QuoteLine)
    _price(revision, built)
    revision.save()
    _attach_lines(revision, built)
    quote.status = Quote.Status.REVISED
    quote.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        instance=quote,
        action=AuditEntry.Action.ACTION,
        message=_("Revised as %(revision)s") % {"revision": revision.reference},
    )
    audit_record(actor=actor, instance=revision, action=AuditEntry.Action.CREATE)
    return revision


def quote_link_token(quote: Quote) -> str:
    """The signed part of the link the customer answers the quote with (it expires, see QUOTE_LINK_MAX_AGE)."""
    return signing.dumps({"quote": quote.pk, "version": quote.version}, salt=QUOTE_LINK_SALT, compress=True)


def quote_from_token(token: str) -> Quote:
    """The quote a link names, or ServiceError when the link is forged, garbled or too old."""
    try:
        data = signing.loads(token, salt=QUOTE_LINK_SALT, max_age=settings.QUOTE_LINK_MAX_AGE)
        return Quote.objects.select_related("account__organization", "currency", "contact").get(
            pk=data["quote"], version=data["version"]
        )
    except signing.SignatureExpired:
        raise ServiceError(_("This link has expired. Ask your contact for a new one.")) from None
    except (signing.BadSignature, KeyError, TypeError, Quote.DoesNotExist):
        raise ServiceError(_("This link is not valid.")) from None


QUOTE_LINK_SALT = "kontor.sales.quote-link"


@transaction.atomic
def quote_send(*, actor: User | None, quote: Quote, to: str = "", message: str = "") -> Quote:
    """Send the quote's PDF and its answer link to the customer by e-mail (again, if it was sent before)."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("contact", "currency").get(pk=quote.pk)
    if quote.status not in {Quote.Status.DRAFT, Quote.Status.SENT}:
        raise ServiceError(_("Only a draft or a sent quote can be sent."))
    if not quote.lines.exists():
        raise ServiceError(_("Add at least one line before sending the quote."))
    if quote.valid_until < timezone.localdate():
        raise ServiceError({"valid_until": _("The quote has expired; revise it or change its validity first.")})
    to = (to or (quote.contact.email if quote.contact else "")).strip().lower()
    if not to:
        raise ServiceError({"to": _("Give an e-mail address: the quote has no contact with one.")})
    try:
        validate_email(to)
    except ValidationError:
        raise ServiceError({"to": _("Enter a valid e-mail address.")}) from None
    quote.status = Quote.Status.SENT
    quote.sent_at = timezone.now()
    quote.sent_to = to
    quote.save(update_fields=["status", "sent_at", "sent_to", "updated_at"])
    audit_record(actor=actor, instance=quote, action=AuditEntry.Action.ACTION, message=_("Sent to %(to)s") % {"to": to})
    from frontoffice.sales import tasks

    token = quote_link_token(quote)
    transaction.on_commit(lambda: tasks.send_quote.delay(quote_id=quote.pk, to=to, token=token, message=message[:2000]))
    return quote


def _lock_answerable(quote: Quote) -> Quote:
    quote = Quote.objects.select_for_update(of=("self",)).select_related("account", "opportunity").get(pk=quote.pk)
    if quote.status == Quote.Status.REVISED:
        raise ServiceError(_("This quote has been replaced by a newer version; answer that one instead."))
    if quote.status != Quote.Status.SENT:
        raise ServiceError(
            _("This quote is %(status)s and can no longer be answered.")
            % {"status": quote.get_status_display().lower()}
        )
    if quote.valid_until < timezone.localdate():
        raise ServiceError(_("This quote expired on %(date)s.") % {"date": quote.valid_until.isoformat()})
    return quote


def _responder(user: User | None, name: str) -> tuple[User | None, str]:
    name = name.strip()[:200]
    if user is not None and getattr(user, "is_authenticated", False):
        return user, name or user.full_name or user.email
    if not name:
        raise ServiceError({"name": _("Give your name: it is recorded with your answer.")})
    return None, name


@transaction.atomic
def quote_accept(*, quote: Quote, user: User | None = None, name: str = "", note: str = "") -> SalesOrder:
    """The customer says yes: record who and when, win the opportunity, and draft the order to confirm."""
    quote = _lock_answerable(quote)
    quote.responded_by, quote.responded_by_name = _responder(user, name)
    quote.status = Quote.Status.ACCEPTED
    quote.responded_at = timezone.now()
    quote.response_note = note.strip()[:2000]
    quote.save(update_fields=["status", "responded_at", "responded_by", "responded_by_name", "response_note"])
    audit_record(
        actor=user,
        instance=quote,
        action=AuditEntry.Action.ACTION,
        message=_("Accepted by %(name)s") % {"name": quote.responded_by_name},
    )
    if quote.opportunity and quote.opportunity.status == Opportunity.Status.OPEN:
        opportunity_mark_won(actor=user, opportunity=quote.opportunity)
    order = order_create_from_quote(actor=user, quote=quote)
    if quote.owner_id:
        notify(
            recipient=quote.owner,
            kind="sales.quote_answered",
            title=_("%(customer)s accepted quote %(quote)s") % {"customer": quote.account, "quote": quote.reference},
            body=_("Order %(order)s is drafted: check and confirm it.") % {"order": order.number},
            url=order.get_absolute_url(),
        )
    return order


@transaction.atomic
def quote_decline(*, quote: Quote, user: User | None = None, name: str = "", note: str = "") -> Quote:
    """The customer says no (with an optional reason); the salesperson hears of it."""
    quote = _lock_answerable(quote)
    quote.responded_by, quote.responded_by_name = _responder(user, name)
    quote.status = Quote.Status.DECLINED
    quote.responded_at = timezone.now()
    quote.response_note = note.strip()[:2000]
    quote.save(update_fields=["status", "responded_at", "responded_by", "responded_by_name", "response_note"])
    audit_record(
        actor=user,
        instance=quote,
        action=AuditEntry.Action.ACTION,
        message=_("Declined by %(name)s") % {"name": quote.responded_by_name},
    )
    if quote.owner_id:
        notify(
            recipient=quote.owner,
            kind="sales.quote_answered",
            title=_("%(customer)s declined quote %(quote)s") % {"customer": quote.account, "quote": quote.reference},
            body=quote.response_note,
            url=quote.get_absolute_url(),
        )
    return quote


@transaction.atomic
def quote_cancel(*, actor: User | None, quote: Quote) -> Quote:
    """Withdraw a draft or sent quote; its link stops working."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in {Quote.Status.DRAFT, Quote.Status.SENT}:
        raise ServiceError(_("Only a draft or a sent quote can be withdrawn."))
    quote.status = Quote.Status.CANCELLED
    quote.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, instance=quote, action=AuditEntry.Action.ACTION, message=_("Withdrawn"))
    return quote


@transaction.atomic
def order_create(*, actor: User | None, lines: list[dict[str, Any]], **values: Any) -> SalesOrder:
    """A draft order entered directly (without a quote)."""
    values.setdefault("owner", actor)
    order = SalesOrder(number=_next_number("SO", "sales_order_number_seq"))
    _apply(order, ORDER_FIELDS, values)
    if order.delivery_address is None:
        order.delivery_address = _default_delivery_address(order.account)
    _check_parties(order)
    built = _build_lines(SalesOrderLine, lines)
    _price(order, built)
    order.save()
    _attach_lines(order, built)
    audit_record(actor=actor, instance=order, action=AuditEntry.Action.CREATE)
    return order


@transaction.atomic
def order_create_from_quote(*, actor: User | None, quote: Quote) -> SalesOrder:
    """The draft order of an accepted quote, with the quote's lines and terms, priced exactly as quoted."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("account", "currency").get(pk=quote.pk)
    if quote.status != Quote.Status.ACCEPTED:
        raise ServiceError(_("Only an accepted quote becomes an order."))
    if SalesOrder.objects.filter(quote=quote).exists():
        raise ServiceError(_("This quote already has its order."))
    order = SalesOrder(
        number=_next_number("SO", "sales_order_number_seq"),
        quote=quote,
        **{name: getattr(quote, name) for name in QUOTE_FIELDS if name != "valid_until"},
    )
    if order.delivery_address is None:
        order.delivery_address = _default_delivery_address(quote.account)
    built = _copy_lines(quote.lines.all(), SalesOrderLine)
    _price(order, built)
    order.save()
    _attach_lines(order, built)
    audit_record(
        actor=actor,
        instance=order,
        action=AuditEntry.Action.CREATE,
        message=_("From quote %(quote)s") % {"quote": quote.reference},
    )
    return order


@transaction.atomic
def order_update(
    *, actor: User | None, order: SalesOrder, lines: list[dict[str, Any]] | None = None, **values: Any
) -> SalesOrder:
    """Change a draft order; `lines`, when given, replace all its lines."""
    order = _lock_draft(SalesOrder, order)
    before = snapshot(order, [*values, "total"])
    _apply(order, ORDER_FIELDS, values)
    _check_parties(order)
    built = _build_lines(SalesOrderLine, lines) if lines is not None else _copy_lines(order.lines.all(), SalesOrderLine)
    _price(order, built)
    order.save()
    _attach_lines(order, built)
    changes = changes_between(before, snapshot(order, [*values, "total"]))
    if changes or lines is not None:
        audit_record(actor=actor, instance=order, action=AuditEntry.Action.UPDATE, changes=changes)
    return order


def _address_payload(address: Address | None) -> dict[str, str] | None:
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


@transaction.atomic
def order_confirm(*, actor: User | None, order: SalesOrder) -> SalesOrder:
    """Make the order binding and tell the back office (sales.order_confirmed). Refused on credit hold."""
    order = _lock_draft(SalesOrder, order)
    lines = list(order.lines.select_related("product").order_by("position", "pk"))
    if not lines:
        raise ServiceError(_("An order needs at least one line to be confirmed."))
    organization = Organization.objects.get(pk=order.account.organization_id)
    hold = CreditHold.objects.filter(organization=organization, on_hold=True).first()
    if hold is not None:
        raise ServiceError(
            _("%(customer)s is on credit hold (%(reason)s): finance must release it before a new order is confirmed.")
            % {"customer": organization.name, "reason": hold.reason or _("no reason given")}
        )
    order.status = SalesOrder.Status.CONFIRMED
    order.confirmed_at = timezone.now()
    order.save(update_fields=["status", "confirmed_at", "updated_at"])
    audit_record(actor=actor, instance=order, action=AuditEntry.Action.ACTION, message=_("Confirmed"))
    if order.account.lifecycle_stage in {Account.Stage.LEAD, Account.Stage.PROSPECT}:
        crm.account_update(actor=actor, account=order.account, lifecycle_stage=Account.Stage.CUSTOMER)
    quote = order.quote if order.quote_id else None
    publish(
        "sales.order_confirmed",
        {
            "order_id": order.pk,
            "order_number": order.number,
            "organization_id": organization.pk,
            "account_id": order.account_id,
            "customer_name": organization.name,
            "contact_id": order.contact_id,
            "currency": order.currency_id,
            "payment_terms_days": order.payment_terms_days,
            "tax_rounding": order.tax_rounding,
            "subtotal": order.subtotal,
            "tax_total": order.tax_total,
            "total": order.total,
            "confirmed_at": order.confirmed_at,
            "order_date": timezone.localdate(order.confirmed_at),
            "lines": [
                {
                    "line_id": line.pk,
                    "position": line.position,
                    "product_id": line.product_id,
                    "sku": line.product.sku if line.product else "",
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent,
                    "tax_rate": line.tax_rate,
                    "net_amount": line.net_amount,
                    "tax_amount": line.tax_amount,
                }
                for line in lines
            ],
            "delivery_address": _address_payload(order.delivery_address),
            "customer_reference": order.customer_reference,
            "quote_reference": quote.reference if quote else "",
            "vat_number": organization.vat_number,
        },
        aggregate=order,
    )
    return order


@transaction.atomic
def order_cancel(*, actor: User | None, order: SalesOrder, reason: str) -> SalesOrder:
    """Cancel a draft or confirmed order; a confirmed one tells the back office (sales.order_cancelled)."""
    if not reason.strip():
        raise ServiceError({"reason": _("Say why the order is cancelled.")})
    order = SalesOrder.objects.select_for_update(of=("self",)).select_related("account__organization").get(pk=order.pk)
    if order.status == SalesOrder.Status.CANCELLED:
        raise ServiceError(_("This order is already cancelled."))
    if order.delivery_status in {SalesOrder.DeliveryStatus.DISPATCHED, SalesOrder.DeliveryStatus.DELIVERED}:
        raise ServiceError(_("This order has left the warehouse: register a return instead of cancelling."))
    was_confirmed = order.status == SalesOrder.Status.CONFIRMED
    order.status = SalesOrder.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason.strip()[:200]
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    audit_record(
        actor=actor,
        instance=order,
        action=AuditEntry.Action.ACTION,
        message=_("Cancelled: %(reason)s") % {"reason": order.cancel_reason},
    )
    if was_confirmed:
        publish(
            "sales.order_cancelled",
            {
                "order_id": order.pk,
                "order_number": order.number,
                "organization_id": order.account.organization_id,
                "account_id": order.account_id,
                "customer_name": order.account.organization.name,
                "reason": order.cancel_reason,
                "cancelled_at": order.cancelled_at,
                "line_ids": list(order.lines.values_list("pk", flat=True)),
            },
            aggregate=order,
        )
    return order


@transaction.atomic
def credit_hold_apply(
    *, organization_id: int, on_hold: bool, reason: str, as_of: datetime, event_id: uuid.UUID | None = None
) -> CreditHold | None:
    """Store finance's latest word on a customer's credit; an older event arriving late changes nothing."""
    if not Organization.objects.filter(pk=organization_id).exists():
        return None  # merged away or deleted: nothing to hold
    hold, created = CreditHold.objects.select_for_update().get_or_create(
        organization_id=organization_id,
        defaults={"on_hold": on_hold, "reason": reason[:300], "as_of": as_of, "event_id": event_id},
    )
    if not created and as_of >= hold.as_of:
        hold.on_hold, hold.reason, hold.as_of, hold.event_id = on_hold, reason[:300], as_of, event_id
        hold.save()
    return hold


# How far invoicing and delivery have come: a status only moves forward, whatever order events arrive in.
_INVOICE_PROGRESS = ["not-invoiced", "invoiced", "paid"]
_DELIVERY_PROGRESS = ["not-delivered", "partly", "dispatched", "delivered"]


@transaction.atomic
def order_record_back_office(
    *,
    order_id: int,
    invoice_status: str = "",
    delivery_status: str = "",
    carrier: str = "",
    tracking_number: str = "",
    replaces_tracking: bool = True,
) -> SalesOrder | None:
    """What finance and logistics report back about an order (invoiced, paid, dispatched, delivered), and the
    carrier and tracking number of its shipment (`replaces_tracking` false: only when none is known yet)."""
    order = SalesOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        return None  # not one of ours (or long gone): nothing to show it on
    changes: dict[str, list[str]] = {}
    carrier, tracking_number = (carrier or "").strip()[:60], (tracking_number or "").strip()[:80]
    if carrier and (replaces_tracking or not order.carrier):
        for field, value in (("carrier", carrier), ("tracking_number", tracking_number)):
            if getattr(order, field) != value:
                changes[field] = [getattr(order, field), value]
                setattr(order, field, value)
    if invoice_status == SalesOrder.InvoiceStatus.CREDITED and order.invoice_status != invoice_status:
        changes["invoice_status"] = [
            order.invoice_status,
            invoice_status,
        ]  # a credit note settles it, whatever came before
        order.invoice_status = invoice_status
    elif invoice_status and _INVOICE_PROGRESS.index(invoice_status) > _progress(
        _INVOICE_PROGRESS, order.invoice_status
    ):
        changes["invoice_status"] = [order.invoice_status, invoice_status]
        order.invoice_status = invoice_status
    if delivery_status and _DELIVERY_PROGRESS.index(delivery_status) > _progress(
        _DELIVERY_PROGRESS, order.delivery_status
    ):
        changes["delivery_status"] = [order.delivery_status, delivery_status]
        order.delivery_status = delivery_status
    if changes:
        order.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=None, instance=order, action=AuditEntry.Action.UPDATE, changes=changes)
    return order


def _progress(steps: list[str], status: str) -> int:
    return steps.index(status) if status in steps else len(steps)  # credited and the like: never moved back
