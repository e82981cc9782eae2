from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.accounts.backends import cached_must_set_up_mfa

_GUARDED_PREFIXES = ("/app/", "/admin/")


class MFARequiredMiddleware:
    """Sends staff whose department requires two-factor sign-in to set it up first.

    Only staff pages and admin are guarded; the MFA set-up pages themselves,
    sign-out and the portal stay reachable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith(_GUARDED_PREFIXES)
            and cached_must_set_up_mfa(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
