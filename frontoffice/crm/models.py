from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.parties.models import Organization, Person


class Account(models.Model):
    """The CRM's view of an organization: who owns the relationship, which segment, how far it has come.

    One per organization; the organization itself (name, numbers, addresses)
    stays in the shared kernel, so every department sees the same customer.
    """

    class Segment(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        MID_MARKET = "mid-market", _("Mid-market")
        SMALL_BUSINESS = "small-business", _("Small business")
        PUBLIC_SECTOR = "public-sector", _("Public sector")

    class Stage(models.TextChoices):
        LEAD = "lead", _("Lead")
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        FORMER = "former", _("Former customer")

    organization = models.OneToOneField(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="crm_account"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
        limit_choices_to={"kind": "staff"},
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["organization__name", "pk"]
        indexes = [
            models.Index(fields=["owner", "lifecycle_stage"], name="crm_account_owner_stage_idx"),
            models.Index(fields=["lifecycle_stage"], name="crm_account_stage_idx"),
            models.Index(fields=["segment"], name="crm_account_segment_idx"),
            GinIndex(fields=["tags"], name="crm_account_tags_gin"),
        ]

    def __str__(self) -> str:
        return self.organization.name

    def get_absolute_url(self) -> str:
        return reverse("crm:account-detail", args=[self.pk])


class ContactProfile(models.Model):
    """What the CRM knows about a person as a contact: their role, and what they agreed to be contacted by.

    Consent is kept with its date and source, as marketing (and GDPR) needs it.
    """

    class Source(models.TextChoices):
        FORM = "form", _("Web form")
        CONVERSATION = "conversation", _("In conversation")
        CONTRACT = "contract", _("Contract")
        IMPORT = "import", _("Import")
        PORTAL = "portal", _("Customer portal")

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="crm_profile"
    )
    role = models.CharField(_("role in the deal"), max_length=100, blank=True, help_text=_("E.g. decision maker."))
    email_consent = models.BooleanField(_("agrees to e-mail"), default=False)
    email_consent_at = models.DateTimeField(_("e-mail consent changed"), null=True, blank=True)
    email_consent_source = models.CharField(
        _("e-mail consent source"), max_length=20, choices=Source.choices, blank=True
    )
    phone_consent = models.BooleanField(_("agrees to phone calls"), default=False)
    phone_consent_at = models.DateTimeField(_("phone consent changed"), null=True, blank=True)
    phone_consent_source = models.CharField(
        _("phone consent source"), max_length=20, choices=Source.choices, blank=True
    )

    class Meta:
        verbose_name = _("contact profile")
        verbose_name_plural = _("contact profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(email_consent=False) | (Q(email_consent_at__isnull=False) & ~Q(email_consent_source="")),
                name="crm_email_consent_has_date_and_source",
            ),
            models.CheckConstraint(
                condition=Q(phone_consent=False) | (Q(phone_consent_at__isnull=False) & ~Q(phone_consent_source="")),
                name="crm_phone_consent_has_date_and_source",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)


class Activity(models.Model):
    """Something done or to do with a customer: a call, a meeting, an e-mail logged, or a task with a due date."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        TASK = "task", _("Task")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TASK)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    contact = models.ForeignKey(
        Person, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="crm_activities",
        limit_choices_to={"kind": "staff"},
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["done_at", "due_at", "-pk"]
        indexes = [
            # "My activities": open ones by due date.
            models.Index(
                fields=["assignee", "due_at"], condition=Q(done_at__isnull=True), name="crm_activity_open_idx"
            ),
            models.Index(fields=["account", "-created_at"], name="crm_activity_account_idx"),
            models.Index(
                fields=["due_at"],
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
                name="crm_activity_remind_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="crm_activity_has_subject"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
