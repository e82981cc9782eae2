"""Indexes for the ledger reports (lines by posted date), the invoice and payment lists (their order) and what
can still be owed; built concurrently, outside a transaction, so big tables stay writable meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("finance", "0007_journal_line_posted_on")]

    operations = [
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(
                models.OrderBy(models.F("invoice_date"), descending=True, nulls_first=True),
                models.OrderBy(models.F("id"), descending=True),
                name="finance_invoice_list_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("kind", "invoice"), ("state", "issued")),
                fields=["organization", "due_date"],
                name="finance_invoice_open_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("posted_on__isnull", False)),
                fields=["posted_on"],
                include=("account", "debit", "credit"),
                name="finance_line_posted_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("posted_on__isnull", False)),
                fields=["account", "posted_on"],
                name="finance_line_account_day_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="payment",
            index=models.Index(
                models.OrderBy(models.F("date"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="finance_payment_list_idx",
            ),
        ),
    ]
