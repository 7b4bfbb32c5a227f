"""The approved rendering of a document: what may be quoted, and why.

For one target language, each live segment's source beside the text that was
approved for it, with who wrote that version and who approved it when. The
text comes from the ``published_*`` fields only, never from
``Translation.text``: a later draft must not reach a reader until it is itself
approved (invariant 4). The ``text`` and ``note`` columns are not even loaded.

Five queries whatever the document's length: segments, published
translations with their authors, the approvals of the published texts with
their reviewers, and the history rows naming who wrote each published
version (one per translation, chosen in SQL).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import get_language_info

from translations.models import Document, Segment, Translation

from ..models import Decision, Review, Stage

APPROVAL_STAGES = (Stage.REVIEW, Stage.FINAL)
PUBLISHED_FIELDS = (
    "id",
    "segment_id",
    "language",
    "author",
    "is_published",
    "published_version",
    "published_text",
    "published_text_hash",
    "published_source_hash",
    "published_at",
)
# What a page needs to name a person (see the ``person`` filter); never the password hash.
PERSON_FIELDS = ("id", "username", "first_name", "last_name")


def _person_fields(relation: str) -> list[str]:
    return [f"{relation}__{name}" for name in PERSON_FIELDS]


def language_name(code: str) -> str:
    """'Korean' for 'ko'; the upper-cased code for a language Django does not know."""
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code.upper()


@dataclass(frozen=True)
class Approval:
    """One approval of the exact published text, against the exact source it was approved with."""

    reviewer: object
    version: int
    stage: str
    approved_at: datetime
    source_text: str

    @property
    def is_final_edit(self) -> bool:
        return self.stage == Stage.FINAL


@dataclass
class RenderedSegment:
    """A live segment and, when it has one, its approved rendering."""

    segment: Segment
    translation_id: int | None = None
    text: str = ""
    version: int | None = None
    published_at: datetime | None = None
    author: object = None
    written_by: object = None
    written_at: datetime | None = None
    approvals: list[Approval] = field(default_factory=list)
    source_changed: bool = False

    @property
    def is_approved(self) -> bool:
        return self.translation_id is not None

    @property
    def approved_source_text(self) -> str:
        """The source the rendering was approved against (it differs from the current one when ``source_changed``)."""
        return self.approvals[-1].source_text if self.approvals else ""


@dataclass
class ApprovedRendering:
    document: Document
    language: str
    segments: list[RenderedSegment]
    generated_at: datetime

    @property
    def source_language(self) -> str:
        return self.document.project.source_language

    @property
    def source_language_name(self) -> str:
        return language_name(self.source_language)

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def segment_count(self) -> int:
        return len(self.segments)

    @property
    def approved_count(self) -> int:
        return sum(1 for s in self.segments if s.is_approved)

    @property
    def source_changed_count(self) -> int:
        return sum(1 for s in self.segments if s.source_changed)

    @property
    def is_complete(self) -> bool:
        return bool(self.segments) and self.approved_count == self.segment_count


def approved_rendering(document: Document, language: str) -> ApprovedRendering:
    """The document's live segments in order, each with its approved rendering in `language` (5 queries)."""
    segments = list(
        Segment.objects.filter(document=document, is_deleted=False)
        .only("id", "document_id", "position", "source_text", "source_hash")
        .order_by("position", "id")
    )
    published = Translation.objects.filter(
        segment__document=document, segment__is_deleted=False, language=language, is_published=True
    )
    translations = {
        t.segment_id: t for t in published.select_related("author").only(*PUBLISHED_FIELDS, *_person_fields("author"))
    }

    approvals: dict[int, list[Approval]] = {}
    for review in (
        Review.objects.filter(
            translation__in=published,
            decision=Decision.APPROVE,
            stage__in=APPROVAL_STAGES,
            text_hash=F("translation__published_text_hash"),
            source_hash=F("translation__published_source_hash"),
        )
        .select_related("reviewer")
        .only("translation_id", "version", "stage", "created_at", "source_text", *_person_fields("reviewer"))
        .order_by("created_at", "id")
    ):
        approvals.setdefault(review.translation_id, []).append(
            Approval(review.reviewer, review.version, review.stage, review.created_at, review.source_text)
        )

    writers = {row.id: row for row in _published_version_writers(published)}

    rendered = []
    for segment in segments:
        translation = translations.get(segment.pk)
        if translation is None:
            rendered.append(RenderedSegment(segment))
            continue
        writer = writers.get(translation.pk)
        rendered.append(
            RenderedSegment(
                segment,
                translation_id=translation.pk,
                text=translation.published_text,
                version=translation.published_version,
                published_at=translation.published_at,
                author=translation.author,
                written_by=writer.history_user if writer else None,
                written_at=writer.history_date if writer else None,
                approvals=approvals.get(translation.pk, []),
                source_changed=translation.published_source_hash != segment.source_hash,
            )
        )
    return ApprovedRendering(document=document, language=language, segments=rendered, generated_at=timezone.now())


def _published_version_writers(published):
    """For each published translation, the earliest history row of its published
    version: the row that version was written in, naming who wrote it and when."""
    History = Translation.history.model
    first_row_of_version = (
        History.objects.filter(id=OuterRef("id"), version=OuterRef("version"))
        .order_by("history_date", "history_id")
        .values("history_id")[:1]
    )
    return (
        History.objects.filter(
            Exists(published.filter(pk=OuterRef("id"), published_version=OuterRef("version"))),
            history_id=Subquery(first_row_of_version),
        )
        .select_related("history_user")
        .only("history_id", "id", "version", "history_date", *_person_fields("history_user"))
        .order_by()
    )
