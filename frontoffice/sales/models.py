from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.catalog.models import Currency, Product
from core.parties.models import Address, Organization, Person
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


class PricedLine(models.Model):
    """What quote lines and order lines share: a product or a text, how many, at what price, less what, VAT."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    tax_rate = models.DecimalField(
        _("VAT (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2, editable=False)
    tax_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description

    @classmethod
    def line_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(condition=Q(quantity__gt=0), name=f"{prefix}_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name=f"{prefix}_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name=f"{prefix}_discount_0_100"
            ),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name=f"{prefix}_tax_0_100"),
        ]


class PricedDocument(models.Model):
    """What quotes and orders share: the customer, the money, and totals kept equal to their lines."""

    class TaxRounding(models.TextChoices):
        TOTAL = "total", _("VAT rounded on the total per rate")
        LINE = "line", _("VAT rounded per line")

    account = models.ForeignKey(Account, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        Person, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, default="SEK", related_name="+"
    )
    tax_rounding = models.CharField(
        _("VAT rounding"), max_length=8, choices=TaxRounding.choices, default=TaxRounding.TOTAL
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    delivery_address = models.ForeignKey(
        Address,
        verbose_name=_("delivery address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("terms and notes for the customer"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": "staff"},
    )
    subtotal = models.DecimalField(_("subtotal"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    tax_total = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Quote(PricedDocument):
    """An offer to a customer. Sent quotes are never edited: a revision is a new version that keeps the old."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("quote status", "Draft")
        SENT = "sent", pgettext_lazy("quote status", "Sent")
        ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
        DECLINED = "declined", pgettext_lazy("quote status", "Declined")
        REVISED = "revised", pgettext_lazy("quote status", "Revised")
        CANCELLED = "cancelled", pgettext_lazy("quote status", "Cancelled")

    number = models.CharField(_("number"), max_length=20, editable=False)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("revises"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revision",
        editable=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    valid_until = models.DateField(_("valid until"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_by_name = models.CharField(_("answered by (name)"), max_length=200, blank=True)
    response_note = models.TextField(_("customer's comment"), blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "status"], name="sales_quote_account_idx"),
            models.Index(fields=["status", "-created_at"], name="sales_quote_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="sales_quote_number_version_unique"),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "declined"]) | Q(responded_at__isnull=False),
                name="sales_quote_answer_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="cancelled") | Q(sent_at__isnull=False),
                name="sales_quote_sent_has_time",
            ),
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax_total")), name="sales_quote_total_sum"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("sales:quote-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"{self.number}-{self.version}" if self.version > 1 else self.number

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def status_tone(self) -> str:
        """The badge colour of the status on pages."""
        return {"sent": "info", "accepted": "success", "declined": "danger"}.get(self.status, "muted")


class QuoteLine(PricedLine):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = PricedLine.line_constraints("sales_quoteline")


class SalesOrder(PricedDocument):
    """What the customer has ordered. Confirming it tells the back office to invoice and deliver."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("order status", "Draft")
        CONFIRMED = "confirmed", pgettext_lazy("order status", "Confirmed")
        CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")

    class InvoiceStatus(models.TextChoices):
        NOT_INVOICED = "not-invoiced", _("Not yet invoiced")
        INVOICED = "invoiced", _("Invoiced")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Credited")

    class DeliveryStatus(models.TextChoices):
        NOT_DELIVERED = "not-delivered", _("Not yet delivered")
        PARTLY = "partly", _("Partly delivered")
        DISPATCHED = "dispatched", _("Dispatched")
        DELIVERED = "delivered", _("Delivered")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    quote = models.OneToOneField(
        Quote,
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order",
        editable=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    customer_reference = models.CharField(_("customer's reference"), max_length=100, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    invoice_status = models.CharField(
        _("invoicing"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.NOT_INVOICED
    )
    delivery_status = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.NOT_DELIVERED
    )
    # The latest shipment's, as logistics' shipment events said (a backorder's shipment replaces the first's).
    carrier = models.CharField(_("carrier"), max_length=60, blank=True, editable=False)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True, editable=False)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "status"], name="sales_order_account_idx"),
            models.Index(fields=["status", "-created_at"], name="sales_order_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False), name="sales_order_confirmed_has_time"
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="sales_order_cancelled_has_time",
            ),
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax_total")), name="sales_order_total_sum"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("sales:order-detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def status_tone(self) -> str:
        return {"confirmed": "success", "cancelled": "danger"}.get(self.status, "muted")


class SalesOrderLine(PricedLine):
    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = PricedLine.line_constraints("sales_orderline")


class CreditHold(models.Model):
    """Whether finance has put a customer on credit hold, as its latest `finance.credit_hold_changed` said."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="sales_credit_hold",
    )
    on_hold = models.BooleanField(_("on credit hold"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    as_of = models.DateTimeField(_("as of"), help_text=_("When finance changed it (the event's time)."))
    event_id = models.UUIDField(_("event"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit hold")
        verbose_name_plural = _("credit holds")
        indexes = [models.Index(fields=["organization"], condition=Q(on_hold=True), name="sales_credit_on_hold_idx")]

    def __str__(self) -> str:
        return f"{self.organization_id}: {'on hold' if self.on_hold else 'released'}"
