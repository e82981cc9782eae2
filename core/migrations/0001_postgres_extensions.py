"""PostgreSQL extensions the kernel relies on: pg_trgm for fast 'contains' searches."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [TrigramExtension()]
