"""An index for searches that give the beginning of an article number, in any case (UPPER(sku) LIKE 'B012%').

Built concurrently, as an index on a large product table should be: writes go on while it is built.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0003_price_validators"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="product",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("sku"), name="text_pattern_ops"
                ),
                name="catalog_product_sku_prefix",
            ),
        ),
    ]
