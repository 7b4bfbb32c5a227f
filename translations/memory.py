"""Translation memory: the closest approved pairs for a segment being translated.

What counts as memory (never unapproved text, invariant 4):

* the *published* renderings (``Translation.published_text``) of the other
  live segments of the same project, whose approval was made against the
  segment's current source (a rendering awaiting re-review after a source
  correction pairs an old reading with a new source, and is left out);
* the project's imported pairs (``MemoryEntry``, e.g. from TMX);
* published renderings of the other projects the user is a *member* of,
  when those projects offer them (``Project.shares_memory``) and translate
  from the same source language. A project the user does not belong to is
  never read, whatever it shares (invariant 9).

Finding the candidates: on PostgreSQL, pg_trgm's ``%`` operator answers from
the GIN trigram indexes of migration 0008 (``similarity_threshold`` is set
for the query, so the index hands back only rows near enough to matter); on
SQLite, a bounded scan of the most recent ``SCAN_LIMIT`` published pairs and
``SCAN_LIMIT`` imported pairs of the allowed projects, compared in process.

Scoring is the same on both: rapidfuzz's normalised Indel similarity (0–100)
of the two sources, case-folded with whitespace collapsed, so a score means
the same thing whichever database found the pair. Identical pairs (same
source, same target) are shown once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Q, Value
from django.urls import reverse
from django.utils.safestring import SafeString
from rapidfuzz import fuzz, process

from .diffs import diff_html
from .models import MemoryEntry, Translation
from .permissions import roles_of

# Pairs scoring below this are not offered: under half the characters shared,
# a "suggestion" is mostly noise to a translator.
MIN_SCORE = 50
# PostgreSQL: the trigram similarity (0–1) a pair needs to be fetched at all.
# Trigram similarity runs below the character score for short Korean texts
# (a changed syllable breaks three trigrams), so this is set a little under
# MIN_SCORE / 100 so that pairs over MIN_SCORE are not lost.
TRIGRAM_THRESHOLD = 0.4
# PostgreSQL: how many candidates of each kind are fetched, best trigram
# similarity first, and then re-scored; enough for duplicates to be folded.
CANDIDATES = 30
# SQLite: how many of the most recent pairs of each kind are compared.
SCAN_LIMIT = 2000

_WHITESPACE = re.compile(r"\s+")


class TrigramMatch(Func):
    """``a % b``: pg_trgm's similarity operator, which a GIN trigram index serves."""

    arg_joiner = " %% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class TrigramSimilarity(Func):
    function = "SIMILARITY"
    output_field = FloatField()


@dataclass(frozen=True)
class Suggestion:
    score: int  # 0–100
    source_text: str
    target_text: str
    source_diff: SafeString  # the suggestion's source against the current one
    kind: str  # "rendering" (a published translation) or "memory" (an imported pair)
    origin: str  # a document title, or where an imported pair came from
    origin_url: str  # where the user can see it (they are a member of its project)
    project_name: str
    other_project: bool


def normalised(text: str) -> str:
    return _WHITESPACE.sub(" ", text or "").strip().casefold()


def _score(a: str, b: str) -> int:
    return round(fuzz.ratio(a, b))


def _allowed_renderings(user, project, language: str):
    """Published renderings the user may be offered: this project's, and those of the
    sharing projects they are a member of (same source language)."""
    others = [pid for pid in roles_of(user) if pid != project.pk]
    scope = Q(segment__document__project=project)
    if others:
        scope |= Q(
            segment__document__project_id__in=others,
            segment__document__project__shares_memory=True,
            segment__document__project__source_language=project.source_language,
        )
    return Translation.objects.filter(
        scope,
        is_published=True,
        language=language,
        segment__is_deleted=False,
        published_source_hash=F("segment__source_hash"),
    )


RENDERING_FIELDS = (
    "pk",
    "published_text",
    "published_at",
    "segment_id",
    "segment__source_text",
    "segment__document_id",
    "segment__document__title",
    "segment__document__project_id",
    "segment__document__project__slug",
    "segment__document__project__name",
)
MEMORY_FIELDS = ("pk", "source_text", "target_text", "origin")


def _candidates_postgresql(renderings, entries, source: str):
    with connection.cursor() as cursor:
        # Session-level, like the connection's other settings; every query that uses
        # the operator sets it first, so whichever request the connection serves next
        # gets the threshold it asks for.
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(TRIGRAM_THRESHOLD)])
    query = Value(source)
    rendering_rows = list(
        renderings.filter(TrigramMatch(F("segment__source_text"), query))
        .annotate(similarity=TrigramSimilarity(F("segment__source_text"), query))
        .order_by("-similarity", "-pk")
        .values(*RENDERING_FIELDS)[:CANDIDATES]
    )
    memory_rows = list(
        entries.filter(TrigramMatch(F("source_text"), query))
        .annotate(similarity=TrigramSimilarity(F("source_text"), query))
        .order_by("-similarity", "-pk")
        .values(*MEMORY_FIELDS)[:CANDIDATES]
    )
    return rendering_rows, memory_rows


def _candidates_scan(renderings, entries, source: str):
    """SQLite: the most recent SCAN_LIMIT pairs of each kind, best CANDIDATES by score."""
    rendering_rows = list(renderings.order_by("-published_at", "-pk").values(*RENDERING_FIELDS)[:SCAN_LIMIT])
    memory_rows = list(entries.order_by("-pk").values(*MEMORY_FIELDS)[:SCAN_LIMIT])
    wanted = normalised(source)

    def best(rows, key):
        choices = [normalised(row[key]) for row in rows]
        found = process.extract(wanted, choices, scorer=fuzz.ratio, limit=CANDIDATES, score_cutoff=MIN_SCORE)
        return [rows[index] for _, _, index in found]

    return best(rendering_rows, "segment__source_text"), best(memory_rows, "source_text")


def suggestions(user, segment, language: str, limit: int = 5) -> list[Suggestion]:
    """The closest approved pairs for `segment` into `language`, best first (at most `limit`).

    Costs three queries on PostgreSQL (the threshold, renderings, imported
    pairs) and two on SQLite, whatever the size of the memory."""
    project = segment.document.project
    source = segment.source_text
    renderings = _allowed_renderings(user, project, language).exclude(segment_id=segment.pk)
    entries = MemoryEntry.objects.filter(project=project, language=language)
    if connection.vendor == "postgresql":
        rendering_rows, memory_rows = _candidates_postgresql(renderings, entries, source)
    else:
        rendering_rows, memory_rows = _candidates_scan(renderings, entries, source)

    wanted = normalised(source)
    memory_url = reverse("memory", args=[project.slug])
    found = []  # (score, priority, -pk, Suggestion fields)
    for row in rendering_rows:
        other = row["segment__document__project_id"] != project.pk
        found.append((
            _score(wanted, normalised(row["segment__source_text"])),
            2 if other else 0,
            -row["pk"],
            dict(
                source_text=row["segment__source_text"],
                target_text=row["published_text"],
                kind="rendering",
                origin=row["segment__document__title"],
                origin_url=reverse(
                    "workspace",
                    args=[row["segment__document__project__slug"], row["segment__document_id"], language],
                ) + f"#ws-segment-{row['segment_id']}",
                project_name=row["segment__document__project__name"],
                other_project=other,
            ),
        ))
    for row in memory_rows:
        found.append((
            _score(wanted, normalised(row["source_text"])),
            1,
            -row["pk"],
            dict(
                source_text=row["source_text"],
                target_text=row["target_text"],
                kind="memory",
                origin=row["origin"] or "Imported memory",
                origin_url=memory_url,
                project_name=project.name,
                other_project=False,
            ),
        ))
    found.sort(key=lambda item: (-item[0], item[1], item[2]))
    result, seen = [], set()
    for score, _, _, fields in found:
        if score < MIN_SCORE:
            break
        key = (normalised(fields["source_text"]), fields["target_text"].strip())
        if key in seen:
            continue
        seen.add(key)
        result.append(Suggestion(score=score, source_diff=diff_html(fields["source_text"], source), **fields))
        if len(result) == limit:
            break
    return result
