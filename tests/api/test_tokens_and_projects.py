from django.urls import reverse
from rest_framework.test import APIClient

from translations.models import ApiToken


def test_a_token_acts_as_its_owner_and_sees_only_their_projects(api, project, admin_user):
    from tests.factories import make_project

    make_project(admin_user, slug="elsewhere")
    response = api["translator"].get(reverse("api:project-list"))
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == ["recovered-notes"]
    assert response.json()["results"][0]["role"] == "translator"
    assert {p["slug"] for p in api["siteadmin"].get(reverse("api:project-list")).json()["results"]} == {
        "recovered-notes", "elsewhere"}


def test_a_non_member_gets_404_for_a_project_that_exists(api, project, admin_user):
    response = api["outsider"].get(reverse("api:project-detail", kwargs={"slug": project.slug}))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    missing = api["outsider"].get(reverse("api:project-detail", kwargs={"slug": "no-such-project"}))
    assert missing.status_code == 404 and missing.json() == response.json()


def test_without_a_token_the_api_answers_401_in_the_error_shape(db):
    response = APIClient().get(reverse("api:project-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_wrong_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token il_not-a-real-token")
    response = client.get(reverse("api:project-list"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def signed_in(user) -> APIClient:
    """A browser session (with its CSRF token), the only way to make a token through the API."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("api_tokens"))  # sets the CSRF cookie, as opening the page does
    client.credentials(HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def test_a_token_is_shown_once_stored_hashed_and_stops_working_when_revoked(api, people):
    made = signed_in(people["translator"]).post(reverse("api:token-list"), {"name": "CMS import"}, format="json")
    assert made.status_code == 201
    secret = made.json()["secret"]
    stored = ApiToken.objects.get(pk=made.json()["id"])
    assert secret not in {stored.digest, stored.prefix, stored.name} and secret.startswith(stored.prefix)
    listed = api["translator"].get(reverse("api:token-list")).json()["results"]
    assert all("secret" not in token for token in listed)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(reverse("api:project-list")).status_code == 200
    revoked = api["translator"].delete(reverse("api:token-detail", kwargs={"pk": stored.pk}))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(reverse("api:project-list")).status_code == 401


def test_a_token_cannot_make_another_so_revoking_a_leaked_one_ends_its_access(api, people):
    response = api["translator"].post(reverse("api:token-list"), {"name": "spare"}, format="json")
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=people["translator"]).count() == 1  # the fixture's own


def test_making_a_token_through_a_session_needs_the_csrf_token(people):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people["translator"])
    assert client.post(reverse("api:token-list"), {"name": "x"}, format="json").status_code == 403
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_users_token(api, people):
    made = signed_in(people["translator"]).post(reverse("api:token-list"), {"name": "mine"}, format="json").json()
    response = api["reviewer"].delete(reverse("api:token-detail", kwargs={"pk": made["id"]}))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=made["id"]).revoked_at is None


def test_an_inactive_owners_token_is_refused(api, people):
    client = api["translator"]
    people["translator"].is_active = False
    people["translator"].save()
    assert client.get(reverse("api:project-list")).status_code == 401


def test_requests_beyond_the_rate_limit_get_429_with_retry_after(api, monkeypatch, project):
    from translations.api.auth import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    statuses = [api["translator"].get(reverse("api:project-list")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api["translator"].get(reverse("api:project-list"))
    assert limited.json()["error"]["code"] == "throttled" and int(limited["Retry-After"]) > 0
    # Another token has its own allowance.
    assert api["reviewer"].get(reverse("api:project-list")).status_code == 200


def test_the_schema_and_docs_are_served_from_local_assets(api):
    schema = api["translator"].get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = api["translator"].get(reverse("api:docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_a_json_body_nested_too_deeply_is_a_400_not_a_500(api, project):
    # Python's JSON decoder gives up with RecursionError (not ValueError, which DRF turns into 400)
    # about 10 000 brackets deep (20 kB): far under the request size limit.
    body = "[" * 100_000 + "]" * 100_000
    for address in (reverse("api:document-list", kwargs={"slug": project.slug}),
                    reverse("api:member-list", kwargs={"slug": project.slug})):
        response = api["manager"].post(address, body, content_type="application/json")
        assert response.status_code == 400, address
        assert response.json()["error"]["code"] == "parse_error"
    assert not project.documents.exists()
