"""Permissions kept in the cache between requests: used when current, forgotten on every change of rights."""

import threading

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.accounts import backends
from core.accounts.models import User

pytestmark = pytest.mark.django_db

ACCOUNTS = "/app/crm/accounts/"


def _permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _permission_queries(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "auth_permission" in query["sql"]]


def test_a_page_reads_the_rights_from_the_cache_after_the_first(client, make_staff):
    client.force_login(make_staff("Sales"))
    with CaptureQueriesContext(connection) as first:
        assert client.get(ACCOUNTS).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(ACCOUNTS).status_code == 200
    assert len(_permission_queries(first)) == 2  # the user's own permissions and their groups'
    assert _permission_queries(second) == []
    assert not [query for query in second.captured_queries if "accounts_department" in query["sql"]]
    assert len(second) == len(first) - 4  # and the MFA check (kept with the rights), and the bell's count


def test_joining_and_leaving_a_department_count_at_once(client, make_staff):
    user = make_staff()
    sales = Group.objects.get(name="Sales")
    client.force_login(user)
    assert client.get(ACCOUNTS).status_code == 403
    user.groups.add(sales)
    assert client.get(ACCOUNTS).status_code == 200
    user.groups.remove(sales)
    assert client.get(ACCOUNTS).status_code == 403
    user.groups.add(sales)
    assert client.get(ACCOUNTS).status_code == 200
    user.groups.clear()
    assert client.get(ACCOUNTS).status_code == 403


def test_a_change_to_a_groups_rights_counts_at_once(client, make_staff):
    sales = Group.objects.get(name="Sales")
    view_account = _permission("crm.view_account")
    client.force_login(make_staff("Sales"))
    assert client.get(ACCOUNTS).status_code == 200
    sales.permissions.remove(view_account)
    assert client.get(ACCOUNTS).status_code == 403
    sales.permissions.add(view_account)
    assert client.get(ACCOUNTS).status_code == 200


def test_a_users_own_permission_counts_at_once(client, make_staff):
    user = make_staff("HR")
    client.force_login(user)
    assert client.get(ACCOUNTS).status_code == 403
    user.user_permissions.add(_permission("crm.view_account"))
    assert client.get(ACCOUNTS).status_code == 200
    user.user_permissions.remove(_permission("crm.view_account"))
    assert client.get(ACCOUNTS).status_code == 403


def test_deleting_a_group_takes_its_rights_away(client, make_staff):
    group = Group.objects.create(name="Temporary project")
    group.permissions.add(_permission("crm.view_account"))
    user = make_staff()
    user.groups.add(group)
    client.force_login(user)
    assert client.get(ACCOUNTS).status_code == 200
    group.delete()
    assert client.get(ACCOUNTS).status_code == 403


def test_a_copy_is_tied_to_the_user_row(make_staff):
    user = make_staff("HR")
    assert "crm.view_account" not in backends.cached_permissions(user)
    user.is_superuser = True  # a superuser's set is every permission
    user.save(update_fields=["is_superuser"])
    assert "crm.view_account" in backends.cached_permissions(User.objects.get(pk=user.pk))


def test_inactive_users_have_no_permissions(make_staff):
    user = make_staff("Sales")
    assert user.has_perm("crm.view_account")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert User.objects.get(pk=user.pk).has_perm("crm.view_account") is False


def test_permission_checks_outside_a_request_use_the_same_copy(make_staff, django_assert_num_queries):
    user = make_staff("Sales")
    assert user.has_perm("crm.view_account")  # fills the cache
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(0):
        assert fresh.has_perm("crm.view_account")
        assert fresh.has_module_perms("crm")
        assert not fresh.has_perm("hr.view_employee")


@pytest.mark.django_db(transaction=True)
def test_a_copy_read_while_a_change_is_uncommitted_is_dropped_when_it_commits(make_staff):
    """Another request may read the old rows between the change and its commit, and store them."""
    user = make_staff("Sales")
    view_account = _permission("crm.view_account")
    removed, stored = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_request() -> None:
        removed.wait(10)
        seen.append(User.objects.get(pk=user.pk).has_perm("crm.view_account"))
        connection.close()
        stored.set()

    thread = threading.Thread(target=other_request)
    thread.start()
    with transaction.atomic():
        Group.objects.get(name="Sales").permissions.remove(view_account)
        removed.set()
        stored.wait(10)
    thread.join()
    assert seen == [True]  # the old rows, now in the cache
    assert User.objects.get(pk=user.pk).has_perm("crm.view_account") is False


def test_signing_in_still_goes_through_the_other_backends(client, make_staff, password):
    user = make_staff("Sales")
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    assert client.get(ACCOUNTS).status_code == 200
    assert client.session["_auth_user_backend"] != "core.accounts.backends.CachedPermissionsBackend"


def _mfa_redirect(client) -> bool:
    response = client.get(ACCOUNTS)
    return response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_mfa_requirement_is_cached_and_follows_departments_and_authenticators(client, make_staff):
    from allauth.mfa.models import Authenticator

    from core.accounts.models import Department

    user = make_staff("Sales")
    client.force_login(user)
    assert not _mfa_redirect(client)
    sales = Department.objects.get(group__name="Sales")
    sales.mfa_required = True
    sales.save()  # as the admin does
    assert _mfa_redirect(client)
    with CaptureQueriesContext(connection) as cached:
        assert _mfa_redirect(client)
    assert not [query for query in cached.captured_queries if "accounts_department" in query["sql"]]
    authenticator = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert not _mfa_redirect(client)
    authenticator.delete()
    assert _mfa_redirect(client)
    user.groups.clear()  # no longer in a department that requires it
    assert client.get(ACCOUNTS).status_code == 403
    sales.mfa_required = False
    sales.save()
    user.groups.add(sales.group)
    assert client.get(ACCOUNTS).status_code == 200


def test_the_signed_in_user_is_loaded_in_one_plain_statement_as_model_backend_would(client, make_staff, password):
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.contrib.auth.backends import ModelBackend

    staff = make_staff("Sales")
    response = client.post(reverse("account_login"), {"login": staff.email, "password": password})
    assert response.status_code == 302
    # A sign-in names one of Kontor's sign-in backends, whose get_user reads the row without the ORM's query.
    assert client.session[BACKEND_SESSION_KEY].startswith("core.accounts.auth_backends.")
    loaded = backends.load_user(str(staff.pk))
    django_loaded = ModelBackend().get_user(staff.pk)
    assert loaded == django_loaded
    assert [getattr(loaded, field.attname) for field in User._meta.concrete_fields] == [
        getattr(django_loaded, field.attname) for field in User._meta.concrete_fields
    ]
    assert backends.load_user("not a number") is None and backends.load_user(str(staff.pk + 999)) is None
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert backends.CachedPermissionsBackend().get_user(str(staff.pk)) is None  # as ModelBackend: inactive, no
    assert client.get("/app/").status_code == 302  # signed out


def test_a_session_signed_in_before_the_quick_backends_stays_signed_in(client, make_staff):
    staff = make_staff("Sales")
    client.force_login(staff, backend="allauth.account.auth_backends.AuthenticationBackend")
    assert client.get("/app/").status_code == 200
