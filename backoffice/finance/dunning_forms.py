"""Forms of the dunning pages: list filters, holding or releasing a customer's credit, and the policy."""

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from backoffice.finance import dunning
from backoffice.finance.models import DunningLetter, DunningPolicy
from core.lists import FilterForm
from core.parties.models import Organization
from core.widgets import AutocompleteSelect

LEVEL_CHOICES = [("", _("All levels")), ("0", _("No letter yet")), *DunningLetter.Level.choices]


class OverdueFilterForm(FilterForm):
    level = forms.TypedChoiceField(
        label=_("Letter sent"), choices=LEVEL_CHOICES, coerce=int, empty_value=None, required=False
    )


class LetterFilterForm(FilterForm):
    level = forms.TypedChoiceField(
        label=_("Level"),
        choices=[("", _("All levels")), *DunningLetter.Level.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class CreditHoldForm(forms.Form):
    """Put a customer on credit hold by hand; it stays until someone releases it."""

    organization = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Organization.objects.filter(is_active=True),
        widget=AutocompleteSelect("parties:organization-lookup"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Sales sees it on the customer's orders and may tell the customer."),
    )


class CreditReleaseForm(forms.Form):
    """Release a customer's credit hold, saying why (the customer paid, a payment plan was agreed...)."""

    reason = forms.CharField(label=_("Reason for the release"), max_length=200)


POLICY_HELP = {
    "reminder_fee": _("Charged on its own fee invoice, without VAT (Swedish law allows at most 60 SEK)."),
    "interest_rate": _("The Swedish statutory rate is the reference rate plus eight percentage points."),
    "is_active": _("When off, no letters go out; credit holds are still reviewed."),
}


def _policy_fields() -> dict[str, forms.Field]:
    fields = fields_for_model(DunningPolicy, fields=dunning.POLICY_FIELDS, help_texts=POLICY_HELP)
    fields["fee_from_level"] = forms.TypedChoiceField(
        label=_("Charge the reminder fee from"), choices=DunningLetter.Level.choices, coerce=int
    )
    return {name: fields[name] for name in dunning.POLICY_FIELDS}


class DunningPolicyForm(forms.Form):
    """The policy's fields, as the model defines them; the service checks that they make sense together
    (and says so on the field), so the form holds no rule of its own."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_policy_fields())
