"""Seed the reference data every installation needs: currencies, Swedish VAT rates, units."""

from django.db import migrations


def seed(apps, schema_editor):
    from core.catalog.reference import ensure_reference_data

    ensure_reference_data(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
