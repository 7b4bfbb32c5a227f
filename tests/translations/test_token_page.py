"""The API tokens page: one's own tokens only, a new secret shown once, revoking."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from translations.models import ApiToken
from translations.services.tokens import MAX_LIVE_TOKENS, api_token_create


@pytest.fixture
def signed_in(client, people):
    client.force_login(people["translator"])
    return client


def test_an_empty_page_explains_tokens_and_links_the_docs(signed_in):
    response = signed_in.get(reverse("api_tokens"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have no API tokens yet." in html
    assert reverse("api:docs") in html
    assert "autofocus" not in html and "<script>" not in html
    assert "no-store" in response["Cache-Control"]


def test_the_secret_is_shown_once_and_works(signed_in, people):
    response = signed_in.post(reverse("api_tokens"), {"name": "CMS import"})
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get(user=people["translator"])
    secret = re.search(r'id="new-token-secret" type="text" value="([^"]+)"', html).group(1)
    assert secret.startswith(token.prefix) and secret not in (token.digest, token.prefix)
    assert "shown only this once" in html
    assert f'curl -H "Authorization: Token {secret}" http://testserver/api/v1/projects/' in html
    assert "no-store" in response["Cache-Control"]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get(reverse("api:project-list")).status_code == 200

    again = signed_in.get(reverse("api_tokens")).content.decode()
    assert secret not in again
    assert "CMS import" in again and f"{token.prefix}…" in again


def test_bad_names_are_refused_with_a_message(signed_in, people):
    for name in ("", "   ", "x" * 101, "a\x00b"):
        response = signed_in.post(reverse("api_tokens"), {"name": name})
        assert response.status_code == 400, name
        assert "is-invalid" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_live_token_limit_is_a_message_not_an_error(signed_in, people):
    for n in range(MAX_LIVE_TOKENS):
        api_token_create(user=people["translator"], name=f"script {n}")
    response = signed_in.post(reverse("api_tokens"), {"name": "one more"})
    assert response.status_code == 400 and "revoke one" in response.content.decode()


def test_revoking_asks_first_and_stops_the_token(signed_in, people):
    token, secret = api_token_create(user=people["translator"], name="Old laptop")
    page = signed_in.get(reverse("api_tokens")).content.decode()
    revoke = reverse("api_token_revoke", kwargs={"token_id": token.pk})
    assert f'action="{revoke}" data-il-confirm=' in page
    assert signed_in.get(revoke).status_code == 405
    response = signed_in.post(revoke)
    assert response.status_code == 302 and response["Location"] == reverse("api_tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get(reverse("api:project-list")).status_code == 401
    page = signed_in.get(reverse("api_tokens")).content.decode()
    assert "Revoked" in page and revoke not in page


def test_another_users_token_is_404_and_not_listed(client, people):
    theirs, _ = api_token_create(user=people["reviewer"], name="Reviewer's CAT tool")
    client.force_login(people["translator"])
    assert "Reviewer&#x27;s CAT tool" not in client.get(reverse("api_tokens")).content.decode()
    response = client.post(reverse("api_token_revoke", kwargs={"token_id": theirs.pk}))
    assert response.status_code == 404
    assert client.post(reverse("api_token_revoke", kwargs={"token_id": 999_999})).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_page_needs_a_login_and_csrf(client, people):
    response = client.get(reverse("api_tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    strict = type(client)(enforce_csrf_checks=True)
    strict.force_login(people["translator"])
    assert strict.post(reverse("api_tokens"), {"name": "no csrf"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_navigation_links_the_page(signed_in):
    assert f'href="{reverse("api_tokens")}"' in signed_in.get(reverse("home")).content.decode()


def test_a_names_markup_is_shown_as_text(signed_in, people):
    signed_in.post(reverse("api_tokens"), {"name": '<img src=x onerror="alert(1)">'})
    html = signed_in.get(reverse("api_tokens")).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_the_navigation_marks_the_page_you_are_on(client, people):
    client.force_login(people["translator"])
    html = client.get(reverse("api_tokens")).content.decode()
    assert f'class="nav-link active" aria-current="page" href="{reverse("api_tokens")}"' in html
    assert html.count('aria-current="page"') == 1
