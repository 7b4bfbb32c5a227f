#!/usr/bin/env python3
"""Concurrency check: two gunicorn workers, N clients, one PostgreSQL database.

Proves invariants 1, 2, 4 and 6 of DESIGN.md under real concurrency, through
the real HTTP stack (login form, CSRF, htmx fragments), with production
settings (DEBUG=0, whitenoise, Argon2):

1. (re)creates a fresh database (default ``interlinear_conc``), migrates it and
   seeds one project: a few documents and segments, translators each with a
   candidate on every segment, reviewers;
2. starts ``gunicorn config.wsgi -w 2`` on a free port of 127.0.0.1;
3. runs N client threads for a bounded time / number of requests, all on the
   same few translations. Translators (two browser sessions per translator,
   like two tabs) read the workspace and save new versions naming the version
   they started from, sometimes a deliberately stale one; reviewers read the
   queue and approve / reject / request changes on the version they saw,
   sometimes a deliberately stale one. Rival candidates of one segment are
   approved at once, so publication moves between them;
4. stops gunicorn and checks the database: every accepted save is a history
   row with exactly that text and version (no lost update), every refused one
   answered 409 with the conflict and wrote nothing; versions are contiguous;
   accepted saves == new versions; every accepted decision is a review of a
   version that existed; at most one published rendering per segment and
   language, and it is the approved version's text; ``verify_history`` passes.

Prints a table of figures (``--json`` for machine-readable output) and exits
non-zero on any violation. Standard library only; the Django side runs in
subprocesses of this same file (``--internal``) with the project's settings.

    .venv/bin/python scripts/concurrency_check.py \
        --database-url postgres://postgres@127.0.0.1:5432/interlinear_conc
"""

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_PREFIX = "interlinear_conc"  # the script drops and recreates its database: never anyone else's
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{DB_PREFIX}"
SLUG = "conc"
LANGUAGE = "en"
HOST = "127.0.0.1"


# --- the Django side (runs in a subprocess: python concurrency_check.py --internal STEP) ----------


def _django():
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def internal_static(spec):
    """collectstatic into the run's STATIC_ROOT (whitenoise's manifest; runs beside prepare)."""
    _django()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    print(json.dumps({}))


def internal_prepare(spec):
    """Fresh database, migrations, seed data. Prints the seed as JSON."""
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    with psycopg.connect(
        host=url.hostname or HOST, port=url.port or 5432, user=urllib.parse.unquote(url.username or "postgres"),
        password=urllib.parse.unquote(url.password or "") or None, dbname="postgres", autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print(json.dumps(_seed(spec)))


def _seed(spec):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from reviews.notifications import notifications_suppressed
    from translations import services
    from translations.models import Role, Translation

    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    encoded = make_password(os.environ["CONC_PASSWORD"])  # Argon2 is slow on purpose: hash once

    def user(username, **extra):
        # No e-mail address: the check is about the database, not the mail server.
        u = User(username=username, first_name=username, password=encoded, **extra)
        u.save()
        return u

    with notifications_suppressed(), transaction.atomic():
        admin = user("conc-admin", is_staff=True, is_superuser=True)
        manager = user("conc-manager")
        translators = [user(f"conc-translator-{i}") for i in range(1, spec["translators"] + 1)]
        reviewers = [user(f"conc-reviewer-{i}") for i in range(1, spec["reviewers"] + 1)]
        project = services.project_create(
            user=admin, name="Concurrency check", slug=SLUG, source_language="ko", target_languages=[LANGUAGE],
            required_approvals=1,
        )
        for member, role in [(manager, Role.MANAGER), *[(t, Role.TRANSLATOR) for t in translators],
                             *[(r, Role.REVIEWER) for r in reviewers]]:
            services.membership_set(project=project, user=admin, member=member, role=role)
        documents = []
        for d in range(1, spec["documents"] + 1):
            document = services.document_create(project=project, user=manager, title=f"Notebook {d}")
            lines = [f"{d}번 수첩 {s}번째 줄이다." for s in range(1, spec["segments"] + 1)]
            segments = services.segments_append_from_text(document=document, user=manager, text="\n".join(lines))
            for segment in segments:
                for t in translators:
                    services.translation_create(
                        segment=segment, user=t, language=LANGUAGE, text=f"Line {segment.position} of notebook {d}, by {t.username}.",
                    )
            documents.append(document.pk)
    from reviews.models import Review

    return {
        "documents": documents,
        "translators": [t.username for t in translators],
        "reviewers": [r.username for r in reviewers],
        "baseline": {str(pk): v for pk, v in Translation.objects.values_list("pk", "version")},
        "reviews_before": Review.objects.count(),
    }


def internal_verify(spec):
    """Check the database against what the clients were told. Prints findings as JSON."""
    _django()
    from collections import Counter, defaultdict

    from django.db.models import Count

    from reviews.models import Review
    from translations.models import Translation

    records = json.loads(Path(spec["records"]).read_text())
    baseline = {int(k): v for k, v in records["baseline"].items()}
    problems = []
    translations = {t.pk: t for t in Translation.objects.filter(segment__document__project__slug=SLUG)}

    # History of each translation: versions only grow, each version has one text,
    # versions are 1..current with no gap, the last row is the row.
    texts = defaultdict(dict)  # translation id -> version -> text
    all_texts = set()
    history_gaps = 0
    rows = Translation.history.filter(id__in=translations).order_by("id", "history_id")
    last = {}
    for row in rows.values("id", "version", "text", "history_type", "history_user_id", "history_change_reason"):
        tid, version = row["id"], row["version"]
        all_texts.add(row["text"])
        if not row["history_user_id"] or not row["history_change_reason"]:
            problems.append(f"translation {tid}: a history row names no user or reason")
        seen = texts[tid].setdefault(version, row["text"])
        if seen != row["text"]:
            history_gaps += 1
            problems.append(f"translation {tid}: version {version} has two texts in history")
        if tid in last and version < last[tid]:
            history_gaps += 1
            problems.append(f"translation {tid}: history goes back from version {last[tid]} to {version}")
        last[tid] = version
    for tid, t in translations.items():
        if sorted(texts[tid]) != list(range(1, t.version + 1)):
            history_gaps += 1
            problems.append(f"translation {tid}: history versions {sorted(texts[tid])} are not 1..{t.version}")
        if texts[tid].get(t.version) != t.text:
            history_gaps += 1
            problems.append(f"translation {tid}: current text is not the text of version {t.version} in history")

    # No lost update: every accepted save is version base+1 with exactly its text.
    lost = 0
    for save in records["accepted_saves"]:
        if texts[save["translation"]].get(save["base"] + 1) != save["text"]:
            lost += 1
            problems.append(
                f"lost update: translation {save['translation']} v{save['base'] + 1} was accepted as "
                f"{save['text']!r} but history has {texts[save['translation']].get(save['base'] + 1)!r}"
            )
    # Nothing refused was written.
    written_refusals = 0
    for save in records["refused_saves"]:
        if save["text"] in all_texts:
            written_refusals += 1
            problems.append(f"refused save of translation {save['translation']} was written: {save['text']!r}")
    new_versions = sum(t.version - baseline.get(tid, 1) for tid, t in translations.items())
    if new_versions != len(records["accepted_saves"]):
        problems.append(f"{len(records['accepted_saves'])} saves accepted but {new_versions} new versions stored")

    # Decisions: the accepted ones are stored, each bound to a version that existed.
    reviews = list(
        Review.objects.filter(translation__in=translations).values_list(
            "pk", "translation_id", "reviewer__username", "version", "decision", "text"
        )
    )
    bad_bindings = 0
    for _pk, tid, _who, version, _decision, text in reviews:
        if texts[tid].get(version) != text:
            bad_bindings += 1
            problems.append(f"review of translation {tid} v{version} judged a text that version never had")
    stored = Counter((tid, who, v, d) for _pk, tid, who, v, d, _t in reviews if who.startswith("conc-reviewer-"))
    told = Counter((d["translation"], d["reviewer"], d["version"], d["decision"]) for d in records["accepted_decisions"])
    if stored != told:
        missing, extra = told - stored, stored - told
        problems.append(f"decisions: {sum(missing.values())} accepted but not stored, {sum(extra.values())} stored but refused")
    if len(reviews) - records["reviews_before"] != len(records["accepted_decisions"]):
        problems.append(f"{len(records['accepted_decisions'])} decisions accepted, {len(reviews) - records['reviews_before']} stored")

    # Publication: one rendering per segment and language, the approved version's text.
    duplicates = (
        Translation.objects.filter(is_published=True)
        .values("segment_id", "language")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if duplicates:
        problems.append(f"{duplicates} segment/language pairs have more than one published rendering")
    approvals = {(tid, v) for _pk, tid, _w, v, d, _t in reviews if d == "approve"}
    published = 0
    for tid, t in translations.items():
        if not t.is_published:
            continue
        published += 1
        if texts[tid].get(t.published_version) != t.published_text:
            problems.append(f"translation {tid}: published text is not the text of version {t.published_version}")
        if (tid, t.published_version) not in approvals:
            problems.append(f"translation {tid}: published version {t.published_version} was never approved")
    print(json.dumps({
        "lost_updates": lost,
        "written_refusals": written_refusals,
        "history_gaps": history_gaps,
        "new_versions": new_versions,
        "bad_review_bindings": bad_bindings,
        "duplicate_published": duplicates,
        "published": published,
        "problems": problems,
    }))


# --- the HTTP clients -----------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Stats:
    def __init__(self, max_requests, deadline):
        self.lock = threading.Lock()
        self.max_requests = max_requests
        self.deadline = deadline
        self.requests = 0
        self.latencies = []
        self.statuses = {}
        self.errors = []  # unexpected answers
        self.accepted_saves = []
        self.refused_saves = []
        self.accepted_decisions = []
        self.stale_decisions = 0
        self.deliberate_stale = 0
        self.empty_queue = 0

    def more(self):
        return self.requests < self.max_requests and time.monotonic() < self.deadline

    def count(self, status, seconds):
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def add(self, name, item):
        with self.lock:
            getattr(self, name).append(item)

    def error(self, message):
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(message)


class Client:
    """One browser session: its own cookie jar, logged in once through the login form."""

    def __init__(self, base, username, password, stats, label):
        self.base, self.username, self.password, self.stats, self.label = base, username, password, stats, label
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method, path, form=None, htmx=False):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if htmx:
            request.add_header("HX-Request", "true")
        if method == "POST":
            token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
            request.add_header("X-CSRFToken", token)
        began = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode(errors="replace")
        self.stats.count(status, time.monotonic() - began)
        if status >= 500:
            self.stats.error(f"{self.username}: {method} {path} -> {status}")
        return status, body

    def login(self):
        status, body = self.request("GET", "/accounts/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            raise RuntimeError(f"{self.username}: login form answered {status}")
        status, _ = self.request("POST", "/accounts/login/", {
            "csrfmiddlewaretoken": match.group(1), "username": self.username, "password": self.password, "next": "",
        })
        if status != 302:
            raise RuntimeError(f"{self.username}: login answered {status}, expected a redirect")


SAVE_FORM = re.compile(r'action="/p/[^/"]+/t/(\d+)/save/".*?name="base_version" value="(\d+)"', re.S)
DECIDE_FORM = re.compile(r'action="/review/t/(\d+)/decide/".*?name="version" value="(\d+)"', re.S)


def translator(client, documents, rng, stale_rate):
    known = {}  # translation id -> version last seen
    seq = 0
    while client.stats.more():
        if not known or rng.random() < 0.35:
            document = rng.choice(documents)
            status, body = client.request("GET", f"/p/{SLUG}/d/{document}/translate/{LANGUAGE}/")
            if status != 200:
                client.stats.error(f"{client.username}: workspace answered {status}")
                continue
            known.update({int(t): int(v) for t, v in SAVE_FORM.findall(body)})
            continue
        tid = rng.choice(sorted(known))
        base = known[tid]
        deliberate = base > 1 and rng.random() < stale_rate
        if deliberate:
            base -= rng.randint(1, base - 1)
        seq += 1
        text = f"{client.label} save {seq}: rendering {secrets.token_hex(4)}."
        status, body = client.request(
            "POST", f"/p/{SLUG}/t/{tid}/save/", {"text": text, "note": "", "base_version": base, "action": "save"},
            htmx=True,
        )
        found = {int(t): int(v) for t, v in SAVE_FORM.findall(body)}
        if status == 200 and 'role="status">Saved<' in body:
            client.stats.add("accepted_saves", {"translation": tid, "base": base, "text": text})
            if deliberate:
                client.stats.error(f"{client.username}: save on stale version {base} of {tid} was accepted")
            if found.get(tid, 0) < base + 1:
                client.stats.error(f"{client.username}: accepted save of {tid} shows version {found.get(tid)}")
        elif status == 409:
            client.stats.add("refused_saves", {"translation": tid, "base": base, "text": text, "deliberate": deliberate})
            if "Nothing of yours was saved" not in body or text not in body:
                client.stats.error(f"{client.username}: 409 on {tid} without the conflict and the user's text")
        else:
            client.stats.error(f"{client.username}: save of {tid} from v{base} answered {status}")
        known.update(found)


def reviewer(client, rng, stale_rate):
    while client.stats.more():
        status, body = client.request("GET", f"/review/?project={SLUG}")
        if status != 200:
            client.stats.error(f"{client.username}: queue answered {status}")
            continue
        rows = [(int(t), int(v)) for t, v in DECIDE_FORM.findall(body)]
        if not rows:
            with client.stats.lock:
                client.stats.empty_queue += 1
            time.sleep(0.02)
            continue
        # Newest first half the time: rivals meet on fresh versions.
        tid, version = rng.choice(rows[-3:] if rng.random() < 0.5 else rows)
        deliberate = version > 1 and rng.random() < stale_rate
        if deliberate:
            version -= rng.randint(1, version - 1)
        roll = rng.random()
        decision = "approve" if roll < 0.7 else "reject" if roll < 0.85 else "request_changes"
        comment = "" if decision == "approve" else f"Not yet ({client.username})."
        status, body = client.request(
            "POST", f"/review/t/{tid}/decide/", {"decision": decision, "version": version, "comment": comment}, htmx=True
        )
        if status == 200 and "data-il-done" in body:
            client.stats.add("accepted_decisions", {
                "translation": tid, "reviewer": client.username, "version": version, "decision": decision,
            })
            if deliberate:
                client.stats.error(f"{client.username}: decision on stale version {version} of {tid} was accepted")
        elif status == 409:
            with client.stats.lock:
                client.stats.stale_decisions += 1
                client.stats.deliberate_stale += deliberate
            if "changed since you opened it" not in body:
                client.stats.error(f"{client.username}: 409 on decision without the stale notice")
        else:
            client.stats.error(f"{client.username}: decision on {tid} v{version} answered {status}")


# --- orchestration --------------------------------------------------------------------------------


def _percentiles(values):
    if not values:
        return {"p50": 0, "p95": 0, "max": 0}
    ordered = sorted(values)
    pick = lambda q: round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))])  # noqa: E731
    return {"p50": pick(0.5), "p95": pick(0.95), "max": round(1000 * ordered[-1])}


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(database_url, static_root, media_root, password):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONDONTWRITEBYTECODE="1",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=f"{HOST},localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(media_root),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        CONC_PASSWORD=password,
    )
    return env


def start_internal(step, spec, env):
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--internal", step, json.dumps(spec)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )


def finish_internal(step, process):
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{step} failed:\n{stdout}\n{stderr}")
    return json.loads(stdout.strip().splitlines()[-1])


def run_internal(step, spec, env):
    return finish_internal(step, start_internal(step, spec, env))


def wait_healthy(base, server, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return False


def stop(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CONC_DATABASE_URL", DEFAULT_URL),
                        help=f"PostgreSQL database to drop and recreate; its name must start with {DB_PREFIX!r}")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load (default 15)")
    parser.add_argument("--max-requests", type=int, default=1500, help="stop after this many requests (default 1500)")
    parser.add_argument("--documents", type=int, default=2)
    parser.add_argument("--segments", type=int, default=2, help="segments per document")
    parser.add_argument("--stale-rate", type=float, default=0.1, help="share of deliberately stale saves/decisions")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the clients")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for inspection")
    parser.add_argument("--internal", nargs=2, metavar=("STEP", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.internal:
        step, spec = args.internal
        {"prepare": internal_prepare, "static": internal_static, "verify": internal_verify}[step](json.loads(spec))
        return 0

    url = urllib.parse.urlsplit(args.database_url)
    name = url.path.lstrip("/")
    if url.scheme not in ("postgres", "postgresql", "pgsql") or not re.fullmatch(rf"{DB_PREFIX}\w*", name):
        parser.error(f"--database-url must be a PostgreSQL URL whose database name starts with {DB_PREFIX!r} "
                     "(the database is dropped and recreated)")
    if args.clients < 2:
        parser.error("--clients must be at least 2 (a translator and a reviewer)")

    reviewer_clients = max(1, args.clients * 3 // 8)
    translator_clients = args.clients - reviewer_clients
    translator_users = max(1, translator_clients // 2)  # two sessions ("tabs") per translator
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    tmp = Path(tempfile.mkdtemp(prefix="interlinear-conc-"))
    password = secrets.token_urlsafe(18)
    env = server_env(args.database_url, tmp / "static", tmp / "media", password)
    server = None
    try:
        t0 = time.monotonic()
        log(f"Preparing {name}: migrate, collectstatic, seed ...")
        static = start_internal("static", {}, env)
        seeded = run_internal("prepare", {
            "translators": translator_users, "reviewers": reviewer_clients,
            "documents": args.documents, "segments": args.segments,
        }, env)
        finish_internal("static", static)
        port = free_port()
        base = f"http://{HOST}:{port}"
        server_log = open(tmp / "gunicorn.log", "w+")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(args.workers), "-b", f"{HOST}:{port}",
             "--timeout", "60", "--graceful-timeout", "10", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        if not wait_healthy(base, server):
            server_log.seek(0)
            raise SystemExit(f"gunicorn did not become healthy:\n{server_log.read()[-4000:]}")
        log(f"Serving in {time.monotonic() - t0:.1f} s; gunicorn -w {args.workers} on {base}; "
            f"{translator_clients} translator + {reviewer_clients} reviewer clients, seed {seed}")

        stats = Stats(args.max_requests, deadline=float("inf"))
        clients = []
        for i in range(translator_clients):
            username = seeded["translators"][i % translator_users]
            clients.append(("translator", Client(base, username, password, stats, f"{username}/tab{i // translator_users + 1}")))
        for i in range(reviewer_clients):
            username = seeded["reviewers"][i]
            clients.append(("reviewer", Client(base, username, password, stats, username)))
        failures = []

        def run(index, kind, client, start):
            rng = random.Random(seed * 1000 + index)
            try:
                client.login()
                start.wait()
                if kind == "translator":
                    translator(client, seeded["documents"], rng, args.stale_rate)
                else:
                    reviewer(client, rng, args.stale_rate)
            except Exception as error:  # noqa: BLE001 — reported as a failure below
                failures.append(f"{client.username}: {type(error).__name__}: {error}")
                start.abort()

        def load_begins():  # run by one thread once every client has logged in: count from here
            stats.requests, stats.statuses, stats.latencies = 0, {}, []
            stats.began = time.monotonic()
            stats.deadline = stats.began + args.duration

        start = threading.Barrier(len(clients) + 1, action=load_begins)
        threads = [threading.Thread(target=run, args=(i, kind, c, start), daemon=True) for i, (kind, c) in enumerate(clients)]
        for thread in threads:
            thread.start()
        try:
            start.wait(180)
        except threading.BrokenBarrierError:
            stats.began = time.monotonic()
        for thread in threads:
            thread.join(args.duration + 120)
        elapsed = time.monotonic() - stats.began
        stop(server)
        server_log.seek(0)
        server_output = server_log.read()

        records = {
            "baseline": seeded["baseline"], "reviews_before": seeded["reviews_before"],
            "accepted_saves": stats.accepted_saves, "refused_saves": stats.refused_saves,
            "accepted_decisions": stats.accepted_decisions,
        }
        (tmp / "records.json").write_text(json.dumps(records))
        # Both only read: run side by side.
        history_check = subprocess.Popen(
            [sys.executable, "manage.py", "verify_history"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
        )
        found = run_internal("verify", {"records": str(tmp / "records.json")}, env)
        verify_output = history_check.communicate(timeout=300)[0]
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(tmp, ignore_errors=True)

    server_errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    alive = any(t.is_alive() for t in threads)
    figures = {
        "clients": args.clients,
        "translator_clients": translator_clients,
        "reviewer_clients": reviewer_clients,
        "workers": args.workers,
        "duration_s": round(elapsed, 2),
        "requests": stats.requests,
        "requests_per_s": round(stats.requests / elapsed, 1) if elapsed else 0.0,
        "latency_ms": _percentiles(stats.latencies),
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "accepted_saves": len(stats.accepted_saves),
        "conflicts_409": len(stats.refused_saves),
        "conflicts_deliberate": sum(1 for s in stats.refused_saves if s["deliberate"]),
        "accepted_decisions": len(stats.accepted_decisions),
        "stale_refusals": stats.stale_decisions,
        "stale_deliberate": stats.deliberate_stale,
        "empty_queue_reads": stats.empty_queue,
        "server_errors_5xx": server_errors,
        "lost_updates": found["lost_updates"],
        "written_refusals": found["written_refusals"],
        "history_gaps": found["history_gaps"],
        "new_versions": found["new_versions"],
        "bad_review_bindings": found["bad_review_bindings"],
        "duplicate_published": found["duplicate_published"],
        "published_renderings": found["published"],
        "verify_history": "ok" if history_check.returncode == 0 else f"FAILED (exit {history_check.returncode})",
        "seed": seed,
    }
    violations = list(found["problems"]) + stats.errors + failures
    if server_errors:
        violations.append(f"{server_errors} server errors (5xx)")
    if history_check.returncode != 0:
        violations.append("verify_history: " + verify_output.strip()[-2000:])
    if alive:
        violations.append("a client thread did not finish")
    if not stats.accepted_saves or not stats.accepted_decisions:
        violations.append("the run accepted no saves or no decisions: nothing was proven")
    figures["violations"] = violations
    figures["ok"] = not violations
    if figures["ok"] and not args.keep_database:
        subprocess.run([sys.executable, "-c", _DROP], cwd=ROOT, env=env, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    elif not figures["ok"]:
        violations.append(f"(database {name} kept for inspection)")

    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        rows = [
            ("clients (translators + reviewers)", f"{args.clients} ({translator_clients} + {reviewer_clients})"),
            ("gunicorn workers", args.workers),
            ("duration", f"{elapsed:.1f} s"),
            ("requests", stats.requests),
            ("requests/s", figures["requests_per_s"]),
            ("latency p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**figures["latency_ms"])),
            ("statuses", ", ".join(f"{k}: {v}" for k, v in figures["statuses"].items())),
            ("accepted saves", figures["accepted_saves"]),
            ("conflicts (409)", f"{figures['conflicts_409']} ({figures['conflicts_deliberate']} deliberately stale)"),
            ("accepted review decisions", figures["accepted_decisions"]),
            ("stale refusals (409)", f"{figures['stale_refusals']} ({figures['stale_deliberate']} deliberately stale)"),
            ("5xx", server_errors),
            ("lost updates", figures["lost_updates"]),
            ("refused saves written", figures["written_refusals"]),
            ("history gaps", figures["history_gaps"]),
            ("duplicate published", figures["duplicate_published"]),
            ("verify_history", figures["verify_history"]),
        ]
        width = max(len(k) for k, _ in rows)
        print(f"Concurrency check on {name} (seed {seed})")
        for key, value in rows:
            print(f"  {key:<{width}}  {value}")
        if violations:
            print("\nVIOLATIONS:")
            for v in violations[:40]:
                print(f"  - {v}")
            if server_errors:
                print("\ngunicorn log (tail):\n" + server_output[-6000:])
        else:
            print("OK: no lost update, no double publication, history complete.")
    return 0 if figures["ok"] else 1


_DROP = """
import os, urllib.parse, psycopg
u = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
with psycopg.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432,
                     user=urllib.parse.unquote(u.username or "postgres"),
                     password=urllib.parse.unquote(u.password or "") or None, dbname="postgres", autocommit=True) as c:
    c.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % u.path.lstrip("/"))
"""


if __name__ == "__main__":
    sys.exit(main())
