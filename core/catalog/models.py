from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Currency(models.Model):
    """A currency the company sells or buys in; SEK is the company's own."""

    code = models.CharField(_("code"), max_length=3, primary_key=True, help_text=_("ISO 4217, e.g. SEK."))
    name = models.CharField(_("name"), max_length=60)
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), default=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{3}$"), name="catalog_currency_code_iso"),
            models.CheckConstraint(condition=Q(decimal_places__lte=4), name="catalog_currency_decimals_max_4"),
        ]

    def __str__(self) -> str:
        return self.code


class Unit(models.Model):
    """A unit a product is counted in: piece, hour, kilogram, ..."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=60)
    allows_fractions = models.BooleanField(_("allows fractions"), default=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """A VAT rate: Swedish VAT is 25, 12, 6 or 0 per cent."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=60)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["-rate", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="catalog_taxrate_between_0_100"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def factor(self) -> Decimal:
        return self.rate / Decimal(100)


class Product(models.Model):
    """Something the company sells or buys: goods that are stocked, or a service."""

    class Type(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")

    sku = models.CharField(_("SKU"), max_length=40, unique=True, help_text=_("The article number, unique."))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.GOODS)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="products")
    list_price = models.DecimalField(
        _("list price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, default="SEK", related_name="products"
    )
    tax_rate = models.ForeignKey(TaxRate, verbose_name=_("VAT rate"), on_delete=models.PROTECT, related_name="products")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(Lower("name"), name="catalog_product_name_lower_idx"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="catalog_product_name_trgm"),
            # Searches take an article number by its beginning, in any case (UPPER(sku) LIKE 'B012%').
            models.Index(OpClass(Upper("sku"), name="text_pattern_ops"), name="catalog_product_sku_prefix"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="catalog_product_price_not_negative"),
            models.CheckConstraint(condition=~Q(sku=""), name="catalog_product_sku_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:product-detail", args=[self.pk])

    @property
    def price_including_tax(self) -> Decimal:
        return (self.list_price * (1 + self.tax_rate.factor)).quantize(Decimal("0.01"))
