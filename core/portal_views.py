"""The customer portal's own pages: the start page, the profile, accepting an invitation."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.accounts.decorators import customer_required
from core.accounts.models import User
from core.accounts.services import user_update_profile
from core.parties.selectors import person_for_portal_user, portal_colleagues
from core.parties.services import portal_invitation_accept


@customer_required
def portal_home(request: HttpRequest) -> HttpResponse:
    person = person_for_portal_user(user=request.user)
    organization = person.organization if person else None
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "organization": organization,
            "addresses": list(organization.addresses.all()) if organization else [],
            "colleagues": portal_colleagues(person=person) if person else [],
        },
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES


@customer_required
def portal_profile(request: HttpRequest) -> HttpResponse:
    person = person_for_portal_user(user=request.user)
    initial = {
        "full_name": request.user.full_name,
        "language": request.user.language,
        "phone": person.phone if person else "",
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        response = redirect("portal-profile")
        if form.cleaned_data["language"]:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
        return response
    return render(request, "portal/profile.html", {"form": form, "person": person})


class InvitationPasswordForm(SetPasswordForm):
    pass


def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """An invited customer chooses a password; the link in the e-mail proves the address."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))), kind=User.Kind.CUSTOMER)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "portal/invitation_invalid.html", status=400)
    form = InvitationPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = portal_invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="core.accounts.auth_backends.SignInBackend")
        messages.success(request, _("Welcome! Your portal account is ready."))
        return redirect("portal-home")
    return render(request, "portal/invitation_accept.html", {"form": form, "invited_user": user})
