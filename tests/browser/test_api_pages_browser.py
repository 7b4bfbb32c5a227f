"""The pages around the REST API, as people use them: a translator makes an API
token, sees its secret once, uses it from a script and revokes it; the Swagger
docs render under the strict Content-Security-Policy from our own origin only; a
manager adds a webhook and sees its signing secret once, which a translator may not.
"""

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from reviews.models import Webhook
from tests.browser.conftest import log_in
from translations.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_get(live_server, path, secret):
    """A script's request: no browser, no session, only the token."""
    request = urllib.request.Request(
        f"{live_server.url}{path}", headers={"Authorization": f"Token {secret}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live server, http://localhost
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def csp_violations(messages):
    return [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m]


def test_a_translator_makes_uses_and_revokes_an_api_token(new_page, screenshot, live_server, project):
    page = new_page()
    log_in(page, "translator")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("heading", name="API tokens").wait_for()
    assert page.get_by_text("You have no API tokens yet.").is_visible()
    screenshot(page, "70-api-tokens-empty")

    page.get_by_label("Name").fill("CMS import")
    page.get_by_role("button", name="Make a token").click()
    page.get_by_role("heading", name="Your new token “CMS import”").wait_for()
    secret = page.get_by_label("Token (select it and copy)").input_value()
    assert secret.startswith("il_") and len(secret) > 20
    assert secret in page.locator("#new-token pre").inner_text()  # the curl example carries it too
    token_row = page.locator("tbody tr", has_text="CMS import")
    assert "Active" in token_row.inner_text()
    assert secret not in token_row.inner_text()  # the table shows only its prefix
    screenshot(page, "71-api-tokens-new-secret")

    # Shown once: the page loaded afresh (GET) no longer holds it anywhere, not even in its markup.
    page.goto("/account/api-tokens/")
    assert page.locator("#new-token").count() == 0
    assert secret not in page.content()
    assert page.locator("tbody tr", has_text="CMS import").count() == 1

    status, body = api_get(live_server, "/api/v1/projects/", secret)
    assert status == 200, body
    assert [(p["slug"], p["role"]) for p in body["results"]] == [(project.slug, "translator")]

    dialogs = []

    def answer(accept):
        def handle(dialog):
            dialogs.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    page.once("dialog", answer(accept=False))  # changed their mind: nothing is revoked
    page.get_by_role("button", name="Revoke the token CMS import").click()
    page.wait_for_timeout(300)
    assert ApiToken.objects.get(name="CMS import").revoked_at is None
    page.once("dialog", answer(accept=True))
    page.get_by_role("button", name="Revoke the token CMS import").click()
    page.get_by_text("Revoked “CMS import”: requests with it are refused from now on.").wait_for()
    assert len(dialogs) == 2 and "cannot be undone" in dialogs[1]
    assert "Revoked" in page.locator("tbody tr", has_text="CMS import").inner_text()
    assert page.get_by_role("button", name="Revoke the token CMS import").count() == 0
    assert ApiToken.objects.get(name="CMS import").revoked_at is not None

    status, body = api_get(live_server, "/api/v1/projects/", secret)
    assert status == 401, body
    assert not page.js_errors, page.js_errors


def test_the_swagger_docs_render_under_the_csp_from_our_own_origin(new_page, screenshot, live_server, project):
    page = new_page()
    log_in(page, "translator")
    console, requests = [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))

    response = page.goto("/api/v1/docs/")
    assert response.status == 200
    assert "script-src" in response.headers.get("content-security-policy", "")
    page.locator(".opblock").first.wait_for()
    page.locator(".swagger-ui .info .title", has_text="Interlinear API").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator(".opblock-tag", has_text="projects").count() >= 1
    assert page.locator(".opblock").count() > 10

    # Swagger UI's own stylesheet applied (blocked CSS leaves unstyled, full-width text).
    assert page.locator(".opblock-summary-method").first.evaluate(
        "el => getComputedStyle(el).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    # ... and the page's own inline <style>, which this page's policy admits by its hash.
    assert page.evaluate("() => getComputedStyle(document.body).margin") == "0px"

    # Try an operation with the session: Swagger UI's own request, same origin, same policy.
    path = page.locator(".opblock-summary-path[data-path='/api/v1/projects/']")
    operation = page.locator(".opblock-get", has=path)
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    answer = operation.locator(".live-responses-table tbody .response-col_status").first
    answer.wait_for()
    assert answer.inner_text().strip() == "200"
    assert f'"slug": "{project.slug}"' in operation.locator(".live-responses-table tbody").first.inner_text()
    screenshot(page, "72-api-docs-swagger")

    assert not csp_violations(console), csp_violations(console)
    assert not [m for m in console if m.startswith(("error:", "pageerror:"))], console
    ours = urlsplit(live_server.url).netloc
    foreign = [url for url in requests if not url.startswith("data:") and urlsplit(url).netloc != ours]
    assert not foreign, foreign


def test_a_manager_adds_a_webhook_and_sees_its_secret_once(new_page, screenshot, settings, project):
    # A hook's host must resolve to a public address, and the test machine may have no DNS;
    # this switch skips the lookup (nothing is sent: nothing is approved here).
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    page = new_page()
    log_in(page, "manager")
    page.goto(f"/p/{project.slug}/")
    page.get_by_role("link", name="Review policy").click()
    page.get_by_role("link", name="Webhooks: notify your CMS of approvals").click()
    page.get_by_role("heading", name="Webhooks", exact=True).wait_for()
    assert page.get_by_text("No webhooks yet.").is_visible()

    page.get_by_label("Address").fill("https://hooks.example.org/interlinear")
    page.get_by_label("A document's rendering is complete in a language").check()  # approvals are ticked already
    page.get_by_role("button", name="Add webhook").click()
    page.get_by_role("heading", name="Signing secret for https://hooks.example.org/interlinear").wait_for()
    secret = page.get_by_label("Secret (select it and copy)").input_value()
    assert len(secret) >= 32
    hooks = page.locator("ul.list-group > li", has_text="https://hooks.example.org/interlinear")
    assert hooks.count() == 1
    listed = hooks.inner_text()
    assert "translation.approved, rendering.complete" in listed
    assert hooks.locator(".badge").inner_text() == "On"
    assert secret not in listed
    screenshot(page, "73-webhooks-one-hook")

    page.goto(f"/p/{project.slug}/webhooks/")  # the same page, fetched afresh
    assert page.locator("#new-secret").count() == 0
    assert secret not in page.content()
    assert Webhook.objects.get(project=project).url == "https://hooks.example.org/interlinear"
    assert not page.js_errors, page.js_errors

    translator = new_page()
    log_in(translator, "translator")
    response = translator.goto(f"/p/{project.slug}/webhooks/")
    assert response.status == 403
    assert translator.locator("#secret-value").count() == 0
    assert "hooks.example.org" not in translator.content()
