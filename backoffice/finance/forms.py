"""Forms of the ledger's staff pages: list filters, the draft entry with its lines, report periods, the lock date."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.finance.models import ZERO, Account, Invoice, Journal, JournalEntry
from backoffice.finance.services import Line
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


class CreditForm(forms.Form):
    """Credit an issued invoice in full; the reason is said on the credit note."""

    reason = forms.CharField(label=_("Reason"), max_length=200)
