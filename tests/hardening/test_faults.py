"""Faults (issue "Hardening", item 5): the database going away, a process
killed mid-write, a full disk.

* A lost database answers 503 with a page that needs no database, never a
  traceback; /healthz says so, and both recover when the database returns.
  Proved on SQLite by refusing every query, and on PostgreSQL end to end:
  gunicorn talks to the server through a TCP proxy that the test cuts.
* A process SIGKILLed inside an import, a project restore or a bulk review
  leaves all of it or none of it (invariant 8), with history and the audit
  trail matching (invariant 1). The kill is aimed, not timed: a table lock
  held by the test stops the process at its first write to a chosen table,
  where it is frozen, let finish that write, checked to be idle inside its
  open transaction, and killed (see kill_at_first_insert).
* A full disk refuses an upload with a clear 507 and leaves no row, no
  history and no file, not even a truncated one.
"""

import errno
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.cookiejar import CookieJar
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from reviews.models import AuditEvent, Review
from tests.factories import UserFactory, make_project
from translations import services
from translations.archive import export_archive
from translations.interchange import document_import, read_upload
from translations.models import DocumentImage, Project, Role, Segment, Translation, TranslationState

from .processes import PROJECT_ROOT, TcpProxy, free_port, manage, manage_env, pg_admin, wait_for

PASSWORD = "correct horse battery"


def on_postgresql(test):
    """PostgreSQL only, with committed data that other processes can see."""
    test = pytest.mark.django_db(transaction=True)(test)
    test = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server and processes")(test)
    return pytest.mark.postgres_only(test)


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- The database goes away: SQLite-runnable ------------------------------------------


def database_down():
    """Every query on the connection fails, as it does when the server is gone."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    return connection.execute_wrapper(refuse)


def assert_our_503_page(response, *, fragment=False):
    body = response.content.decode()
    assert response.status_code == 503, body[:500]
    assert response["Retry-After"] == "30"
    assert "The database cannot be reached just now" in body
    assert "Traceback" not in body and "OperationalError" not in body and "Connection refused" not in body
    if fragment:
        assert "<html" not in body
        assert response["HX-Retarget"] == "#il-errors"
    else:
        assert "temporarily unavailable" in body
        assert "bootstrap.min.css" in body and "interlinear/app.css" in body  # styled like the app


def test_a_page_that_cannot_load_the_session_answers_503_with_our_page(people, caplog):
    """The session and the user are read in middleware, before any view: that
    failure reaches the 500 handler, which answers 503 (rendering it needs no
    query: every query fails here)."""
    client = Client(raise_request_exception=False)
    client.force_login(people["reviewer"])
    with database_down():
        response = client.get(reverse("home"))
    assert_our_503_page(response)
    assert any(r.levelname == "ERROR" and "Database unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_view_that_loses_the_database_answers_503_from_the_middleware(client, project, people, caplog, htmx):
    """The session still loads; the view's own query fails. The default test
    client re-raises any exception that reaches Django's handler, so a 503
    here was made by DatabaseUnavailableMiddleware."""
    client.force_login(people["reviewer"])

    def refuse_project_reads(execute, sql, params, many, context):
        if "translations_" in sql:
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)

    headers = {"HX-Request": "true"} if htmx else {}
    with connection.execute_wrapper(refuse_project_reads):
        response = client.get(reverse("home"), headers=headers)
    assert_our_503_page(response, fragment=htmx)
    record = next(r for r in caplog.records if r.name == "translations.middleware")
    assert record.levelname == "ERROR" and "GET /" in record.getMessage()


def test_any_other_server_error_is_still_the_plain_500_page(people):
    client = Client(raise_request_exception=False)
    client.force_login(people["reviewer"])
    with mock.patch("translations.views.home.projects_for_home", side_effect=RuntimeError("a bug")):
        response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_healthz_reports_the_database_and_recovers_with_it(client, db):
    with database_down():
        down = client.get("/healthz")
    assert down.status_code == 503 and down.json() == {"status": "error", "database": "unavailable"}
    up = client.get("/healthz")
    assert up.status_code == 200 and up.json() == {"status": "ok", "database": "ok"}


# --- The database goes away: PostgreSQL, gunicorn, a proxy cut ------------------------


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Production serves hashed static files (WhiteNoise's manifest), so the app under test needs them collected."""
    root = tmp_path_factory.mktemp("static")
    manage("collectstatic", "--no-input", "-v0", env=manage_env(STATIC_ROOT=root, DATABASE_URL=None))
    return root


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect)

    def request(self, path, *, data=None, headers=None, timeout=30):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)


@contextmanager
def gunicorn(env, log_path):
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "60"],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")

        def answering():
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {Path(log_path).read_text()}")
            try:
                return browser.request("/healthz", timeout=5)[0] == 200
            except OSError:
                return False

        wait_for(answering, timeout=30, interval=0.1, message="gunicorn to answer /healthz")
        yield browser
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def with_pbkdf2_password(user):
    """The test settings hash with MD5, which production does not accept."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


@on_postgresql
def test_gunicorn_answers_503_while_postgresql_is_unreachable_and_recovers(collected_static, tmp_path):
    admin = UserFactory(username="siteadmin", is_staff=True, is_superuser=True)
    reviewer = with_pbkdf2_password(UserFactory(username="reviewer"))
    make_project(admin, slug="recovered-notes", members={reviewer: Role.REVIEWER})
    port = connection.settings_dict["PORT"] or 5432
    log_path = tmp_path / "gunicorn.log"
    with TcpProxy(int(port)) as proxy:
        env = manage_env(
            DATABASE_URL=re.sub(r":\d+/", f":{proxy.port}/", manage_env()["DATABASE_URL"], count=1),
            DATABASE_POOL_TIMEOUT=1,
            STATIC_ROOT=collected_static,
            MEDIA_ROOT=tmp_path / "media",
        )
        with gunicorn(env, log_path) as browser:
            status, _, page = browser.request("/accounts/login/")
            assert status == 200
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            status, headers, _ = browser.request(
                "/accounts/login/", data={"username": "reviewer", "password": PASSWORD, "csrfmiddlewaretoken": token}
            )
            assert status == 302, headers
            status, _, page = browser.request("/")
            assert status == 200 and "Recovered Notes" in page

            proxy.cut()  # the server, as seen from the app, is gone: open connections reset, new ones refused
            started = time.monotonic()
            status, headers, page = browser.request("/")
            assert status == 503, page[:2000]
            assert headers["Retry-After"] == "30"
            assert "Interlinear is temporarily unavailable" in page and "/static/interlinear/app." in page
            assert "Traceback" not in page and "Server Error" not in page and "OperationalError" not in page
            status, headers, fragment = browser.request("/", headers={"HX-Request": "true"})
            assert status == 503 and "<html" not in fragment and "cannot be reached" in fragment
            assert headers["HX-Retarget"] == "#il-errors"
            status, _, health = browser.request("/healthz")
            assert status == 503 and json.loads(health)["database"] == "unavailable"
            # Each request waits once, at most the pool timeout (1 s here), for a connection.
            assert time.monotonic() - started < 3 * 1 + 3

            proxy.restore()
            wait_for(lambda: browser.request("/healthz")[0] == 200, timeout=30, interval=0.2,
                     message="/healthz to recover")
            status, _, page = browser.request("/")
            assert status == 200 and "Recovered Notes" in page  # still logged in: the session survived

            # The database restarts while nobody is asking: the pool checks the
            # connection it hands out, so the first request after is already fine.
            proxy.cut()
            time.sleep(0.3)
            proxy.restore()
            status, _, page = browser.request("/")
            assert status == 200 and "Recovered Notes" in page
    log = log_path.read_text()
    assert "ERROR translations.middleware Database unavailable, answered 503 to GET /" in log


# --- Killed mid-write: PostgreSQL, real processes ------------------------------------


def snapshot(project_slug=None) -> dict:
    """Counts of everything an import or a review writes, and of its history and audit trail."""
    counts = {
        "projects": Project.objects.count(),
        "segments": Segment.objects.count(),
        "translations": Translation.objects.count(),
        "approved": Translation.objects.filter(state=TranslationState.APPROVED, is_published=True).count(),
        "reviews": Review.objects.count(),
        "images": DocumentImage.objects.count(),
        "project history": Project.history.count(),
        "segment history": Segment.history.count(),
        "translation history": Translation.history.count(),
        "review history": Review.history.count(),
        "image history": DocumentImage.history.count(),
        "audit events": AuditEvent.objects.count(),
    }
    if project_slug:
        counts["target project"] = Project.objects.filter(slug=project_slug).count()
    return counts


def verify_history():
    out = StringIO()
    call_command("verify_history", stdout=out)  # raises CommandError on any drift
    return out.getvalue()


def kill_at_first_insert(command: list[str], *, env, table: str) -> dict:
    """Run `manage.py <command>` and SIGKILL it inside its transaction, just
    after its first INSERT into `table` (an insert-only table: history, audit).

    No timing is involved. The test holds `table` locked in EXCLUSIVE mode
    (reads pass, writes wait), so the process blocks on that INSERT; the test
    sees it waiting in pg_stat_activity, freezes the process (SIGSTOP) and
    releases the lock. The INSERT then completes, and the backend waits for
    its frozen client: idle in transaction, with rows written. Then SIGKILL,
    and wait until PostgreSQL has ended the backend (rolling back)."""
    app_name = f"interlinear_fault_{os.getpid()}_{time.monotonic_ns()}"
    insert = f'INSERT INTO "{table}"'
    with pg_admin() as watch, pg_admin() as blocker:
        process = None
        try:
            with blocker.transaction():
                blocker.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
                process = subprocess.Popen(
                    [sys.executable, "manage.py", *command], cwd=PROJECT_ROOT, env={**env, "PGAPPNAME": app_name},
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                )

                def waiting_on_the_lock():
                    if process.poll() is not None:
                        raise AssertionError(
                            f"{command[0]} ended (exit {process.returncode}) without writing to {table}: "
                            f"{process.stderr.read().decode()[-2000:]}"
                        )
                    return watch.execute(
                        "SELECT pid, query FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
                        [app_name],
                    ).fetchone()

                pid, query = wait_for(waiting_on_the_lock, timeout=120, interval=0.02,
                                      message=f"{command[0]} to reach its first write to {table}")
                assert query.startswith(insert), query[:200]
                process.send_signal(signal.SIGSTOP)
            # The lock is released: the INSERT completes, and the frozen client sends nothing more.

            def idle_in_transaction():
                row = watch.execute(
                    "SELECT state, backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s", [pid]
                ).fetchone()
                return row if row and row[0] != "active" else None

            state, wrote = wait_for(idle_in_transaction, timeout=60, message="the blocked INSERT to complete")
            process.kill()
            process.wait(10)
            wait_for(
                lambda: not watch.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchall(),
                timeout=30, message="PostgreSQL to end the killed process's backend",
            )
        finally:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)
    return {"state": state, "wrote": wrote, "returncode": process.returncode}


def check_kills(command, *, env, tables, before, expected_after, slug=None, after_kill=None):
    """Kill `command` after its first INSERT into each of `tables` (nothing may
    land), then let it run to the end (all of it must land)."""
    for table in tables:
        kill = kill_at_first_insert(command, env=env, table=table)
        assert kill == {"state": "idle in transaction", "wrote": True, "returncode": -signal.SIGKILL}, (table, kill)
        assert snapshot(slug) == before, f"killed after the first write to {table}, something landed"
        verify_history()
        if after_kill:
            after_kill()
    manage(*command, env=env, timeout=300)
    assert snapshot(slug) == expected_after
    verify_history()


def csv_of(rows: int) -> bytes:
    return "".join(f"원문 {i} 줄이다.,Source line {i}.\n" for i in range(rows)).encode()


@pytest.fixture
def world(db):
    admin = UserFactory(username="siteadmin", is_staff=True, is_superuser=True)
    people = {name: UserFactory(username=name) for name in ("translator", "reviewer", "manager")}
    project = make_project(
        admin, slug="recovered-notes",
        members={people["translator"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER,
                 people["manager"]: Role.MANAGER},
    )
    document = services.document_create(project=project, user=people["manager"], title="Notebook")
    return {"project": project, "document": document, **people}


def import_in_process(world, rows: int):
    data = csv_of(rows)
    parsed = read_upload(data, filename="notes.csv", language="en")
    document_import(document=world["document"], user=world["translator"], language="en", parsed=parsed,
                    filename="notes.csv")


@on_postgresql
def test_an_import_killed_mid_transaction_lands_nothing_and_whole_when_let_run(world, tmp_path):
    rows = 1000
    path = tmp_path / "notes.csv"
    path.write_bytes(csv_of(rows))
    env = manage_env(MEDIA_ROOT=tmp_path / "media")
    command = ["import_document", str(world["document"].pk), str(path), "--user", "translator", "--language", "en"]
    before = snapshot()
    expected = {**before, "segments": rows, "translations": rows, "segment history": rows,
                "translation history": rows, "audit events": before["audit events"] + 2 * rows}
    check_kills(
        command, env=env, before=before, expected_after=expected,
        tables=["translations_historicalsegment", "reviews_auditevent", "translations_historicaltranslation"],
    )


@on_postgresql
def test_a_bulk_review_killed_mid_transaction_lands_nothing_and_whole_when_let_run(world, tmp_path):
    rows = 500
    import_in_process(world, rows)
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from translations.models import Translation\n"
        "from reviews.services import reviews_record_bulk\n"
        "reviewer = get_user_model().objects.get(username='reviewer')\n"
        f"items = list(Translation.objects.filter(segment__document_id={world['document'].pk}).values_list('pk', 'version'))\n"
        "outcome = reviews_record_bulk(reviewer=reviewer, items=items, decision='approve', comment='Checked.')\n"
        "assert outcome.decided_count == len(items), outcome.skipped[:3]\n"
    )
    env = manage_env(MEDIA_ROOT=tmp_path / "media")
    before = snapshot()
    expected = {**before, "reviews": rows, "review history": rows, "approved": rows,
                "translation history": before["translation history"] + rows,
                "audit events": before["audit events"] + 2 * rows}
    check_kills(
        ["shell", "--no-imports", "-c", script], env=env, before=before, expected_after=expected,
        tables=["reviews_historicalreview", "translations_historicaltranslation"],
    )


def jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (seed % 256, 80, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


@on_postgresql
def test_a_project_restore_killed_mid_transaction_lands_nothing(world, tmp_path, settings):
    import_in_process(world, 300)
    services.document_image_add(document=world["document"], user=world["manager"], upload=io.BytesIO(jpeg(1)),
                                filename="page1.jpg")
    archive = tmp_path / "project.zip"
    export_archive(world["project"], archive)
    media = tmp_path / "restore-media"
    env = manage_env(MEDIA_ROOT=media)
    before = snapshot("copy")
    expected = {
        **before, "target project": 1, "projects": 2, "segments": 600, "translations": 600, "images": 2,
        **{key: before[key] * 2 for key in ("project history", "segment history", "translation history",
                                              "image history")},
    }
    expected["project history"] += 1  # the new address is a change, recorded as one history row
    expected["audit events"] += AuditEvent.objects.filter(project=world["project"]).count() + 1

    def sweep_what_the_killed_restore_stored():
        # Its image files were written before it was killed; no row names them.
        assert len(files_under(media)) == 2  # the page's original and display copy
        settings.MEDIA_ROOT = media
        out = StringIO()
        call_command("sweep_media", "--older-than", "0", "--delete", stdout=out)
        assert "Removed 2 file(s)" in out.getvalue()
        assert files_under(media) == []

    check_kills(
        ["import_project", str(archive), "--slug", "copy"], env=env, before=before, expected_after=expected,
        slug="copy", tables=["translations_historicaltranslation"],
        after_kill=sweep_what_the_killed_restore_stored,
    )
    restored = DocumentImage.objects.get(document__project__slug="copy")
    assert {p.relative_to(media).as_posix() for p in files_under(media)} == {restored.original.name,
                                                                             restored.display.name}
    with restored.original.open("rb") as original:
        assert original.read() == jpeg(1)


def test_sweep_media_removes_only_old_files_that_no_row_names(document, people, settings):
    image = services.document_image_add(document=document, user=people["translator"], upload=io.BytesIO(jpeg(3)),
                                        filename="page.jpg")
    root = Path(settings.MEDIA_ROOT)
    stray = root / "originals" / "9" / "9" / "left-by-a-killed-import.jpg"
    partial = root / "display" / str(document.project_id) / str(document.pk) / ".partial-x1y2"
    for path in (stray, partial):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    named = {image.original.name, image.display.name}

    def sweep(*args):
        out = StringIO()
        call_command("sweep_media", *args, stdout=out)
        return out.getvalue()

    assert "Found 0 file(s)" in sweep()  # all younger than an hour: perhaps still being written
    report = sweep("--older-than", "0")
    assert "unnamed: originals/9/9/left-by-a-killed-import.jpg" in report and ".partial-x1y2" in report
    assert stray.exists() and partial.exists()
    assert "Removed 2 file(s)" in sweep("--older-than", "0", "--delete")
    assert {p.relative_to(root).as_posix() for p in files_under(root)} == named


# --- A full disk ---------------------------------------------------------------------


@contextmanager
def disk_full_after(budget: int):
    """Files written through os.fdopen (Django's storage, the import staging)
    get `budget` bytes in all; the write that passes it stores what fits and
    fails with ENOSPC, as a real full disk does."""
    real_fdopen = os.fdopen
    left = [budget]

    class FullDisk:
        def __init__(self, handle):
            self._handle = handle

        def write(self, data):
            if len(data) > left[0]:
                self._handle.write(data[: left[0]])
                self._handle.flush()
                left[0] = 0
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            left[0] -= len(data)
            return self._handle.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()

        def __getattr__(self, name):
            return getattr(self._handle, name)

    with mock.patch("os.fdopen", lambda *args, **kwargs: FullDisk(real_fdopen(*args, **kwargs))):
        yield


def upload_url(document):
    return reverse("image_upload", args=[document.project.slug, document.pk])


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("fits", ["nothing", "the original"])
def test_a_full_disk_refuses_an_image_upload_and_leaves_nothing(client, document, people, settings, htmx, fits):
    client.force_login(people["translator"])
    data = jpeg(7)
    budget = 0 if fits == "nothing" else len(data) + 10  # the original whole, the display copy cut short
    history_before = DocumentImage.history.count()
    events_before = AuditEvent.objects.filter(kind="image").count()
    with disk_full_after(budget):
        response = client.post(
            upload_url(document), {"images": [SimpleUploadedFile("page.jpg", data)]},
            headers={"HX-Request": "true"} if htmx else {},
        )
    body = response.content.decode()
    assert response.status_code == 507, body[:1000]
    assert "The server&#x27;s disk is full, so nothing was stored." in body
    assert not DocumentImage.objects.exists()
    assert DocumentImage.history.count() == history_before
    assert AuditEvent.objects.filter(kind="image").count() == events_before
    assert files_under(settings.MEDIA_ROOT) == []  # no original, no truncated copy, no temporary file


def test_after_a_full_disk_the_same_image_uploads_normally(client, document, people, settings):
    client.force_login(people["translator"])
    data = jpeg(8)
    with disk_full_after(len(data) + 10):
        assert client.post(upload_url(document), {"images": [SimpleUploadedFile("page.jpg", data)]}).status_code == 507
    response = client.post(upload_url(document), {"images": [SimpleUploadedFile("page.jpg", data)]})
    assert response.status_code == 303
    image = DocumentImage.objects.get()
    assert image.original.name == f"originals/{document.project_id}/{document.pk}/{hashlib.sha256(data).hexdigest()}.jpg"
    with image.original.open("rb") as stored:
        assert stored.read() == data
    assert len(files_under(settings.MEDIA_ROOT)) == 2


@pytest.mark.parametrize("budget", [0, 40], ids=["upload cut short", "record cut short"])
def test_a_full_disk_refuses_an_import_upload_and_stages_nothing(client, document, people, settings, budget):
    client.force_login(people["manager"])
    url = reverse("document_import", args=[document.project.slug, document.pk])
    data = {"file": SimpleUploadedFile("notes.txt", "첫 줄이다.\n둘째 줄이다.\n".encode()), "format": "auto",
            "split": "line", "language": "en"}
    segments_before = Segment.objects.count()
    with disk_full_after(budget):
        response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 507, body[:1000]
    assert "The server&#x27;s disk is full, so nothing was stored." in body
    assert Segment.objects.count() == segments_before
    assert files_under(Path(settings.MEDIA_ROOT) / "imports") == []
