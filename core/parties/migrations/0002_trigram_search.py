"""Trigram indexes so that 'contains' searches stay fast with a million rows."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]
    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="organization",
            index=GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="parties_org_name_trgm"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="parties_person_last_trgm"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="parties_person_first_trgm"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="parties_person_email_trgm"),
        ),
    ]
