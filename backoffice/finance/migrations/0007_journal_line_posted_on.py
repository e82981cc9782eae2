"""Journal lines carry the date their entry was posted, so the reports sum lines without reading entries.

The lines of entries already posted get it here; the guard trigger that keeps posted lines unchanged is set
aside for that one statement (the hash chain does not cover the new column, so no hash changes).
"""

from django.db import migrations, models

BACKFILL = """
ALTER TABLE finance_journalline DISABLE TRIGGER finance_line_guard;
UPDATE finance_journalline AS line SET posted_on = entry.date
  FROM finance_journalentry AS entry
 WHERE entry.id = line.entry_id AND entry.state = 'posted' AND line.posted_on IS NULL;
ALTER TABLE finance_journalline ENABLE TRIGGER finance_line_guard;
"""


class Migration(migrations.Migration):
    dependencies = [("finance", "0006_issued_documents_are_immutable")]

    operations = [
        migrations.AddField(
            model_name="journalline",
            name="posted_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="posted on"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
