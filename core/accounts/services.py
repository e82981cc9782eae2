"""Writes to users."""

from django.db import transaction

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot


@transaction.atomic
def user_update_profile(*, user: User, full_name: str, language: str = "", phone: str | None = None) -> User:
    """A user changes their own name, language and (customers) phone number."""
    from core.parties.models import Person

    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, ["full_name", "language"])
    user.full_name = full_name.strip()
    user.language = language
    user.save(update_fields=["full_name", "language"])
    changes = changes_between(before, snapshot(user, ["full_name", "language"]))
    if phone is not None:
        Person.objects.filter(user=user).update(phone=phone.strip())
    if changes:
        audit_record(actor=user, instance=user, action=AuditEntry.Action.UPDATE, changes=changes)
    return user
