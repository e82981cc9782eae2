from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0003_quotes_orders_credit_hold"),
    ]

    operations = [
        migrations.AddField(
            model_name="salesorder",
            name="carrier",
            field=models.CharField(blank=True, editable=False, max_length=60, verbose_name="carrier"),
        ),
        migrations.AddField(
            model_name="salesorder",
            name="tracking_number",
            field=models.CharField(blank=True, editable=False, max_length=80, verbose_name="tracking number"),
        ),
    ]
