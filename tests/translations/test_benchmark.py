"""manage.py benchmark: every case runs on a tiny generated dataset, and write cases leave no trace."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from reviews.models import Review
from translations.benchmarking.cases import REGISTRY
from translations.benchmarking.dataset import Dataset, Sizes
from translations.models import Document, Project

TINY = ["--document-segments", "6", "--project-segments", "12", "--import-segments", "10", "--bulk-size", "2",
        "--queue-page", "2", "--audit-page", "3"]


@pytest.fixture
def load(db):
    call_command("generate_load", "--scale", "0.001", "--seed", "2", stdout=io.StringIO(), stderr=io.StringIO())


def benchmark(*args) -> str:
    out = io.StringIO()
    call_command("benchmark", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_every_case_runs_with_queries_and_timings_the_writes_are_rolled_back_and_only_selects(load):
    reviewer = Dataset(Sizes()).queue_reviewer
    assert reviewer.username == "load-reviewer-1", "the reviewer in every load project"
    reviews_by_reviewer = Review.objects.filter(reviewer=reviewer).count()

    report = json.loads(benchmark("--repeat", "1", "--json", *TINY))

    cases = {case["case"]: case for case in report["cases"]}
    assert set(cases) == set(REGISTRY)
    for name, case in cases.items():
        assert case["error"] is None, (name, case["error"])
        assert case["queries"] > 0, name
        assert case["median_ms"] > 0 and case["p95_ms"] >= case["median_ms"], name
        assert len(case["times_ms"]) == 1, name
    assert cases["floor"]["floor_multiple"] == 1.0
    assert cases["queue_first"]["queries"] > cases["floor"]["queries"]
    metadata = report["metadata"]
    assert metadata["database"]["vendor"] and metadata["timestamp"]
    assert metadata["row_counts"]["translations.Segment"] > 0
    assert metadata["row_counts"]["history rows (all tracked models)"] > 0
    # Approvals and imports were rolled back; only the benchmark project was kept, for the next run.
    assert Review.objects.filter(reviewer=reviewer).count() == reviews_by_reviewer
    assert not Document.objects.filter(title__startswith="Benchmark import").exists()
    bench = Project.objects.get(slug="bench-12-6")
    assert Document.objects.filter(project=bench).count() == 2

    # Without --json, a table; --only runs the named cases beside the floor (the same data: one load per test).
    out = benchmark("--repeat", "1", "--only", "queue_first,audit_deep", *TINY)
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("case"))
    assert "queries" in header and "median ms" in header and "p95 ms" in header and "× floor" in header
    rows = [line.split()[0] for line in lines[lines.index(header) + 2 :] if line and not line.startswith(" ")]
    assert rows == ["floor", "queue_first", "audit_deep"]
    assert "ERROR" not in out


def test_an_unknown_case_is_refused(db):
    with pytest.raises(CommandError, match="Unknown case"):
        benchmark("--only", "nonsense")
