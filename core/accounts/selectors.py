from django.db.models import QuerySet

from core.accounts.models import Department, User


def user_must_set_up_mfa(*, user: User) -> bool:
    """True when one of the user's departments requires MFA and they have no authenticator app yet."""
    if not user.is_employee:
        return False
    from allauth.mfa.models import Authenticator

    return (
        Department.objects.filter(group__user=user, mfa_required=True).exists()
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


def staff_users() -> QuerySet[User]:
    return User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by("full_name", "email")
