from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.accounts.selectors import staff_users
from core.catalog.models import Currency, Product, TaxRate
from core.lists import FilterForm
from core.parties.models import Address, Person
from core.widgets import AutocompleteSelect
from frontoffice.crm.models import Account
from frontoffice.sales.models import Lead, Opportunity, PipelineStage, Quote, SalesOrder


class LeadForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = [
            "company_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "source",
            "status",
            "owner",
            "campaign",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["status"].choices = [c for c in Lead.Status.choices if c[0] != Lead.Status.CONVERTED]


class LeadFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Lead.Status.choices], required=False)


class LeadConvertForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Existing account"),
        queryset=Account.objects.all(),
        required=False,
        widget=AutocompleteSelect("sales:account-lookup"),
        help_text=_("Leave empty: Kontor finds the company by its name or creates it."),
    )
    opportunity_name = forms.CharField(label=_("Opportunity"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("Amount (SEK)"), min_value=Decimal("0"), decimal_places=2, initial=0)


class OpportunityForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["name", "account", "stage", "amount", "currency", "probability", "expected_close", "owner", "contact"]
        widgets = {
            "account": AutocompleteSelect("sales:account-lookup"),
            "expected_close": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["stage"].queryset = PipelineStage.objects.filter(is_active=True)
        account_id = self.data.get("account") or (self.instance.account_id if self.instance.pk else None)
        contacts = self.fields["contact"].queryset
        self.fields["contact"].queryset = (
            contacts.filter(organization__crm_account=account_id) if account_id else contacts.none()
        )


class OpportunityFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Opportunity.Status.choices], required=False)
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=PipelineStage.objects.filter(is_active=True),
        required=False,
        empty_label=_("All stages"),
    )


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("Move to stage"), queryset=PipelineStage.objects.filter(is_active=True))


class LostForm(forms.Form):
    reason = forms.CharField(label=_("Why was it lost?"), max_length=200)


# --- quotes and orders ---------------------------------------------------------------


class CustomerChoiceForm(forms.Form):
    """The first step of a new quote or order: whose is it?"""

    account = forms.ModelChoiceField(
        label=_("Customer"), queryset=Account.objects.all(), widget=AutocompleteSelect("sales:account-lookup")
    )


class DocumentForm(forms.ModelForm):
    """The head of a quote or an order, for one customer: its contacts, addresses and deals only."""

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["owner"].queryset = staff_users()
        self.fields["currency"].queryset = Currency.objects.filter(is_active=True)
        self.fields["contact"].queryset = Person.objects.filter(organization_id=account.organization_id)
        self.fields["delivery_address"].queryset = Address.objects.filter(organization_id=account.organization_id)
        self.fields["opportunity"].queryset = Opportunity.objects.filter(account=account).order_by("-pk")


class QuoteForm(DocumentForm):
    class Meta:
        model = Quote
        fields = [
            "contact",
            "opportunity",
            "valid_until",
            "currency",
            "payment_terms_days",
            "tax_rounding",
            "delivery_address",
            "owner",
            "notes",
        ]
        widgets = {
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class OrderForm(DocumentForm):
    class Meta:
        model = SalesOrder
        fields = [
            "contact",
            "opportunity",
            "customer_reference",
            "currency",
            "payment_terms_days",
            "tax_rounding",
            "delivery_address",
            "owner",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class LineForm(forms.Form):
    """One line: a product (its name, price and VAT fill in what is left empty) or a free text."""

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
        widget=AutocompleteSelect("sales:product-lookup"),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=12, decimal_places=3, required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), min_value=Decimal("0"), max_digits=14, decimal_places=2, required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
    )
    tax_rate = forms.TypedChoiceField(label=_("VAT"), coerce=Decimal, required=False, empty_value=None)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tax_rate"].choices = [("", _("Product's"))] + [
            (str(rate.rate.normalize()), f"{rate.rate.normalize()} %") for rate in _active_tax_rates()
        ]
        self.fields["unit_price"].widget.attrs["placeholder"] = _("List price")

    def clean(self) -> dict:
        data = super().clean()
        if not self.has_changed() or data.get("DELETE"):
            return data
        if not data.get("product") and not data.get("description"):
            self.add_error("description", _("Describe the line or choose a product."))
        if not data.get("product"):
            if data.get("unit_price") is None:
                self.add_error("unit_price", _("A line without a product needs a price."))
            if data.get("tax_rate") is None:
                self.add_error("tax_rate", _("A line without a product needs a VAT rate."))
        if data.get("quantity") is None:
            self.add_error("quantity", _("How many?"))
        return data

    def line_values(self) -> dict:
        data = self.cleaned_data
        return {
            name: data.get(name)
            for name in ("product", "description", "quantity", "unit_price", "discount_percent", "tax_rate")
        }


def _active_tax_rates() -> list[TaxRate]:
    return list(TaxRate.objects.filter(is_active=True).order_by("-rate"))


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("Add at least one line."))

    def lines(self) -> list[dict]:
        return [
            form.line_values()
            for form in self.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE") and form.cleaned_data
        ]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=200)


def line_initial(lines) -> list[dict]:
    """A document's lines as the formset's initial data."""
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity.normalize(),
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent if line.discount_percent else None,
            "tax_rate": str(line.tax_rate.normalize()),
        }
        for line in lines
    ]


class QuoteFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Quote.Status.choices], required=False)


class OrderFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *SalesOrder.Status.choices], required=False)
    invoice_status = forms.ChoiceField(
        label=_("Invoicing"), choices=[("", _("All")), *SalesOrder.InvoiceStatus.choices], required=False
    )
    delivery_status = forms.ChoiceField(
        label=_("Delivery"), choices=[("", _("All")), *SalesOrder.DeliveryStatus.choices], required=False
    )


class SendQuoteForm(forms.Form):
    to = forms.EmailField(label=_("To"), required=False, help_text=_("Leave empty to send it to the quote's contact."))
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CancelOrderForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=200)
