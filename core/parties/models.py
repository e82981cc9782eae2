from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.parties.keys import email_key, identifier_key, name_key


class PartyRole(models.TextChoices):
    """What a party is to the company; one party may be several."""

    CUSTOMER = "customer", _("Customer")
    PROSPECT = "prospect", _("Prospect")
    SUPPLIER = "supplier", _("Supplier")
    PARTNER = "partner", _("Partner")
    CARRIER = "carrier", _("Carrier")
    OTHER = "other", _("Other")


class Organization(models.Model):
    """A company or public body the company deals with: customer, supplier, partner, ...

    Both offices point at the same row: one customer, seen whole.
    """

    class PortalVisibility(models.TextChoices):
        ORGANIZATION = "organization", _("Everyone in the organization sees all its requests")
        OWN = "own", _("Each person sees only their own requests")

    name = models.CharField(_("name"), max_length=200)
    name_key = models.GeneratedField(
        expression=name_key(F("name")), output_field=models.CharField(max_length=200), db_persist=True
    )
    org_number = models.CharField(
        _("organization number"), max_length=32, blank=True, help_text=_("Swedish: NNNNNN-NNNN.")
    )
    org_number_key = models.GeneratedField(
        expression=identifier_key(F("org_number")), output_field=models.CharField(max_length=32), db_persist=True
    )
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True, help_text=_("E.g. SE556677889901."))
    roles = ArrayField(
        models.CharField(max_length=16, choices=PartyRole.choices), verbose_name=_("roles"), default=list, blank=True
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=2, default="SE", help_text=_("ISO 3166 code, e.g. SE."))
    portal_visibility = models.CharField(
        _("portal visibility"),
        max_length=16,
        choices=PortalVisibility.choices,
        default=PortalVisibility.ORGANIZATION,
    )
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
        help_text=_("Set when this record was a duplicate: everything it had now belongs to that organization."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["name", "id"], name="parties_org_name_idx"),  # lists sorted by name
            models.Index(fields=["name_key"], name="parties_org_name_key_idx"),
            models.Index(fields=["org_number_key"], name="parties_org_number_key_idx"),
            models.Index(Lower("name"), name="parties_org_name_lower_idx"),
            # Exact e-mail and VAT number searches compare UPPER() values (Django's iexact).
            models.Index(Upper("email"), name="parties_org_email_upper_idx"),
            models.Index(Upper("vat_number"), name="parties_org_vat_upper_idx"),
            GinIndex(fields=["roles"], name="parties_org_roles_gin"),
            # Trigram indexes serve icontains searches (Django compares UPPER() values).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="parties_org_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="parties_org_name_not_empty"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="parties_org_country_iso"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | (Q(is_active=False) & ~Q(merged_into=F("pk"))),
                name="parties_org_merged_is_inactive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("parties:organization-detail", args=[self.pk])

    def get_roles_display(self) -> list[str]:
        labels = dict(PartyRole.choices)
        return [str(labels.get(role, role)) for role in self.roles]


class Person(models.Model):
    """A human the company deals with, usually on behalf of an organization.

    A customer's portal user is a person with a linked user; their
    organization decides which records they see on the portal.
    """

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    email_key = models.GeneratedField(
        expression=email_key(F("email")), output_field=models.CharField(max_length=254), db_persist=True
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    roles = ArrayField(
        models.CharField(max_length=16, choices=PartyRole.choices), verbose_name=_("roles"), default=list, blank=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    portal_invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited to the portal by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    portal_invited_at = models.DateTimeField(_("invited to the portal"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "pk"]
        permissions = [("invite_portal_user", _("Can invite a person to the customer portal"))]
        indexes = [
            models.Index(fields=["email_key"], name="parties_person_email_key_idx"),
            models.Index(Lower("last_name"), Lower("first_name"), name="parties_person_name_lower_idx"),
            GinIndex(fields=["roles"], name="parties_person_roles_gin"),
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="parties_person_last_trgm"),
            GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="parties_person_first_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="parties_person_email_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_name="", last_name="", email=""), name="parties_person_has_name_or_email"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("parties:person-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(models.Model):
    """A postal, visiting, billing or delivery address of an organization or a person."""

    class Kind(models.TextChoices):
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Delivery")
        VISITING = "visiting", _("Visiting")
        POSTAL = "postal", _("Postal")

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.POSTAL)
    line1 = models.CharField(_("street address"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="SE")
    is_default = models.BooleanField(_("default for its kind"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(person__isnull=True))
                | (Q(organization__isnull=True) & Q(person__isnull=False)),
                name="parties_address_one_owner",
            ),
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=Q(is_default=True, organization__isnull=False),
                name="parties_address_one_default_per_org_kind",
            ),
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(is_default=True, person__isnull=False),
                name="parties_address_one_default_per_person_kind",
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="parties_address_country_iso"),
        ]

    def __str__(self) -> str:
        parts = [self.line1, self.line2, f"{self.postal_code} {self.city}".strip(), self.country]
        return ", ".join(p for p in parts if p)
