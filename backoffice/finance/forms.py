"""Forms of the ledger's staff pages: list filters, the draft entry with its lines, report periods, the lock date."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.finance.models import ZERO, Account, Invoice, Journal, JournalEntry, Payment
from backoffice.finance.services import Line
from core.catalog.models import Currency
from core.lists import FilterForm
from core.parties.models import Organization
from core.widgets import AutocompleteSelect

AMOUNT = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0"), "required": False}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccountFilterForm(FilterForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Account.Kind.choices], required=False)


class EntryFilterForm(FilterForm):
    journal = forms.ModelChoiceField(
        label=_("Journal"),
        queryset=Journal.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All journals"),
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *JournalEntry.State.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())


class EntryForm(forms.Form):
    """The head of a draft entry."""

    journal = forms.ModelChoiceField(label=_("Journal"), queryset=Journal.objects.order_by("code"))
    date = forms.DateField(
        label=_("Date"),
        widget=_date_input(),
        help_text=_("The day the entry is booked on: inside an open fiscal year and after the lock date."),
    )
    description = forms.CharField(label=_("Description"), max_length=200)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        required=False,
        help_text=_("The voucher behind it: a receipt, an invoice or a bank statement number."),
    )


class EntryLineForm(forms.Form):
    """One line: an account, a debit or a credit, and optionally the customer or supplier it concerns."""

    account = forms.ChoiceField(label=_("Account"), required=False)
    debit = forms.DecimalField(label=_("Debit"), **AMOUNT)
    credit = forms.DecimalField(label=_("Credit"), **AMOUNT)
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Organization.objects.all(),
        required=False,
        widget=AutocompleteSelect("parties:organization-lookup"),
    )
    description = forms.CharField(label=_("Text"), max_length=200, required=False)

    def __init__(self, *args: Any, accounts: dict[str, Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = accounts
        self.fields["account"].choices = [("", _("Choose an account")), *((pk, str(a)) for pk, a in accounts.items())]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_changed() or data.get("DELETE"):
            return data
        if not data.get("account"):
            self.add_error("account", _("Choose an account."))
        if not data.get("debit") and not data.get("credit") and "debit" not in self.errors:
            self.add_error("debit", _("Give a debit or a credit."))
        return data

    def line(self) -> Line:
        data = self.cleaned_data
        return Line(
            account=self.accounts[data["account"]],
            debit=data.get("debit") or ZERO,
            credit=data.get("credit") or ZERO,
            partner=data.get("partner"),
            description=data.get("description") or "",
        )


class BaseEntryLineFormSet(forms.BaseFormSet):
    """The lines of a draft; the active accounts are read once for every line's choice list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {str(account.pk): account for account in Account.objects.filter(is_active=True)}

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "accounts": self.accounts}

    def lines(self) -> list[Line]:
        """The filled-in lines, in their order on the page (untouched and removed ones are left out)."""
        return [
            form.line()
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


EntryLineFormSet = forms.formset_factory(
    EntryLineForm, formset=BaseEntryLineFormSet, extra=2, can_delete=True, max_num=200, validate_max=True
)


class ReverseForm(forms.Form):
    date = forms.DateField(
        label=_("Date of the reversal"),
        required=False,
        widget=_date_input(),
        help_text=_("Today when left empty."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=150, required=False)


class PeriodForm(forms.Form):
    """The period of a report."""

    date_from = forms.DateField(label=_("From"), widget=_date_input())
    date_to = forms.DateField(label=_("To"), widget=_date_input())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def default_period(year_start: date | None) -> dict[str, date]:
    """From the first day of this fiscal year (or calendar year, if none is set up) to today."""
    today = timezone.localdate()
    return {"date_from": year_start or today.replace(month=1, day=1), "date_to": today}


class LockDateForm(forms.Form):
    lock_date = forms.DateField(
        label=_("Lock date"),
        widget=_date_input(),
        help_text=_("Nothing may be posted on or before this day. It only moves forward."),
    )


class InvoiceFilterForm(FilterForm):
    state = forms.ChoiceField(label=_("State"), choices=[("", _("All states")), *Invoice.State.choices], required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Invoice.Kind.choices], required=False)
    # One customer's invoices (the reports and the customer's pages link here); kept while searching.
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class CreditForm(forms.Form):
    """Credit an issued invoice in full; the reason is said on the credit note."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


# --- payments and bank files -----------------------------------------------------------------------------------


class PaymentFilterForm(FilterForm):
    method = forms.ChoiceField(
        label=_("Method"), choices=[("", _("All methods")), *Payment.Method.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())


class PaymentForm(forms.Form):
    """Money received from a customer. It pays the invoice it was registered from, else the customer's oldest
    open invoices in its currency; anything left over stays on account."""

    organization = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Organization.objects.all(),
        widget=AutocompleteSelect("parties:organization-lookup"),
    )
    date = forms.DateField(label=_("Payment date"), widget=_date_input())
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.all(), to_field_name="code")
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False, help_text=_("OCR or message."))
    payer_name = forms.CharField(label=_("Payer"), max_length=200, required=False)
    allocate = forms.ChoiceField(
        label=_("Put it on"),
        choices=[
            ("invoice", _("This invoice")),
            ("oldest", _("The customer's oldest open invoices")),
            ("account", _("Nothing yet: keep it on account")),
        ],
        widget=forms.RadioSelect,
        initial="oldest",
    )


class BankFileForm(forms.Form):
    file = forms.FileField(
        label=_("Bank file"),
        help_text=_("A CSV export (date, amount, reference… columns) or an ISO 20022 camt.053 statement."),
    )

    MAX_SIZE = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_SIZE:
            raise forms.ValidationError(_("A bank file may be at most 10 MB."))
        return upload


class BankExceptionFilterForm(FilterForm):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", _("In and out")), ("in", _("Money in")), ("out", _("Money out"))],
        required=False,
    )


class BankLineMatchForm(forms.Form):
    """Whose money an unmatched bank line is, and (optionally) which invoice it pays."""

    organization = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Organization.objects.all(),
        widget=AutocompleteSelect("parties:organization-lookup"),
    )
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.all(), required=False, widget=forms.HiddenInput)


class BankLineIgnoreForm(forms.Form):
    note = forms.CharField(label=_("Why is it not booked?"), max_length=200)
