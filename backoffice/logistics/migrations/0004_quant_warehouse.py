"""Stock rows carry their location's warehouse, so the stock overview groups by product and warehouse from an
index instead of joining a location per row. Existing rows get it from their location."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("logistics", "0003_production_and_returns")]

    operations = [
        migrations.AddField(
            model_name="stockquant",
            name="warehouse",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="logistics.warehouse",
                verbose_name="warehouse",
            ),
        ),
        migrations.RunSQL(
            "UPDATE logistics_stockquant q SET warehouse_id = l.warehouse_id FROM logistics_location l "
            "WHERE l.id = q.location_id AND q.warehouse_id IS NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="stockquant",
            name="warehouse",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="logistics.warehouse",
                verbose_name="warehouse",
            ),
        ),
    ]
