"""Issued invoices, credit notes and approved supplier bills never change, in the database itself too.

- What an issued (or paid) invoice says — customer, number, OCR, dates, currency and rate, amounts, its journal
  entry — cannot be updated, and it cannot be deleted; only what happens to it afterwards may change (paid and
  credited amounts, paid state, when it was sent, the dunning level).
- Its lines cannot be added, changed or deleted once it is issued.
- An approved supplier bill keeps its number, supplier, reference, dates, currency, amounts and entry; its lines
  are fixed too.
A raw UPDATE fails like a change through Kontor would; corrections are credit notes and reversals.
"""

from django.db import migrations

RULES = """
CREATE OR REPLACE FUNCTION finance_invoice_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state IN ('issued', 'paid') THEN
            RAISE EXCEPTION 'finance: issued invoice % cannot be deleted; credit it', OLD.number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state IN ('issued', 'paid') THEN
        IF NEW.state NOT IN ('issued', 'paid')
           OR (NEW.kind, NEW.organization_id, NEW.number, NEW.ocr, NEW.currency_id, NEW.exchange_rate,
               NEW.invoice_date, NEW.due_date, NEW.subtotal, NEW.tax_total, NEW.total, NEW.entry_id,
               NEW.credited_invoice_id, NEW.customer_name, NEW.customer_vat_number, NEW.billing_address,
               NEW.delivery_address, NEW.order_id, NEW.order_number, NEW.payment_terms_days, NEW.tax_rounding,
               NEW.issued_at)
              IS DISTINCT FROM
              (OLD.kind, OLD.organization_id, OLD.number, OLD.ocr, OLD.currency_id, OLD.exchange_rate,
               OLD.invoice_date, OLD.due_date, OLD.subtotal, OLD.tax_total, OLD.total, OLD.entry_id,
               OLD.credited_invoice_id, OLD.customer_name, OLD.customer_vat_number, OLD.billing_address,
               OLD.delivery_address, OLD.order_id, OLD.order_number, OLD.payment_terms_days, OLD.tax_rounding,
               OLD.issued_at)
        THEN
            RAISE EXCEPTION 'finance: issued invoice % cannot be changed; credit it', OLD.number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSIF OLD.state = 'cancelled' AND NEW.state <> 'cancelled' THEN
        RAISE EXCEPTION 'finance: a cancelled draft stays cancelled'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_invoice_guard
    BEFORE UPDATE OR DELETE ON finance_invoice
    FOR EACH ROW EXECUTE FUNCTION finance_invoice_guard();

CREATE OR REPLACE FUNCTION finance_invoiceline_guard() RETURNS trigger AS $$
DECLARE
    invoice_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        invoice_ids := ARRAY[NEW.invoice_id];
    ELSIF TG_OP = 'UPDATE' THEN
        invoice_ids := ARRAY[OLD.invoice_id, NEW.invoice_id];
    ELSE
        invoice_ids := ARRAY[OLD.invoice_id];
    END IF;
    IF EXISTS (SELECT 1 FROM finance_invoice WHERE id = ANY(invoice_ids) AND state IN ('issued', 'paid')) THEN
        RAISE EXCEPTION 'finance: lines of an issued invoice cannot be added, changed or deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_invoiceline_guard
    BEFORE INSERT OR UPDATE OR DELETE ON finance_invoiceline
    FOR EACH ROW EXECUTE FUNCTION finance_invoiceline_guard();

CREATE OR REPLACE FUNCTION finance_bill_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state IN ('approved', 'paid') THEN
            RAISE EXCEPTION 'finance: approved supplier bill % cannot be deleted', OLD.number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state IN ('approved', 'paid') THEN
        IF NEW.state NOT IN ('approved', 'paid')
           OR (NEW.supplier_id, NEW.supplier_reference, NEW.number, NEW.bill_date, NEW.due_date, NEW.currency_id,
               NEW.exchange_rate, NEW.subtotal, NEW.tax_total, NEW.total, NEW.entry_id, NEW.approved_at)
              IS DISTINCT FROM
              (OLD.supplier_id, OLD.supplier_reference, OLD.number, OLD.bill_date, OLD.due_date, OLD.currency_id,
               OLD.exchange_rate, OLD.subtotal, OLD.tax_total, OLD.total, OLD.entry_id, OLD.approved_at)
        THEN
            RAISE EXCEPTION 'finance: approved supplier bill % cannot be changed', OLD.number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_bill_guard
    BEFORE UPDATE OR DELETE ON finance_supplierbill
    FOR EACH ROW EXECUTE FUNCTION finance_bill_guard();

CREATE OR REPLACE FUNCTION finance_billline_guard() RETURNS trigger AS $$
DECLARE
    bill_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        bill_ids := ARRAY[NEW.bill_id];
    ELSIF TG_OP = 'UPDATE' THEN
        bill_ids := ARRAY[OLD.bill_id, NEW.bill_id];
    ELSE
        bill_ids := ARRAY[OLD.bill_id];
    END IF;
    IF EXISTS (SELECT 1 FROM finance_supplierbill WHERE id = ANY(bill_ids) AND state IN ('approved', 'paid')) THEN
        RAISE EXCEPTION 'finance: lines of an approved supplier bill cannot be added, changed or deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_billline_guard
    BEFORE INSERT OR UPDATE OR DELETE ON finance_supplierbillline
    FOR EACH ROW EXECUTE FUNCTION finance_billline_guard();
"""

UNDO = """
DROP TRIGGER IF EXISTS finance_billline_guard ON finance_supplierbillline;
DROP FUNCTION IF EXISTS finance_billline_guard();
DROP TRIGGER IF EXISTS finance_bill_guard ON finance_supplierbill;
DROP FUNCTION IF EXISTS finance_bill_guard();
DROP TRIGGER IF EXISTS finance_invoiceline_guard ON finance_invoiceline;
DROP FUNCTION IF EXISTS finance_invoiceline_guard();
DROP TRIGGER IF EXISTS finance_invoice_guard ON finance_invoice;
DROP FUNCTION IF EXISTS finance_invoice_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("finance", "0005_bank_statement_progress")]

    operations = [migrations.RunSQL(RULES, UNDO)]
