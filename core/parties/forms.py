from django import forms
from django.utils.translation import gettext_lazy as _

from core.lists import FilterForm
from core.parties.models import Address, Organization, PartyRole, Person
from core.widgets import AutocompleteSelect

YES_NO = [("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))]


class OrganizationForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=PartyRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, this is a different organization"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "org_number",
            "vat_number",
            "roles",
            "email",
            "phone",
            "website",
            "country",
            "portal_visibility",
            "is_active",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class OrganizationFilterForm(FilterForm):
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("All roles")), *PartyRole.choices], required=False)
    active = forms.ChoiceField(label=_("Status"), choices=YES_NO, required=False)


class PersonForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=PartyRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, this is a different person"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "organization",
            "roles",
            "is_active",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "organization": AutocompleteSelect("parties:organization-lookup"),
        }

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("first_name") or cleaned.get("last_name") or cleaned.get("email")):
            raise forms.ValidationError(_("Give at least a name or an e-mail address."))
        return cleaned


class PersonFilterForm(FilterForm):
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("All roles")), *PartyRole.choices], required=False)
    portal = forms.ChoiceField(
        label=_("Portal"),
        choices=[("", _("Everyone")), ("yes", _("Uses the portal")), ("no", _("Not on the portal"))],
        required=False,
    )
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["kind", "line1", "line2", "postal_code", "city", "country", "is_default"]
