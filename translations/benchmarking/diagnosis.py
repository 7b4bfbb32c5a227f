"""Where the time of a slow case goes: its SQL, the plans of its slowest reads, its Python hotspots.

Two more runs of the case (fresh items for write cases, rolled back as
usual): one with every statement captured — the slowest statements, the
statement shapes that cost most in total (an N+1 shows as one shape run many
times), and ``EXPLAIN ANALYZE`` of the slowest SELECTs, run inside the
case's transaction so a write case's reads see the rows it wrote; one under
cProfile (which slows Python down, not the database).
"""

import cProfile
import io
import pstats
import re
import sys
from collections import defaultdict

from django.conf import settings
from django.db import connection

TOP_QUERIES = 8
TOP_SHAPES = 5
EXPLAINED = 3
PROFILE_LINES = 25
SQL_CHARS = 600

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_LIST = re.compile(r"\(\?(?:, \?)+\)")


def shape(sql: str) -> str:
    """The statement with its literals taken out, so repeats of one query group together."""
    return _LIST.sub("(…)", _NUMBER.sub("?", _STRING.sub("?", sql)))


def _clip(sql: str) -> str:
    return sql if len(sql) <= SQL_CHARS else sql[: SQL_CHARS - 1] + "…"


def explain(sql: str) -> list[str]:
    if connection.vendor == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) "
    elif connection.vendor == "sqlite":
        prefix = "EXPLAIN QUERY PLAN "
    else:
        return []
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return [" ".join(str(column) for column in row) for row in cursor.fetchall()]


def _short_paths(text: str) -> str:
    for prefix in sorted({*sys.path, str(settings.BASE_DIR)}, key=len, reverse=True):
        if prefix and prefix != "/":
            text = text.replace(prefix.rstrip("/") + "/", "")
    return text


def diagnose(runner, case, plan, client, index: int) -> dict:
    report: dict = {}

    def inspect(captured):
        queries = [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"]} for q in captured.captured_queries]
        report["statements"] = len(queries)
        report["sql_ms"] = round(sum(q["ms"] for q in queries), 1)
        slowest = sorted(queries, key=lambda q: q["ms"], reverse=True)
        report["slowest"] = [{"ms": q["ms"], "sql": _clip(q["sql"])} for q in slowest[:TOP_QUERIES]]
        shapes = defaultdict(lambda: [0, 0.0, ""])
        for q in queries:
            entry = shapes[shape(q["sql"])]
            entry[0] += 1
            entry[1] += q["ms"]
            entry[2] = entry[2] or q["sql"]
        report["shapes"] = [
            {"count": count, "ms": round(total, 1), "sql": _clip(key)}
            for key, (count, total, _) in sorted(shapes.items(), key=lambda item: item[1][1], reverse=True)[:TOP_SHAPES]
        ]
        report["explain"] = []
        for q in [q for q in slowest if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))][:EXPLAINED]:
            try:
                report["explain"].append({"ms": q["ms"], "sql": _clip(q["sql"]), "plan": explain(q["sql"])})
            except Exception as error:  # a plan we cannot get is reported, not fatal
                report["explain"].append({"ms": q["ms"], "sql": _clip(q["sql"]), "plan": [f"(no plan: {error})"]})

    elapsed, _, _ = runner.once(case, plan, client, index, capture=True, inspect=inspect)
    report["request_ms"] = round(elapsed * 1000, 1)
    profile = cProfile.Profile()
    elapsed, _, _ = runner.once(case, plan, client, index + 1, profile=profile)
    report["profiled_ms"] = round(elapsed * 1000, 1)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
    report["profile"] = _short_paths(out.getvalue())
    return report


def render_text(case: str, report: dict) -> str:
    if "error" in report:
        return f"== {case}: diagnosis failed: {report['error']}"
    lines = [
        f"== {case}: {report['request_ms']} ms with statements captured; {report['statements']} statements, "
        f"{report['sql_ms']} ms in the database ({report['profiled_ms']} ms under cProfile)",
        "-- slowest statements:",
        *(f"  {q['ms']:>9.2f} ms  {q['sql']}" for q in report["slowest"]),
        "-- costliest statement shapes (count × shape):",
        *(f"  {s['ms']:>9.1f} ms  {s['count']} × {s['sql']}" for s in report["shapes"]),
    ]
    for item in report["explain"]:
        lines.append(f"-- plan of the {item['ms']} ms statement: {item['sql'][:200]}")
        lines += [f"     {line}" for line in item["plan"]]
    lines += ["-- Python (cProfile):", report["profile"]]
    return "\n".join(lines)
