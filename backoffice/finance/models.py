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

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["pk"]
        indexes = [models.Index(fields=["account", "entry"], name="finance_line_account_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0, credit__gte=0), name="finance_line_not_negative"),
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="finance_line_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} {self.debit or -self.credit}"
