from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from core.accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Staff land on /app/, customers on /portal/; self sign-up always makes a customer."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = request.user
        if getattr(user, "is_employee", False):
            return "/app/"
        return "/portal/"

    def get_email_verification_redirect_url(self, email_address) -> str:
        user = email_address.user
        return "/app/" if user.is_employee else "/portal/"

    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        user.kind = User.Kind.CUSTOMER
        user.is_staff = False
        user.is_superuser = False
        if getattr(request, "LANGUAGE_CODE", None):
            user.language = request.LANGUAGE_CODE
        return super().save_user(request, user, form, commit=commit)
