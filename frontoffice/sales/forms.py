from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.accounts.selectors import staff_users
from core.lists import FilterForm
from core.widgets import AutocompleteSelect
from frontoffice.crm.models import Account
from frontoffice.sales.models import Lead, Opportunity, PipelineStage


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
