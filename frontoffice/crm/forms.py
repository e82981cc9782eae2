from django import forms
from django.utils.translation import gettext_lazy as _

from core.accounts.selectors import staff_users
from core.lists import FilterForm
from core.widgets import AutocompleteSelect
from frontoffice.crm.models import Account, Activity, ContactProfile


class TagsField(forms.CharField):
    """Tags typed as a comma-separated list."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value) -> list[str]:
        return [tag.strip() for tag in (value or "").split(",") if tag.strip()]


class AccountOpenForm(forms.ModelForm):
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Account._meta.get_field("organization").related_model.objects.filter(crm_account__isnull=True),
        widget=AutocompleteSelect("parties:organization-lookup"),
        help_text=_("An organization that has no account yet."),
    )
    tags = TagsField(label=_("Tags"), required=False, help_text=_("Separate with commas."))

    class Meta:
        model = Account
        fields = ["organization", "owner", "lifecycle_stage", "segment", "industry", "tags", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class AccountForm(AccountOpenForm):
    class Meta(AccountOpenForm.Meta):
        fields = ["owner", "lifecycle_stage", "segment", "industry", "tags", "notes"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("organization", None)


class AccountFilterForm(FilterForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", _("All stages")), *Account.Stage.choices], required=False)
    segment = forms.ChoiceField(
        label=_("Segment"), choices=[("", _("All segments")), *Account.Segment.choices], required=False
    )
    owner = forms.ChoiceField(label=_("Owner"), choices=[("", _("Anyone")), ("me", _("Mine"))], required=False)


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "subject", "assignee", "due_at", "contact", "notes"]
        widgets = {
            "due_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"due_at": _("Leave empty when logging something that already happened.")}

    def __init__(self, *args, account: Account | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()
        contacts = self.fields["contact"].queryset
        self.fields["contact"].queryset = (
            contacts.filter(organization_id=account.organization_id) if account else contacts.none()
        )


class ContactProfileForm(forms.ModelForm):
    source = forms.ChoiceField(
        label=_("Source of a consent change"),
        choices=[("", "—"), *ContactProfile.Source.choices],
        required=False,
        help_text=_("Needed when you change a consent."),
    )

    class Meta:
        model = ContactProfile
        fields = ["role", "email_consent", "phone_consent"]


class MergeForm(forms.Form):
    survivor = forms.ModelChoiceField(
        label=_("Keep"),
        queryset=Account._meta.get_field("organization").related_model.objects.filter(merged_into__isnull=True),
        widget=AutocompleteSelect("parties:organization-lookup"),
        help_text=_("The organization that stays."),
    )
    duplicate = forms.ModelChoiceField(
        label=_("Merge into it"),
        queryset=Account._meta.get_field("organization").related_model.objects.filter(merged_into__isnull=True),
        widget=AutocompleteSelect("parties:organization-lookup"),
        help_text=_("The duplicate: its people, addresses, account and history move to the one you keep."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("survivor") and cleaned.get("survivor") == cleaned.get("duplicate"):
            raise forms.ValidationError(_("Choose two different organizations."))
        return cleaned


YES_NO_ANY = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class ContactFilterForm(FilterForm):
    """Filters of the CRM's contact list; the export of contacts takes the same ones."""

    email_consent = forms.ChoiceField(label=_("Agrees to e-mail"), choices=YES_NO_ANY, required=False)
    phone_consent = forms.ChoiceField(label=_("Agrees to phone calls"), choices=YES_NO_ANY, required=False)
