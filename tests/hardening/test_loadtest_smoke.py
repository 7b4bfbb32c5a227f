"""scripts/loadtest.py end to end, briefly: it builds a tiny load dataset in its own
scratch database (``interlinear_loadtest_smoke``, copied from a cached template after
the first run), serves it with two gunicorn workers, logs two reviewers in through
the login form and runs both phases for 3 s each. Asserts the report's shape and that
nothing failed; the figures themselves are not judged here (the machine is shared)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.hardening.test_concurrency_gunicorn import scratch_database_url

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and real app server processes"),
]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "loadtest.py"
LATENCY = {"p50", "p95", "p99", "max", "mean"}


def test_loadtest_runs_both_phases_without_errors():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", scratch_database_url("interlinear_loadtest_smoke"),
         "--create-scale", "0.002", "--users", "2", "--duration", "3", "--json"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(report["problems"], indent=2) + result.stderr[-3000:]
    assert report["ok"] and report["problems"] == []
    assert report["workers"] == 2 and report["users"] == 2 and report["client"] in ("wrk", "python")
    assert len(report["reviewers"]) == 2 and all(name.startswith("load-") for name in report["reviewers"])
    assert set(report["phases"]) == {"floor", "review"}
    for name, phase in report["phases"].items():
        assert phase["requests"] > 0 and phase["requests_per_s"] > 0, name
        assert set(phase["latency_ms"]) == LATENCY and phase["latency_ms"]["p50"] > 0, name
        assert phase["errors"]["total"] == 0 and phase["errors"]["server_5xx"] == 0, name
        assert set(phase["cpu_s"]) >= {"client", "gunicorn", "postgres", "machine_busy", "machine_capacity"}, name
        refused = sum(n for status, n in phase["statuses"].items() if status != "200")
        assert refused == phase["conflicts_409"] + phase["refused_moved_on_400"], name  # races only
    review = report["phases"]["review"]
    assert set(review["by_kind"]) == {"queue", "workspace", "decide"}
    assert review["by_kind"]["queue"]["requests"] > 0
    assert review["decisions"]["accepted"] > 0
    assert review["conflicts_409"] == review["decisions"]["conflicts_409"]
    assert set(report["targets"]) == {"rps_ratio", "rps_ratio_min", "rps_ratio_met", "p99_ms_max", "p99_met"}
    assert report["targets"]["rps_ratio"] > 0
