"""API clients that authenticate with tokens only (no session, no CSRF cookie)."""

import pytest
from rest_framework.test import APIClient

from translations.services.tokens import api_token_create


def token_client(user) -> APIClient:
    _, secret = api_token_create(user=user, name=f"tests for {user.username}")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.fixture
def api(people, admin_user):
    """``api["reviewer"]`` is an APIClient carrying the reviewer's token; ``api["siteadmin"]`` the admin's."""

    class Clients(dict):
        def __missing__(self, name):
            user = admin_user if name == "siteadmin" else people[name]
            self[name] = token_client(user)
            return self[name]

    return Clients()
