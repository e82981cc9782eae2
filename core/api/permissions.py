"""Who may call the staff API: employees, with the model rights of their departments."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import DjangoModelPermissions

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is still loading.
    from rest_framework.request import Request
    from rest_framework.views import APIView

_VIEW = ["%(app_label)s.view_%(model_name)s"]


class StaffModelPermissions(DjangoModelPermissions):
    """Django model permissions, where reading needs the `view_` right too, for employees only.

    Customers sign in to the same API (for their own tickets, later) but never
    reach staff endpoints, whatever permissions someone gave them. Staff whose
    department requires two-factor sign-in must have set it up, as on /app/.
    Superusers pass the model rights, as everywhere in Django.
    """

    mfa_message = _("Your department requires two-factor sign-in: set it up in Kontor first.")

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": _VIEW,
        "HEAD": _VIEW,
        "OPTIONS": _VIEW,
    }

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if not (user.is_superuser or getattr(user, "is_employee", False)):
            return False
        # Imported here: DRF loads this module from its settings, maybe before the apps are ready.
        from core.accounts.backends import cached_must_set_up_mfa

        if cached_must_set_up_mfa(user):  # kept with the user's cached rights
            self.message = self.mfa_message
            return False
        if request.method not in view.allowed_methods:
            # Let the view answer 405: no right makes a missing method exist.
            return True
        return super().has_permission(request, view)


class ActionPermissions(StaffModelPermissions):
    """Model rights, where a viewset action takes its own rights instead of its HTTP method's (posting an entry
    takes the right to post, shipping a delivery the right to ship). Subclasses list them in
    `action_permissions`."""

    action_permissions: dict[str, list[str]] = {}
    action: str | None = None

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        self.action = getattr(view, "action", None)  # DRF makes one instance per request
        return super().has_permission(request, view)

    def get_required_permissions(self, method: str, model_cls: type) -> list[str]:
        if self.action in self.action_permissions:
            return list(self.action_permissions[self.action])
        return super().get_required_permissions(method, model_cls)
