"""Invariants 1, 2, 4 and 6 under real concurrency, end to end: two gunicorn
workers on one PostgreSQL database, translators and reviewers hammering the
same translations over HTTP. The work is done by scripts/concurrency_check.py
(also run with its default bounds by .ci/run); here it runs with small bounds on
its own scratch database, ``interlinear_conc_test``, on the server under test."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and real app server processes"),
]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "concurrency_check.py"


def scratch_database_url(name="interlinear_conc_test"):
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "postgres", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def test_two_workers_many_clients_lose_no_update_and_publish_one_rendering():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", scratch_database_url(), "--clients", "6",
         "--duration", "8", "--max-requests", "600", "--stale-rate", "0.2", "--json"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert result.stdout.strip(), result.stderr
    figures = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(figures["violations"], indent=2) + result.stderr[-3000:]
    assert figures["ok"] and figures["violations"] == []
    assert figures["workers"] == 2
    assert figures["lost_updates"] == 0
    assert figures["written_refusals"] == 0
    assert figures["server_errors_5xx"] == 0
    assert figures["duplicate_published"] == 0
    assert figures["history_gaps"] == 0
    assert figures["verify_history"] == "ok"
    assert figures["accepted_saves"] > 0 and figures["accepted_decisions"] > 0
    assert figures["new_versions"] == figures["accepted_saves"]
    assert figures["conflicts_409"] + figures["stale_refusals"] > 0, "no refusal was exercised"
