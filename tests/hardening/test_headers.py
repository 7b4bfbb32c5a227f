"""Security headers on real responses, and templates that keep the strict CSP
workable: every <script> carries the request's nonce, nothing inline that the
policy would block, htmx configured never to evaluate code it receives."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory
from tests.hardening.production import PRODUCTION_HOST, in_production

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [PROJECT_ROOT / "templates", PROJECT_ROOT / "translations" / "templates", PROJECT_ROOT / "reviews" / "templates"]
HTMX = {"HTTP_HX_REQUEST": "true"}
# Templates served under a policy of their own, and why they may inline styles.
OWN_POLICY = {
    # A self-contained download: its view (csp_override) allows inline styles and nothing else.
    "reviews/templates/reviews/packets/packet.html": {"<style>"},
}
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*")


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def named(self, name):
        return [attrs for tag, attrs in self.tags if tag == name]


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_policy(response):
    csp = policy(response)
    for directive in ("script-src", "default-src", "style-src"):
        assert not set(csp[directive]) & set(UNSAFE), (directive, csp[directive])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def assert_scripts_carry_the_nonce(response, *, expect_scripts: bool):
    html = response.content.decode()
    tags = Tags(html)
    scripts = tags.named("script")
    assert bool(scripts) == expect_scripts
    nonces = [value[len("'nonce-"):-1] for value in policy(response)["script-src"] if value.startswith("'nonce-")]
    if scripts:
        [nonce] = nonces
        assert len(nonce) >= 16
        for script in scripts:
            assert script.get("nonce") == nonce, script
            assert script.get("src"), "inline scripts need the nonce and a reason; load a static file instead"
    for tag, attrs in tags.tags:
        handlers = [name for name in attrs if name.startswith("on") or name.startswith("hx-on")]
        assert not handlers, (tag, handlers)
        assert "style" not in attrs, (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), (tag, attrs)


@pytest.fixture
def pages(client, project, document, people):
    """name -> a function fetching that page as the person who would see it."""

    def signed_in(path, **extra):
        client.force_login(people["translator"])
        return client.get(path, **extra)

    def anonymous(path, **extra):
        client.logout()
        return client.get(path, **extra)

    segment = document.segments.order_by("position").first()
    return {
        "home": lambda: signed_in(reverse("home")),
        "workspace": lambda: signed_in(reverse("workspace", args=[project.slug, document.pk, "en"])),
        "htmx fragment": lambda: signed_in(reverse("segment_comments", args=[project.slug, segment.pk]), **HTMX),
        "password change": lambda: signed_in(reverse("password_change")),
        "login": lambda: anonymous(reverse("login")),
        "healthz": lambda: anonymous(reverse("healthz")),
    }


SIGNED_IN = ["home", "workspace", "htmx fragment", "password change"]
HTML_PAGES = ["home", "workspace", "password change", "login"]


@pytest.mark.parametrize("name", [*SIGNED_IN, "login", "healthz"])
def test_every_kind_of_response_carries_the_strict_policy_and_headers(pages, name):
    response = pages[name]()
    assert response.status_code == 200
    assert_strict_policy(response)


@pytest.mark.parametrize("name", HTML_PAGES)
def test_every_script_on_a_page_carries_the_nonce_of_its_response(pages, name):
    response = pages[name]()
    assert_scripts_carry_the_nonce(response, expect_scripts=True)


def test_a_fragment_has_no_script_and_nothing_inline(pages):
    response = pages["htmx fragment"]()
    assert "<html" not in response.content.decode()
    assert_scripts_carry_the_nonce(response, expect_scripts=False)


def test_each_response_has_its_own_nonce(pages):
    first, second = (policy(pages["login"]())["script-src"] for _ in range(2))
    assert first != second


@pytest.mark.parametrize("name", SIGNED_IN)
def test_signed_in_pages_are_never_stored(pages, name):
    assert pages[name]()["Cache-Control"] == "private, no-store"


def test_the_lockout_page_keeps_the_policy_and_the_nonce(client, db):
    UserFactory(username="translator")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "translator", "password": "nope"})
    assert response.status_code == 429
    assert_strict_policy(response)
    assert_scripts_carry_the_nonce(response, expect_scripts=True)


def test_htmx_is_configured_never_to_evaluate_what_it_receives(pages):
    """The policy forbids eval and inline scripts; htmx is told so, so that
    hx-on, hx-vars, js: values and <script> in swapped content stay inert
    instead of failing (or, under a laxer policy, running)."""
    metas = [m for m in Tags(pages["home"]().content.decode()).named("meta") if m.get("name") == "htmx-config"]
    [meta] = metas
    config = json.loads(meta["content"])
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False  # htmx would inject a <style> the policy blocks


def template_files():
    for directory in TEMPLATE_DIRS:
        yield from sorted(directory.rglob("*.html"))


def test_no_template_has_inline_handlers_styles_or_scripts_the_policy_would_block():
    offenders = []
    for path in template_files():
        text = path.read_text()
        for pattern in (
            r"\son[a-z]+\s*=",  # onclick=, onload=, ...
            r"\shx-on[:\-]",  # htmx inline handlers need eval
            r"\sstyle\s*=",  # style-src has no 'unsafe-inline'
            r"<style[\s>]",
            r"<script(?![^>]*\ssrc=)[^>]*>",  # inline script
            r"javascript:",
        ):
            name = str(path.relative_to(PROJECT_ROOT))
            offenders += [
                f"{name}: {m.group(0)!r}" for m in re.finditer(pattern, text) if m.group(0) not in OWN_POLICY.get(name, ())
            ]
        for tag in re.findall(r"<script\b[^>]*>", text):
            if 'nonce="{{ csp_nonce }}"' not in tag:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}: script without the nonce: {tag}")
    assert not offenders, "\n".join(offenders)


def test_production_sends_hsts_and_marks_cookies_secure(tmp_path):
    result = in_production(
        f"""
        import json
        from django.conf import settings
        from django.test import Client

        response = Client().get("/healthz", secure=True, headers={{"host": {PRODUCTION_HOST!r}}})
        plain = Client().get("/accounts/login/", headers={{"host": {PRODUCTION_HOST!r}}})
        print(json.dumps({{
            "status": response.status_code,
            "hsts": response.get("Strict-Transport-Security"),
            "csp": response.get("Content-Security-Policy"),
            "plain_status": plain.status_code,
            "plain_location": plain.get("Location"),
            "session_secure": settings.SESSION_COOKIE_SECURE,
            "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
            "csrf_secure": settings.CSRF_COOKIE_SECURE,
        }}))
        """,
        # healthz touches the database: a scratch SQLite, never the project's own file.
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in seen["csp"]
    assert seen["plain_status"] == 301 and seen["plain_location"] == f"https://{PRODUCTION_HOST}/accounts/login/"
    assert seen["session_secure"] is True and seen["session_httponly"] is True and seen["csrf_secure"] is True


def test_the_one_template_with_inline_styles_is_served_under_a_policy_without_scripts():
    from reviews.views.packets import PACKET_CSP

    assert PACKET_CSP["default-src"] == ["'none'"]
    assert "script-src" not in PACKET_CSP
