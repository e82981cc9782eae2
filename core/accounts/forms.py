from django import forms
from django.utils.translation import gettext_lazy as _

from core.accounts.models import User


class SignupForm(forms.Form):
    """Extra field on allauth's customer sign-up form: the person's name."""

    full_name = forms.CharField(label=_("Your name"), max_length=200)

    field_order = ["full_name", "email", "password1", "password2"]

    def signup(self, request, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
