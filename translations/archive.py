"""A whole project as one zip archive, to move it between instances (issue "Interchange", item 5).

``export_archive`` writes a project, everything in it and the full history of
all of it; ``import_archive`` restores it, into another instance (SQLite to
PostgreSQL and back) or into the same one under a new address, with the same
field values and the same history — dates, users, reasons, types and order.
Primary keys are remapped, since the target may already hold rows: every
reference, in rows and in history rows alike, follows its row to its new id.

Layout (format 1). Each ``.jsonl`` member holds one JSON object per line,
keyed by field name::

    manifest.json              format, app commit, created_at, the project; per table
                               its member, row count and fields; per member its size and SHA-256
    users.jsonl                each user a row or history row names: username, names,
                               e-mail, is_active (never a password hash)
    rows/<app.model>.jsonl     the current rows, in primary-key order
    history/<app.model>.jsonl  every history row, in history_id order
    media/<storage name>       page images, originals and display copies, byte for byte

A reference to a user is the username; a reference to another row is that
row's id in the source. A page image file is referred to by its storage name.
A webhook's signing secret is not archived (nor in its history): an imported
hook gets a new one, which a manager shows and hands to the receiver.

Import is all or nothing (invariant 8). The archive is checked whole before
anything is loaded: member names (no paths out of the archive), sizes
(declared uncompressed sizes under a limit, so a zip bomb is refused unread),
the manifest, and the SHA-256 of every member. Loading is one transaction; any
fault raises ``ImportRejected`` naming the member and line, the transaction
rolls back and the image files stored so far are removed.

An import writes no history of its own: the archived history is restored with
the rows it describes, so every row still matches its latest history row
(invariant 1, ``verify_history``), and the import refuses an archive whose
rows do not. Current rows are inserted as they are, as ``loaddata`` saves
them (no ``auto_now`` stamping, no signals, so simple-history adds nothing);
history rows go in with the historical model's ``bulk_create``, in their
original order, and are indexed into the audit trail. The one exception is a
new address (``--slug``): the rename is a change, recorded as one history row.
"""

import hashlib
import itertools
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connections, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .exceptions import DomainError
from .history import save_tracked, system_user
from .models import Document, DocumentImage, Membership, Project, Segment, Translation

FORMAT = "interlinear-project-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
USERS = "users.jsonl"
USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active")
HISTORY_FIELDS = ("history_id", "history_date", "history_type", "history_change_reason", "history_user")
FILE_FIELDS = ("original", "display")
BATCH = 1000
MiB = 1024 * 1024
MAX_LINE_BYTES = 16 * MiB
MAX_MANIFEST_BYTES = 64 * MiB
MAX_MEDIA_BYTES = 512 * MiB
MAX_MEMBERS = 1_000_000
DEFAULT_MAX_BYTES = 20 * 1024 * MiB  # total uncompressed; settings.INTERLINEAR_ARCHIVE_MAX_BYTES overrides
_SAFE_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


class ExportFailed(DomainError):
    pass


class ImportRejected(DomainError):
    """The archive cannot be imported as it is; nothing was written."""


# --- What a project consists of ---------------------------------------------


@dataclass(frozen=True)
class Table:
    """One tracked model of a project: ``scope`` leads from a row to its project,
    ``parent`` names the reference whose history scopes this model's history."""

    model: type
    scope: str
    parent: str | None
    # (field, maker) of values never archived (a webhook's signing secret): an import makes new ones.
    private: tuple[tuple[str, object], ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def history(self):
        return self.model.history.model

    @property
    def rows_member(self) -> str:
        return f"rows/{self.label}.jsonl"

    @property
    def history_member(self) -> str:
        return f"history/{self.label}.jsonl"

    def row_columns(self) -> list["Column"]:
        private = {name for name, _ in self.private}
        return [_column(self.model, f, self.label) for f in self.model._meta.concrete_fields if f.name not in private]

    def history_columns(self) -> list["Column"]:
        names = [*HISTORY_FIELDS, *(f.name for f in self.history.tracked_fields)]
        return [_column(self.history, self.history._meta.get_field(name), self.label) for name in names]


def tables() -> list[Table]:
    """Every tracked model of a project, each after the models it refers to."""
    from reviews.models import BackTranslation, CheckFinding, Comment, ErrorAnnotation, QualityPolicy, Review, Webhook

    from .models import GlossaryTerm, MemoryEntry

    return [
        Table(Project, "pk", None),
        Table(Membership, "project", "project"),
        Table(Document, "project", "project"),
        Table(DocumentImage, "document__project", "document"),
        Table(Segment, "document__project", "document"),
        Table(Translation, "segment__document__project", "segment"),
        Table(Review, "translation__segment__document__project", "translation"),
        Table(Comment, "project", "project"),
        Table(GlossaryTerm, "project", "project"),
        Table(MemoryEntry, "project", "project"),
        Table(QualityPolicy, "project", "project"),
        Table(CheckFinding, "translation__segment__document__project", "translation"),
        Table(ErrorAnnotation, "translation__segment__document__project", "translation"),
        Table(BackTranslation, "translation__segment__document__project", "translation"),
        Table(Webhook, "project", "project", private=(("secret", _new_webhook_secret),)),
    ]


def _new_webhook_secret() -> str:
    """An imported hook signs with a secret nobody knows yet; a manager shows a new one ("New secret")."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Column:
    """A field as the archive carries it: ``target`` is None for a plain value,
    "user" for a reference to a user (by username), or the label of the model
    whose source id it holds (a history row's ``id`` names its own model)."""

    name: str
    attname: str
    target: str | None
    field: object


def _column(model, model_field, own_label) -> Column:
    if model_field.is_relation:
        related = model_field.related_model
        target = "user" if related is get_user_model() else related._meta.label_lower
    elif model_field.name == "id":
        target = own_label
    else:
        target = None
    return Column(model_field.name, model_field.attname, target, model_field)


def _expected_tables() -> dict[str, tuple[str, list[str]]]:
    """{table key: (member, field names)} as this instance writes and reads them."""
    expected = {"auth.user": (USERS, list(USER_FIELDS))}
    for table in tables():
        expected[table.label] = (table.rows_member, [c.name for c in table.row_columns()])
        expected[f"{table.label}.history"] = (table.history_member, [c.name for c in table.history_columns()])
    return expected


# --- Export --------------------------------------------------------------------


@dataclass
class ExportSummary:
    path: Path
    rows: dict[str, int]
    history: dict[str, int]
    users: int
    media_files: int
    bytes: int
    seconds: float
    unknown_users: int = 0


def export_archive(project: Project, path) -> ExportSummary:
    """Write `project` to the zip at `path` (replaced atomically: a failed
    export leaves no partial file). Rows and history are read from one
    snapshot of the database and streamed, so memory stays flat. The file is
    readable by its owner only (mkstemp's mode): it holds e-mail addresses
    and unpublished material."""
    path = Path(path)
    started = time.monotonic()
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    try:
        with _one_snapshot(), zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            writer = _ZipWriter(archive)
            manifest, summary = _write_project(writer, project)
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    summary.path, summary.bytes, summary.seconds = path, path.stat().st_size, time.monotonic() - started
    return summary


@contextmanager
def _one_snapshot():
    """One transaction for the whole export, so rows and history agree while
    people keep working. PostgreSQL's default (read committed) would give each
    query its own snapshot; repeatable read gives them all the first one."""
    connection = connections[router.db_for_read(Project)]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            yield
        return
    from psycopg import IsolationLevel

    connection.ensure_connection()
    driver = connection.connection
    previous = driver.isolation_level
    driver.isolation_level = IsolationLevel.REPEATABLE_READ
    try:
        with transaction.atomic(using=connection.alias):
            yield
    finally:
        driver.isolation_level = previous


def _scoped_querysets(project) -> dict[str, tuple]:
    """{label: (current rows, history rows)} of everything of `project`.

    History is scoped through the history of the parent, so rows deleted
    since (a removed membership) keep their history in the archive."""
    scoped = {}
    for table in tables():
        current = table.model._base_manager.filter(**{table.scope: project.pk})
        condition = Q(id__in=current.values("pk"))
        if table.parent == "project":
            condition |= Q(project_id=project.pk)
        elif table.parent:
            parent_label = table.model._meta.get_field(table.parent).related_model._meta.label_lower
            condition |= Q(**{f"{table.parent}_id__in": scoped[parent_label][1].values("id")})
        scoped[table.label] = (current.order_by("pk"), table.history.objects.filter(condition).order_by("history_id"))
    return scoped


def _write_project(writer, project):
    User = get_user_model()
    scoped = _scoped_querysets(project)
    user_ids = set()
    for table in tables():
        current, history = scoped[table.label]
        for queryset, columns in ((current, table.row_columns()), (history, table.history_columns())):
            for column in columns:
                if column.target == "user":
                    user_ids.update(queryset.order_by().values_list(column.attname, flat=True).distinct())
    user_ids.discard(None)
    users = []
    ordered_ids = sorted(user_ids)
    for start in range(0, len(ordered_ids), 500):
        chunk = User._default_manager.filter(pk__in=ordered_ids[start : start + 500]).order_by("pk")
        users += chunk.values_list("pk", User.USERNAME_FIELD, *USER_FIELDS[1:])
    usernames = {user_id: username for user_id, username, *_ in users}
    with writer.member(USERS) as out:
        for _, *values in users:
            out.write_line(dict(zip(USER_FIELDS, values)))
    # A reference to a user deleted since (history keeps the id) is archived as null.
    unknown_users = len(user_ids) - len(usernames)

    counts, rows, history_rows = {"auth.user": len(usernames)}, {}, {}
    media = set()
    for table in tables():
        current, history = scoped[table.label]
        rows[table.label] = writer.table(table.rows_member, current, table.row_columns(), usernames)
        history_rows[table.label] = writer.table(table.history_member, history, table.history_columns(), usernames)
        counts[table.label], counts[f"{table.label}.history"] = rows[table.label], history_rows[table.label]
        if table.model is DocumentImage:
            for queryset in (current, history):
                for names in queryset.order_by().values_list(*FILE_FIELDS).distinct().iterator():
                    media.update(name for name in names if name)
    storage = DocumentImage._meta.get_field("original").storage
    for name in sorted(media):
        member = f"media/{name}"
        if _unsafe_member_name(member):
            raise ExportFailed(f"The page image file name {name!r} cannot be stored safely in an archive.")
        try:
            source = storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            raise ExportFailed(
                f"The page image file {name} is missing from media storage; the archive would be incomplete."
            ) from None
        with source, writer.member(member, compress=False) as out:
            for chunk in iter(lambda: source.read(MiB), b""):
                out.write(chunk)

    expected = _expected_tables()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "app": _app_version(),
        "project": {"id": project.pk, "slug": project.slug, "name": project.name},
        "tables": {
            key: {"file": member, "rows": counts[key], "fields": names} for key, (member, names) in expected.items()
        },
        "files": writer.files,
    }
    summary = ExportSummary(
        path=None, rows=rows, history=history_rows, users=len(usernames), media_files=len(media), bytes=0,
        seconds=0, unknown_users=unknown_users,
    )
    return manifest, summary


def _app_version() -> dict:
    commit = None
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=5, check=False
        )
        if result.returncode == 0 and _SHA1.fullmatch(result.stdout.strip()):
            commit = result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    connection = connections[router.db_for_read(Project)]
    applied = MigrationRecorder(connection).applied_migrations()
    latest = {app: max((name for a, name in applied if a == app), default=None) for app in ("translations", "reviews")}
    return {
        "name": "interlinear",
        "commit": commit,
        "django": django.get_version(),
        "database": connection.vendor,
        "migrations": latest,
    }


def _encode(value):
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ExportFailed(f"A naive date-time ({value}) cannot be archived unambiguously.")
        return value.isoformat()
    if isinstance(value, (date, clock_time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


class _ZipWriter:
    """Members written as streams, each with its size and SHA-256 recorded."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.files: dict[str, dict] = {}

    @contextmanager
    def member(self, name, *, compress=True):
        info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        with self.archive.open(info, "w", force_zip64=True) as stream:
            sink = _Sink(stream)
            yield sink
            sink.flush()
        self.files[name] = {"size": sink.size, "sha256": sink.digest.hexdigest()}

    def table(self, member, queryset, columns, usernames) -> int:
        count = 0
        with self.member(member) as out:
            for values in queryset.values_list(*[c.attname for c in columns]).iterator(chunk_size=2000):
                row = {}
                for column, value in zip(columns, values):
                    if column.target == "user" and value is not None:
                        value = usernames.get(value)
                    row[column.name] = _encode(value)
                out.write_line(row)
                count += 1
        return count


class _Sink:
    def __init__(self, stream):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0
        self.buffer = bytearray()

    def write(self, data: bytes):
        self.digest.update(data)
        self.size += len(data)
        self.buffer += data
        if len(self.buffer) >= MiB:
            self.flush()

    def write_line(self, row: dict):
        self.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")

    def flush(self):
        if self.buffer:
            self.stream.write(self.buffer)
            self.buffer.clear()


# --- Import: reading an archive safely -----------------------------------------


def _unsafe_member_name(name: str) -> str:
    """Why a member name is refused ("" when it is fine): only the names this
    format writes, and nothing that could climb out of a directory."""
    if not name or len(name) > 400:
        return "which is empty or too long"
    if name.startswith("/") or "\\" in name or ":" in name or "\x00" in name:
        return "which is an absolute or platform-specific path"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "whose path climbs out of the archive"
    if not all(_SAFE_NAME_PART.fullmatch(part) for part in parts):
        return "with characters other than letters, digits, '.', '_' and '-'"
    if name in (MANIFEST, USERS) or (parts[0] in ("rows", "history") and len(parts) == 2):
        return ""
    if parts[0] == "media" and 2 <= len(parts) <= 8:
        return ""
    return "which is not part of an Interlinear project archive"


class _Reader:
    def __init__(self, path, *, max_bytes: int):
        self.path = Path(path)
        self.max_bytes = max_bytes
        try:
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise ImportRejected(f"{self.path}: no such file.") from None
        except IsADirectoryError:
            raise ImportRejected(f"{self.path} is a directory, not an archive.") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
            raise ImportRejected(
                f"{self.path.name} is not a zip archive, or it is damaged or cut short ({error})."
            ) from None
        self.files: dict[str, dict] = {}

    def close(self):
        self.zip.close()

    @contextmanager
    def _open(self, name):
        try:
            with self.zip.open(name) as stream:
                yield stream
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
            raise ImportRejected(f"{name} is damaged ({error}).") from None

    def read(self, name) -> bytes:
        with self._open(name) as stream:
            return stream.read()

    def check(self) -> dict:
        """Member names, sizes, the manifest and every member's SHA-256, before
        anything is loaded. Returns the manifest."""
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ImportRejected(f"The archive has {len(infos)} members, more than the {MAX_MEMBERS} allowed.")
        names, total = set(), 0
        for info in infos:
            name = info.filename
            if problem := _unsafe_member_name(name):
                raise ImportRejected(f"The archive holds a member named {name!r}, {problem}; refusing it.")
            if name in names:
                raise ImportRejected(f"The archive holds two members named {name}.")
            names.add(name)
            if info.flag_bits & 0x1:
                raise ImportRejected(f"{name} is encrypted.")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ImportRejected(f"{name} uses a compression method this format does not use.")
            limit = MAX_MANIFEST_BYTES if name == MANIFEST else MAX_MEDIA_BYTES if name.startswith("media/") else None
            if limit and info.file_size > limit:
                raise ImportRejected(
                    f"{name} would unpack to {info.file_size:,} bytes, more than its limit of {limit:,}."
                )
            total += info.file_size
        if total > self.max_bytes:
            raise ImportRejected(
                f"The archive would unpack to {total:,} bytes, more than the limit of {self.max_bytes:,} "
                "(INTERLINEAR_ARCHIVE_MAX_BYTES); refusing it unread."
            )
        if MANIFEST not in names:
            raise ImportRejected("The archive has no manifest.json; it is not an Interlinear project archive.")
        manifest = self._manifest()
        self.files = manifest["files"]
        if missing := sorted(set(self.files) - names):
            raise ImportRejected(f"The manifest lists {missing[0]}, which is missing from the archive.")
        if extra := sorted(names - set(self.files) - {MANIFEST}):
            raise ImportRejected(f"The archive holds {extra[0]}, which the manifest does not list.")
        for name, entry in sorted(self.files.items()):
            digest, size = hashlib.sha256(), 0
            with self._open(name) as stream:
                for chunk in iter(lambda: stream.read(MiB), b""):
                    digest.update(chunk)
                    size += len(chunk)
            if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                raise ImportRejected(
                    f"{name} does not match the manifest (SHA-256 {digest.hexdigest()}, {size:,} bytes; the manifest "
                    f"records {entry['sha256']}, {entry['size']:,} bytes): the archive was altered or damaged."
                )
        return manifest

    def _manifest(self) -> dict:
        try:
            manifest = json.loads(self.read(MANIFEST).decode("utf-8"), parse_constant=_no_constant)
        except (ValueError, RecursionError) as error:
            raise ImportRejected(f"manifest.json is not valid JSON ({error}).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ImportRejected("manifest.json does not describe an Interlinear project archive.")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ImportRejected(
                f"The archive has format version {manifest.get('format_version')!r}; "
                f"this instance reads version {FORMAT_VERSION}."
            )
        files = manifest.get("files")
        if not isinstance(files, dict) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and _SHA256.fullmatch(entry["sha256"])
            for entry in files.values()
        ):
            raise ImportRejected("manifest.json: 'files' must give the size and SHA-256 of every member.")
        project = manifest.get("project")
        if not (isinstance(project, dict) and isinstance(project.get("slug"), str)
                and isinstance(project.get("id"), int)):
            raise ImportRejected("manifest.json: 'project' must name the project's id and slug.")
        recorded = manifest.get("tables")
        if not isinstance(recorded, dict):
            raise ImportRejected("manifest.json: 'tables' is missing.")
        expected = _expected_tables()
        if unknown := sorted(set(recorded) - set(expected)):
            raise ImportRejected(f"manifest.json lists a table {unknown[0]} that this instance does not have.")
        for key, (member, names) in expected.items():
            entry = recorded.get(key)
            if not isinstance(entry, dict) or entry.get("file") != member or not isinstance(entry.get("rows"), int):
                raise ImportRejected(f"manifest.json: table {key} is missing or malformed.")
            if entry.get("fields") != names:
                raise ImportRejected(
                    f"manifest.json: table {key} has the fields {entry.get('fields')}, but this instance has {names}; "
                    "the archive was made by a different version of Interlinear."
                )
            if member not in files:
                raise ImportRejected(f"manifest.json: {member} is not listed among the files.")
        return manifest

    def lines(self, name: str, expected_rows: int) -> Iterator[tuple[int, dict]]:
        """(line number, object) for each line of a JSON Lines member."""
        count = 0
        with self._open(name) as stream:
            for number in itertools.count(1):
                raw = stream.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                if len(raw) > MAX_LINE_BYTES:
                    raise ImportRejected(f"{name} line {number}: longer than {MAX_LINE_BYTES:,} bytes.")
                if not raw.endswith(b"\n"):
                    raise ImportRejected(f"{name} line {number}: cut short (no end of line).")
                try:
                    value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
                except UnicodeDecodeError:
                    raise ImportRejected(f"{name} line {number}: not UTF-8 text.") from None
                except (ValueError, RecursionError) as error:
                    decoding = isinstance(error, json.JSONDecodeError)
                    detail = f" ({error.msg} at column {error.colno})" if decoding else ""
                    raise ImportRejected(f"{name} line {number}: not valid JSON{detail}.") from None
                if not isinstance(value, dict):
                    raise ImportRejected(f"{name} line {number}: not a JSON object.")
                count += 1
                yield number, value
        if count != expected_rows:
            raise ImportRejected(f"{name} has {count} rows, but the manifest records {expected_rows}.")


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON value")


_TEXT_TYPES = {"CharField", "TextField", "SlugField", "FileField", "EmailField"}
# C0/C1 controls but tab and line ends, and unpaired surrogates (which no database
# encoding can store: they would fail the insert with an encoding error, not a refusal).
_UNSTORABLE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INTEGER_TYPES = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
}


def _value(model_field, raw):
    """The Python value of an archived plain field, checked as strictly as both
    databases would together (so an archive loads the same on SQLite and
    PostgreSQL); ValueError or ValidationError says what is wrong."""
    if raw is None:
        if not model_field.null:
            raise ValueError("may not be null")
        return None
    kind = model_field.get_internal_type()
    if kind in _TEXT_TYPES:
        if not isinstance(raw, str):
            raise ValueError("should be text")
        if "\x00" in raw:
            raise ValueError("contains a NUL character")
        if unstorable := _UNSTORABLE.search(raw):
            raise ValueError(
                f"contains the character U+{ord(unstorable.group()):04X} at position {unstorable.start() + 1}, "
                "a control character or unpaired surrogate that Interlinear never stores"
            )
        value = raw
    elif kind in _INTEGER_TYPES:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("should be a whole number")
        value = raw
    elif kind == "BooleanField":
        if not isinstance(raw, bool):
            raise ValueError("should be true or false")
        value = raw
    elif kind == "DateTimeField":
        value = parse_datetime(raw) if isinstance(raw, str) else None
        if value is None or timezone.is_naive(value):
            raise ValueError("should be an ISO 8601 date and time with its UTC offset")
    elif kind == "JSONField":
        value = raw
    else:
        value = model_field.to_python(raw)
    if model_field.choices and value not in {choice for choice, _ in model_field.flatchoices}:
        raise ValueError(f"{value!r} is not one of the allowed values")
    model_field.run_validators(value)
    return value


# --- Import: loading ---------------------------------------------------------------


@dataclass
class ImportReport:
    project: Project | None = None
    archived_slug: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    history: dict[str, int] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)
    users_matched: list[str] = field(default_factory=list)
    user_differences: list[str] = field(default_factory=list)
    media_files: int = 0
    audit_events: int = 0
    seconds: float = 0.0

    @property
    def renamed(self) -> bool:
        return self.project is not None and self.project.slug != self.archived_slug


def import_archive(path, *, slug: str | None = None, actor_username: str | None = None) -> ImportReport:
    """Restore the project archived at `path`, all or nothing.

    The project keeps its archived address unless `slug` gives a new one; an
    address already in use is refused. `actor_username` (default: the named
    system account) is recorded as the author of that rename, the only
    history row an import writes."""
    started = time.monotonic()
    max_bytes = int(getattr(settings, "INTERLINEAR_ARCHIVE_MAX_BYTES", DEFAULT_MAX_BYTES))
    reader = _Reader(path, max_bytes=max_bytes)
    try:
        manifest = reader.check()
        loader = _Loader(reader, manifest, slug=slug, actor_username=actor_username)
        try:
            with transaction.atomic(using=router.db_for_write(Project)):
                loader.load()
        except DatabaseError as error:
            loader.discard_files()
            raise ImportRejected(f"The database refused the archive ({error}).") from None
        except OSError as error:  # storing an image: disk full, permissions
            loader.discard_files()
            raise ImportRejected(f"Cannot store the page images: {error.strerror or error}.") from None
        except BaseException:
            loader.discard_files()
            raise
    finally:
        reader.close()
    loader.report.seconds = time.monotonic() - started
    return loader.report


class _Loader:
    def __init__(self, reader: _Reader, manifest: dict, *, slug, actor_username):
        self.reader = reader
        self.counts = {key: entry["rows"] for key, entry in manifest["tables"].items()}
        self.archived_project_id = manifest["project"]["id"]
        self.report = ImportReport(archived_slug=manifest["project"]["slug"])
        self.slug = slug or self.report.archived_slug
        self.actor_username = actor_username
        self.ids: dict[str, dict[int, int]] = {}  # label -> {source id: id here}
        self.deleted: dict[str, set[int]] = {}  # label -> source ids of rows that exist only in history
        self.user_ids: dict[str, int] = {}
        self.stored: dict[str, tuple[str, str, int]] = {}  # archived file name -> (name here, sha256, size)
        self.storage = DocumentImage._meta.get_field("original").storage
        self.image_models = (DocumentImage, DocumentImage.history.model)  # the descriptor is costly: once
        self.project_id = None
        self._check_slug()
        if actor_username and not get_user_model()._default_manager.filter(
            **{get_user_model().USERNAME_FIELD: actor_username}
        ).exists():
            raise ImportRejected(f"No user named {actor_username!r}.")

    def _check_slug(self):
        try:
            Project._meta.get_field("slug").run_validators(self.slug)
        except ValidationError as error:
            raise ImportRejected(f"{self.slug!r} cannot be a project address: {' '.join(error.messages)}") from None
        if Project._base_manager.filter(slug=self.slug).exists():
            raise ImportRejected(
                f"A project with the address {self.slug!r} already exists here; "
                "give the imported project a new one with --slug NEWSLUG."
            )

    def discard_files(self):
        for name, _, _ in self.stored.values():
            try:
                self.storage.delete(name)
            except OSError:
                pass
        self.stored.clear()

    def load(self):
        self._check_slug()  # again, inside the transaction
        self._users()
        for table in tables():
            self._rows(table, self._latest_history(table))
        for table in tables():
            self._history(table)
        if self.report.renamed:
            actor = (
                get_user_model()._default_manager.get(**{get_user_model().USERNAME_FIELD: self.actor_username})
                if self.actor_username
                else system_user()
            )
            save_tracked(
                self.report.project,
                user=actor,
                reason=f"Imported from {self.reader.path.name} under the address {self.slug!r} "
                f"(archived as {self.report.archived_slug!r})",
            )
        self.report.media_files = len(self.stored)

    # -- users

    def _users(self):
        User = get_user_model()
        username_field = User.USERNAME_FIELD
        model_fields = [User._meta.get_field(username_field), *(User._meta.get_field(n) for n in USER_FIELDS[1:])]
        for number, row in self.reader.lines(USERS, self.counts["auth.user"]):
            self._check_keys(row, frozenset(USER_FIELDS), USERS, number)
            values = {}
            for name, model_field in zip(USER_FIELDS, model_fields):
                values[model_field.name] = self._plain(model_field, row[name], name, USERS, number)
            username = values[username_field]
            if username in self.user_ids:
                raise ImportRejected(f"{USERS} line {number}: the user {username!r} is listed twice.")
            existing = User._default_manager.filter(**{username_field: username}).first()
            if existing is None:
                user = User(**values)
                user.set_unusable_password()
                user.save()
                self.user_ids[username] = user.pk
                self.report.users_created.append(username)
                continue
            self.user_ids[username] = existing.pk
            self.report.users_matched.append(username)
            differing = [name for name, value in values.items() if getattr(existing, name) != value]
            if differing:
                self.report.user_differences.append(
                    f"{username}: {', '.join(differing)} here differ from the archive (left as they are here)"
                )

    # -- current rows

    def _latest_history(self, table) -> dict[int, tuple]:
        """{source id: (history type, fingerprint, line, row if deleted)} of each
        object's latest history row, in one pass over its history member."""
        member, latest, previous = table.history_member, {}, None
        tracked = [f.name for f in table.history.tracked_fields]
        keys = frozenset([*HISTORY_FIELDS, *tracked])
        for number, row in self.reader.lines(member, self.counts[f"{table.label}.history"]):
            self._check_keys(row, keys, member, number)
            history_id, object_id = row["history_id"], row["id"]
            if not (isinstance(history_id, int) and isinstance(object_id, int)):
                raise ImportRejected(f"{member} line {number}: history_id and id should be whole numbers.")
            if previous is not None and history_id <= previous:
                raise ImportRejected(f"{member} line {number}: history rows are not in history_id order.")
            previous = history_id
            kind = row["history_type"]
            latest[object_id] = (kind, _fingerprint(row, tracked), number, row if kind == "-" else None)
        return latest

    def _rows(self, table, latest):
        label, member = table.label, table.rows_member
        self.ids[label], self.deleted[label] = {}, set()
        # Rows that exist only in history (deleted since) still need ids here, from
        # the table's own sequence so no later row can take them: see _allocate.
        for object_id, (kind, _, number, row) in sorted(latest.items()):
            if kind == "-":
                self._allocate(table, object_id, row, number)
        columns = [c for c in table.row_columns() if c.name != "id"]
        keys = frozenset(c.name for c in table.row_columns())
        tracked = [f.name for f in table.history.tracked_fields]
        batch, seen, previous = [], set(), None
        for number, row in self.reader.lines(member, self.counts[label]):
            self._check_keys(row, keys, member, number)
            object_id = row["id"]
            if not isinstance(object_id, int) or (previous is not None and object_id <= previous):
                raise ImportRejected(f"{member} line {number}: ids should be whole numbers in increasing order.")
            previous = object_id
            obj = self._build(table.model, columns, row, member, number, live=True)
            for name, make in table.private:
                setattr(obj, name, make())
            self._check_against_history(table, row, latest.get(object_id), tracked, member, number)
            seen.add(object_id)
            if table.model is Project:
                if object_id != self.archived_project_id or self.project_id is not None:
                    raise ImportRejected(f"{member} line {number}: not the project the manifest names.")
                obj.slug = self.slug
            batch.append((number, object_id, obj))
            if len(batch) >= BATCH:
                self._insert_rows(table, batch)
        self._insert_rows(table, batch)
        if table.model is Project and self.project_id is None:
            raise ImportRejected(f"{member} holds no project row.")
        for object_id, (kind, _, number, _) in latest.items():
            if kind != "-" and object_id not in seen:
                raise ImportRejected(
                    f"{table.history_member} line {number}: {label} #{object_id} is not deleted according to its "
                    f"history, but {member} has no such row; the source has drifted (run verify_history there)."
                )
        self.report.rows[label] = len(seen)

    def _check_against_history(self, table, row, latest, tracked, member, number):
        """What verify_history will check: each row equals its latest history row."""
        object_id = row["id"]
        if latest is None:
            raise ImportRejected(
                f"{member} line {number}: {table.label} #{object_id} has no history in the archive; "
                "the source has drifted (run verify_history there)."
            )
        kind, fingerprint, history_line, _ = latest
        if kind == "-":
            raise ImportRejected(
                f"{member} line {number}: {table.label} #{object_id} exists, but its latest history row "
                f"({table.history_member} line {history_line}) records its deletion."
            )
        if _fingerprint(row, tracked) != fingerprint:
            raise ImportRejected(
                f"{member} line {number}: {table.label} #{object_id} differs from its latest history row "
                f"({table.history_member} line {history_line}); the source has drifted (run verify_history there)."
            )

    def _allocate(self, table, object_id, row, number):
        """Give a row that exists only in history (deleted in the source) an id
        from the table's own sequence, so that no row created here later can
        take it and inherit its history. The row is inserted as it was when
        deleted and removed again at once, inside this transaction: nobody ever
        sees it, and no history or signal is written for it."""
        columns = [c for c in table.row_columns() if c.name != "id"]
        obj = self._build(table.model, columns, row, table.history_member, number, live=False, placeholder=True)
        model = table.model
        try:
            with transaction.atomic(using=router.db_for_write(model)):
                _insert_as_is(model, [obj])
                model._base_manager.filter(pk=obj.pk)._raw_delete(router.db_for_write(model))
        except DatabaseError as error:
            raise ImportRejected(
                f"{table.history_member} line {number}: the deleted {table.label} #{object_id} could not be given "
                f"an id here ({error})."
            ) from None
        self.ids[table.label][object_id] = obj.pk
        self.deleted[table.label].add(object_id)

    def _insert_rows(self, table, batch):
        if not batch:
            return
        self._insert(table.model, table.rows_member, batch, lambda objs: _insert_as_is(table.model, objs))
        for _, object_id, obj in batch:
            self.ids[table.label][object_id] = obj.pk
            if table.model is Project:
                self.project_id = obj.pk
                self.report.project = obj
        batch.clear()

    def _insert(self, model, member, batch, write):
        """Write a batch inside a savepoint; if the database refuses it, find
        the line it refuses, so the message can name it."""
        alias = router.db_for_write(model)
        try:
            with transaction.atomic(using=alias):
                write([obj for _, _, obj in batch])
        except DatabaseError as batch_error:
            for number, _, obj in batch:
                obj.pk = None  # the refused batch may have handed out ids before it was rolled back
                try:
                    with transaction.atomic(using=alias):
                        write([obj])
                except DatabaseError as error:
                    raise ImportRejected(f"{member} line {number}: the database refused the row ({error}).") from None
            raise ImportRejected(
                f"{member} lines {batch[0][0]}–{batch[-1][0]}: the database refused the rows ({batch_error})."
            ) from None

    # -- history

    def _history(self, table):
        from reviews.audit import index_rows

        history, member, label = table.history, table.history_member, table.label
        # history_id is not copied: rows here get new ones, in the archived order.
        columns = [c for c in table.history_columns() if c.name != "history_id"]
        batch = []

        def write(objs):
            history.objects.bulk_create(objs, batch_size=BATCH)
            self.report.audit_events += index_rows(history, objs)

        count = 0
        for number, row in self.reader.lines(member, self.counts[f"{label}.history"]):
            obj = self._build(history, columns, row, member, number, live=False)
            batch.append((number, None, obj))
            count += 1
            if len(batch) >= BATCH:
                self._insert(history, member, batch, write)
                batch.clear()
        if batch:
            self._insert(history, member, batch, write)
        self.report.history[label] = count

    # -- values

    def _check_keys(self, row, keys: frozenset, member, number):
        if row.keys() != keys:
            missing, unknown = sorted(keys - row.keys()), sorted(row.keys() - keys)
            problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
                [f"unknown {', '.join(unknown)}"] if unknown else []
            )
            raise ImportRejected(f"{member} line {number}: fields {'; '.join(problems)}.")

    def _plain(self, model_field, raw, name, member, number):
        try:
            return _value(model_field, raw)
        except (ValueError, ValidationError) as error:
            detail = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            raise ImportRejected(f"{member} line {number}: {name}: {detail}") from None

    def _build(self, model, columns, row, member, number, *, live, placeholder=False):
        """A model instance from an archived row, every reference mapped to its id here.

        `live`: references must be to rows that exist (current rows); history
        may refer to rows deleted since."""
        values = {}
        for column in columns:
            raw = row[column.name]
            if column.target is None:
                values[column.attname] = self._plain(column.field, raw, column.name, member, number)
            elif raw is None:
                if not column.field.null:
                    if placeholder and column.target == "user":
                        raw = next(iter(self.user_ids), None)
                    if raw is None:
                        raise ImportRejected(f"{member} line {number}: {column.name}: may not be null")
                    values[column.attname] = self.user_ids[raw]
                else:
                    values[column.attname] = None
            elif column.target == "user":
                if not isinstance(raw, str) or raw not in self.user_ids:
                    raise ImportRejected(f"{member} line {number}: {column.name}: the user {raw!r} is not in {USERS}.")
                values[column.attname] = self.user_ids[raw]
            else:
                ids = self.ids.get(column.target, {})
                if not isinstance(raw, int) or isinstance(raw, bool) or raw not in ids:
                    raise ImportRejected(
                        f"{member} line {number}: {column.name}: {column.target} #{raw} is not in the archive."
                    )
                if live and raw in self.deleted[column.target]:
                    raise ImportRejected(
                        f"{member} line {number}: {column.name}: {column.target} #{raw} was deleted in the source."
                    )
                values[column.attname] = ids[raw]
        if model in self.image_models and not placeholder:
            self._store_files(values, member, number)
        return model(**values)

    def _store_files(self, values, member, number):
        """Store an image row's files under this instance's names for them, and
        check the original's bytes against the SHA-256 and size the row records."""
        for name in FILE_FIELDS:
            archived = values[name]
            if not archived:
                continue
            if archived not in self.stored:
                data_member = f"media/{archived}"
                if data_member not in self.reader.files:
                    raise ImportRejected(f"{member} line {number}: {name}: the file {archived} is not in the archive.")
                data = self.reader.read(data_member)
                digest = hashlib.sha256(data).hexdigest()
                if digest != self.reader.files[data_member]["sha256"]:
                    raise ImportRejected(f"{data_member} changed while it was being read.")
                # The names embed project and document ids (see models.original_upload_path): use the ones here.
                head = archived.split("/")[0] if archived.split("/")[0] in ("originals", "display") else "imported"
                target = f"{head}/{self.project_id}/{values['document_id']}/{archived.rsplit('/', 1)[-1]}"
                stored = self.storage.save(target, ContentFile(data))
                self.stored[archived] = (stored, digest, len(data))
            stored, digest, size = self.stored[archived]
            if name == "original" and (digest != values["sha256"] or size != values["byte_size"]):
                raise ImportRejected(
                    f"{member} line {number}: the original image {archived} has SHA-256 {digest} "
                    f"({size:,} bytes), but the row records {values['sha256']} ({values['byte_size']:,} bytes); "
                    "the image was altered."
                )
            values[name] = stored


def _fingerprint(row: dict, names: list[str]) -> bytes:
    canonical = json.dumps([row.get(name) for name in names], ensure_ascii=False, separators=(",", ":"))
    # surrogatepass: a JSON escape of an unpaired surrogate is refused later, naming its line, not here.
    return hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _insert_as_is(model, objs):
    """INSERT rows exactly as given, the way ``loaddata`` saves (``raw``):
    ``auto_now`` and ``auto_now_add`` keep the archived timestamps, and no
    signal fires, so simple-history writes no history row of its own.
    ``bulk_create`` cannot do this: it stamps ``auto_now`` fields with now."""
    manager = model._base_manager
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    returning = model._meta.db_returning_fields
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    if not connection.features.can_return_rows_from_bulk_insert:
        size = 1
    for start in range(0, len(objs), size):
        chunk = objs[start : start + size]
        returned = manager._insert(chunk, fields=fields, returning_fields=returning, raw=True, using=alias)
        for obj, values in zip(chunk, returned):
            for returning_field, value in zip(returning, values):
                setattr(obj, returning_field.attname, value)
            obj._state.adding, obj._state.db = False, alias
