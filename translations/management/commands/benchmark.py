"""Query counts and latency of the key pages and actions, against the data in the database.

    DEBUG=1 DATABASE_URL=postgres://…/interlinear_load manage.py benchmark [--repeat 20]
        [--only dashboard,queue_first] [--json] [--diagnose]

For each case (``--list`` names them): SQL statements per request, median
and p95 latency over --repeat timed requests after the case's warm-ups, and
the median as a multiple of the floor — the trivial ``/__floor__/`` view
(``config.urls_floor``) measured in the same run. Requests go through
Django's test client, signed in as the member a real user of the page would
be; heavy cases (bulk approve, import, export) make at most 3 repeats after
one warm-up. See ``translations.benchmarking`` for who asks for what.

Write actions (approve, bulk approve, import) run each request in a
transaction rolled back afterwards: the data is left as it was, on_commit
callbacks (notification e-mail) do not run, and commit time is not counted.
What generated data lacks — a ~300-segment document and a ~10 000-segment
project — is created once as the tracked benchmark project ``bench-…`` and
reused by later runs. --diagnose re-runs each case over its target with its
SQL captured (EXPLAIN ANALYZE of the slowest reads) and under cProfile.
The table goes to stdout (or JSON with --json), progress to stderr.
"""

import json
import platform
import subprocess

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from ...benchmarking.cases import FLOOR, REGISTRY
from ...benchmarking.dataset import FULL_SIZE, Dataset, DatasetError, Sizes
from ...benchmarking.diagnosis import render_text
from ...benchmarking.runner import Runner


def _git_commit() -> str | None:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=settings.BASE_DIR,
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}{' (with uncommitted changes)' if dirty else ''}"


def _database_version() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    return connection.vendor


def _number(value, digits=1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(results) -> list[str]:
    header = ("case", "queries", "median ms", "p95 ms", "× floor", "target", "verdict")
    rows = []
    for result in results:
        queries = "—" if result.queries is None else str(result.queries)
        if result.queries_min is not None and result.queries_min != result.queries_max:
            queries += f" ({result.queries_min}–{result.queries_max})"
        if result.error:
            verdict = "ERROR"
        elif result.case == FLOOR:
            verdict = "floor"
        else:
            verdict = "OVER: " + "; ".join(result.over_target) if result.over_target else "ok"
        rows.append((result.case, queries, _number(result.median_ms), _number(result.p95_ms),
                     _number(result.floor_multiple), result.target, verdict))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    align = ["<", ">", ">", ">", ">", "<", "<"]
    return [
        "  ".join(f"{str(cell):{a}{w}}" for cell, a, w in zip(row, align, widths)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]


class Command(BaseCommand):
    help = "Measure SQL statements, median and p95 latency of the key pages and actions (and the trivial floor view)."

    def add_arguments(self, parser):
        defaults = Sizes()
        parser.add_argument("--repeat", type=int, default=20,
                            help="Timed requests per case (default 20; heavy cases at most 3).")
        parser.add_argument("--only", default="", help="Comma-separated case names (the floor always runs).")
        parser.add_argument("--json", action="store_true", help="Print JSON (cases and metadata) instead of the table.")
        parser.add_argument("--diagnose", action="store_true",
                            help="For cases over target: slowest SQL, EXPLAIN ANALYZE, cProfile hotspots.")
        parser.add_argument("--list", action="store_true", help="List the cases and exit.")
        sizes = parser.add_argument_group("sizes (the targets are stated for the defaults)")
        sizes.add_argument("--document-segments", type=int, default=defaults.document_segments)
        sizes.add_argument("--project-segments", type=int, default=None,
                           help="Default 10 000, or the data's segment count when smaller.")
        sizes.add_argument("--import-segments", type=int, default=None,
                           help="Default 10 000, or the data's segment count when smaller.")
        sizes.add_argument("--bulk-size", type=int, default=defaults.bulk)
        sizes.add_argument("--queue-page", type=int, default=defaults.queue_page)
        sizes.add_argument("--audit-page", type=int, default=defaults.audit_page)

    def handle(self, *args, **options):
        if options["list"]:
            for case in REGISTRY.values():
                self.stdout.write(f"{case.name:<14} {case.title}  [target: {case.target.describe()}]")
            return
        names = [name.strip() for name in options["only"].split(",") if name.strip()] or list(REGISTRY)
        unknown = [name for name in names if name not in REGISTRY]
        if unknown:
            raise CommandError(f"Unknown case(s): {', '.join(unknown)}. Cases: {', '.join(REGISTRY)}.")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        sizes = Sizes(
            document_segments=options["document_segments"], project_segments=options["project_segments"],
            import_segments=options["import_segments"], bulk=options["bulk_size"],
            queue_page=options["queue_page"], audit_page=options["audit_page"],
        )
        if min(value for value in vars(sizes).values() if value is not None) < 1:
            raise CommandError("Sizes must be at least 1.")
        dataset = Dataset(sizes, log=self.stderr.write)
        sizes = dataset.sizes
        try:
            dataset.queue_reviewer  # noqa: B018 — fail early when the data has nobody to ask
        except DatasetError as error:
            raise CommandError(str(error)) from None
        runner = Runner(dataset, repeat=options["repeat"], diagnose=options["diagnose"], log=self.stderr.write)
        results = runner.run(names)
        metadata = {
            "timestamp": timezone.now().isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
            "database": {"vendor": connection.vendor, "version": _database_version(),
                         "name": str(connection.settings_dict["NAME"])},
            "python": platform.python_version(),
            "django": django.get_version(),
            "repeat": options["repeat"],
            "sizes": vars(sizes),
            "row_counts": dataset.row_counts(),
            "method": "django.test.Client in-process, force_login, DEBUG off, ROOT_URLCONF=config.urls_floor; "
                      "write cases rolled back per run (on_commit callbacks not run, commit not timed)",
        }
        if options["json"]:
            self.stdout.write(json.dumps({"metadata": metadata, "cases": [vars(r) for r in results]}, indent=2,
                                         ensure_ascii=False, default=str))
            return
        counts = metadata["row_counts"]
        self.stdout.write(
            f"{metadata['database']['version']} · {counts.get('translations.Segment', 0):,} segments · "
            f"{counts.get('translations.Translation', 0):,} translations · "
            f"{counts.get('reviews.Review', 0):,} reviews · "
            f"{counts['history rows (all tracked models)']:,} history rows · commit {metadata['git_commit']}"
        )
        if min(sizes.project_segments, sizes.import_segments) < FULL_SIZE:
            self.stdout.write(
                f"Sized to the data ({dataset.segments_in_data:,} segments): export project "
                f"{sizes.project_segments:,} and import {sizes.import_segments:,} segments; the targets are for "
                f"{FULL_SIZE:,}."
            )
        self.stdout.write("\n".join(table(results)))
        for result in results:
            extra = [f"{result.label}" if result.label else "", result.note, result.error or ""]
            self.stdout.write(f"  {result.case}: " + " · ".join(filter(None, extra)))
        for result in results:
            if result.diagnosis:
                self.stdout.write("\n" + render_text(result.case, result.diagnosis))
