"""Sign-in, sign-up, verification, password reset and invitations, through the real pages."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from core.accounts.models import User
from core.parties.models import Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _link_in(message, pattern: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/{pattern}[^\s\"<]*)", message.body)
    assert match, message.body
    return match.group(1)


def test_staff_signs_in_and_lands_on_app(client, make_staff, password):
    user = make_staff("Sales")
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert client.get("/app/").status_code == 200


def test_customer_signs_in_and_lands_on_portal(client, customer_user, password):
    response = client.post(reverse("account_login"), {"login": customer_user.email, "password": password})
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_session_key_rotates_at_login(client, make_staff, password):
    user = make_staff("Sales")
    client.get(reverse("account_login"))
    client.session["marker"] = "before"
    session = client.session
    session.save()
    before = session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert client.session.session_key != before


def test_wrong_password_shows_error_and_signs_nobody_in(client, make_staff):
    user = make_staff("Sales")
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_failures_are_rate_limited(client, make_staff, password):
    user = make_staff("Sales")
    for attempt in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": f"wrong{attempt}"})
    # After five failures even the right password is refused for a while.
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_goes_through_rate_limited_allauth_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_reachable_for_admin_user(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_customer_signup_verifies_email_then_reaches_portal(client):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Nora Ny",
            "email": "new.customer@example.com",
            "password1": "a-Strong-pass-2026",
            "password2": "a-Strong-pass-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.customer@example.com")
    assert user.kind == User.Kind.CUSTOMER
    assert not user.is_staff
    # Not verified yet: no person linked, cannot sign in.
    assert not Person.objects.filter(user=user).exists()
    assert len(mail.outbox) == 1
    confirm_path = _link_in(mail.outbox[0], "accounts/confirm-email/")
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert EmailAddress.objects.get(user=user).verified
    person = Person.objects.get(user=user)
    assert person.organization is None
    assert (person.first_name, person.last_name) == ("Nora", "Ny")
    assert client.get("/portal/").status_code == 200


def test_verified_signup_links_to_existing_person_and_organization(client):
    organization = OrganizationFactory(name="Acme AB")
    existing = PersonFactory(email="kim@acme.example", organization=organization, first_name="Kim", last_name="Ek")
    client.post(
        reverse("account_signup"),
        {
            "full_name": "Kim Ek",
            "email": "Kim@Acme.example",
            "password1": "a-Strong-pass-2026",
            "password2": "a-Strong-pass-2026",
        },
    )
    user = User.objects.get(email="kim@acme.example")
    existing.refresh_from_db()
    assert existing.user is None  # an unverified address links nothing
    client.post(_link_in(mail.outbox[0], "accounts/confirm-email/"))
    existing.refresh_from_db()
    assert existing.user == user
    assert existing.organization == organization
    assert Person.objects.filter(email__iexact="kim@acme.example").count() == 1


def test_password_reset_end_to_end(client, customer_user):
    client.post(reverse("account_reset_password"), {"email": customer_user.email})
    assert len(mail.outbox) == 1
    reset_path = _link_in(mail.outbox[0], "accounts/password/reset/key/")
    response = client.get(reset_path, follow=True)
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else reset_path
    response = client.post(form_path, {"password1": "Brand-new-pass-77", "password2": "Brand-new-pass-77"})
    assert response.status_code == 302
    client.logout()
    response = client.post(reverse("account_login"), {"login": customer_user.email, "password": "Brand-new-pass-77"})
    assert response["Location"] == "/portal/"


def test_staff_invites_customer_who_sets_password_and_lands_on_portal(
    client, make_staff, django_capture_on_commit_callbacks
):
    sales = make_staff("Sales")
    person = PersonFactory(email="invitee@customer.example", first_name="Ida", last_name="Lund")
    client.force_login(sales)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("parties:person-invite", args=[person.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["invitee@customer.example"]
    path = _link_in(mail.outbox[0], "portal/invitation/")
    client.logout()
    assert client.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"new_password1": "Invited-pass-2026", "new_password2": "Invited-pass-2026"})
    assert response["Location"] == "/portal/"
    person.refresh_from_db()
    assert person.user.email == "invitee@customer.example"
    assert EmailAddress.objects.get(user=person.user).verified
    # The link works once.
    assert client.get(path).status_code == 400
    # The inviter hears about it.
    assert sales.notifications.filter(kind="portal.invitation_accepted").count() == 1


def test_customer_can_never_reach_staff_pages_or_admin(client, customer_user):
    client.force_login(customer_user)
    for url in ["/app/", "/app/organizations/", "/app/people/", "/app/catalog/products/", "/app/search/?q=ab"]:
        assert client.get(url).status_code == 403, url
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_staff_cannot_use_portal(client, make_staff):
    client.force_login(make_staff("Sales"))
    assert client.get("/portal/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    for url in ["/app/", "/portal/", "/app/organizations/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
