"""The backends people sign in with: Django's and allauth's, loading the signed-in user in one plain statement
(core.accounts.backends.load_user) on every request that follows."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from core.accounts.backends import QuickUserMixin


class SignInBackend(QuickUserMixin, ModelBackend):
    """E-mail and password, as Django's ModelBackend."""


class AllauthSignInBackend(QuickUserMixin, AuthenticationBackend):
    """allauth's sign-in (e-mail login, the account flows)."""
