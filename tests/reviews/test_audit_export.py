"""The audit trail as a hash-chained download (CSV, JSON Lines), its verifier,
and the per-person audit report."""

import csv
import io
import json
import re
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.signals import request_finished
from django.db import DatabaseError, close_old_connections, connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from reviews import exports
from reviews.models import AuditEvent
from reviews.selectors.audit import audit_events
from reviews.services import comment_create, review_record
from reviews.views.audit_export import audit_export
from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.history import bulk_create_tracked
from translations.models import Role, Segment
from translations.texts import source_fingerprint

BASE_DIR = Path(__file__).resolve().parents[2]


# --- helpers ------------------------------------------------------------------


def export(client, user, fmt, **filters) -> bytes:
    client.force_login(user)
    response = client.get(reverse("audit_export", args=[fmt]), filters)
    assert response.status_code == 200, response
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def jsonl(data: bytes) -> tuple[dict, list[dict], dict]:
    header, *events, end = [json.loads(line) for line in data.decode("utf-8").split("\n")[:-1]]
    return header, events, end


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def verify(tmp_path, data: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    call_command("verify_audit_export", str(path), stdout=out)
    return out.getvalue()


def verify_fails(tmp_path, data: bytes, name: str) -> str:
    with pytest.raises(CommandError) as failure:
        verify(tmp_path, data, name)
    return str(failure.value)


def trail_ids(client, user, **filters) -> list[int]:
    client.force_login(user)
    response = client.get(reverse("audit_trail"), filters)
    assert response.status_code == 200
    assert response.context["next_before"] is None, "the scenario must fit on one page of the trail"
    return [event.pk for event in response.context["events"]]


@pytest.fixture
def activity(project, document, people):
    """Material, decisions and comments in the project; one comment a
    spreadsheet would read as a formula, one starting with the escape character."""
    first, second = document.segments.order_by("position")[:2]
    translation = services.translation_create(segment=first, user=people["translator"], language="en", text="The first line.")
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="request_changes", comment="Tense?")
    translation = services.translation_edit(
        translation=translation, user=people["translator"], base_version=1, text="This is the first line."
    )
    review_record(translation=translation, reviewer=people["reviewer"], version=2, decision="approve")
    services.translation_create(segment=second, user=people["translator2"], language="en", text="The second line.")
    comment_create(user=people["reviewer"], segment=first, body="=HYPERLINK(\"http://example.org\",\"x\")")
    comment_create(user=people["translator"], segment=second, body="'quoted' as in the original, 둘째")
    return translation


@pytest.fixture
def other_project(admin_user, people):
    """A second project with its own auditor, and material of its own."""
    auditor_b = UserFactory(username="auditor-b")
    other = make_project(admin_user, slug="other-project", members={people["outsider"]: Role.MANAGER, auditor_b: Role.AUDITOR})
    document = make_document(other, people["outsider"], title="Their notebook")
    services.translation_create(
        segment=document.segments.first(), user=people["outsider"], language="en", text="Not yours to see."
    )
    return other


# --- what the export holds ------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"project": "recovered-notes"},
        {"kind": "translation"},
        {"actor": "translator", "action": "created"},
        {"q": "first line"},
        {"kind": "review", "action": "bogus"},  # an unknown action is dropped, as on the trail
    ],
    ids=["none", "project", "kind", "actor-action", "text", "invalid-action"],
)
@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_the_export_holds_exactly_the_events_the_trail_shows(client, activity, other_project, people, admin_user, filters, who):
    user = admin_user if who == "admin" else people["auditor"]
    shown = trail_ids(client, user, **filters)
    assert shown, "every filter here matches something"
    _, events, end = jsonl(export(client, user, "jsonl", **filters))
    assert [e["event_id"] for e in events] == sorted(shown), "oldest first, the same events"
    assert [row["event_id"] for row in csv_rows(export(client, user, "csv", **filters))] == [str(i) for i in sorted(shown)]
    assert end["events"] == len(shown)


def test_each_event_carries_its_identity_actor_scope_and_chain(client, activity, people, project, document):
    data = export(client, people["auditor"], "jsonl", project="recovered-notes", kind="translation", action="created")
    header, events, end = jsonl(data)
    assert header["interlinear_audit_export"] == 1
    assert header["generated_by"] == "auditor"
    assert header["filters"] == {"project": "recovered-notes", "kind": "translation", "action": "created"}
    assert header["projects"] == ["recovered-notes"]
    first = events[0]
    event = AuditEvent.objects.select_related("actor").get(pk=first["event_id"])
    translator = people["translator"]
    assert first == {
        "seq": 1,
        "event_id": event.pk,
        "at": event.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": "translator",
        "actor_name": f"{translator.first_name} {translator.last_name}",
        "kind": "translation",
        "object_id": event.object_id,
        "action": "created",
        "reason": "Submitted candidate",
        "project": "recovered-notes",
        "document_id": document.pk,
        "summary": "en v1 [submitted]: The first line.",
        "history_label": "translations.translation",
        "history_id": event.history_id,
        "prev_hash": "0" * 64,
        "hash": first["hash"],
    }
    assert re.fullmatch(r"[0-9a-f]{64}", first["hash"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:]))
    assert end == {"interlinear_audit_export_end": 1, "events": len(events), "last_hash": events[-1]["hash"]}


def test_both_formats_carry_the_same_chain_and_name_the_file(client, activity, people):
    client.force_login(people["manager"])
    for fmt, content_type in (("csv", "text/csv"), ("jsonl", "application/jsonl")):
        response = client.get(reverse("audit_export", args=[fmt]))
        assert response["Content-Type"].startswith(content_type)
        assert re.fullmatch(
            rf'attachment; filename="interlinear-audit-\d{{8}}-\d{{6}}\.{fmt}"', response["Content-Disposition"]
        )
    _, events, _ = jsonl(export(client, people["manager"], "jsonl"))
    rows = csv_rows(export(client, people["manager"], "csv"))
    assert list(rows[0]) == list(exports.COLUMNS)
    assert [row["hash"] for row in rows] == [e["hash"] for e in events]


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped_but_hashed_raw(client, activity, people, tmp_path):
    data = export(client, people["auditor"], "csv", kind="comment")
    formula, quoted = csv_rows(data)
    assert formula["summary"] == "'=HYPERLINK(\"http://example.org\",\"x\")"
    assert quoted["summary"] == "''quoted' as in the original, 둘째"
    assert "OK: 2 events" in verify(tmp_path, data, "comments.csv")
    _, events, _ = jsonl(export(client, people["auditor"], "jsonl", kind="comment"))
    assert events[0]["summary"] == "=HYPERLINK(\"http://example.org\",\"x\")"
    assert [row["hash"] for row in csv_rows(data)] == [e["hash"] for e in events]
    # Removing the escape makes a cell the exporter could not have written: refused.
    unescaped = data.replace(b"'=HYPERLINK", b"=HYPERLINK", 1)
    assert "seq 1 " in verify_fails(tmp_path, unescaped, "unescaped.csv")
    assert "summary cell could not have been written" in verify_fails(tmp_path, unescaped, "unescaped.csv")


AWKWARD = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx", "'", "''=", "a\u2028b\x85c", "x\r\ny", 'a " and ,', "둘째", ""]


def test_awkward_text_round_trips_through_both_formats(tmp_path, monkeypatch):
    """Formula-like cells, the escape character, line breaks of every kind,
    quotes, commas and Hangul: both files verify and carry the same chain."""
    at = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    rows = [
        (i + 1, at, text, text, "", "comment", 7, "~", text, text, None if i % 2 else 3, text, "reviews.comment", 40 + i)
        for i, text in enumerate(AWKWARD)
    ]
    monkeypatch.setattr(exports, "event_rows", lambda events: iter(rows))
    header = exports.ExportHeader(generated_at=at, generated_by="auditor", filters={"q": "\u2028"}, projects=None)
    files = {fmt: b"".join(exports.export_chunks(fmt, header, None)) for fmt in exports.FORMATS}

    assert len(files["jsonl"].decode().splitlines()) == len(AWKWARD) + 2, "one event, one line, for any reader"
    _, events, _ = jsonl(files["jsonl"])
    assert [e["reason"] for e in events] == AWKWARD and events[0]["at"] == "2025-03-01T12:00:00.123456Z"
    assert [e["document_id"] for e in events[:2]] == [3, None]
    rows = csv_rows(files["csv"])
    assert [row["hash"] for row in rows] == [e["hash"] for e in events]
    assert [row["summary"][:1] for row in rows[:8]] == ["'"] * 8 and rows[11]["summary"] == "둘째"
    for fmt, data in files.items():
        assert f"OK: {len(AWKWARD)} events" in verify(tmp_path, data, f"awkward.{fmt}")


# --- the verifier ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_untouched_export_verifies_and_names_its_last_hash(client, activity, people, tmp_path, fmt):
    data = export(client, people["auditor"], fmt)
    _, events, _ = jsonl(export(client, people["auditor"], "jsonl"))
    assert verify(tmp_path, data, f"trail.{fmt}").strip() == (
        f"OK: {len(events)} events, chain intact, last hash {events[-1]['hash']}"
    )


def _flip_last_byte_of(line: bytes, fmt: str, field: str, value) -> bytes:
    """The line with one byte changed: the last byte of `field`'s value."""
    if fmt == "jsonl":
        key = f'"{field}":'.encode()
        start = line.index(key) + len(key) + (1 if isinstance(value, str) else 0)
    elif field == "event_id":
        start = line.index(b",") + 1
    else:
        encoded = str(value).encode()
        assert line.count(encoded) == 1, "the value must be unique in its line"
        start = line.index(encoded)
    position = start + len(str(value).encode()) - 1
    old = line[position]
    new = ord("0") + (old - ord("0") + 1) % 10 if chr(old).isdigit() else (ord("a") if old != ord("a") else ord("b"))
    return line[:position] + bytes([new]) + line[position + 1 :]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("field", ["event_id", "at", "actor", "reason", "summary", "hash"])
def test_changing_one_byte_of_an_event_breaks_the_chain_at_that_event(client, activity, people, tmp_path, fmt, field):
    data = export(client, people["auditor"], fmt)
    _, events, _ = jsonl(export(client, people["auditor"], "jsonl"))
    target = next(e for e in events if e["kind"] == "translation" and e["actor"] == "translator")
    assert target["seq"] > 3
    lines = data.split(b"\n")
    index = target["seq"]  # line 0 is the header in both formats
    changed = _flip_last_byte_of(lines[index], fmt, field, target[field])
    assert len(changed) == len(lines[index]) and sum(a != b for a, b in zip(changed, lines[index])) == 1
    lines[index] = changed
    message = verify_fails(tmp_path, b"\n".join(lines), f"tampered.{fmt}")
    assert f"chain broken at seq {target['seq']} (event id " in message and f"line {index + 1})" in message
    assert "the event was altered" in message
    assert "OK: " in verify(tmp_path, data, f"untouched.{fmt}")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("change", ["delete-first", "delete-middle", "swap", "duplicate"])
def test_removing_reordering_or_repeating_an_event_breaks_the_chain(client, activity, people, tmp_path, fmt, change):
    data = export(client, people["auditor"], fmt)
    lines = data.split(b"\n")
    if change == "delete-first":
        del lines[1]
        expected_seq = 1
    elif change == "delete-middle":
        del lines[5]
        expected_seq = 5
    elif change == "swap":
        lines[4], lines[5] = lines[5], lines[4]
        expected_seq = 4
    else:
        lines.insert(6, lines[5])
        expected_seq = 6
    message = verify_fails(tmp_path, b"\n".join(lines), f"changed.{fmt}")
    assert f"chain broken at seq {expected_seq} " in message
    assert "removed, inserted or moved" in message


def test_a_jsonl_export_cut_short_fails_and_a_csv_one_shows_another_last_hash(client, activity, people, tmp_path):
    data = export(client, people["auditor"], "jsonl")
    _, events, _ = jsonl(data)
    lines = data.rstrip(b"\n").split(b"\n")
    without_last_event = b"\n".join(lines[:-2] + lines[-1:]) + b"\n"
    assert "events were removed from the end" in verify_fails(tmp_path, without_last_event, "short.jsonl")
    cut = b"\n".join(lines[:-1]) + b"\n"
    assert "ends without its end line" in verify_fails(tmp_path, cut, "cut.jsonl")
    # CSV has no end line: a file cut short is consistent, but its last hash is not the exporter's.
    rows = export(client, people["auditor"], "csv").rstrip(b"\r\n").split(b"\r\n")
    output = verify(tmp_path, b"\r\n".join(rows[:-1]) + b"\r\n", "short.csv")
    assert f"OK: {len(events) - 1} events" in output and events[-1]["hash"] not in output
    assert events[-2]["hash"] in output


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.jsonl", b"", "the file is empty"),
        ("empty.csv", b"", "the file is empty"),
        ("latin1.csv", (",".join(exports.COLUMNS) + "\r\ncaf\xe9\r\n").encode("latin-1"), "line 2: not UTF-8"),
        ("latin1.jsonl", b'{"interlinear_audit_export": 1}\n{"seq": "caf\xe9"}\n', "line 2: not UTF-8"),
        ("columns.csv", b"seq,event_id,at\r\n1,2,3\r\n", "line 1: missing columns actor, actor_name"),
        ("header.jsonl", b'{"seq": 1}\n', "line 1: not an Interlinear audit export header"),
        ("broken.jsonl", b'{"interlinear_audit_export": 1}\n{"seq": 1,\n', "line 2: not valid JSON"),
        ("array.jsonl", b'{"interlinear_audit_export": 1}\n[1, 2]\n', "line 2: not a JSON object"),
        ("fields.jsonl", b'{"interlinear_audit_export": 1}\n{"seq": 1}\n', "line 2: missing fields event_id"),
        ("blank.jsonl", b'{"interlinear_audit_export": 1}\n\n', "line 2: empty line"),
        ("deep.jsonl", b'{"interlinear_audit_export": 1}\n' + b"[" * 100_000 + b"\n", "line 2: not valid JSON"),
    ],
)
def test_a_malformed_file_gets_a_message_naming_the_line(tmp_path, name, content, expected):
    assert expected in verify_fails(tmp_path, content, name)


def test_malformed_csv_rows_are_named_by_line(client, activity, people, tmp_path):
    rows = export(client, people["auditor"], "csv").split(b"\r\n")
    rows[3] = rows[3].rsplit(b",", 1)[0]
    assert "line 4: 15 cells where the header names 16" in verify_fails(tmp_path, b"\r\n".join(rows), "short-row.csv")
    rows = export(client, people["auditor"], "csv").split(b"\r\n")
    rows[2] = b'1,"unterminated'
    assert "line 3" in verify_fails(tmp_path, b"\r\n".join(rows), "quote.csv")


def test_a_missing_file_is_a_message(tmp_path):
    assert "Cannot read" in verify_fails_path(tmp_path / "nothing.jsonl")
    assert "is a directory" in verify_fails_path(tmp_path)


def verify_fails_path(path) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_export", str(path))
    return str(failure.value)


def test_the_format_is_read_from_the_content_when_the_name_says_nothing(client, activity, people, tmp_path):
    assert "OK:" in verify(tmp_path, export(client, people["auditor"], "jsonl"), "download")
    assert "OK:" in verify(tmp_path, export(client, people["auditor"], "csv"), "download.txt")


def test_the_command_exits_1_without_a_traceback(tmp_path):
    """Run as an operator runs it: exit status and output, not an exception."""
    good = tmp_path / "good.jsonl"
    good.write_bytes(
        b'{"interlinear_audit_export":1}\n{"events":0,"interlinear_audit_export_end":1,"last_hash":"' + b"0" * 64 + b'"}\n'
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"interlinear_audit_export":1}\n{oops\n')

    def run(path):
        return subprocess.run(
            [sys.executable, "manage.py", "verify_audit_export", str(path)], cwd=BASE_DIR, capture_output=True,
            text=True, timeout=60,
        )

    ok, broken = run(good), run(bad)
    assert ok.returncode == 0 and ok.stdout.strip() == f"OK: 0 events, chain intact, last hash {'0' * 64}"
    assert broken.returncode == 1 and "line 2: not valid JSON" in broken.stderr
    assert "Traceback" not in broken.stderr


# --- who may export -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_auditor_of_one_project_gets_nothing_of_another(client, activity, other_project, people, fmt):
    theirs = set(AuditEvent.objects.filter(project=other_project).values_list("id", flat=True))
    assert theirs
    for filters in ({}, {"project": "other-project"}):
        data = export(client, people["auditor"], fmt, **filters)
        rows = jsonl(data)[1] if fmt == "jsonl" else csv_rows(data)
        assert not theirs & {int(row["event_id"]) for row in rows}
        assert {row["project"] for row in rows} <= {"recovered-notes"}
        assert b"Not yours to see" not in data
    own = jsonl(export(client, UserFactory(username="auditor-b"), "jsonl"))[1]
    assert {e["event_id"] for e in own} == theirs


@pytest.mark.parametrize("role", ["translator", "reviewer", "outsider"])
def test_members_without_the_audit_role_are_refused(client, activity, people, role):
    client.force_login(people[role])
    for fmt in ("csv", "jsonl"):
        assert client.get(reverse("audit_export", args=[fmt])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, activity):
    response = client.get(reverse("audit_export", args=["csv"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("fmt", ["xml", "json", "CSV", "csv.gz"])
def test_other_formats_are_not_found(client, activity, people, fmt):
    client.force_login(people["auditor"])
    assert client.get(reverse("audit_export", args=[fmt])).status_code == 404


# --- streaming ------------------------------------------------------------------


def _import_segments(document, user, count, offset=0):
    """`count` segments in one bulk write: as many history rows and audit events."""
    bulk_create_tracked(
        (
            Segment(document=document, position=offset + i, source_text=f"줄 {i}", source_hash=source_fingerprint(f"줄 {i}"))
            for i in range(count)
        ),
        user=user,
        reason="Bulk import of a transcription",
        batch_size=1000,
    )


def _stream(client, fmt, *, measure_memory=False) -> tuple[int, int, int]:
    """Download an export chunk by chunk; (bytes, chunks, peak traced bytes)."""
    response = client.get(reverse("audit_export", args=[fmt]))
    assert isinstance(response, StreamingHttpResponse)
    if measure_memory:
        tracemalloc.start()
    size = chunks = 0
    for chunk in response.streaming_content:
        size, chunks = size + len(chunk), chunks + 1
    peak = 0
    if measure_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return size, chunks, peak


def test_ten_thousand_events_stream_in_a_few_queries_and_flat_memory(
    client, project, document, people, django_assert_max_num_queries, tmp_path
):
    _import_segments(document, people["manager"], 10_000, offset=10)
    expected = audit_events(people["auditor"], {}).count()
    assert expected > 10_000
    client.force_login(people["auditor"])
    sizes, peaks = {}, {}
    for fmt in ("jsonl", "csv"):
        started = time.perf_counter()
        with django_assert_max_num_queries(12):
            sizes[fmt], chunks, _ = _stream(client, fmt)
        seconds = time.perf_counter() - started
        _, _, peaks[fmt] = _stream(client, fmt, measure_memory=True)
        print(f"\n{fmt}: {expected} events, {sizes[fmt] / 1e6:.1f} MB in {chunks} chunks, {seconds:.2f} s, "
              f"peak traced memory {peaks[fmt] / 1e6:.2f} MB")
        assert chunks >= sizes[fmt] // exports.FLUSH_BYTES > 20, "sent as it is produced, not as one body"

    # Twice the events: twice the output, the same memory (rows are held one chunk at a time).
    _import_segments(document, people["manager"], 10_000, offset=20_000)
    for fmt in ("jsonl", "csv"):
        with django_assert_max_num_queries(12):
            size_twice, _, peak_twice = _stream(client, fmt, measure_memory=True)
        print(f"{fmt}: {expected + 10_000} events, {size_twice / 1e6:.1f} MB, peak traced memory {peak_twice / 1e6:.2f} MB")
        assert size_twice > 1.9 * sizes[fmt]
        assert peak_twice < 1.25 * peaks[fmt] + 256 * 1024

    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(client.get(reverse("audit_export", args=["jsonl"])).streaming_content))
    assert f"OK: {expected + 10_000} events" in verify(tmp_path, path.read_bytes(), "big.jsonl")


def test_a_download_abandoned_midway_releases_its_cursor(rf, project, document, people, caplog):
    _import_segments(document, people["manager"], 1_000)
    request = rf.get(reverse("audit_export", args=["jsonl"]))
    request.user = people["auditor"]
    response = audit_export(request, "jsonl")
    first = next(iter(response.streaming_content))
    assert first.startswith(b'{"interlinear_audit_export":1,') and len(first) >= exports.FLUSH_BYTES
    # What the server does when the client goes away (keeping the test's connection open).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert "abandoned after" in caplog.text
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors")
            assert cursor.fetchone()[0] == 0


def test_a_database_error_is_an_error_response_not_a_download_cut_short(client, activity, people, monkeypatch):
    def failing_rows(events):
        raise DatabaseError("the database went away")
        yield

    monkeypatch.setattr(exports, "event_rows", failing_rows)
    client.force_login(people["auditor"])
    client.raise_request_exception = False
    response = client.get(reverse("audit_export", args=["csv"]))
    assert response.status_code == 500 and not response.streaming


@pytest.mark.parametrize("name", ["audit_trail", "audit_export"])
def test_an_impossible_date_filter_is_dropped_not_a_500(client, activity, people, name):
    client.force_login(people["auditor"])
    url = reverse(name, args=["csv"]) if name == "audit_export" else reverse(name)
    assert client.get(url, {"since": "2025-02-30"}).status_code == 200


@pytest.mark.parametrize("value", ["9" * 30, "²", "-1", "1e3"], ids=["too-large", "superscript-digit", "negative", "float"])
@pytest.mark.parametrize("name", ["audit_trail", "audit_export"])
def test_a_document_filter_that_is_no_id_is_not_a_500(client, activity, people, name, value):
    client.force_login(people["auditor"])
    url = reverse(name, args=["csv"]) if name == "audit_export" else reverse(name)
    assert client.get(url, {"document": value}).status_code == 200


# --- the audit report -----------------------------------------------------------


def report(**options) -> str:
    out = io.StringIO()
    call_command("audit_report", stdout=out, **options)
    return out.getvalue()


def table(text: str) -> dict[str, dict[str, int]]:
    lines = text.splitlines()
    columns = lines[lines.index(next(line for line in lines if line.startswith("actor")))].split()[1:-1]
    rows = {}
    for line in lines:
        parts = line.split()
        cells = parts[1 : len(columns) + 1]
        if len(parts) > len(columns) and all(p.isdigit() or p == "-" for p in cells):
            rows[parts[0]] = dict(zip(columns, (int(p) if p.isdigit() else None for p in cells)))
    return rows


def test_the_report_counts_what_each_person_did_including_an_override(project, document, people, admin_user):
    first, second, third = document.segments.order_by("position")
    t1 = services.translation_create(segment=first, user=people["translator"], language="en", text="The first line.")
    review_record(translation=t1, reviewer=people["reviewer"], version=1, decision="request_changes", comment="Tense?")
    t1 = services.translation_edit(translation=t1, user=people["translator"], base_version=1, text="This is the first line.")
    review_record(translation=t1, reviewer=people["reviewer"], version=2, decision="reject", comment="Still wrong.")
    review_record(translation=t1, reviewer=people["reviewer2"], version=2, decision="approve")  # against the rejection
    t2 = services.translation_create(segment=second, user=people["translator2"], language="en", text="The second line.")
    review_record(translation=t2, reviewer=people["reviewer"], version=1, decision="approve")
    review_record(translation=t2, reviewer=people["reviewer2"], version=1, decision="approve")  # agrees: no override
    comment_create(user=people["reviewer"], segment=first, body="Tense agreed with @translator.")
    comment_create(user=people["translator"], segment=first, body="Thanks.")
    services.segment_edit(segment=third, user=people["manager"], base_version=1, source_text="셋째 줄.")

    today = timezone.localdate().isoformat()
    text = report(project="recovered-notes", since=today)
    rows = table(text)
    assert {k: rows["translator"][k] for k in ("versions", "segments", "source", "comments", "approve", "overrides")} == {
        "versions": 2, "segments": 1, "source": 0, "comments": 1, "approve": 0, "overrides": 0
    }
    assert (rows["translator2"]["versions"], rows["translator2"]["segments"]) == (1, 1)
    assert {k: rows["reviewer"][k] for k in ("approve", "changes", "reject", "comments", "overrides", "versions")} == {
        "approve": 1, "changes": 1, "reject": 1, "comments": 1, "overrides": 0, "versions": 0
    }
    assert {k: rows["reviewer2"][k] for k in ("approve", "changes", "reject", "overrides")} == {
        "approve": 2, "changes": 0, "reject": 0, "overrides": 1
    }
    # The manager transcribed three segments (make_document) and corrected one.
    assert (rows["manager"]["source"], rows["manager"]["segments"], rows["manager"]["versions"]) == (4, 3, 0)
    assert rows["total"]["overrides"] == 1 and rows["total"]["approve"] == 3
    override = next(line for line in text.splitlines() if "reviewer2: approve of translation" in line)
    assert re.search(rf"reviewer2: approve of translation #{t1.pk} v2, against reject by reviewer \(", override)
    assert "request changes" not in override, "a decision on version 1 no longer stands once version 2 is out"
    assert f"{people['reviewer2'].get_full_name()}" in text
    assert rows["total"]["events"] == AuditEvent.objects.filter(project=project).count()


def test_the_report_covers_only_its_period(project, document, people):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "Nobody did anything recorded" in report(project="recovered-notes", since=tomorrow, until=tomorrow)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"project": "no-such-project", "since": "2025-01-01"}, "No project has the slug 'no-such-project'"),
        ({"project": "recovered-notes", "since": "yesterday"}, "--since must be a date written YYYY-MM-DD"),
        ({"project": "recovered-notes", "since": "2025-02-30"}, "--since must be a date written YYYY-MM-DD"),
        ({"project": "recovered-notes", "since": "2025-01-01", "until": "01/02/2025"}, "--until must be a date"),
        ({"project": "recovered-notes", "since": "2025-03-01", "until": "2025-02-01"}, "is before --since"),
    ],
)
def test_the_report_refuses_bad_options_with_a_clear_message(project, options, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        report(**options)
