"""Fixtures of the API tests: clients that sign in with a token, as a real program does."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    """A client that has not signed in."""
    return APIClient()


@pytest.fixture
def api_client_for(db):
    """api_client_for(user) -> an APIClient sending `Authorization: Token <key>` of that user."""

    def sign_in(user) -> APIClient:
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return sign_in
