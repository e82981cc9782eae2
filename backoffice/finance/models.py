"""The general ledger: a chart of accounts, fiscal years with a lock date, journals, and entries that balance.

Posted entries and their lines never change: the database refuses it
(triggers in migration 0002), corrections are reversal entries. Each posted
entry carries a hash chained to the previous posted entry of its journal, so
`manage.py verify_ledger` can show that nothing was altered behind the
application's back.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.catalog.models import Currency
from core.parties.models import Organization

ZERO = Decimal("0.00")


class Account(models.Model):
    """An account of the chart (Swedish BAS numbering): where amounts are booked."""

    class Kind(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        INCOME = "income", _("Income")
        EXPENSE = "expense", _("Expense")

    code = models.CharField(_("number"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("chart of accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{4,10}$"), name="finance_account_code_digits")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FiscalYear(models.Model):
    """A financial year; entries are dated inside an open one, never on or before the lock date."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="finance_year_start_before_end")]

    def __str__(self) -> str:
        return self.name


class LedgerSettings(models.Model):
    """The company's ledger settings (one row): the lock date closes every day up to and including it."""

    lock_date = models.DateField(
        _("lock date"), null=True, blank=True, help_text=_("Nothing may be posted on or before this day.")
    )
    base_currency = models.CharField(_("ledger currency"), max_length=3, default="SEK")

    class Meta:
        verbose_name = _("ledger settings")
        verbose_name_plural = _("ledger settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="finance_settings_single_row")]

    def __str__(self) -> str:
        return str(_("Ledger settings"))


class Journal(models.Model):
    """A book of entries of one kind, with its own number series per year and its own hash chain."""

    class Kind(models.TextChoices):
        SALES = "sales", _("Sales")
        PURCHASES = "purchases", _("Purchases")
        BANK = "bank", _("Bank")
        GENERAL = "general", _("General")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class NumberSeries(models.Model):
    """The last number given in a series for a year: locked and bumped inside the posting transaction,
    so numbers have no gaps even when two people post at once (a rolled-back posting gives its number back)."""

    key = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [models.UniqueConstraint(fields=["key", "year"], name="finance_series_key_year_unique")]

    def __str__(self) -> str:
        return f"{self.key} {self.year}: {self.last}"


class JournalEntry(models.Model):
    """A voucher: lines whose debits equal their credits. A draft may change; a posted entry never does."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")

    journal = models.ForeignKey(Journal, verbose_name=_("journal"), on_delete=models.PROTECT, related_name="entries")
    number = models.CharField(_("number"), max_length=30, blank=True)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT)
    reversal_of = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    # Tamper evidence: sha256 over this entry's content and the previous posted entry's hash in the journal.
    previous_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_position = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-date", "-pk"]
        permissions = [("post_journalentry", _("Can post and reverse journal entries"))]
        indexes = [
            models.Index(fields=["journal", "-date"], name="finance_entry_journal_idx"),
            models.Index(fields=["date"], name="finance_entry_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["journal", "number"], condition=~Q(number=""), name="finance_entry_number_unique"
            ),
            models.UniqueConstraint(
                fields=["journal", "chain_position"],
                condition=Q(chain_position__isnull=False),
                name="finance_entry_chain_unique",
            ),
            models.CheckConstraint(
                condition=Q(state="draft")
                | (~Q(number="") & Q(posted_at__isnull=False) & ~Q(hash="") & Q(chain_position__isnull=False)),
                name="finance_entry_posted_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft %(pk)s") % {"pk": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("finance:entry-detail", args=[self.pk])

    @property
    def is_posted(self) -> bool:
        return self.state == self.State.POSTED


class JournalLine(models.Model):
    """One side of an entry: a debit or a credit on an account, in SEK, optionally with the foreign amount."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="lines")
    debit = models.DecimalField(_("debit"), max_digits=16, decimal_places=2, default=ZERO)
    credit = models.DecimalField(_("credit"), max_digits=16, decimal_places=2, default=ZERO)
    partner = models.ForeignKey(
        Organization, verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("text"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    amount_currency = models.DecimalField(
        _("amount in currency"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # The entry's date, set when it is posted (empty on drafts): the reports sum lines by date without reading
    # the entries, and a draft's lines are never counted. `verify_ledger` checks it agrees with the entry.
    posted_on = models.DateField(_("posted on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["account", "entry"], name="finance_line_account_idx"),
            models.Index(
                fields=["posted_on"],
                include=["account", "debit", "credit"],
                condition=Q(posted_on__isnull=False),
                name="finance_line_posted_idx",
            ),
            models.Index(
                fields=["account", "posted_on"],
                condition=Q(posted_on__isnull=False),
                name="finance_line_account_day_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0, credit__gte=0), name="finance_line_not_negative"),
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="finance_line_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} {self.debit or -self.credit}"


# --- customer invoices ---------------------------------------------------------------------------------------


class CustomerBillingPolicy(models.Model):
    """When a customer is invoiced for an order: as soon as it is confirmed, or once it has been delivered."""

    class InvoiceOn(models.TextChoices):
        ORDER = "order", _("When the order is confirmed")
        DELIVERY = "delivery", _("When the goods are delivered")

    organization = models.OneToOneField(
        Organization, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="billing_policy"
    )
    invoice_on = models.CharField(_("invoice"), max_length=10, choices=InvoiceOn.choices, default=InvoiceOn.ORDER)

    class Meta:
        verbose_name = _("billing policy")
        verbose_name_plural = _("billing policies")

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_invoice_on_display()}"


class ExchangeRate(models.Model):
    """What one unit of a foreign currency cost in SEK on a day; an invoice uses the latest on or before its date."""

    currency = models.ForeignKey(Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("SEK per unit"), max_digits=16, decimal_places=6)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="finance_rate_currency_date_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="finance_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.date}: {self.rate}"


class Invoice(models.Model):
    """A customer invoice or credit note. A draft may change; issuing gives it its number and OCR reference and
    posts it to the sales journal, after which it never changes: it is corrected by a credit note."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("invoice state", "Draft")
        ISSUED = "issued", pgettext_lazy("invoice state", "Issued")
        PAID = "paid", pgettext_lazy("invoice state", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("invoice state", "Cancelled")

    class TaxRounding(models.TextChoices):
        TOTAL = "total", _("VAT rounded on the total per rate")
        LINE = "line", _("VAT rounded per line")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    organization = models.ForeignKey(
        Organization, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    # What the customer was called and where it was billed when the invoice was issued: the document never changes.
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    customer_vat_number = models.CharField(_("customer VAT number"), max_length=32, blank=True)
    billing_address = models.JSONField(_("billing address"), null=True, blank=True)
    delivery_address = models.JSONField(_("delivery address"), null=True, blank=True)
    # The sales order it bills, in the back office's words (no key into the front office).
    order_id = models.PositiveBigIntegerField(_("order id"), null=True, blank=True)
    order_number = models.CharField(_("order"), max_length=40, blank=True)
    customer_reference = models.CharField(_("your reference"), max_length=100, blank=True)
    source_event = models.UUIDField(_("created by event"), null=True, blank=True, unique=True, editable=False)
    currency = models.ForeignKey(Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+")
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=16, decimal_places=6, default=Decimal(1), help_text=_("SEK per unit.")
    )
    tax_rounding = models.CharField(
        _("VAT rounding"), max_length=8, choices=TaxRounding.choices, default=TaxRounding.TOTAL
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=30, blank=True)
    ocr = models.CharField(_("OCR reference"), max_length=25, blank=True)
    subtotal = models.DecimalField(_("net"), max_digits=16, decimal_places=2, default=ZERO)
    tax_total = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=ZERO)
    amount_paid = models.DecimalField(_("paid"), max_digits=16, decimal_places=2, default=ZERO)
    amount_credited = models.DecimalField(_("credited"), max_digits=16, decimal_places=2, default=ZERO)
    entry = models.OneToOneField(
        JournalEntry,
        verbose_name=_("journal entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("credits invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # The highest dunning letter sent about it (0: none); kept here so the overdue list needs no join.
    dunning_level = models.PositiveSmallIntegerField(_("dunning level"), default=0)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-invoice_date", "-pk"]
        permissions = [("issue_invoice", _("Can issue, cancel and credit invoices"))]
        indexes = [
            models.Index(fields=["organization", "-invoice_date"], name="finance_invoice_customer_idx"),
            models.Index(fields=["state", "due_date"], name="finance_invoice_due_idx"),
            # The invoice list's order, so a page of a million invoices reads a page of the index.
            models.Index(F("invoice_date").desc(nulls_first=True), F("id").desc(), name="finance_invoice_list_idx"),
            # What can still be owed: aged receivables, balances and dunning read only these.
            models.Index(
                fields=["organization", "due_date"],
                condition=Q(state="issued", kind="invoice"),
                name="finance_invoice_open_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="finance_invoice_number_unique"),
            models.UniqueConstraint(fields=["ocr"], condition=~Q(ocr=""), name="finance_invoice_ocr_unique"),
            # One invoice per sales order: a second event about the order finds it instead of billing twice.
            models.UniqueConstraint(
                fields=["order_id"],
                condition=Q(kind="invoice", order_id__isnull=False),
                name="finance_invoice_one_per_order",
            ),
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax_total")), name="finance_invoice_total"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, tax_total__gte=0, amount_paid__gte=0, amount_credited__gte=0),
                name="finance_invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("total"), amount_credited__lte=F("total")),
                name="finance_invoice_settled_at_most_total",
            ),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="finance_invoice_rate_positive"),
            models.CheckConstraint(
                condition=(Q(kind="invoice") & Q(credited_invoice__isnull=True))
                | (Q(kind="credit_note") & Q(credited_invoice__isnull=False)),
                name="finance_invoice_credit_note_credits_one",
            ),
            # Issued (or paid) means numbered, dated, referenced and in the books (an invoice of nothing books nothing).
            models.CheckConstraint(
                condition=Q(state__in=["draft", "cancelled"])
                | (
                    ~Q(number="")
                    & ~Q(ocr="")
                    & Q(invoice_date__isnull=False, due_date__isnull=False, issued_at__isnull=False)
                    & (Q(entry__isnull=False) | Q(total=0))
                ),
                name="finance_invoice_issued_is_complete",
            ),
            # Only a draft is cancelled; an issued invoice keeps its number and is credited instead.
            models.CheckConstraint(
                condition=~Q(state="cancelled") | (Q(number="") & Q(entry__isnull=True)),
                name="finance_invoice_cancelled_was_draft",
            ),
            models.CheckConstraint(
                condition=~Q(state="draft") | (Q(number="") & Q(ocr="") & Q(entry__isnull=True)),
                name="finance_invoice_draft_has_no_number",
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return self.number
        return str(_("Draft invoice %(pk)s") % {"pk": self.pk})

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def amount_due(self) -> Decimal:
        """What the customer still owes on it: the total less payments and credit notes."""
        if self.state in {self.State.DRAFT, self.State.CANCELLED} or self.is_credit_note:
            return ZERO
        return self.total - self.amount_paid - self.amount_credited


class InvoiceLine(models.Model):
    """One line of an invoice: what was sold, at what price and VAT, and the sales account it is booked to."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    order_line_id = models.PositiveBigIntegerField(_("order line id"), null=True, blank=True)
    sku = models.CharField(_("article number"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0))
    tax_rate = models.DecimalField(_("VAT (%)"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net"), max_digits=16, decimal_places=2)
    tax_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2)
    account = models.ForeignKey(
        Account, verbose_name=_("sales account"), on_delete=models.PROTECT, related_name="invoice_lines"
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="finance_invoiceline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, net_amount__gte=0, tax_amount__gte=0),
                name="finance_invoiceline_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="finance_invoiceline_discount_0_100",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="finance_invoiceline_tax_0_100"
            ),
        ]

    def __str__(self) -> str:
        return self.description


# --- customer payments and bank files --------------------------------------------------------------------------


class BankStatement(models.Model):
    """A bank file as it was imported (CSV or ISO 20022 camt.053). The same file twice is refused by its hash."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        CAMT053 = "camt053", _("ISO 20022 camt.053")

    class MatchState(models.TextChoices):
        PENDING = "pending", pgettext_lazy("matching", "Waiting")
        RUNNING = "running", pgettext_lazy("matching", "Matching")
        DONE = "done", pgettext_lazy("matching", "Done")
        FAILED = "failed", pgettext_lazy("matching", "Failed")

    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    account_iban = models.CharField(_("bank account"), max_length=34, blank=True)
    statement_date = models.DateField(_("statement date"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    # Matching runs in the background; the statement page follows it with these.
    match_state = models.CharField(_("matching"), max_length=10, choices=MatchState.choices, default=MatchState.PENDING)
    processed_lines = models.PositiveIntegerField(_("lines processed"), default=0)
    matched_lines = models.PositiveIntegerField(_("lines matched"), default=0)
    match_error = models.TextField(_("matching error"), blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_lines__lte=F("line_count"), matched_lines__lte=F("processed_lines")),
                name="finance_statement_progress_valid",
            )
        ]

    def __str__(self) -> str:
        return self.file_name


class BankStatementLine(models.Model):
    """One transaction of a bank file. Money in is matched to open invoices (by OCR reference and amount);
    what cannot be matched waits on the exceptions list until someone decides, and is booked only then."""

    class State(models.TextChoices):
        NEW = "new", pgettext_lazy("bank line state", "To match")
        MATCHED = "matched", pgettext_lazy("bank line state", "Matched")
        IGNORED = "ignored", pgettext_lazy("bank line state", "Ignored")

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    date = models.DateField(_("booking date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, help_text=_("Negative: money out."))
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    bank_reference = models.CharField(_("bank's reference"), max_length=60, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.NEW)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["statement", "position"]
        indexes = [models.Index(fields=["state", "date"], name="finance_bankline_state_idx")]
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="finance_bankline_position_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="finance_bankline_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.currency} {self.reference}"


class Payment(models.Model):
    """Money a customer paid, booked to the bank journal. What is allocated to invoices clears receivables;
    what is left (an overpayment, or a payment on account) is the customer's credit until it is allocated."""

    class Method(models.TextChoices):
        MANUAL = "manual", _("Registered by hand")
        BANK_FILE = "bank_file", _("Bank file")

    organization = models.ForeignKey(
        Organization, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("payment date"))
    currency = models.ForeignKey(Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=16, decimal_places=6, default=Decimal(1), help_text=_("SEK per unit.")
    )
    amount_allocated = models.DecimalField(_("allocated"), max_digits=16, decimal_places=2, default=ZERO)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.MANUAL)
    bank_line = models.OneToOneField(
        BankStatementLine,
        verbose_name=_("bank line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    entry = models.OneToOneField(
        JournalEntry,
        verbose_name=_("journal entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-pk"]
        permissions = [("register_payment", _("Can register, import and match payments"))]
        indexes = [
            models.Index(fields=["organization", "-date"], name="finance_payment_customer_idx"),
            models.Index(F("date").desc(), F("id").desc(), name="finance_payment_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_payment_amount_positive"),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="finance_payment_rate_positive"),
            models.CheckConstraint(
                condition=Q(amount_allocated__gte=0, amount_allocated__lte=F("amount")),
                name="finance_payment_allocated_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.currency_id}"

    @property
    def amount_unallocated(self) -> Decimal:
        return self.amount - self.amount_allocated


class PaymentAllocation(models.Model):
    """The part of a payment that settles one invoice, in the invoice's currency. The receivable leaves the books
    at the invoice's rate; the difference to the payment's rate is the exchange gain or loss."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="allocations"
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    amount_base = models.DecimalField(_("receivable cleared (SEK)"), max_digits=16, decimal_places=2)
    exchange_difference = models.DecimalField(
        _("exchange difference (SEK)"),
        max_digits=16,
        decimal_places=2,
        default=ZERO,
        help_text=_("Positive: a gain; negative: a loss."),
    )
    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("journal entry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, amount_base__gte=0), name="finance_allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


# --- dunning and credit hold -----------------------------------------------------------------------------------


class DunningPolicy(models.Model):
    """How the company chases overdue invoices (one row): when each reminder goes out, what it costs the customer,
    and when a customer goes on credit hold."""

    reminder_days = models.PositiveSmallIntegerField(_("reminder after (days overdue)"), default=7)
    second_reminder_days = models.PositiveSmallIntegerField(_("second reminder after (days overdue)"), default=21)
    final_notice_days = models.PositiveSmallIntegerField(_("final notice after (days overdue)"), default=35)
    reminder_fee = models.DecimalField(
        _("reminder fee (SEK)"), max_digits=10, decimal_places=2, default=Decimal("60.00")
    )
    fee_from_level = models.PositiveSmallIntegerField(
        _("charge the fee from level"), default=2, help_text=_("1 reminder, 2 second reminder, 3 final notice.")
    )
    interest_rate = models.DecimalField(
        _("late-payment interest (% a year)"), max_digits=5, decimal_places=2, default=Decimal("10.50")
    )
    charge_interest = models.BooleanField(_("charge interest on the final notice"), default=True)
    hold_after_days = models.PositiveSmallIntegerField(
        _("credit hold when an invoice is overdue more than (days)"), default=30
    )
    hold_over_amount = models.DecimalField(
        _("credit hold when overdue amount exceeds (SEK)"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("50000.00"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dunning policy")
        verbose_name_plural = _("dunning policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="finance_dunning_single_row"),
            models.CheckConstraint(
                condition=Q(
                    reminder_days__lt=F("second_reminder_days"), second_reminder_days__lt=F("final_notice_days")
                ),
                name="finance_dunning_levels_in_order",
            ),
            models.CheckConstraint(
                condition=Q(
                    reminder_fee__gte=0,
                    interest_rate__gte=0,
                    hold_over_amount__gte=0,
                    fee_from_level__gte=1,
                    fee_from_level__lte=3,
                ),
                name="finance_dunning_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Dunning policy"))


class DunningLetter(models.Model):
    """A reminder, second reminder or final notice about one overdue invoice. Its fee and interest, if any, are
    billed on their own fee invoice so they are numbered, booked, payable by OCR and seen on the portal."""

    class Level(models.IntegerChoices):
        REMINDER = 1, _("Reminder")
        SECOND_REMINDER = 2, _("Second reminder")
        FINAL_NOTICE = 3, _("Final notice")

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="dunning_letters"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    date = models.DateField(_("date"))
    days_overdue = models.PositiveIntegerField(_("days overdue"))
    amount_due = models.DecimalField(_("amount due"), max_digits=16, decimal_places=2)
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=ZERO)
    interest = models.DecimalField(_("interest"), max_digits=16, decimal_places=2, default=ZERO)
    fee_invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("fee invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dunning_letter",
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("dunning letter")
        verbose_name_plural = _("dunning letters")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["-date"], name="finance_dunning_date_idx")]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="finance_dunning_once_per_level"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="finance_dunning_level_1_3"),
            models.CheckConstraint(
                condition=Q(fee__gte=0, interest__gte=0, amount_due__gt=0), name="finance_dunning_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.get_level_display()}"


class CreditHold(models.Model):
    """Whether finance holds a customer's credit. Set by the dunning policy (released again when the customer has
    paid) or by hand (then only released by hand). Every change is published as `finance.credit_hold_changed`."""

    organization = models.OneToOneField(
        Organization, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="credit_hold"
    )
    on_hold = models.BooleanField(_("on credit hold"), default=False)
    is_manual = models.BooleanField(_("set by hand"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    overdue_amount = models.DecimalField(_("overdue (SEK)"), max_digits=16, decimal_places=2, default=ZERO)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("credit hold")
        verbose_name_plural = _("credit holds")
        indexes = [models.Index(fields=["on_hold"], name="finance_credithold_on_idx", condition=Q(on_hold=True))]

    def __str__(self) -> str:
        return f"{self.organization}: {self.on_hold}"


# --- suppliers ------------------------------------------------------------------------------------------------


class SupplierBill(models.Model):
    """An invoice from a supplier. Approval gives it its own number and books the payable, the expense and the
    input VAT; a payment run pays it. Bills from goods receipts carry the purchase order so that finance can match
    order, receipt and bill (three-way match) and list what differs."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("bill state", "To approve")
        APPROVED = "approved", pgettext_lazy("bill state", "Approved")
        PAID = "paid", pgettext_lazy("bill state", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("bill state", "Cancelled")

    class Match(models.TextChoices):
        NONE = "none", _("No purchase order")
        MATCHED = "matched", _("Matches order and receipt")
        EXCEPTION = "exception", _("Differs from order or receipt")

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    supplier = models.ForeignKey(Organization, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+")
    supplier_reference = models.CharField(_("supplier's invoice number"), max_length=60)
    number = models.CharField(_("number"), max_length=30, blank=True)
    bill_date = models.DateField(_("bill date"))
    due_date = models.DateField(_("due date"))
    currency = models.ForeignKey(Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+")
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=16, decimal_places=6, default=Decimal(1), help_text=_("SEK per unit.")
    )
    payment_reference = models.CharField(_("pay with reference (OCR)"), max_length=40, blank=True)
    subtotal = models.DecimalField(_("net"), max_digits=16, decimal_places=2, default=ZERO)
    tax_total = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=ZERO)
    amount_paid = models.DecimalField(_("paid"), max_digits=16, decimal_places=2, default=ZERO)
    purchase_order_id = models.PositiveBigIntegerField(_("purchase order id"), null=True, blank=True)
    purchase_order_number = models.CharField(_("purchase order"), max_length=40, blank=True)
    source_event = models.UUIDField(_("created by event"), null=True, blank=True, unique=True, editable=False)
    match_state = models.CharField(_("three-way match"), max_length=10, choices=Match.choices, default=Match.NONE)
    match_problems = models.JSONField(_("match problems"), default=list, blank=True)
    entry = models.OneToOneField(
        JournalEntry,
        verbose_name=_("journal entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_bill",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplier bill")
        verbose_name_plural = _("supplier bills")
        ordering = ["-bill_date", "-pk"]
        permissions = [
            ("approve_supplierbill", _("Can approve supplier bills")),
            ("pay_supplierbill", _("Can run supplier payments")),
        ]
        indexes = [
            models.Index(fields=["supplier", "-bill_date"], name="finance_bill_supplier_idx"),
            models.Index(fields=["state", "due_date"], name="finance_bill_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "supplier_reference"],
                condition=~Q(state="cancelled"),
                name="finance_bill_supplier_reference_unique",
            ),
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="finance_bill_number_unique"),
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax_total")), name="finance_bill_total"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, tax_total__gte=0, amount_paid__gte=0, amount_paid__lte=F("total")),
                name="finance_bill_amounts_valid",
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("bill_date")), name="finance_bill_due_after_date"),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="finance_bill_rate_positive"),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "cancelled"])
                | (~Q(number="") & Q(approved_at__isnull=False) & (Q(entry__isnull=False) | Q(total=0))),
                name="finance_bill_approved_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.supplier_reference}"

    @property
    def amount_due(self) -> Decimal:
        if self.state in {self.State.DRAFT, self.State.CANCELLED}:
            return ZERO
        return self.total - self.amount_paid


class SupplierBillLine(models.Model):
    """One line of a supplier bill: what was bought, the expense (or stock) account and the VAT rate."""

    bill = models.ForeignKey(SupplierBill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=300)
    sku = models.CharField(_("article number"), max_length=64, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(_("VAT (%)"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net"), max_digits=16, decimal_places=2)
    tax_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2)
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="bill_lines")
    purchase_order_line_id = models.PositiveBigIntegerField(_("purchase order line id"), null=True, blank=True)
    ordered_quantity = models.DecimalField(_("ordered"), max_digits=12, decimal_places=3, null=True, blank=True)
    ordered_unit_price = models.DecimalField(_("ordered price"), max_digits=14, decimal_places=2, null=True, blank=True)
    received_quantity = models.DecimalField(_("received"), max_digits=12, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = _("supplier bill line")
        verbose_name_plural = _("supplier bill lines")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="finance_billline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, net_amount__gte=0, tax_amount__gte=0),
                name="finance_billline_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="finance_billline_tax_0_100"),
        ]

    def __str__(self) -> str:
        return self.description


class PaymentRun(models.Model):
    """A batch of supplier bills paid together on one day: chosen from what is due, confirmed once, booked as one
    bank entry (payables against the bank account)."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("payment run state", "Draft")
        CONFIRMED = "confirmed", pgettext_lazy("payment run state", "Paid")

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    payment_date = models.DateField(_("payment date"))
    total = models.DecimalField(_("total (SEK)"), max_digits=16, decimal_places=2, default=ZERO)
    entry = models.OneToOneField(
        JournalEntry,
        verbose_name=_("journal entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_run",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")
        ordering = ["-payment_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="finance_paymentrun_total_not_negative"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(confirmed_at__isnull=False), name="finance_paymentrun_confirmed_complete"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_date} ({self.get_state_display()})"


class PaymentRunItem(models.Model):
    """One bill in a payment run and the amount paid on it (in the bill's currency)."""

    run = models.ForeignKey(PaymentRun, on_delete=models.CASCADE, related_name="items")
    bill = models.ForeignKey(
        SupplierBill, verbose_name=_("bill"), on_delete=models.PROTECT, related_name="payment_items"
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("payment run item")
        verbose_name_plural = _("payment run items")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "bill"], name="finance_runitem_bill_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_runitem_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.bill_id} {self.amount}"
