"""The deliveries board's order (newest first), built concurrently."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("logistics", "0005_quant_overview_indexes")]

    operations = [
        AddIndexConcurrently(
            model_name="deliveryorder",
            index=models.Index(
                models.OrderBy(models.F("created_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="logistics_dlv_newest_idx",
            ),
        ),
    ]
