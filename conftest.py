"""Fixtures shared by every test: users by department, logged-in clients, Celery mode."""

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from config.celery import app as celery_app
from core.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory

# Hypothesis: no per-example deadline, since on a busy two-core CI machine a slow example is not a wrong one.
hypothesis_settings.register_profile("kontor", deadline=None, max_examples=200)
hypothesis_settings.load_profile("kontor")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Real hashing costs most of a second per sign-in; tests check flows, not hash strength."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    yield


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Rate limits and cached values live in Redis: every test starts with them empty."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _celery_in_process():
    """Unit tests run Celery tasks in-process when their transaction's on-commit hooks fire.

    Tests marked `worker` use a real worker process instead (tests/conftest.py).
    """
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_staff(db):
    """make_staff("Sales", "Finance") -> a staff user in those departments."""

    def make(*departments: str, **fields):
        return StaffFactory(departments=list(departments), **fields)

    return make


@pytest.fixture
def customer_user(db):
    """A verified customer login linked to a person at an organization."""
    from core.parties.tests.factories import PersonFactory

    user = UserFactory()
    PersonFactory(user=user, email=user.email)
    return user


@pytest.fixture
def admin_user(db):
    from allauth.account.models import EmailAddress

    from core.accounts.models import User

    user = User.objects.create_superuser(email="admin@kontor.example", password=PASSWORD, full_name="Admin")

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api_client():
    """An API client that has not signed in."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def api_client_for(db):
    """api_client_for(user) -> an APIClient sending `Authorization: Token <key>`, as a real program does."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def sign_in(user):
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        client.user = user
        return client

    return sign_in
