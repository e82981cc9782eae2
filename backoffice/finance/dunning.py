"""Dunning and credit hold: chasing overdue customer invoices, and holding the credit of customers who do not pay.

One module for this sub-domain, with both halves of it:

- **Services** (writes, each one transaction, audited, publishing its events): `dunning_run` (the daily run the
  beat task and the "Run dunning now" button call), `dunning_letter_create` (one letter about one invoice),
  `credit_hold_review` (the policy's verdict on one customer; payments call it after allocating money),
  `credit_hold_set` (a hold or release by hand), `dunning_policy_update`, and the letter's e-mail
  (`dunning_letter_send_mail`, run by `tasks.send_dunning_letter` after commit; `dunning_letter_mail_failed` keeps
  one that never went as a FailedMail).
- **Selectors** (reads, with their joins and annotations applied so a page never asks per row):
  `dunning_policy`, `dunning_level_for`, `invoices_to_remind`, `overdue_invoices`, `overdue_total`,
  `overdue_position`, `customers_to_review`, `dunning_letters`, `credit_holds_on`, `dunning_letter_mail`.

A letter goes out when an invoice's days overdue reach the next level of the policy (reminder, second reminder,
final notice); one run sends at most one letter per invoice, at the highest level reached, so a customer never
gets three letters at once. Its fee (from the policy's fee level) and its interest (on the final notice) are billed
on a fee invoice of their own, booked to 3930 Påminnelseavgifter and 8313 Ränteintäkter från kundfordringar
without VAT, so that they are numbered, payable by OCR and seen on the portal. A run is idempotent: the invoice's
`dunning_level` says what was sent, and the database refuses a second letter at the same level.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.finance import invoicing, selectors, services
from backoffice.finance.models import ZERO, CreditHold, DunningLetter, DunningPolicy, Invoice
from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record
from core.exceptions import ServiceError
from core.parties.models import Organization
from integration.bus import publish

logger = logging.getLogger(__name__)

FEE_ACCOUNT = "3930"  # Påminnelseavgifter
INTEREST_ACCOUNT = "8313"  # Ränteintäkter från kundfordringar
PAY_WITHIN_DAYS = 10  # what a letter gives the customer to pay, and the fee invoice's terms
DAYS_A_YEAR = Decimal(365)
HUNDRED = Decimal(100)
MONEY = DecimalField(max_digits=16, decimal_places=2)


# --- selectors ---------------------------------------------------------------------------------------------------


def dunning_policy() -> DunningPolicy:
    """Selector: the one policy row (made with the defaults if a test or a new database has none)."""
    return DunningPolicy.objects.get_or_create(pk=1)[0]


def dunning_level_for(*, policy: DunningPolicy, days_overdue: int) -> int:
    """Selector: the highest letter an invoice this many days overdue has earned (0: none yet)."""
    if days_overdue >= policy.final_notice_days:
        return DunningLetter.Level.FINAL_NOTICE
    if days_overdue >= policy.second_reminder_days:
        return DunningLetter.Level.SECOND_REMINDER
    if days_overdue >= policy.reminder_days:
        return DunningLetter.Level.REMINDER
    return 0


class _DaysBetween(Func):
    """`later - earlier` of two dates, in whole days (PostgreSQL's date minus date is an integer)."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()


def _open_invoices() -> QuerySet[Invoice]:
    """Issued customer invoices with something left to pay, annotated with `due` (in the invoice's currency)."""
    return (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, state=Invoice.State.ISSUED)
        .annotate(due=ExpressionWrapper(F("total") - F("amount_paid") - F("amount_credited"), output_field=MONEY))
        .filter(due__gt=0)
    )


def invoices_to_remind(*, today: date, policy: DunningPolicy) -> QuerySet[Invoice]:
    """Selector: the invoices that have earned a letter above the one they had, in one query.

    Each carries `target_level` (the level its days overdue reach) and `due`. Fee invoices are not chased
    themselves: their amounts are in the customer's overdue total, which is what the credit hold looks at.
    """
    target = Case(
        When(due_date__lte=today - timedelta(days=policy.final_notice_days), then=Value(3)),
        When(due_date__lte=today - timedelta(days=policy.second_reminder_days), then=Value(2)),
        When(due_date__lte=today - timedelta(days=policy.reminder_days), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        _open_invoices()
        .filter(due_date__lt=today)
        .exclude(Exists(DunningLetter.objects.filter(fee_invoice=OuterRef("pk"))))
        .annotate(target_level=target)
        .filter(target_level__gt=F("dunning_level"))
        .order_by("due_date", "pk")
    )


OVERDUE_SORTS = {"customer_name", "number", "due_date", "days_overdue", "due", "dunning_level"}


def overdue_invoices(
    *, today: date, search: str = "", level: int | None = None, ordering: str = ""
) -> QuerySet[Invoice]:
    """Selector: every overdue invoice (oldest first, or by `ordering`, one of OVERDUE_SORTS with an optional "-")
    with its customer, `due`, `days_overdue`, the date of its last letter and whether it is itself a fee invoice:
    the overdue list, in one query per page."""
    letters = DunningLetter.objects.filter(invoice=OuterRef("pk")).order_by("-level")
    invoices = (
        _open_invoices()
        .filter(due_date__lt=today)
        .select_related("organization", "currency")
        .annotate(
            days_overdue=_DaysBetween(Cast(Value(today), output_field=DateField()), F("due_date")),
            last_letter_date=Subquery(letters.values("date")[:1]),
            is_fee_invoice=Exists(DunningLetter.objects.filter(fee_invoice=OuterRef("pk"))),
        )
    )
    if level is not None:
        invoices = invoices.filter(dunning_level=level)
    search = (search or "").strip()
    if search:
        invoices = invoices.filter(
            Q(number__icontains=search)
            | Q(ocr=search)
            | Q(customer_name__icontains=search)
            | Q(organization__name__icontains=search)
        )
    if ordering.removeprefix("-") in OVERDUE_SORTS:
        return invoices.order_by(ordering, "due_date", "pk")
    return invoices.order_by("due_date", "pk")


def overdue_total(*, today: date) -> dict[str, Any]:
    """Selector: how many invoices are overdue, for how many customers, and their amount due in SEK (one query)."""
    return (
        _open_invoices()
        .filter(due_date__lt=today)
        .aggregate(
            invoices=Count("pk"),
            customers=Count("organization_id", distinct=True),
            amount=Coalesce(Sum(Round(F("due") * F("exchange_rate"), 2), output_field=MONEY), Value(ZERO)),
        )
    )


@dataclass(frozen=True)
class OverduePosition:
    """What a customer owes past due: the amount in SEK, the days of its oldest overdue invoice, how many."""

    amount: Decimal
    oldest_days: int
    invoices: int


def overdue_position(*, organization_id: int, today: date) -> OverduePosition:
    """Selector: the customer's overdue amount in SEK (each invoice at its own rate, to the öre) and the days of
    its oldest overdue invoice, in one aggregate query."""
    row = (
        _open_invoices()
        .filter(organization_id=organization_id, due_date__lt=today)
        .aggregate(
            amount=Coalesce(Sum(Round(F("due") * F("exchange_rate"), 2), output_field=MONEY), Value(ZERO)),
            oldest=Min("due_date"),
            invoices=Count("pk"),
        )
    )
    oldest_days = (today - row["oldest"]).days if row["oldest"] else 0
    return OverduePosition(amount=row["amount"], oldest_days=oldest_days, invoices=row["invoices"])


def customers_to_review(*, today: date) -> list[int]:
    """Selector: the customers whose credit a run looks at: those with an overdue invoice and those the policy
    holds now (who may have paid since). One query."""
    overdue = _open_invoices().filter(due_date__lt=today).values("organization_id")
    held = CreditHold.objects.filter(on_hold=True, is_manual=False).values("organization_id")
    ids = Organization.objects.filter(Q(pk__in=overdue) | Q(pk__in=held)).order_by("pk")
    return list(ids.values_list("pk", flat=True))


def dunning_letters(*, search: str = "", level: int | None = None) -> QuerySet[DunningLetter]:
    """Selector: letters sent, newest first, with their invoice, customer and fee invoice loaded."""
    letters = DunningLetter.objects.select_related(
        "invoice", "invoice__organization", "invoice__currency", "fee_invoice"
    )
    if level is not None:
        letters = letters.filter(level=level)
    search = (search or "").strip()
    if search:
        letters = letters.filter(
            Q(invoice__number__icontains=search)
            | Q(invoice__customer_name__icontains=search)
            | Q(invoice__organization__name__icontains=search)
            | Q(fee_invoice__number__icontains=search)
        )
    return letters.order_by("-date", "-pk")


def credit_holds_on(*, search: str = "") -> QuerySet[CreditHold]:
    """Selector: the customers on credit hold now, most recently held first."""
    holds = CreditHold.objects.filter(on_hold=True).select_related("organization")
    search = (search or "").strip()
    if search:
        holds = holds.filter(Q(organization__name__icontains=search) | Q(organization__org_number__icontains=search))
    return holds.order_by("-changed_at", "-pk")


# --- services: the run and its letters --------------------------------------------------------------------------


@dataclass
class DunningSummary:
    """What a run did, for the button's message and the beat task's log."""

    day: date
    letters: int = 0
    fee_invoices: int = 0
    holds_placed: int = 0
    holds_released: int = 0
    customers_reviewed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "letters": self.letters,
            "fee_invoices": self.fee_invoices,
            "holds_placed": self.holds_placed,
            "holds_released": self.holds_released,
            "customers_reviewed": self.customers_reviewed,
            "errors": list(self.errors),
        }


def dunning_run(today: date, actor: User | None = None) -> DunningSummary:
    """Service: send the letters that are due today and review the credit of every customer concerned.

    Each invoice is its own transaction, so a fee invoice that cannot be issued (no fiscal year, a locked day)
    is reported and the rest go out. Running it again the same day sends nothing more.
    """
    policy = dunning_policy()
    summary = DunningSummary(day=today)
    if policy.is_active:
        for invoice in invoices_to_remind(today=today, policy=policy):
            try:
                letter = dunning_letter_create(actor=actor, invoice=invoice, today=today, policy=policy)
            except ServiceError as error:
                summary.errors.append(f"{invoice.number}: {' '.join(error.messages)}")
                logger.warning("Dunning %s: %s", invoice.number, error.messages)
                continue
            if letter is not None:
                summary.letters += 1
                summary.fee_invoices += letter.fee_invoice_id is not None
    for organization_id in customers_to_review(today=today):
        was_on_hold = CreditHold.objects.filter(organization_id=organization_id, on_hold=True).exists()
        hold = credit_hold_review(organization_id, today=today, actor=actor)
        summary.customers_reviewed += 1
        summary.holds_placed += hold.on_hold and not was_on_hold
        summary.holds_released += was_on_hold and not hold.on_hold
    return summary


def _interest(*, amount_sek: Decimal, rate: Decimal, days: int) -> Decimal:
    """Late-payment interest: the SEK amount due × the yearly rate × the days overdue / 365, to the öre."""
    return invoicing.round_money(amount_sek * rate / HUNDRED * days / DAYS_A_YEAR)


@transaction.atomic
def dunning_letter_create(
    *, actor: User | None, invoice: Invoice, today: date, policy: DunningPolicy | None = None
) -> DunningLetter | None:
    """Service: the letter an overdue invoice has earned today, with its fee invoice when it costs something.

    The invoice is locked and read again, so two runs at once send one letter; an invoice paid, credited or
    already reminded at this level in the meantime gets none (None).
    """
    policy = policy or dunning_policy()
    invoice = services.lock_invoice(invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.state != Invoice.State.ISSUED or invoice.due_date >= today:
        return None
    amount_due = invoice.amount_due
    if amount_due <= 0:
        return None
    days = (today - invoice.due_date).days
    level = dunning_level_for(policy=policy, days_overdue=days)
    if level <= invoice.dunning_level:
        return None
    fee = policy.reminder_fee if level >= policy.fee_from_level else ZERO
    interest = ZERO
    if level == DunningLetter.Level.FINAL_NOTICE and policy.charge_interest:
        interest = _interest(
            amount_sek=invoicing.to_base(amount_due, invoice.exchange_rate), rate=policy.interest_rate, days=days
        )
    letter = DunningLetter.objects.create(
        invoice=invoice, level=level, date=today, days_overdue=days, amount_due=amount_due, fee=fee, interest=interest
    )
    if fee + interest > 0:
        letter.fee_invoice = _fee_invoice(
            actor=actor, invoice=invoice, letter=letter, fee=fee, interest=interest, policy=policy
        )
        letter.save(update_fields=["fee_invoice"])
    invoice.dunning_level = level
    invoice.save(update_fields=["dunning_level", "updated_at"])
    audit_record(actor=actor, instance=letter, action=AuditEntry.Action.CREATE)
    audit_record(
        actor=actor,
        instance=invoice,
        action=AuditEntry.Action.ACTION,
        message=_("%(letter)s sent (%(days)s days overdue)") % {"letter": letter.get_level_display(), "days": days},
    )
    publish(
        "finance.invoice_overdue",
        {
            "invoice_id": invoice.pk,
            "invoice_number": invoice.number,
            "organization_id": invoice.organization_id,
            "level": level,
            "days_overdue": days,
            "amount_due": amount_due,
            "currency": invoice.currency_id,
            "due_date": invoice.due_date,
        },
        aggregate=invoice,
    )
    letter_id = letter.pk
    transaction.on_commit(lambda: _queue_letter_mail(letter_id), robust=True)
    return letter


def _fee_invoice(
    *,
    actor: User | None,
    invoice: Invoice,
    letter: DunningLetter,
    fee: Decimal,
    interest: Decimal,
    policy: DunningPolicy,
) -> Invoice:
    """The letter's fee and interest as an invoice in SEK without VAT, issued (numbered, booked, e-mailed) today."""
    base = selectors.base_currency()
    lines = []
    if fee:
        lines.append(
            services.InvoiceLineInput(
                description=_("Reminder fee: %(letter)s about invoice %(number)s")
                % {"letter": letter.get_level_display().lower(), "number": invoice.number},
                quantity=Decimal(1),
                unit_price=fee,
                tax_rate=Decimal(0),
                account_code=FEE_ACCOUNT,
            )
        )
    if interest:
        lines.append(
            services.InvoiceLineInput(
                description=_(
                    "Late-payment interest on invoice %(number)s: %(rate)s %% a year for %(days)s days overdue"
                )
                % {"number": invoice.number, "rate": policy.interest_rate, "days": letter.days_overdue},
                quantity=Decimal(1),
                unit_price=interest,
                tax_rate=Decimal(0),
                account_code=INTEREST_ACCOUNT,
            )
        )
    draft = services.invoice_create(
        actor=actor,
        organization=invoice.organization,
        lines=lines,
        currency=base,
        payment_terms_days=PAY_WITHIN_DAYS,
        customer_reference=invoice.customer_reference,
    )
    return services.invoice_issue(actor=actor, invoice=draft, invoice_date=letter.date)


def _queue_letter_mail(letter_id: int) -> None:
    from backoffice.finance.tasks import send_dunning_letter

    send_dunning_letter.delay(letter_id=letter_id)


# --- services: the letter's e-mail -------------------------------------------------------------------------------

LETTER_TEMPLATE = "finance/email/dunning_letter"


def dunning_letter_mail(*, letter_id: int) -> dict[str, Any] | None:
    """Selector: the letter's e-mail as `core.tasks.send_templated_mail` takes it (template, JSON-safe context,
    recipients, language), or None when the customer has no e-mail address."""
    letter = DunningLetter.objects.select_related("invoice__organization", "fee_invoice").get(pk=letter_id)
    invoice = letter.invoice
    to = invoice.organization.email
    if not to:
        return None
    fee_invoice = letter.fee_invoice
    return {
        "template": LETTER_TEMPLATE,
        "to": [to],
        "language": settings.LANGUAGE_CODE,
        "context": {
            "level": letter.level,
            "level_name": str(DunningLetter.Level(letter.level).label),
            "is_final_notice": letter.level == DunningLetter.Level.FINAL_NOTICE,
            "customer": invoice.customer_name or invoice.organization.name,
            "number": invoice.number,
            "ocr": invoice.ocr,
            "invoice_date": invoice.invoice_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "days_overdue": letter.days_overdue,
            "amount_due": str(letter.amount_due),
            "currency": invoice.currency_id,
            "pay_by": (letter.date + timedelta(days=PAY_WITHIN_DAYS)).isoformat(),
            "fee": str(letter.fee),
            "interest": str(letter.interest),
            "fee_invoice_number": fee_invoice.number if fee_invoice else "",
            "fee_invoice_ocr": fee_invoice.ocr if fee_invoice else "",
            "fee_invoice_total": str(fee_invoice.total) if fee_invoice else "",
            "company": settings.COMPANY_NAME,
        },
    }


def dunning_letter_send_mail(*, letter_id: int) -> bool:
    """Service: e-mail the letter (a copy of the overdue invoice attached) and stamp `sent_at` once it went.

    A letter already sent is not sent again (a retried task after a lost acknowledgement); one whose customer has
    no e-mail address is left unsent, where the letters list shows it.
    """
    from backoffice.finance.pdf import invoice_pdf
    from core.mail import render_and_send_mail

    if DunningLetter.objects.filter(pk=letter_id, sent_at__isnull=False).exists():
        return False
    mail = dunning_letter_mail(letter_id=letter_id)
    if mail is None:
        logger.warning("Dunning letter %s not e-mailed: the customer has no e-mail address.", letter_id)
        return False
    invoice = Invoice.objects.select_related("organization", "currency").get(dunning_letters__pk=letter_id)
    render_and_send_mail(
        template=mail["template"],
        context=mail["context"],
        to=mail["to"],
        language=mail["language"],
        attachments=[(f"{invoice.number}.pdf", invoice_pdf(invoice, language=mail["language"]), "application/pdf")],
    )
    DunningLetter.objects.filter(pk=letter_id, sent_at__isnull=True).update(sent_at=timezone.now())
    return True


def dunning_letter_mail_failed(*, letter_id: int, error: str) -> None:
    """Service: keep a letter that could not be e-mailed after every retry as a FailedMail an admin sees and can
    send again (without the attachment), like every other mail of Kontor."""
    from core.notifications.services import mail_failure_record

    mail = dunning_letter_mail(letter_id=letter_id)
    if mail is None:
        return
    mail_failure_record(kwargs=mail, error=error)


# --- services: credit hold ---------------------------------------------------------------------------------------


def _publish_hold(hold: CreditHold) -> None:
    publish(
        "finance.credit_hold_changed",
        {
            "organization_id": hold.organization_id,
            "on_hold": hold.on_hold,
            "reason": hold.reason,
            "overdue_amount": hold.overdue_amount,
            "currency": selectors.base_currency(),
            "changed_at": hold.changed_at,
        },
        aggregate=hold.organization,
    )


def _lock_hold(organization_id: int) -> CreditHold:
    CreditHold.objects.get_or_create(organization_id=organization_id)
    return (
        CreditHold.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(organization_id=organization_id)
    )


def _hold_reason(*, policy: DunningPolicy, position: OverduePosition) -> str:
    reasons = []
    if position.oldest_days > policy.hold_after_days:
        reasons.append(
            _("an invoice is %(days)s days overdue (limit %(limit)s)")
            % {"days": position.oldest_days, "limit": policy.hold_after_days}
        )
    if position.amount > policy.hold_over_amount:
        reasons.append(
            _("%(amount)s SEK overdue (limit %(limit)s SEK)")
            % {"amount": position.amount, "limit": policy.hold_over_amount}
        )
    text = "; ".join(reasons)
    return text[:1].upper() + text[1:]


@transaction.atomic
def credit_hold_review(organization_id: int, *, today: date | None = None, actor: User | None = None) -> CreditHold:
    """Service: apply the policy to one customer: on hold when an invoice is overdue more than `hold_after_days`
    or the overdue amount exceeds `hold_over_amount` (SEK); released when neither is true any more, unless the
    hold was set by hand (then only a person releases it). Payments call it after allocating money.

    Publishes `finance.credit_hold_changed` only when the customer goes on or off hold.
    """
    today = today or timezone.localdate()
    policy = dunning_policy()
    hold = _lock_hold(organization_id)  # a payment and a run reviewing at once: the second sees the first's result
    position = overdue_position(organization_id=organization_id, today=today)
    should_hold = position.oldest_days > policy.hold_after_days or position.amount > policy.hold_over_amount
    reason = _hold_reason(policy=policy, position=position) if should_hold else ""
    if hold.is_manual or hold.on_hold == should_hold:
        # No change of state: keep the figures current without moving `changed_at` (it says when the hold changed).
        updates: dict[str, Any] = {"overdue_amount": position.amount}
        if hold.on_hold and not hold.is_manual:
            updates["reason"] = reason[:200]
        CreditHold.objects.filter(pk=hold.pk).update(**updates)
        for name, value in updates.items():
            setattr(hold, name, value)
        return hold
    old = hold.on_hold
    hold.on_hold = should_hold
    hold.is_manual = False
    hold.reason = reason[:200]
    hold.overdue_amount = position.amount
    hold.save()
    audit_record(
        actor=actor,
        instance=hold,
        action=AuditEntry.Action.UPDATE,
        changes={"on_hold": [old, hold.on_hold]},
        message=_("Put on credit hold: %(reason)s") % {"reason": hold.reason}
        if hold.on_hold
        else _("Released from credit hold: nothing is overdue beyond the policy"),
    )
    _publish_hold(hold)
    return hold


@transaction.atomic
def credit_hold_set(*, actor: User | None, organization: Organization, on_hold: bool, reason: str) -> CreditHold:
    """Service: finance holds or releases a customer by hand, saying why.

    A hold set by hand stays until someone releases it, whatever the customer pays. A release clears the hold;
    if the customer is still beyond the policy's limits, the next run holds it again.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": _("Say why, so sales can tell the customer.")})
    hold = _lock_hold(organization.pk)
    if not on_hold and not hold.on_hold:
        raise ServiceError(_("%(customer)s is not on credit hold.") % {"customer": organization.name})
    old = (hold.on_hold, hold.reason)
    hold.on_hold = on_hold
    hold.is_manual = on_hold
    hold.reason = reason[:200]
    hold.overdue_amount = overdue_position(organization_id=organization.pk, today=timezone.localdate()).amount
    hold.save()
    audit_record(
        actor=actor,
        instance=hold,
        action=AuditEntry.Action.UPDATE,
        changes={"on_hold": [old[0], on_hold], "reason": [old[1], hold.reason]},
        message=(_("Put on credit hold by hand: %(reason)s") if on_hold else _("Released by hand: %(reason)s"))
        % {"reason": hold.reason},
    )
    if old != (hold.on_hold, hold.reason):
        _publish_hold(hold)
    if not on_hold:
        # Released: what the customer is told from here on is the policy's word, not the release's note.
        CreditHold.objects.filter(pk=hold.pk).update(reason="")
        hold.reason = ""
    return hold


# --- services: the policy ----------------------------------------------------------------------------------------

POLICY_FIELDS = (
    "reminder_days",
    "second_reminder_days",
    "final_notice_days",
    "reminder_fee",
    "fee_from_level",
    "interest_rate",
    "charge_interest",
    "hold_after_days",
    "hold_over_amount",
    "is_active",
)


@transaction.atomic
def dunning_policy_update(*, actor: User | None, **values: Any) -> DunningPolicy:
    """Service: change when letters go out, what they cost and when a customer goes on hold."""
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown policy fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    policy = DunningPolicy.objects.select_for_update().get_or_create(pk=1)[0]
    new = {name: values.get(name, getattr(policy, name)) for name in POLICY_FIELDS}
    errors: dict[str, str] = {}
    if new["reminder_days"] < 1:
        errors["reminder_days"] = _("The first reminder goes out at least one day after the due date.")
    if new["second_reminder_days"] <= new["reminder_days"]:
        errors["second_reminder_days"] = _("The second reminder comes after the first.")
    if new["final_notice_days"] <= new["second_reminder_days"]:
        errors["final_notice_days"] = _("The final notice comes after the second reminder.")
    if Decimal(new["reminder_fee"]) < 0:
        errors["reminder_fee"] = _("The fee cannot be negative.")
    if new["fee_from_level"] not in DunningLetter.Level.values:
        errors["fee_from_level"] = _("Choose the reminder, the second reminder or the final notice.")
    if not 0 <= Decimal(new["interest_rate"]) <= 100:
        errors["interest_rate"] = _("The interest rate is between 0 and 100 %.")
    if new["hold_after_days"] < 1:
        errors["hold_after_days"] = _("Give at least one day.")
    if Decimal(new["hold_over_amount"]) < 0:
        errors["hold_over_amount"] = _("The amount cannot be negative.")
    if errors:
        raise ServiceError(errors)
    changes = {
        name: [str(getattr(policy, name)), str(value)] for name, value in new.items() if getattr(policy, name) != value
    }
    for name, value in new.items():
        setattr(policy, name, value)
    policy.save()
    audit_record(actor=actor, instance=policy, action=AuditEntry.Action.UPDATE, changes=changes)
    return policy
