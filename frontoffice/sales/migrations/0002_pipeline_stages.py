"""The default pipeline; stages can be renamed, reordered and added in admin."""

from django.db import migrations


def seed(apps, schema_editor):
    from frontoffice.sales.reference import ensure_stages

    ensure_stages(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
