#!/usr/bin/env python3
"""Load test: the review flow under many concurrent reviewers, beside a trivial view.

Starts ``gunicorn config.wsgi`` (2 workers by default) with production settings
(DEBUG=0, whitenoise, Argon2, the psycopg pool) and ``ROOT_URLCONF=config.urls_floor``
on a free port of 127.0.0.1, against a PostgreSQL load dataset (``manage.py
generate_load``; default database ``interlinear_load``), and runs two bounded
phases with the same virtual users, each logged in once through the real login
form (CSRF, session cookie):

* **floor** — every virtual user GETs ``/__floor__/`` (a signed-in user's cheapest
  page: the whole middleware stack, session and user lookup, no template, no
  query of its own) as fast as it is answered: what Django itself serves here;
* **review** — every virtual user is a reviewer working through their queue:
  GET ``/review/`` (the queue page), sometimes (``--workspace-rate``) GET the
  workspace of the chosen item's document, then POST an htmx decision on one
  item of the page naming the version shown (``/review/t/<id>/decide/``,
  ``HX-Request`` and ``X-CSRFToken`` headers as htmx sends them): approve, or
  now and then (``--changes-rate``) request changes with a comment; repeat.

It prints requests/s, latency p50/p95/p99/max (overall and per request kind),
statuses, errors, and the CPU seconds spent in each phase by the client, gunicorn,
its PostgreSQL backends (found by ``application_name``), other processes and the
whole machine (the cores are shared: read the figures beside "other processes"),
and whether the targets hold: the review flow sustains at least half the floor's
requests/s, with p99 under 500 ms. ``--json`` prints the same figures as JSON.
Exit status 1 on any error: a 5xx, a socket error, an unexpected status or
answer. Races between reviewers are counted apart, not as errors: 409 (the
version moved) and 400 "awaits its final edit" (another reviewer's approval sent
the item to its final edit after the queue page was drawn). ``--enforce-targets``
also fails when a target is missed.

By default every user sends its next request as soon as it has the previous
answer (a closed loop with no think time): the server is saturated and the
requests/s are its capacity, but latency is then mostly waiting for one of the
two workers (Little's law: latency ≈ users / requests/s; 32 users at 100 req/s
wait ~320 ms even for the floor). ``--think-ms`` adds an exponential pause
before each request, to measure latency at a load below saturation; it uses
the Python client, which opens its connection after the pause (wrk reconnects
as soon as gunicorn closes a connection, and an idle open connection holds a
sync worker until the request arrives).
``--server-timings`` turns gunicorn's access log on and reports the time spent
inside a worker per request kind, which separates service time from queueing.

Decisions are real writes (reviews, history rows, publication, notification
e-mails to the locmem backend) on the dataset: the script only accepts databases
whose name starts with ``interlinear_load``, and sets a random password (for
this run) only on the generated ``load-*`` reviewers it logs in as, once each
through the real login form; with more users than reviewers, a reviewer's
session serves several users, like tabs of one browser. ``--create-scale S``
first drops and recreates the database (name must start with
``interlinear_loadtest``) with ``generate_load --scale S``; that build is kept as
a template database named after the migrations, the generator, the pinned
requirements, scale and seed, and copied on later runs. Collected static files
are cached in the temp directory the same way.

Load generator: **wrk** (Debian package ``wrk``, LuaJIT) when it is on PATH,
else (or with ``--client python``) a thread-per-user Python client on
http.client. Client and server share the machine's cores, so the client must
cost as little CPU as possible: wrk's C event loop drives the floor for about
0.03 CPU-seconds per second, where a Python client would need a good share of
a core (under the GIL) and so understate the floor. The review flow needs one
session per user and request bodies that change with every answer; wrk runs
one thread per virtual user (``-t N -c N``), so a Lua thread's globals are
its user's session and flow state: ``response()`` parses the queue page and
``request()`` builds the next request from it. Latencies are taken in Lua
with ``clock_gettime`` (LuaJIT FFI) around each request, per kind. gunicorn's
sync workers close the connection after each answer, so every request pays a
TCP connect, for both phases alike. Requests still unanswered when a phase
ends are not counted (as in wrk); their number and the oldest one's age are
reported, and the server finishes them before the next phase starts.

    .venv/bin/python scripts/loadtest.py                        # 32 users, 30 s per phase
    .venv/bin/python scripts/loadtest.py --users 8 --duration 10 --json
    .venv/bin/python scripts/loadtest.py --server-timings       # + time in the worker per kind
    .venv/bin/python scripts/loadtest.py --think-ms 2000        # latency below saturation
"""

import argparse
import hashlib
import json
import math
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from concurrency_check import (  # noqa: E402 — a sibling script: same server, same login
    HOST, ROOT, Client, Stats, _django, finish_internal, free_port, server_env, stop, wait_healthy,
)

DB_PREFIX = "interlinear_load"  # databases this script writes decisions into: throwaway load datasets
CREATE_PREFIX = "interlinear_loadtest"  # databases --create-scale may drop and recreate
TEMPLATE_PREFIX = CREATE_PREFIX + "_tpl_"  # its cached builds (never served, never written by a run)
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{DB_PREFIX}"
USER_PREFIX = "load-"  # generate_load's people; the only accounts whose password is set
TARGET_RATIO = 0.5
TARGET_P99_MS = 500
CHANGES_COMMENT = "Please check the numbers against the photograph (load test)."
# Another reviewer's approval moved the item to its final edit after this reviewer's queue page was drawn:
# the app refuses with 400 and this message (not 409: the version did not change). A race, not a failure.
MOVED_ON = "awaits its final edit"
KINDS = {"floor": ("floor",), "review": ("queue", "workspace", "decide")}
ROW = re.compile(
    r'href="(/p/[^"#]+/translate/[^"#]+/)#ws-segment-\d+".*?/review/t/(\d+)/decide/".*?name="version" value="(\d+)"',
    re.S,
)


# --- the Django side (subprocesses: python loadtest.py --internal STEP SPEC) -------------------------


def _fingerprint(paths, *extra):
    """A short hash of files' contents (and extra strings): names a cached build of them."""
    digest = hashlib.sha256("\0".join(map(str, extra)).encode())
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _admin_connection():
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return psycopg.connect(
        host=url.hostname or HOST, port=url.port or 5432, user=urllib.parse.unquote(url.username or "postgres"),
        password=urllib.parse.unquote(url.password or "") or None, dbname="postgres", autocommit=True,
    )


def internal_create(spec):
    """Drop and recreate the database with a small generated load dataset.

    The first build (migrate + generate_load) is kept as a template database named after
    the migrations, the generator, the pinned requirements, scale and seed; later runs copy
    it (CREATE DATABASE ... TEMPLATE) in well under a second."""
    name = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    assert name.startswith(CREATE_PREFIX) and not name.startswith(TEMPLATE_PREFIX), name
    sources = [*ROOT.glob("*/migrations/*.py"), ROOT / "translations" / "loadgen.py", ROOT / "requirements.txt"]
    code = TEMPLATE_PREFIX + _fingerprint(sources)
    template = f"{code}_{_fingerprint([], spec['scale'], spec['seed'])[:8]}"
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            built = False
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
            built = True
    _django()
    if built:
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", interactive=False, verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("generate_load", scale=spec["scale"], seed=spec["seed"], stdout=quiet, stderr=quiet)
        connections.close_all()
        # Copy under a private name, then rename: a concurrent run never sees half a template.
        building = f"{template}_{os.getpid()}"
        with _admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{building}" TEMPLATE "{name}"')
            try:
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            except Exception:  # noqa: BLE001 — another run made it first
                conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
            stale = conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND NOT starts_with(datname, %s)",
                [TEMPLATE_PREFIX, code],
            ).fetchall()
            for (old,) in stale:  # templates of other migrations or generators
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    _choose_users(spec)


def internal_users(spec):
    """Choose the reviewers, give them this run's password. Prints their usernames."""
    _django()
    _choose_users(spec)


def _choose_users(spec):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from translations.models import Membership, Project, Role

    User = get_user_model()
    if spec["reviewers"]:
        names = spec["reviewers"]
    else:
        memberships = Membership.objects.filter(role=Role.REVIEWER, user__is_active=True,
                                                user__username__startswith=USER_PREFIX)
        if spec["project"]:
            memberships = memberships.filter(project__slug=spec["project"])
        names = sorted(set(memberships.values_list("user__username", flat=True)),
                       key=lambda n: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", n)])
    if spec["project"] and not Project.objects.filter(slug=spec["project"]).exists():
        raise SystemExit(f"No project {spec['project']!r} in this database.")
    found = set(User.objects.filter(username__in=names, is_active=True).values_list("username", flat=True))
    if not names or set(names) - found:
        raise SystemExit(f"No such active reviewers: {sorted(set(names) - found) or '(none found)'}; "
                         "is this a generate_load dataset?")
    if any(not n.startswith(USER_PREFIX) for n in names):
        raise SystemExit(f"Only generated accounts ({USER_PREFIX}*) are used: their password is reset for the run.")
    User.objects.filter(username__in=names).update(password=make_password(os.environ["LOADTEST_PASSWORD"]))
    print(json.dumps({"reviewers": names}))


def internal(step, spec, env):
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--internal", step, json.dumps(spec)],
        # Plain connections, closed when asked: the template copy needs the database unused.
        cwd=ROOT, env={**env, "DATABASE_POOL": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    return process


# --- CPU accounting from /proc ---------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _backend_pids(database_url, application_name):
    """The PostgreSQL backends serving our gunicorn (libpq's PGAPPNAME names them), not other users'."""
    import psycopg

    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
            return [pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])]
    except psycopg.Error:
        return []


def _machine_busy():
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK  # all but idle and iowait


def cpu_snapshot(server_pid, database_url, application_name):
    """CPU seconds so far: gunicorn (master and workers), each of its database backends, the machine."""
    return {
        "wall": time.monotonic(),
        "server": _proc_cpu(server_pid) + sum(_proc_cpu(p) for p in _children(server_pid)),
        "backends": {pid: _proc_cpu(pid) for pid in _backend_pids(database_url, application_name)},
        "machine": _machine_busy(),
    }


def _backends_delta(before, after):
    # A backend opened during the phase counts whole; one closed during it is lost (the pool keeps them).
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the wrk client ---------------------------------------------------------------------------------

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } il_timespec;
int clock_gettime(int clk_id, il_timespec *tp);
]]
local ts = ffi.new("il_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("vu", counter)
  table.insert(threads, thread)
end

local hget, hpost, floor_request
local kind, started, pending_decide, pending_ws
samples, inflight, inflight_since = {}, 0, 0
notes, current_path = {}, ""
accepted, changes, empty, odd, moved = 0, 0, 0, 0, 0

function init(args)
  local s = SESSIONS[(vu - 1) % #SESSIONS + 1]
  math.randomseed(SEED * 1000 + vu)
  hget = {["Cookie"] = s.cookie}
  hpost = {["Cookie"] = s.cookie, ["X-CSRFToken"] = s.csrf, ["HX-Request"] = "true",
           ["Content-Type"] = "application/x-www-form-urlencoded"}
  floor_request = wrk.format("GET", FLOOR_PATH, hget)
end

local function begin(k, path)
  kind, current_path, started, inflight = k, path, now_us(), 1
  inflight_since = started
end

function request()
  if MODE == "floor" then
    begin("floor", FLOOR_PATH)
    return floor_request
  end
  if pending_ws then
    local path = pending_ws
    pending_ws = nil
    begin("workspace", path)
    return wrk.format("GET", path, hget)
  end
  if pending_decide then
    local d = pending_decide
    pending_decide = nil
    local body
    if math.random() < CHANGES_RATE then
      body = "decision=request_changes&version=" .. d.version .. "&comment=" .. CHANGES_COMMENT
      d.changes = true
    else
      body = "decision=approve&version=" .. d.version .. "&comment="
    end
    last_decision = d
    local path = "/review/t/" .. d.tid .. "/decide/"
    begin("decide", path .. " v" .. d.version)
    return wrk.format("POST", path, hpost, body)
  end
  begin("queue", QUEUE_PATH)
  return wrk.format("GET", QUEUE_PATH, hget)
end

function response(status, headers, body)
  local elapsed = now_us() - started
  inflight = 0
  samples[#samples + 1] = kind .. " " .. status .. " " .. elapsed
  if kind == "decide" and status == 400 and body:find(MOVED_ON, 1, true) then
    moved = moved + 1
  elseif status ~= 200 and status ~= 409 and #notes < 3 then
    notes[#notes + 1] = status .. " " .. current_path .. " " .. (body or ""):sub(1, 600)
  end
  if kind == "queue" and status == 200 then
    local rows = {}
    for ws, tid, version in body:gmatch(ROW_PATTERN) do
      rows[#rows + 1] = {ws, tid, version}
    end
    if #rows == 0 then
      empty = empty + 1
    else
      local row = rows[math.random(#rows)]
      pending_decide = {tid = row[2], version = row[3]}
      if math.random() < WORKSPACE_RATE then pending_ws = row[1] end
    end
  elseif kind == "decide" and status == 200 then
    if body:find("data-il-done", 1, true) then
      accepted = accepted + 1
      if last_decision.changes then changes = changes + 1 end
    else
      odd = odd + 1
      if #notes < 3 then notes[#notes + 1] = "200 without data-il-done " .. current_path end
    end
  end
end

function done(summary, latency, requests)
  local now = now_us()
  local f = io.open(OUT, "w")
  local e = summary.errors
  f:write(string.format("W %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration, summary.bytes,
                        e.connect, e.read, e.write, e.status, e.timeout))
  for _, t in ipairs(threads) do
    local age = (t:get("inflight") == 1) and (now - t:get("inflight_since")) or -1
    f:write(string.format("T %d %d %d %d %d %d %d\n", t:get("vu"), t:get("accepted"), t:get("changes"),
                          t:get("empty"), t:get("odd"), t:get("moved"), age))
    for _, s in ipairs(t:get("samples")) do f:write("S ", s, "\n") end
    for _, n in ipairs(t:get("notes")) do f:write("N ", (n:gsub("%s+", " ")), "\n") end
  end
  f:close()
end
"""


def _answer_text(html):
    """An unexpected answer, shortened for the report: tags dropped, whitespace folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", html)).strip()[:300]


def _lua_string(value):
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def run_wrk(mode, base, sessions, args, tmp):
    out = tmp / f"wrk-{mode}.out"
    lua_sessions = ",\n".join(
        f"  {{cookie = {_lua_string(s['cookie'])}, csrf = {_lua_string(s['csrf'])}}}" for s in sessions
    )
    header = "\n".join([
        f"MODE = {_lua_string(mode)}",
        f"OUT = {_lua_string(str(out))}",
        f"SEED = {args.seed}",
        f"FLOOR_PATH = {_lua_string('/__floor__/')}",
        f"QUEUE_PATH = {_lua_string(args.queue_path)}",
        f"WORKSPACE_RATE = {args.workspace_rate!r}",
        f"CHANGES_RATE = {args.changes_rate!r}",
        f"MOVED_ON = {_lua_string(MOVED_ON)}",
        f"CHANGES_COMMENT = {_lua_string(urllib.parse.quote_plus(CHANGES_COMMENT))}",
        # Lua pattern of ROW: '-' is lazy '*', '%' escapes.
        "ROW_PATTERN = " + _lua_string(
            'href="(/p/[^"#]+/translate/[^"#]+/)#ws%-segment%-%d+".-/review/t/(%d+)/decide/".-name="version" value="(%d+)"'
        ),
        "SESSIONS = {", lua_sessions, "}",
    ])
    script = tmp / f"wrk-{mode}.lua"
    script.write_text(header + "\n" + LUA)
    n = args.users
    process = subprocess.Popen(
        [args.wrk, "-t", str(n), "-c", str(n), "-d", f"{args.duration}s", "--timeout", "120s", "-s", str(script), base],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not out.exists():
        raise SystemExit(f"wrk failed (exit {process.returncode}):\n{output[-3000:]}")
    result = {"samples": [], "per_user": [], "notes": [], "client_cpu_s": usage.ru_utime + usage.ru_stime}
    for line in out.read_text().splitlines():
        tag, *fields = line.split()
        if tag == "W":
            requests, duration_us, _bytes, connect, read, write, _status, timeout = map(int, fields)
            result["duration_s"] = duration_us / 1e6
            result["socket_errors"] = {"connect": connect, "read": read, "write": write, "timeout": timeout}
        elif tag == "T":
            vu, accepted, changes, empty, odd, moved, age = map(int, fields)
            result["per_user"].append({"accepted": accepted, "changes": changes, "empty": empty, "odd": odd,
                                       "moved": moved, "unfinished_age_s": age / 1e6 if age >= 0 else None})
        elif tag == "N":
            result["notes"].append(_answer_text(" ".join(fields)))
        elif tag == "S":
            kind, status, micros = fields
            result["samples"].append((kind, int(status), int(micros) / 1e6))
    return result


# --- the Python client (when wrk is not installed) ----------------------------------------------------


class VirtualUser(threading.Thread):
    """One reviewer's session on its own http.client connection, the same flow as the Lua script."""

    def __init__(self, index, mode, port, session, args, deadline, started):
        super().__init__(daemon=True)
        self.mode, self.port, self.args, self.deadline, self.started = mode, port, args, deadline, started
        self.rng = random.Random(args.seed * 1000 + index + 1)
        self.get_headers = {"Cookie": session["cookie"]}
        self.post_headers = {"Cookie": session["cookie"], "X-CSRFToken": session["csrf"], "HX-Request": "true",
                             "Content-Type": "application/x-www-form-urlencoded"}
        self.samples, self.socket_errors, self.notes = [], Counter(), []
        self.accepted = self.changes = self.empty = self.odd = self.moved = 0
        self.unfinished_age_s = None

    def fetch(self, connection, kind, method, path, body=None):
        if self.args.think_ms:
            time.sleep(min(self.rng.expovariate(1000 / self.args.think_ms), max(0.0, self.deadline - time.monotonic())))
            if time.monotonic() >= self.deadline:
                return None, ""
        began = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=self.post_headers if body else self.get_headers)
            response = connection.getresponse()
            status, text = response.status, response.read().decode(errors="replace")
        except (OSError, ConnectionError) as error:
            connection.close()
            self.socket_errors["timeout" if isinstance(error, TimeoutError) else "read"] += 1
            return None, ""
        ended = time.monotonic()
        if ended > self.deadline:  # as wrk: an answer after the end is not counted
            self.unfinished_age_s = self.deadline - began
            return None, ""
        self.samples.append((kind, status, ended - began))
        if kind == "decide" and status == 400 and MOVED_ON in text:
            self.moved += 1
        elif status not in (200, 409) and len(self.notes) < 3:
            self.notes.append(_answer_text(f"{status} {path} {text[:600]}"))
        return status, text

    def run(self):
        connection = HTTPConnection(HOST, self.port, timeout=120)
        self.started.wait()
        pending = []
        while time.monotonic() < self.deadline:
            if self.mode == "floor":
                self.fetch(connection, "floor", "GET", "/__floor__/")
                continue
            if pending:
                kind, method, path, body, changes = pending.pop(0)
                status, text = self.fetch(connection, kind, method, path, body)
                if kind == "decide" and status == 200:
                    if "data-il-done" in text:
                        self.accepted += 1
                        self.changes += changes
                    else:
                        self.odd += 1
                        if len(self.notes) < 3:
                            self.notes.append(f"200 without data-il-done {path}")
                continue
            status, text = self.fetch(connection, "queue", "GET", self.args.queue_path)
            if status != 200:
                continue
            rows = ROW.findall(text)
            if not rows:
                self.empty += 1
                continue
            workspace, tid, version = self.rng.choice(rows)
            if self.rng.random() < self.args.workspace_rate:
                pending.append(("workspace", "GET", workspace, None, False))
            changes = self.rng.random() < self.args.changes_rate
            body = urllib.parse.urlencode({
                "decision": "request_changes" if changes else "approve", "version": version,
                "comment": CHANGES_COMMENT if changes else "",
            })
            pending.append(("decide", "POST", f"/review/t/{tid}/decide/", body, changes))
        connection.close()


def run_python(mode, port, sessions, args):
    started = threading.Event()
    users = [VirtualUser(i, mode, port, sessions[i % len(sessions)], args, None, started) for i in range(args.users)]
    for user in users:
        user.start()  # each connects, then waits for the start
    cpu_before = os.times()
    began = time.monotonic()
    for user in users:
        user.deadline = began + args.duration
    started.set()
    for user in users:
        user.join(args.duration + 130)
    duration = time.monotonic() - began
    cpu_after = os.times()
    errors = Counter()
    for user in users:
        errors.update(user.socket_errors)
    return {
        "duration_s": min(duration, args.duration),
        "samples": [s for user in users for s in user.samples],
        "per_user": [{"accepted": u.accepted, "changes": u.changes, "empty": u.empty, "odd": u.odd,
                      "moved": u.moved, "unfinished_age_s": u.unfinished_age_s} for u in users],
        "socket_errors": {k: errors.get(k, 0) for k in ("connect", "read", "write", "timeout")},
        "notes": [n for u in users for n in u.notes],
        "client_cpu_s": (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system),
    }


# --- figures ------------------------------------------------------------------------------------------


def percentiles(values):
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def rank(q):  # nearest rank
        return round(1000 * ordered[max(1, math.ceil(q * len(ordered))) - 1], 1)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(1000 * ordered[-1], 1),
            "mean": round(1000 * sum(ordered) / len(ordered), 1)}


def access_log_times(path):
    """Server-side time per request kind from gunicorn's access log ('<method> <path> <status> <ms>')."""
    per_kind = {}
    if not path.exists():
        return per_kind
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, url, _status, ms = parts
        kind = ("floor" if url.startswith("/__floor__/") else "queue" if url.startswith("/review/") and method == "GET"
                else "decide" if url.endswith("/decide/") else "workspace" if "/translate/" in url else None)
        if kind:
            per_kind.setdefault(kind, []).append(int(ms) / 1000)
    return {kind: {"requests": len(v), **percentiles(v)} for kind, v in per_kind.items()}


def summarise(mode, run, cpu_before, cpu_after):
    samples = run["samples"]
    duration = run["duration_s"]
    statuses = Counter(status for _, status, _ in samples)
    by_kind = {}
    for kind in KINDS[mode]:
        own = [s for s in samples if s[0] == kind]
        if own or mode == "review":
            by_kind[kind] = {
                "requests": len(own), "requests_per_s": round(len(own) / duration, 2) if duration else 0.0,
                "latency_ms": percentiles([s[2] for s in own]),
                "statuses": {str(k): v for k, v in sorted(Counter(s[1] for s in own).items())},
            }
    conflicts = sum(1 for kind, status, _ in samples if status == 409 and kind == "decide")
    moved = sum(u["moved"] for u in run["per_user"])
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    unexpected = sum(n for status, n in statuses.items() if status < 500 and status != 200) - conflicts - moved
    odd = sum(u["odd"] for u in run["per_user"])
    socket_errors = sum(run["socket_errors"].values())
    unfinished = [u["unfinished_age_s"] for u in run["per_user"] if u["unfinished_age_s"] is not None]
    figures = {
        "duration_s": round(duration, 2),
        "requests": len(samples),
        "requests_per_s": round(len(samples) / duration, 2) if duration else 0.0,
        "latency_ms": percentiles([s[2] for s in samples]),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "by_kind": by_kind,
        "errors": {
            "server_5xx": server_errors,
            "unexpected_status": unexpected,
            "unexpected_answer": odd,
            "socket": run["socket_errors"],
            "total": server_errors + unexpected + odd + socket_errors,
        },
        "conflicts_409": conflicts,
        "refused_moved_on_400": moved,
        "unexpected_answers": run["notes"][:10],
        "unfinished": {"requests": len(unfinished), "oldest_ms": round(1000 * max(unfinished), 1) if unfinished else None},
        "cpu_s": {
            "client": round(run["client_cpu_s"], 2),
            "gunicorn": round(cpu_after["server"] - cpu_before["server"], 2),
            "postgres": round(_backends_delta(cpu_before["backends"], cpu_after["backends"]), 2),
            "machine_busy": round(cpu_after["machine"] - cpu_before["machine"], 2),
            "machine_capacity": round((cpu_after["wall"] - cpu_before["wall"]) * (os.cpu_count() or 1), 2),
        },
    }
    cpu = figures["cpu_s"]
    cpu["other_processes"] = round(max(0.0, cpu["machine_busy"] - cpu["client"] - cpu["gunicorn"] - cpu["postgres"]), 2)
    if mode == "review":
        figures["decisions"] = {
            "accepted": sum(u["accepted"] for u in run["per_user"]),
            "changes_requested": sum(u["changes"] for u in run["per_user"]),
            "conflicts_409": conflicts,
            "refused_moved_on_400": moved,
            "empty_queue_pages": sum(u["empty"] for u in run["per_user"]),
        }
        figures["decisions"]["per_s"] = round(figures["decisions"]["accepted"] / duration, 2) if duration else 0.0
    return figures


def _ms(value):
    return "-" if value is None else (f"{value:.0f}" if value >= 10 else f"{value:.1f}")


def print_table(report):
    phases = report["phases"]
    names = [p for p in ("floor", "review") if p in phases]
    cols = {"floor": "floor /__floor__/", "review": "review flow"}
    rows = [
        ("requests", lambda f: str(f["requests"])),
        ("requests/s", lambda f: f"{f['requests_per_s']:.1f}"),
        ("latency p50 / p95 / p99 ms", lambda f: " / ".join(_ms(f["latency_ms"][q]) for q in ("p50", "p95", "p99"))),
        ("latency max ms", lambda f: _ms(f["latency_ms"]["max"])),
        ("statuses", lambda f: ", ".join(f"{k}: {v}" for k, v in f["statuses"].items()) or "-"),
        ("errors (5xx / other / socket)", lambda f: "{} / {} / {}".format(
            f["errors"]["server_5xx"], f["errors"]["unexpected_status"] + f["errors"]["unexpected_answer"],
            sum(f["errors"]["socket"].values()))),
        ("409 conflicts / 400 moved on", lambda f: f"{f['conflicts_409']} / {f['refused_moved_on_400']}"),
        ("in flight at the end, oldest ms", lambda f: f"{f['unfinished']['requests']}, {_ms(f['unfinished']['oldest_ms'])}"),
        ("CPU s client / gunicorn / pg", lambda f: "{client} / {gunicorn} / {postgres}".format(**f["cpu_s"])),
        ("CPU s other processes", lambda f: str(f["cpu_s"]["other_processes"])),
        ("CPU s machine busy / capacity", lambda f: "{machine_busy} / {machine_capacity}".format(**f["cpu_s"])),
    ]
    width = max(len(r[0]) for r in rows) + 2
    colw = 26
    think = f", think time {report['think_ms']:g} ms" if report["think_ms"] else ", no think time"
    print(f"Load test on {report['database']}: gunicorn -w {report['workers']}, {report['users']} virtual users "
          f"({len(report['reviewers'])} reviewers){think}, {report['duration_s']:g} s per phase, client "
          f"{report['client']}, {report['cpus']} CPUs")
    print(" " * width + "".join(f"{cols[n]:>{colw}}" for n in names))
    for label, cell in rows:
        print(f"{label:<{width}}" + "".join(f"{cell(phases[n]):>{colw}}" for n in names))
    if "review" in phases:
        review = phases["review"]
        print(f"\n{'review flow by kind':<22}{'n':>6}{'req/s':>8}   {'p50 / p95 / p99 / max ms':<32}statuses")
        for kind, k in review["by_kind"].items():
            lat = k["latency_ms"]
            print(f"  {kind:<20}{k['requests']:>6}{k['requests_per_s']:>8.2f}   "
                  f"{' / '.join(_ms(lat[q]) for q in ('p50', 'p95', 'p99', 'max')):<32}"
                  f"{', '.join(f'{s}: {n}' for s, n in k['statuses'].items())}")
        d = review["decisions"]
        print(f"  decisions accepted: {d['accepted']} ({d['per_s']}/s; {d['changes_requested']} requests for changes); "
              f"refused as races: {d['conflicts_409']} × 409 (version moved), {d['refused_moved_on_400']} × 400 (another "
              f"approval sent it to its final edit); empty queue pages: {d['empty_queue_pages']}")
    if report.get("server_timings"):
        print(f"\n{'time in the worker':<22}{'n':>6}{'mean':>8}   p50 / p95 / p99 / max ms  (gunicorn access log; "
              "no wait for a worker)")
        for phase, kinds in report["server_timings"].items():
            for kind, t in kinds.items():
                print(f"  {phase + ' ' + kind:<20}{t['requests']:>6}{_ms(t['mean']):>8}   "
                      f"{' / '.join(_ms(t[q]) for q in ('p50', 'p95', 'p99', 'max'))}")
    targets = report.get("targets")
    if targets:
        mark = lambda ok: "n/a with think time" if ok is None else "met" if ok else "MISSED"  # noqa: E731
        print(f"\nTargets: review requests/s ≥ {TARGET_RATIO} × floor: {targets['rps_ratio']:.3f} × "
              f"({mark(targets['rps_ratio_met'])}); review p99 < {TARGET_P99_MS} ms: "
              f"{_ms(phases['review']['latency_ms']['p99'])} ms ({mark(targets['p99_met'])})")
    if report["problems"]:
        print("\nPROBLEMS:")
        for problem in report["problems"]:
            print(f"  - {problem}")
    else:
        print("OK: no 5xx, no socket error, no unexpected answer.")


# --- orchestration ---------------------------------------------------------------------------------


def login_all(base, reviewers, password):
    """One session per reviewer, through the login form. Virtual users take them round-robin:
    with more users than reviewers, a reviewer works in several tabs of one browser."""
    stats = Stats(float("inf"), float("inf"))

    def one(username):
        client = Client(base, username, password, stats, username)
        client.login()
        cookies = {c.name: c.value for c in client.jar}
        if "csrftoken" not in cookies or "sessionid" not in cookies:
            raise SystemExit(f"login of {client.username} set no session/CSRF cookie: {sorted(cookies)}")
        return client, {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "csrf": cookies["csrftoken"]}

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, reviewers))


def warm_up(client, queue_path):
    """A few requests to each kind of page on both workers, before anything is measured."""
    for _ in range(4):
        client.request("GET", "/__floor__/")
    for _ in range(2):
        status, body = client.request("GET", queue_path)
        rows = ROW.findall(body) if status == 200 else []
        if rows:
            client.request("GET", rows[0][0])


def drain(base, timeout=180):
    """Wait until the server has answered what a phase left in its backlog (FIFO: a fresh request is answered last)."""
    deadline = time.monotonic() + timeout
    for _ in range(2):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=max(1, deadline - time.monotonic())):
                pass
        except Exception:  # noqa: BLE001 — only waiting
            pass



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_URL),
                        help=f"PostgreSQL load dataset; its name must start with {DB_PREFIX!r} (default {DEFAULT_URL})")
    parser.add_argument("--users", type=int, default=32, help="virtual users, i.e. concurrent connections (default 32)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase (default 30)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator: wrk if installed (auto), or the Python client")
    parser.add_argument("--phases", default="floor,review", help="comma-separated: floor, review (default both)")
    parser.add_argument("--project", help="only this project's reviewers, and the queue filtered to it")
    parser.add_argument("--reviewers", help="comma-separated usernames (default: every generated load reviewer)")
    parser.add_argument("--workspace-rate", type=float, default=0.2,
                        help="share of queue reads followed by a read of the item's workspace (default 0.2)")
    parser.add_argument("--changes-rate", type=float, default=0.1,
                        help="share of decisions that request changes, with a comment (default 0.1)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause of a user before each request (exponential; default 0: every user "
                             "sends its next request as soon as it has the answer, the server is saturated)")
    parser.add_argument("--server-timings", action="store_true",
                        help="gunicorn access log on: time spent in the worker per request kind (costs a little)")
    parser.add_argument("--create-scale", type=float,
                        help=f"drop and recreate the database (name must start with {CREATE_PREFIX!r}) "
                             "with generate_load --scale S first")
    parser.add_argument("--verify-history", action="store_true", help="run manage.py verify_history afterwards")
    parser.add_argument("--enforce-targets", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the clients")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--internal", nargs=2, metavar=("STEP", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.internal:
        step, spec = args.internal
        {"create": internal_create, "users": internal_users}[step](json.loads(spec))
        return 0

    url = urllib.parse.urlsplit(args.database_url)
    name = url.path.lstrip("/")
    if url.scheme not in ("postgres", "postgresql", "pgsql") or not re.fullmatch(rf"{DB_PREFIX}\w*", name):
        parser.error(f"--database-url must be a PostgreSQL URL whose database name starts with {DB_PREFIX!r} "
                     "(decisions are written into it)")
    if args.create_scale is not None and not name.startswith(CREATE_PREFIX):
        parser.error(f"--create-scale drops the database: its name must start with {CREATE_PREFIX!r}")
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if not phases or set(phases) - set(KINDS):
        parser.error("--phases takes floor and/or review")
    if args.users < 1 or args.duration <= 0:
        parser.error("--users and --duration must be positive")
    if args.think_ms < 0:
        parser.error("--think-ms cannot be negative")
    if args.think_ms and args.client == "wrk":
        parser.error("--think-ms needs the Python client: wrk reconnects at once and would think on an open "
                     "connection, holding a sync worker idle")
    if args.client in ("auto", "wrk"):
        args.wrk = None if args.think_ms else shutil.which("wrk")
        if not args.wrk and args.client == "wrk":
            parser.error("wrk is not installed (apt-get install wrk), use --client python")
        args.client = "wrk" if args.wrk else "python"
    if args.seed is None:
        args.seed = random.randrange(1 << 20)
    args.queue_path = "/review/" + (f"?project={urllib.parse.quote(args.project)}" if args.project else "")
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    tmp = Path(tempfile.mkdtemp(prefix="interlinear-loadtest-"))
    password = secrets.token_urlsafe(18)
    env = server_env(args.database_url, tmp / "static", tmp / "media", password)
    env.update(ROOT_URLCONF="config.urls_floor", LOADTEST_PASSWORD=password,
               PGAPPNAME=f"interlinear-loadtest-{os.getpid()}")  # names our backends for the CPU figures
    server, server_log, server_output = None, None, ""
    report = {
        "database": name, "client": args.client, "workers": args.workers, "users": args.users,
        "duration_s": args.duration, "cpus": os.cpu_count(), "seed": args.seed, "queue_path": args.queue_path,
        "workspace_rate": args.workspace_rate, "changes_rate": args.changes_rate, "think_ms": args.think_ms,
        "phases": {},
    }
    problems = []
    try:
        t0 = time.monotonic()
        # Collected static files are cached in the temp directory, named after what they are built from.
        static_root = Path(tempfile.gettempdir()) / ("interlinear-loadtest-static-" + _fingerprint(
            [p for p in (ROOT / "static").rglob("*") if p.is_file()] + [ROOT / "requirements.txt"],
            sys.version, sys.prefix))
        env["STATIC_ROOT"] = str(static_root if static_root.is_dir() else tmp / "static")
        static = None if static_root.is_dir() else subprocess.Popen(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
        )
        spec = {"project": args.project, "reviewers": [r for r in (args.reviewers or "").split(",") if r]}
        if args.create_scale is not None:
            log(f"Creating {name} (generate_load --scale {args.create_scale}, cached as a template) ...")
            prepare = internal("create", {**spec, "scale": args.create_scale, "seed": 1}, env)
        else:
            prepare = internal("users", spec, env)
        if static is not None:
            output = static.communicate(timeout=300)[0]
            if static.returncode != 0:
                raise SystemExit(f"collectstatic failed:\n{output}")
            try:
                (tmp / "static").rename(static_root)
                env["STATIC_ROOT"] = str(static_root)
            except OSError:  # another run cached it first: serve ours
                pass

        # gunicorn boots while the database is prepared: its workers connect at the first request only.
        port = free_port()
        base = f"http://{HOST}:{port}"
        server_log = open(tmp / "gunicorn.log", "w+")
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(args.workers), "-b", f"{HOST}:{port}",
                   "--timeout", "120", "--graceful-timeout", "10", "--no-control-socket", "--backlog", "2048"]
        if args.server_timings:
            command += ["--access-logfile", str(tmp / "access.log"), "--access-logformat", "%(m)s %(U)s %(s)s %(M)s"]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        chosen = finish_internal("prepare", prepare)
        log(f"  database ready: {time.monotonic() - t0:.1f} s")
        if not wait_healthy(base, server, timeout=60):
            server_log.seek(0)
            raise SystemExit(f"gunicorn did not become healthy:\n{server_log.read()[-4000:]}")
        log(f"  gunicorn answers: {time.monotonic() - t0:.1f} s")
        report["reviewers"] = chosen["reviewers"][:args.users]
        logins = login_all(base, report["reviewers"], password)
        log(f"  logged in: {time.monotonic() - t0:.1f} s")
        warm_up(logins[0][0], args.queue_path)
        sessions = [logins[i % len(logins)] for i in range(args.users)]
        log(f"Ready in {time.monotonic() - t0:.1f} s: gunicorn -w {args.workers} on {base}, {args.users} users "
            f"in {len(logins)} reviewers' sessions, client {args.client}, seed {args.seed}")

        timings = {}
        for phase in phases:
            if args.server_timings:
                drain(base)  # the warm-up's or last phase's lines are written after their answers
                time.sleep(0.2)
                (tmp / "access.log").write_text("")  # gunicorn appends (O_APPEND): truncating starts afresh
            log(f"Phase {phase}: {args.users} users for {args.duration:g} s ...")
            cpu_before = cpu_snapshot(server.pid, args.database_url, env["PGAPPNAME"])
            if args.client == "wrk":
                run = run_wrk(phase, base, [s for _, s in sessions], args, tmp)
            else:
                run = run_python(phase, port, [s for _, s in sessions], args)
            cpu_after = cpu_snapshot(server.pid, args.database_url, env["PGAPPNAME"])
            report["phases"][phase] = summarise(phase, run, cpu_before, cpu_after)
            drain(base)
            if args.server_timings:
                timings[phase] = access_log_times(tmp / "access.log")
            if server.poll() is not None:
                problems.append(f"gunicorn exited during the {phase} phase")
                break
        if timings:
            report["server_timings"] = timings
        stop(server)
        server_log.seek(0)
        server_output = server_log.read()
        if args.verify_history:
            check = subprocess.run([sys.executable, "manage.py", "verify_history"], cwd=ROOT, env=env,
                                   capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL)
            report["verify_history"] = "ok" if check.returncode == 0 else f"FAILED (exit {check.returncode})"
            if check.returncode != 0:
                problems.append("verify_history: " + (check.stdout + check.stderr).strip()[-2000:])
    finally:
        if server is not None:
            stop(server)
        if server_log is not None:
            server_log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    for phase, figures in report["phases"].items():
        errors = figures["errors"]
        if errors["total"]:
            problems.append(f"{phase}: {errors['server_5xx']} 5xx, {errors['unexpected_status']} unexpected statuses, "
                            f"{errors['unexpected_answer']} unexpected answers, socket errors {errors['socket']}")
            problems += [f"{phase}: {note}" for note in figures["unexpected_answers"]]
        if not figures["requests"]:
            problems.append(f"{phase}: no request was answered within the phase")
    review = report["phases"].get("review")
    if review and not review["decisions"]["accepted"]:
        problems.append("review: no decision was accepted")
    if review and "floor" in report["phases"]:
        floor_rps = report["phases"]["floor"]["requests_per_s"]
        ratio = review["requests_per_s"] / floor_rps if floor_rps else 0.0
        p99 = review["latency_ms"]["p99"]
        report["targets"] = {
            # With think time the users, not the server, set the rate: no capacity to compare.
            "rps_ratio": round(ratio, 4), "rps_ratio_min": TARGET_RATIO,
            "rps_ratio_met": ratio >= TARGET_RATIO if not args.think_ms else None,
            "p99_ms_max": TARGET_P99_MS, "p99_met": p99 is not None and p99 < TARGET_P99_MS,
        }
    if problems and server_output:
        report["gunicorn_log_tail"] = server_output[-4000:]
    report["problems"] = problems
    report["ok"] = not problems
    missed = args.enforce_targets and "targets" in report and not (
        report["targets"]["rps_ratio_met"] is not False and report["targets"]["p99_met"])
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
        if report.get("gunicorn_log_tail"):
            print("\ngunicorn log (tail):\n" + report["gunicorn_log_tail"])
    return 0 if report["ok"] and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
