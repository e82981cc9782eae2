"""Who may open a page: staff only, customers only, and staff with a given right."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def _guard(test: Callable) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = _guard(lambda user: user.is_active and user.is_employee)
customer_required = _guard(lambda user: user.is_active and user.is_customer)


def staff_permission_required(*permissions: str) -> Callable:
    """A staff user holding every named permission ("app_label.codename"); others get 403."""
    return _guard(lambda user: user.is_active and user.is_employee and user.has_perms(permissions))
