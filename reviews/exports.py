"""The audit trail as a file: hash-chained CSV or JSON Lines, and its verification.

Each exported event carries ``prev_hash`` (the hash of the event before it;
64 zeros for the first) and ``hash``::

    hash = sha256(prev_hash + canonical(fields without "hash")).hexdigest()
    canonical(f) = json.dumps(f, sort_keys=True, ensure_ascii=False, separators=(",", ":")), UTF-8

The fields are ``seq`` (1-based position in the file), the event's identity,
time, actor, kind, action, reason, scope and summary. Integers stay integers
and text stays text (an absent actor, project or document is ``""``, an
absent document id ``null``), so the canonical form, and therefore the chain,
is the same whichever format carries it: CSV and JSON Lines verify the same way.

The chain makes a file tamper-evident: changing, removing, inserting or
reordering an event breaks it at that event. It is not a signature: whoever
can rewrite the file can recompute the chain, so an auditor keeps the last
hash (printed by ``manage.py verify_audit_export`` and logged by the server
when the export finishes) apart from the file.

JSON Lines: the first line is a header (``interlinear_audit_export``,
``generated_at``, ``generated_by``, ``filters``, ``projects``), then one event
per line, then an end line with the event count and the last hash, so a file
cut short (a dropped download, lines removed from its end) fails to verify.

CSV: the first row names the columns, one row per event, UTF-8 with a byte
order mark (so spreadsheets read Korean correctly). Text cells are guarded
against formula injection: a cell beginning with ``= + - @``, tab, carriage
return, or the escape character ``'`` itself, is written with a leading
``'``. The hash covers the raw value; the verifier removes exactly one
leading ``'`` and refuses a cell that could not have been written that way
(say ``=1+1`` with no quote), so the escape is reversible and cannot hide an
edit. CSV has no room for an end line: the last hash is what proves the file
was not cut short.
"""

import csv
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
GENESIS = "0" * 64
CHUNK_SIZE = 2000
FLUSH_BYTES = 64 * 1024

COLUMNS = (
    "seq", "event_id", "at", "actor", "actor_name", "kind", "object_id", "action", "reason", "project",
    "document_id", "summary", "history_label", "history_id", "prev_hash", "hash",
)
INTEGER_COLUMNS = frozenset({"seq", "event_id", "object_id", "document_id", "history_id"})
ACTION_NAMES = {"+": "created", "~": "changed", "-": "deleted"}
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
FORMATS = tuple(CONTENT_TYPES)

_EVENT_VALUES = (
    "id", "at", "actor__username", "actor__first_name", "actor__last_name", "kind", "object_id", "action",
    "reason", "project__slug", "document_id", "summary", "history_label", "history_id",
)
# Cells a spreadsheet may read as a formula, and the escape character itself.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
# Characters that str.splitlines() and some readers take for line ends, escaped
# inside JSON strings so that one event stays one line (the parsed value, and
# so the hash, is unchanged).
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
_LINE_BREAKS_ESCAPED = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_CANONICAL_INTEGER = re.compile(r"(?:0|[1-9][0-9]*)\Z")


# --- The chain --------------------------------------------------------------


def canonical(fields: dict) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(record: dict) -> str:
    """The hash of one exported event: over its prev_hash and all its other fields."""
    fields = {name: value for name, value in record.items() if name != "hash"}
    return hashlib.sha256((str(record.get("prev_hash")) + canonical(fields)).encode("utf-8")).hexdigest()


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def event_rows(events) -> Iterator[tuple]:
    """The events oldest first, as value tuples with actor and project joined in,
    fetched in chunks: one query however many events, and flat memory."""
    return events.order_by("id").values_list(*_EVENT_VALUES).iterator(chunk_size=CHUNK_SIZE)


def chained_records(rows: Iterable[tuple]) -> Iterator[dict]:
    """Each event as an export record, seq numbered and hash chained."""
    prev_hash = GENESIS
    for seq, row in enumerate(rows, 1):
        (event_id, at, username, first_name, last_name, kind, object_id, action, reason, project, document_id,
         summary, history_label, history_id) = row
        record = {
            "seq": seq,
            "event_id": event_id,
            "at": iso_utc(at),
            "actor": username or "",
            "actor_name": f"{first_name or ''} {last_name or ''}".strip(),
            "kind": kind,
            "object_id": object_id,
            "action": ACTION_NAMES.get(action, action),
            "reason": reason or "",
            "project": project or "",
            "document_id": document_id,
            "summary": summary or "",
            "history_label": history_label,
            "history_id": history_id,
            "prev_hash": prev_hash,
        }
        record["hash"] = prev_hash = chain_hash(record)
        yield record


# --- Writing ------------------------------------------------------------------


@dataclass
class ExportHeader:
    generated_at: datetime
    generated_by: str
    filters: dict
    projects: list[str] | None  # None: every project (a site administrator's export)

    def as_json(self) -> dict:
        return {
            "interlinear_audit_export": FORMAT_VERSION,
            "generated_at": self.generated_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "generated_by": self.generated_by,
            "filters": self.filters,
            "projects": "all" if self.projects is None else self.projects,
            "order": "oldest first",
            "chain": "hash = sha256(prev_hash + canonical JSON of the event without hash); first prev_hash = 64 zeros",
        }

    def filename(self, fmt: str) -> str:
        return f"interlinear-audit-{self.generated_at.astimezone(UTC):%Y%m%d-%H%M%S}.{fmt}"


class _Echo:
    """A file-like object whose write() returns what it is given: csv.writer's
    rows become strings to stream, with no buffer growing behind them."""

    def write(self, value):
        return value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def _csv_lines(header: ExportHeader, records: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)
    for record in records:
        yield writer.writerow([csv_cell(record[name]) for name in COLUMNS])


def _json_line(value: dict) -> str:
    line = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (line.translate(_LINE_BREAKS_ESCAPED) if _LINE_BREAKS.search(line) else line) + "\n"


def _jsonl_lines(header: ExportHeader, records: Iterable[dict]) -> Iterator[str]:
    yield _json_line(header.as_json())
    count, last_hash = 0, GENESIS
    for record in records:
        count, last_hash = record["seq"], record["hash"]
        yield _json_line(record)
    yield _json_line({"interlinear_audit_export_end": FORMAT_VERSION, "events": count, "last_hash": last_hash})


def _logged(header: ExportHeader, fmt: str, records: Iterable[dict]) -> Iterator[dict]:
    """Pass records through, and log the count and last hash once all were read,
    so the server keeps the anchor that proves a file whole."""
    count, last_hash, finished = 0, GENESIS, False
    try:
        for record in records:
            count, last_hash = record["seq"], record["hash"]
            yield record
        finished = True
    finally:
        filters = json.dumps(header.filters, sort_keys=True)
        if finished:
            logger.info(
                "Audit export (%s) by %s with filters %s: %d events, last hash %s",
                fmt, header.generated_by, filters, count, last_hash,
            )
        else:
            logger.warning(
                "Audit export (%s) by %s with filters %s abandoned after %d events", fmt, header.generated_by,
                filters, count,
            )


def export_chunks(fmt: str, header: ExportHeader, events) -> Iterator[bytes]:
    """The export of `events` (an AuditEvent queryset) in `fmt`, as byte chunks of
    about 64 KiB, produced as the rows are read."""
    lines = {"csv": _csv_lines, "jsonl": _jsonl_lines}[fmt]
    records = _logged(header, fmt, chained_records(event_rows(events)))
    buffer, size = [], 0
    for line in lines(header, records):
        data = line.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= FLUSH_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


# --- Reading and verifying ----------------------------------------------------


class ExportMalformed(Exception):
    """The file is not a readable audit export; names the line at fault."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.message = f"line {line}: {message}" if line else message
        super().__init__(self.message)


@dataclass
class ChainBreak:
    seq: int
    event_id: object
    line: int
    problem: str

    def __str__(self):
        where = f"seq {self.seq} (event id {self.event_id}, line {self.line})" if self.event_id is not None else (
            f"line {self.line}, after seq {self.seq - 1}"
        )
        return f"chain broken at {where}: {self.problem}"


@dataclass
class Verification:
    format: str
    events: int
    last_hash: str
    broken: ChainBreak | None = None


def _decoded_lines(binary) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(binary, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ExportMalformed(f"not UTF-8 (byte {error.start + 1} of the line).", number) from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text


def _field_problems(found, noun: str) -> str:
    """'' when `found` names exactly the export's columns, else what is wrong."""
    missing = [name for name in COLUMNS if name not in found]
    unknown = [name for name in found if name not in COLUMNS]
    problems = [f"missing {noun} {', '.join(missing)}"] if missing else []
    problems += [f"unknown {noun} {', '.join(unknown)}"] if unknown else []
    if not problems and len(found) != len(COLUMNS):
        problems.append(f"a {noun[:-1]} is named twice")
    return "; ".join(problems)


def _jsonl_records(binary) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each line after the header; the end line is
    yielded too, for the chain walk to check."""
    header_seen = False
    for number, text in _decoded_lines(binary):
        if not text.strip():
            raise ExportMalformed("empty line.", number)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as error:
            detail = f" ({error.msg} at column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
            raise ExportMalformed(f"not valid JSON{detail}.", number) from None
        if not isinstance(value, dict):
            raise ExportMalformed("not a JSON object.", number)
        if not header_seen:
            if value.get("interlinear_audit_export") != FORMAT_VERSION:
                raise ExportMalformed("not an Interlinear audit export header.", number)
            header_seen = True
            continue
        if "interlinear_audit_export_end" not in value and (problems := _field_problems(list(value), "fields")):
            raise ExportMalformed(problems + ".", number)
        yield number, value
    if not header_seen:
        raise ExportMalformed("the file is empty.")


_UNWRITABLE = "\x00unwritable"  # the cells of a CSV row that the exporter could not have written


def _csv_value(name: str, cell: str):
    """The raw value a CSV cell was written from; ValueError for a cell the
    exporter could not have produced (an unescaped formula, a number with a
    leading zero): the escape is reversed exactly, so it cannot hide an edit."""
    if name in INTEGER_COLUMNS:
        if cell == "" and name == "document_id":
            return None
        if _CANONICAL_INTEGER.match(cell):
            return int(cell)
    elif cell.startswith("'"):
        if cell[1:].startswith(_FORMULA_TRIGGERS):
            return cell[1:]
    elif not cell.startswith(_FORMULA_TRIGGERS):
        return cell
    raise ValueError(cell)


def _csv_record(columns, row) -> dict:
    record, unwritable = {}, []
    for name, cell in zip(columns, row):
        try:
            record[name] = _csv_value(name, cell)
        except ValueError:
            record[name] = cell
            unwritable.append(name)
    if unwritable:
        record[_UNWRITABLE] = unwritable
    return record


@contextmanager
def _csv_field_limit(limit: int):
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv_records(binary) -> Iterator[tuple[int, dict]]:
    """(line number where the row starts, record) for each event row."""
    physical = {"line": 0}

    def text():
        for number, line in _decoded_lines(binary):
            physical["line"] = number
            yield line

    reader = csv.reader(text(), strict=True)
    start = 1
    try:
        columns = next(reader, None)
        if columns is None:
            raise ExportMalformed("the file is empty.")
        if problems := _field_problems(columns, "columns"):
            raise ExportMalformed(problems + ".", 1)
        start = physical["line"] + 1
        for row in reader:
            if not row:
                raise ExportMalformed("empty line.", start)
            if len(row) != len(columns):
                raise ExportMalformed(f"{len(row)} cells where the header names {len(columns)}.", start)
            yield start, _csv_record(columns, row)
            start = physical["line"] + 1
    except csv.Error as error:
        raise ExportMalformed(f"not valid CSV ({error}).", start) from None


def detect_format(path: Path, first_bytes: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "jsonl" if first_bytes.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{" else "csv"


def verify_records(records: Iterable[tuple[int, dict]], *, expect_end: bool) -> tuple[int, str, ChainBreak | None]:
    """Walk the chain; return (events, last hash, first break or None)."""
    prev_hash, count, ended, line = GENESIS, 0, None, 1
    for line, record in records:
        if "interlinear_audit_export_end" in record:
            if ended is not None:
                return count, prev_hash, ChainBreak(count + 1, None, line, "a second end line.")
            ended = (line, record)
            continue
        if ended is not None:
            return count, prev_hash, ChainBreak(count + 1, record.get("event_id"), line, "an event after the end line.")
        expected = count + 1
        event_id = record.get("event_id")
        if record.get("seq") != expected:
            return count, prev_hash, ChainBreak(
                expected, event_id, line,
                f"seq is {record.get('seq')!r} where {expected} was expected: an event was removed, inserted or moved.",
            )
        if record.get("prev_hash") != prev_hash:
            return count, prev_hash, ChainBreak(
                expected, event_id, line,
                "prev_hash is not the hash of the event before it: an event was removed, inserted or moved.",
            )
        if record.get(_UNWRITABLE):
            return count, prev_hash, ChainBreak(
                expected, event_id, line,
                f"the {', '.join(record[_UNWRITABLE])} cell could not have been written by the exporter "
                "(a formula without its ' escape, or a malformed number): the event was altered.",
            )
        recomputed = chain_hash(record)
        if record.get("hash") != recomputed:
            return count, prev_hash, ChainBreak(
                expected, event_id, line,
                f"hash {str(record.get('hash'))[:16]}… does not match its fields (recomputed {recomputed[:16]}…): "
                "the event was altered.",
            )
        prev_hash, count = recomputed, expected
    if expect_end:
        if ended is None:
            return count, prev_hash, ChainBreak(
                count + 1, None, line + 1,
                "the file ends without its end line: the export was cut short or lines were removed.",
            )
        line, end = ended
        if end.get("events") != count or end.get("last_hash") != prev_hash:
            return count, prev_hash, ChainBreak(
                count + 1, None, line,
                f"the end line records {end.get('events')!r} events ending in hash {str(end.get('last_hash'))[:16]}…, "
                f"but the file holds {count} ending in {prev_hash[:16]}…: events were removed from the end.",
            )
    return count, prev_hash, None


def verify_export(path) -> Verification:
    """Recompute the chain of an exported file. Raises ExportMalformed for a file
    that cannot be read as an export, and OSError when it cannot be opened."""
    path = Path(path)
    with path.open("rb") as binary:
        fmt = detect_format(path, binary.read(8))
        binary.seek(0)
        if fmt == "csv":
            with _csv_field_limit(64 * 1024 * 1024):
                events, last_hash, broken = verify_records(_csv_records(binary), expect_end=False)
        else:
            events, last_hash, broken = verify_records(_jsonl_records(binary), expect_end=True)
    return Verification(format=fmt, events=events, last_hash=last_hash, broken=broken)
