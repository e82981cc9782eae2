"""POST /api/v1/auth/token/: e-mail and password in, token out; nothing revealed, nothing guessed fast."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from rest_framework.authtoken.models import Token

from core.accounts.models import Department
from core.accounts.tests.factories import UserFactory

URL = "/api/v1/auth/token/"
WRONG = {"non_field_errors": ["Unable to sign in with the given e-mail address and password."]}

pytestmark = pytest.mark.django_db


def test_staff_gets_a_token_for_email_and_password(api_client, make_staff, password):
    # given a staff member
    user = make_staff("Sales")

    # when they ask for a token
    response = api_client.post(URL, {"email": user.email, "password": password}, format="json")

    # then they get the one token of their user
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_asking_again_gives_the_same_token(api_client, make_staff, password):
    user = make_staff("Sales")
    first = api_client.post(URL, {"email": user.email, "password": password}, format="json").json()

    second = api_client.post(URL, {"email": user.email.upper(), "password": password}, format="json").json()

    assert second == first
    assert Token.objects.filter(user=user).count() == 1


def test_the_token_signs_in_to_the_api(api_client, make_staff, password):
    user = make_staff("Sales")
    key = api_client.post(URL, {"email": user.email, "password": password}, format="json").json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/core/organizations/")

    assert response.status_code == 200


def test_a_customer_gets_a_token_but_staff_endpoints_refuse_it(api_client, customer_user, password):
    response = api_client.post(URL, {"email": customer_user.email, "password": password}, format="json")
    assert response.status_code == 200

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/core/organizations/").status_code == 403


def test_wrong_password_is_a_400_that_does_not_say_what_was_wrong(api_client, make_staff):
    user = make_staff("Sales")

    response = api_client.post(URL, {"email": user.email, "password": "not-the-password"}, format="json")

    assert response.status_code == 400
    assert response.json() == WRONG
    assert not Token.objects.filter(user=user).exists()


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(api_client, password):
    response = api_client.post(URL, {"email": "nobody@example.com", "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == WRONG


def test_an_inactive_user_gets_no_token(api_client, make_staff, password):
    user = make_staff("Sales", is_active=False)

    response = api_client.post(URL, {"email": user.email, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == WRONG


def test_a_user_without_a_verified_email_gets_no_token(api_client, password):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    response = api_client.post(URL, {"email": user.email, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == WRONG
    assert not Token.objects.filter(user=user).exists()


def test_missing_fields_are_named(api_client):
    response = api_client.post(URL, {"email": "not-an-address"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "email": ["Enter a valid email address."],
        "password": ["This field is required."],
    }


def test_the_eleventh_attempt_in_a_minute_from_one_address_is_refused(api_client, make_staff, password):
    user = make_staff("Sales")
    for number in range(10):
        response = api_client.post(URL, {"email": f"guess{number}@example.com", "password": "x"}, format="json")
        assert response.status_code == 400

    # even the right password is refused now: the limit counts every attempt
    response = api_client.post(URL, {"email": user.email, "password": password}, format="json")

    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_guessing_one_account_from_many_addresses_is_limited_too(api_client, make_staff):
    user = make_staff("Sales")
    for number in range(10):
        response = api_client.post(
            URL, {"email": user.email, "password": "x"}, format="json", REMOTE_ADDR=f"10.0.0.{number + 1}"
        )
        assert response.status_code == 400

    response = api_client.post(URL, {"email": user.email, "password": "x"}, format="json", REMOTE_ADDR="10.0.1.1")

    assert response.status_code == 429


def _activate_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def _wrong_code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    valid = {format_hotp_value(hotp_value(secret, counter + step)) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def test_two_factor_accounts_need_the_code(api_client, make_staff, password):
    user = make_staff("Sales")
    secret = _activate_totp(user)

    without = api_client.post(URL, {"email": user.email, "password": password}, format="json")
    wrong = api_client.post(
        URL, {"email": user.email, "password": password, "code": _wrong_code(secret)}, format="json"
    )
    right = api_client.post(
        URL, {"email": user.email, "password": password, "code": _current_code(secret)}, format="json"
    )

    assert without.status_code == 400
    assert without.json() == {"code": ["Give the code from your authenticator app."]}
    assert wrong.status_code == 400
    assert wrong.json() == {"code": ["Incorrect code."]}
    assert right.status_code == 200
    assert right.json() == {"token": Token.objects.get(user=user).key}


def test_staff_whose_department_requires_two_factor_must_set_it_up_first(api_client, make_staff, password):
    Department.objects.filter(group__name="Finance").update(mfa_required=True)
    user = make_staff("Finance")

    response = api_client.post(URL, {"email": user.email, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Your department requires two-factor sign-in: set it up in Kontor first."]
    }
