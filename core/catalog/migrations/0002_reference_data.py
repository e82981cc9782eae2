"""Seed the reference data every installation needs: currencies, Swedish VAT rates, units."""

from decimal import Decimal

from django.db import migrations

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


def seed(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    TaxRate = apps.get_model("catalog", "TaxRate")
    Unit = apps.get_model("catalog", "Unit")
    for code, name in CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, rate in TAX_RATES:
        TaxRate.objects.get_or_create(code=code, defaults={"name": name, "rate": rate})
    for code, name, fractions in UNITS:
        Unit.objects.get_or_create(code=code, defaults={"name": name, "allows_fractions": fractions})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
