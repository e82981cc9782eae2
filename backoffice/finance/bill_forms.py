"""Forms of the supplier bill and payment run pages: list filters, the bill with its lines, approval, a new run."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.finance import bill_selectors
from backoffice.finance.bill_services import BILL_ACCOUNT_KINDS, BillLineInput
from backoffice.finance.models import Account, SupplierBill
from core.catalog.models import Currency
from core.lists import FilterForm

TAX_RATES = [("25", "25 %"), ("12", "12 %"), ("6", "6 %"), ("0", "0 %")]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SupplierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class BillFilterForm(FilterForm):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *SupplierBill.State.choices], required=False
    )
    supplier = SupplierChoiceField(
        label=_("Supplier"), queryset=bill_selectors.suppliers(), required=False, empty_label=_("All suppliers")
    )
    overdue = forms.ChoiceField(
        label=_("Due"), choices=[("", _("Any due date")), ("yes", _("Overdue"))], required=False
    )


class BillForm(forms.Form):
    """The head of a supplier bill: whose invoice, its number, dates and currency."""

    supplier = SupplierChoiceField(label=_("Supplier"), queryset=bill_selectors.suppliers())
    supplier_reference = forms.CharField(
        label=_("Supplier's invoice number"),
        max_length=60,
        help_text=_("As printed on the invoice; the same number from the same supplier is refused."),
    )
    bill_date = forms.DateField(
        label=_("Bill date"), widget=_date_input(), help_text=_("The invoice's date: it is booked on this day.")
    )
    due_date = forms.DateField(
        label=_("Due date"), widget=_date_input(), required=False, help_text=_("30 days after the bill date if empty.")
    )
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.filter(is_active=True).order_by("code"), empty_label=None
    )
    payment_reference = forms.CharField(
        label=_("Pay with reference (OCR)"),
        max_length=40,
        required=False,
        help_text=_("The reference the supplier wants on the payment; their invoice number is used if empty."),
    )

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["currency"] = data["currency"].pk
        return data


class BillLineForm(forms.Form):
    """One line of a bill: what was bought, how many, at what price and VAT, booked to which account."""

    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    account = forms.ChoiceField(label=_("Account"), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3, required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=14, decimal_places=2, required=False)
    tax_rate = forms.ChoiceField(label=_("VAT"), choices=TAX_RATES, initial="25")

    def __init__(self, *args: Any, accounts: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", _("Choose an account")), *((a.code, str(a)) for a in accounts)]

    def has_changed(self) -> bool:
        # The VAT select always has a value: a line counts as filled in only when something else is.
        return any(name in self.changed_data for name in ("description", "account", "quantity", "unit_price"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_changed() or data.get("DELETE"):
            return data
        if not data.get("description"):
            self.add_error("description", _("Say what was bought."))
        if not data.get("account"):
            self.add_error("account", _("Choose an account."))
        if data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Give a quantity."))
        elif data.get("quantity") is not None and data["quantity"] <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        if data.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", _("Give a price."))
        elif data.get("unit_price") is not None and data["unit_price"] < 0:
            self.add_error("unit_price", _("The price is not negative."))
        return data

    def line(self) -> BillLineInput:
        data = self.cleaned_data
        return BillLineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=Decimal(data["tax_rate"]),
            account_code=data["account"],
        )


class BaseBillLineFormSet(forms.BaseFormSet):
    """The lines of a bill; the expense and asset accounts are read once for every line's choice list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = list(Account.objects.filter(is_active=True, kind__in=BILL_ACCOUNT_KINDS).order_by("code"))

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "accounts": self.accounts}

    def lines(self) -> list[BillLineInput]:
        return [
            form.line()
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


BillLineFormSet = forms.formset_factory(
    BillLineForm, formset=BaseBillLineFormSet, extra=2, can_delete=True, max_num=200, validate_max=True
)


def line_initial(bill: SupplierBill) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "account": line.account.code,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "tax_rate": str(line.tax_rate.normalize() if line.tax_rate else 0),
        }
        for line in bill.lines.all()
    ]


class ApproveForm(forms.Form):
    accept_differences = forms.BooleanField(
        label=_("I accept the differences from the order and the receipt"), required=False
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PaymentRunForm(forms.Form):
    """A new run: the day the bank pays, and how far ahead due bills are taken."""

    payment_date = forms.DateField(label=_("Payment date"), widget=_date_input())
    due_by = forms.DateField(
        label=_("Bills due by"),
        widget=_date_input(),
        required=False,
        help_text=_("Every approved bill due on or before this day is paid in full. The payment date if empty."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["payment_date"].initial = today
        self.fields["due_by"].initial = today + timedelta(days=7)


class BillChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.supplier.name} · {obj.amount_due} {obj.currency_id} · {obj.due_date}"


class PaymentRunItemForm(forms.Form):
    """Add one more approved bill to a draft run, in full or in part."""

    bill = BillChoiceField(label=_("Bill"), queryset=SupplierBill.objects.none(), empty_label=_("Choose a bill"))
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=16,
        decimal_places=2,
        required=False,
        help_text=_("In the bill's currency; everything still due if empty."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bill"].queryset = bill_selectors.bills_to_pay()
