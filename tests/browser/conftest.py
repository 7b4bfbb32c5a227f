"""Browser tests: Playwright driving Debian's Chromium against the live server.

Screenshots go to test-artifacts/screenshots/ so a reviewer can look at the
pages. Without /usr/bin/chromium the tests are skipped locally; under CI
(CI=true) a missing browser is a failure, since .ci/run installs it.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        return  # let the browser fixture fail loudly
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _one_request_at_a_time_on_sqlite(django_db_setup):
    """With in-memory SQLite the live server's threads all share the test's one
    connection, and a page that loads several htmx fragments at once used it from
    several threads together ("bad parameter or other API misuse"). There the app is
    run under a lock (connections still accepted in parallel: Chromium preconnects
    idle sockets, which would stall a one-connection server). PostgreSQL gives each
    thread its own connection and needs none of this."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    import threading

    from django.test.testcases import LiveServerThread

    threaded = LiveServerThread.server_class
    lock = threading.Lock()

    class OneAppCallAtATime(threaded):
        def get_app(self):
            app = super().get_app()

            def locked(environ, start_response):
                with lock:
                    result = app(environ, start_response)
                    try:
                        return list(result)  # streamed bodies read the database too
                    finally:
                        if hasattr(result, "close"):
                            result.close()

            return locked

    LiveServerThread.server_class = OneAppCallAtATime
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def open_page(width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(f"{message.text} at {message.location} on {page.url}"))
        page.js_errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, username, password="correct horse battery"):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def wait_until(page, expression, timeout=10.0):
    """Poll a JS expression from Python: wait_for_function evals in the page,
    which the strict Content-Security-Policy (rightly) forbids."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(f"() => Boolean({expression})"):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {expression}")
