"""The ledger's rules in the database itself, and a simplified Swedish BAS chart with the four journals.

- A posted entry, and every line of it, can be neither changed nor deleted,
  and no line can be added to it: not through Kontor, not through a raw UPDATE.
- An entry becomes posted only when its lines balance (debits = credits, at
  least two lines).
"""

from django.db import migrations

RULES = """
CREATE OR REPLACE FUNCTION finance_entry_guard() RETURNS trigger AS $$
DECLARE
    debits numeric;
    credits numeric;
    line_count integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state = 'posted' THEN
            RAISE EXCEPTION 'finance: posted entry % cannot be deleted; reverse it', OLD.number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state = 'posted' THEN
        RAISE EXCEPTION 'finance: posted entry % cannot be changed; reverse it', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.state = 'posted' THEN
        SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*)
          INTO debits, credits, line_count
          FROM finance_journalline WHERE entry_id = NEW.id;
        IF line_count < 2 OR debits <> credits OR debits = 0 THEN
            RAISE EXCEPTION 'finance: entry % does not balance (debit %, credit %, % lines)',
                NEW.id, debits, credits, line_count
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_entry_guard
    BEFORE UPDATE OR DELETE ON finance_journalentry
    FOR EACH ROW EXECUTE FUNCTION finance_entry_guard();

CREATE OR REPLACE FUNCTION finance_line_guard() RETURNS trigger AS $$
DECLARE
    entry_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        entry_ids := ARRAY[NEW.entry_id];
    ELSIF TG_OP = 'UPDATE' THEN
        entry_ids := ARRAY[OLD.entry_id, NEW.entry_id];
    ELSE
        entry_ids := ARRAY[OLD.entry_id];
    END IF;
    IF EXISTS (SELECT 1 FROM finance_journalentry WHERE id = ANY(entry_ids) AND state = 'posted') THEN
        RAISE EXCEPTION 'finance: lines of a posted entry cannot be added, changed or deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_line_guard
    BEFORE INSERT OR UPDATE OR DELETE ON finance_journalline
    FOR EACH ROW EXECUTE FUNCTION finance_line_guard();
"""

DROP_RULES = """
DROP TRIGGER IF EXISTS finance_line_guard ON finance_journalline;
DROP FUNCTION IF EXISTS finance_line_guard();
DROP TRIGGER IF EXISTS finance_entry_guard ON finance_journalentry;
DROP FUNCTION IF EXISTS finance_entry_guard();
"""

def seed(apps, schema_editor):
    from backoffice.finance.reference import ensure_reference

    ensure_reference(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [
        migrations.RunSQL(RULES, DROP_RULES),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
