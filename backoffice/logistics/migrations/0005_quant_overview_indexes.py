"""The stock overview's indexes, built concurrently outside a transaction so the stock table stays writable."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("logistics", "0004_quant_warehouse")]

    operations = [
        AddIndexConcurrently(
            model_name="stockquant",
            index=models.Index(
                fields=["product", "warehouse"], include=["quantity", "reserved"], name="logistics_quant_overview_idx"
            ),
        ),
        AddIndexConcurrently(
            model_name="stockquant",
            index=models.Index(fields=["warehouse", "product"], name="logistics_quant_warehouse_idx"),
        ),
    ]
