"""Reactions to django-allauth's signals (allauth offers no other hook): thin calls to services."""

from allauth.account.signals import email_confirmed
from django.http import HttpRequest


def _link_portal_user(sender, request: HttpRequest, email_address, **kwargs) -> None:
    from core.parties.services import person_link_verified_portal_user

    user = email_address.user
    if user.is_customer:
        person_link_verified_portal_user(user=user, email=email_address.email)


def connect() -> None:
    email_confirmed.connect(_link_portal_user, dispatch_uid="accounts.link_portal_user")
