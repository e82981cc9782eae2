from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.catalog.models import Currency
from core.parties.models import Person
from frontoffice.crm.models import Account


class PipelineStage(models.Model):
    """A step an opportunity goes through on its way to an order, with the chance it has there."""

    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), unique=True)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MaxValueValidator(100)], help_text=_("Default chance of winning here.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="sales_stage_probability_max_100")
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    """Someone who may want to buy, not yet qualified: from a web form, an import, a campaign or a call."""

    class Source(models.TextChoices):
        WEB_FORM = "web-form", _("Web form")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Entered by hand")
        CAMPAIGN = "campaign", _("Campaign")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    notes = models.TextField(_("qualification notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sales_leads",
        limit_choices_to={"kind": "staff"},
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    converted_account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_contact = models.ForeignKey(
        Person, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="sales_lead_status_idx"),
            models.Index(fields=["owner", "status"], name="sales_lead_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="converted") & Q(converted_at__isnull=False))
                | (~Q(status="converted") & Q(converted_at__isnull=True)),
                name="sales_lead_converted_has_time",
            ),
            models.CheckConstraint(condition=~Q(company_name=""), name="sales_lead_has_company"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name}, {self.company_name}" if name else self.company_name

    def get_absolute_url(self) -> str:
        return reverse("sales:lead-detail", args=[self.pk])


class Opportunity(models.Model):
    """A possible deal with an account: how much, how likely, by when, and how it ended."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("opportunity status", "Open")
        WON = "won", pgettext_lazy("opportunity status", "Won")
        LOST = "lost", pgettext_lazy("opportunity status", "Lost")

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="opportunities"
    )
    contact = models.ForeignKey(
        Person, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.ForeignKey(
        PipelineStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.ForeignKey(Currency, verbose_name=_("currency"), on_delete=models.PROTECT, default="SEK")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to use the stage's."),
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sales_opportunities",
        limit_choices_to={"kind": "staff"},
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    lost_reason = models.CharField(_("reason lost"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close", "-pk"]
        indexes = [
            models.Index(
                fields=["stage", "expected_close"], condition=Q(status="open"), name="sales_opp_open_stage_idx"
            ),
            models.Index(fields=["owner", "status"], name="sales_opp_owner_idx"),
            models.Index(fields=["account", "status"], name="sales_opp_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_opp_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="sales_opp_closed_has_time",
            ),
            models.CheckConstraint(condition=~Q(status="lost") | ~Q(lost_reason=""), name="sales_opp_lost_has_reason"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:opportunity-detail", args=[self.pk])

    @property
    def effective_probability(self) -> int:
        return self.probability if self.probability is not None else self.stage.probability
