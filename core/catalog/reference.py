"""Reference data every installation needs: currencies, Swedish VAT rates, units.

Created by a data migration, and ensured again after every migrate or flush
(post_migrate), so that a flushed test database or a fresh install always has it.
"""

from decimal import Decimal

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

CURRENCIES = [("SEK", "Swedish krona"), ("EUR", "Euro"), ("USD", "US dollar")]
TAX_RATES = [
    ("se-25", "VAT 25%", Decimal("25.00")),
    ("se-12", "VAT 12%", Decimal("12.00")),
    ("se-6", "VAT 6%", Decimal("6.00")),
    ("se-0", "VAT 0% (exempt)", Decimal("0.00")),
]
UNITS = [
    ("pcs", "Piece", False),
    ("h", "Hour", True),
    ("kg", "Kilogram", True),
    ("m", "Metre", True),
    ("l", "Litre", True),
    ("month", "Month", False),
]


def ensure_reference_data(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create what is missing; never change what an administrator has edited."""
    currency = apps.get_model("catalog", "Currency")
    tax_rate = apps.get_model("catalog", "TaxRate")
    unit = apps.get_model("catalog", "Unit")
    for code, name in CURRENCIES:
        currency.objects.using(using).get_or_create(code=code, defaults={"name": name})
    for code, name, rate in TAX_RATES:
        tax_rate.objects.using(using).get_or_create(code=code, defaults={"name": name, "rate": rate})
    for code, name, fractions in UNITS:
        unit.objects.using(using).get_or_create(code=code, defaults={"name": name, "allows_fractions": fractions})


def ensure_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    ensure_reference_data(apps=apps, using=using)
