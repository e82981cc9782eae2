"""Each staff user's permission set, kept in the cache between requests.

Django loads a user's permissions with two queries and keeps them for one
request only; every staff page checks rights, so every page paid those two
queries. This backend answers permission questions from a copy in the cache
(Redis, shared by all processes) and leaves signing in to the other backends.

The same entry says whether the user must set up two-factor sign-in before
using staff pages (core.accounts.middleware), which every staff page asked
the database too: it changes with group membership, a department's
requirement and the user's authenticators, all of which replace the token.

Correctness rests on invalidation, not on the time limit: any change to who
is in which group, to a group's permissions or to a user's own permissions
replaces a single version token, and copies made under another token are
never used. The token is replaced at once and again when the transaction
commits, so that a request reading the old rows in between cannot store them
under the new token. The time limit is only a safety net for changes made
behind Django's back (raw SQL).
"""

import uuid
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.database import Columns

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

VERSION_KEY = "permissions:version"
TIMEOUT = 300  # seconds

# The tables whose rows decide a user's permissions (many-to-many through tables).
_PERMISSION_TABLES = {"auth_group_permissions", "accounts_user_groups", "accounts_user_user_permissions"}


def _user_key(user) -> str:
    return f"permissions:user:{user.pk}"


def _fingerprint(user) -> str:
    """Ties a copy to this user row: another row reusing the pk (a restored database) never matches."""
    return f"{user.date_joined.isoformat() if user.date_joined else ''}:{int(user.is_superuser)}"


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def permissions_changed() -> None:
    """Forget every cached permission set: now, and again when the current transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def _cached_state(user) -> tuple[set[str], bool]:
    """The user's permission strings and whether they must set up MFA, from the cache when the copy is current.

    Both are kept in one entry, read in one round trip: every staff page asks
    for both (MFARequiredMiddleware, then the page's permission checks).
    """
    stored = cache.get_many([VERSION_KEY, _user_key(user)])
    version = stored.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY)
    entry = stored.get(_user_key(user))
    if entry and len(entry) == 4 and entry[0] == version and entry[1] == _fingerprint(user):
        state = (set(entry[2]), entry[3])
    else:
        from core.accounts.selectors import user_must_set_up_mfa

        for name in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            user.__dict__.pop(name, None)
        permissions = ModelBackend().get_all_permissions(user)
        state = (permissions, user_must_set_up_mfa(user=user))
        cache.set(_user_key(user), (version, _fingerprint(user), sorted(permissions), state[1]), timeout=TIMEOUT)
    return state


def cached_permissions(user) -> set[str]:
    """The user's permission strings ("app_label.codename"), from the cache when the copy is current."""
    return _cached_state(user)[0]


def cached_must_set_up_mfa(user) -> bool:
    """selectors.user_must_set_up_mfa, from the cache when the copy is current (for MFARequiredMiddleware).

    The permissions read with it are kept on the user for the rest of the request, as the backend does.
    """
    permissions, must = _cached_state(user)
    if user.is_active and not hasattr(user, "_perm_cache"):
        user._perm_cache = permissions
    return must


def load_user(user_id) -> "AbstractBaseUser | None":
    """The user with this primary key (as a session stores it), in one plain statement: every signed-in request
    loads its user, and ModelBackend.get_user's ORM query costs about four times the Python (0.19 → 0.05 ms)."""
    user_model = get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    columns = Columns(user_model)
    pk_column = connection.ops.quote_name(user_model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM {user_model._meta.db_table} WHERE {pk_column} = %s", [pk])
        row = cursor.fetchone()
    return None if row is None else columns.instance(row)


class QuickUserMixin:
    """ModelBackend.get_user, with the user read by load_user."""

    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class CachedPermissionsBackend(QuickUserMixin, ModelBackend):
    """ModelBackend's permission checks, answered from the cache; it signs no one in (ModelBackend and allauth do).

    Listed first: it fills the per-request `_perm_cache` that ModelBackend
    reads too, so no backend queries the permission tables on a hit. It loads
    users like ModelBackend, for sessions that name it (test clients'
    `force_login` takes the first backend).
    """

    def authenticate(self, request, username=None, password=None, **kwargs) -> None:
        return None

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = cached_permissions(user_obj)
        return user_obj._perm_cache


def _on_membership_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"} and sender._meta.db_table in _PERMISSION_TABLES:
        permissions_changed()


def _on_group_or_permission_changed(sender, **kwargs) -> None:
    permissions_changed()


def connect() -> None:
    """Receivers that forget cached permissions; not filtered by sender, so migrations' models count too."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

    m2m_changed.connect(_on_membership_changed, dispatch_uid="accounts.permissions_membership")
    for model in (Group, Permission):
        post_save.connect(
            _on_group_or_permission_changed, sender=model, dispatch_uid=f"accounts.{model.__name__}_saved"
        )
        post_delete.connect(
            _on_group_or_permission_changed, sender=model, dispatch_uid=f"accounts.{model.__name__}_deleted"
        )
    post_migrate.connect(_on_group_or_permission_changed, dispatch_uid="accounts.permissions_after_migrate")
    # Whether a user must set up MFA is kept with their permissions: it follows their departments'
    # requirement and their authenticators too.
    from allauth.mfa.models import Authenticator

    from core.accounts.models import Department

    for model in (Department, Authenticator):
        post_save.connect(
            _on_group_or_permission_changed, sender=model, dispatch_uid=f"accounts.{model.__name__}_saved_mfa"
        )
        post_delete.connect(
            _on_group_or_permission_changed, sender=model, dispatch_uid=f"accounts.{model.__name__}_deleted_mfa"
        )
