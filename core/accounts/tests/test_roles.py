"""Departments as groups: rights, the sidebar, and two-factor sign-in where a department demands it."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group

from core.accounts.models import Department
from core.accounts.roles import DEPARTMENTS

pytestmark = pytest.mark.django_db


def test_every_department_has_a_group_with_rights():
    names = {spec.name for spec in DEPARTMENTS}
    assert names == {
        "Customer Service",
        "Sales",
        "Marketing",
        "HR",
        "Finance",
        "IT",
        "Logistics",
        "Legal",
        "Management",
    }
    for group in Group.objects.filter(name__in=names):
        assert group.department.code
        assert group.permissions.filter(codename="view_organization").exists(), group.name


@pytest.mark.parametrize(
    ("department", "can_add_organization", "can_add_product"),
    [
        ("Sales", True, False),
        ("Customer Service", True, False),
        ("HR", False, False),
        ("Finance", False, True),
        ("Logistics", True, True),
        ("Management", False, False),
    ],
)
def test_department_rights(make_staff, department, can_add_organization, can_add_product):
    user = make_staff(department)
    assert user.has_perm("parties.view_organization")
    assert user.has_perm("parties.add_organization") is can_add_organization
    assert user.has_perm("catalog.add_product") is can_add_product


def test_sidebar_shows_only_allowed_sections(client, make_staff):
    client.force_login(make_staff("HR"))
    html = client.get("/app/").content.decode()
    assert "Organizations" in html
    assert "Administration" not in html


def test_sidebar_of_user_without_departments_has_no_kernel_sections(client, make_staff):
    client.force_login(make_staff())
    html = client.get("/app/").content.decode()
    assert 'href="/app/organizations/"' not in html
    assert client.get("/app/organizations/").status_code == 403


def test_department_requiring_mfa_sends_members_to_set_it_up(client, make_staff, password):
    Department.objects.filter(code="finance").update(mfa_required=True)
    user = make_staff("Finance")
    client.post("/accounts/login/", {"login": user.email, "password": password})
    response = client.get("/app/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # Setting up an authenticator asks for the password once more, then shows the QR code.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": password})
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert b"svg" in client.get("/accounts/2fa/totp/activate/").content
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/app/").status_code == 200


def test_department_without_mfa_requirement_lets_members_in(client, make_staff):
    client.force_login(make_staff("Sales"))
    assert client.get("/app/").status_code == 200


def test_rights_are_synced_once_when_migrate_signals_every_app_with_models(monkeypatch):
    """Django sends post_migrate only to apps with models (an app that only declares events gets none): one of
    those must trigger the sync, exactly once."""
    from django.apps import apps

    from core.accounts import roles

    # As in production (without the tests' probe app), plus an app without models at the end.
    configs = [config for config in apps.get_app_configs() if config.name != "tests.bus_probe"]
    configs.append(type("EventsOnly", (), {"models_module": None, "name": "events_only"})())
    monkeypatch.setattr(roles.global_apps, "get_app_configs", lambda: configs)
    calls = []
    monkeypatch.setattr(roles, "sync_department_permissions", lambda using: calls.append(using))
    for config in configs:
        if config.models_module is not None:  # as django.core.management.sql.emit_post_migrate_signal does
            roles.sync_after_migrate(sender=config, using="default")
    assert calls == ["default"]
