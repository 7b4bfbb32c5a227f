"""The approved rendering of a document: what may be quoted, and why.

For one target language, each live segment's source beside the text that was
approved for it, with who wrote that version and who approved it when. The
text comes from the ``published_*`` fields only, never from
``Translation.text``: a later draft must not reach a reader until it is itself
approved (invariant 4). The ``text`` and ``note`` columns are not even loaded.

Five queries whatever the document's length (and for any number of documents
at once, ``approved_renderings``): segments, published
translations, the approvals of the published texts, the history rows naming
who wrote each published version (one per translation, chosen in SQL), and
the people all of these name.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
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
    "author_id",
    "is_published",
    "published_version",
    "published_text",
    "published_text_hash",
    "published_source_hash",
    "published_at",
)
# What a page needs to name a person (see the ``person`` filter); never the password hash.
PERSON_FIELDS = ("id", "username", "first_name", "last_name")


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
    history_url: str | None = None  # set by the view

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
    return approved_renderings([document], language)[0]


def approved_renderings(documents, language: str) -> list[ApprovedRendering]:
    """``approved_rendering`` of each of `documents`, in their order, in the same 5 queries
    however many documents there are (a project export reads them in chunks of this).

    Approvals and writers are read as plain rows and the people they name in one
    query of their own, so a document approved by three reviewers makes three
    User objects, not one per approval."""
    documents = list(documents)
    if not documents:
        return []
    by_document: dict[int, list] = {document.pk: [] for document in documents}
    for segment in (
        Segment.objects.filter(document__in=by_document, is_deleted=False)
        .only("id", "document_id", "position", "source_text", "source_hash")
        .order_by("document_id", "position", "id")
    ):
        by_document[segment.document_id].append(segment)
    published = Translation.objects.filter(
        segment__document__in=by_document, segment__is_deleted=False, language=language, is_published=True
    )
    translations = {t.segment_id: t for t in published.only(*PUBLISHED_FIELDS)}
    reviews = list(
        Review.objects.filter(
            translation__in=published,
            decision=Decision.APPROVE,
            stage__in=APPROVAL_STAGES,
            text_hash=F("translation__published_text_hash"),
            source_hash=F("translation__published_source_hash"),
        )
        .order_by("created_at", "id")
        .values_list("translation_id", "version", "stage", "created_at", "source_text", "reviewer_id")
    )
    writers = {
        translation_id: (written_at, user_id)
        for translation_id, written_at, user_id in _published_version_writers(published).values_list(
            "id", "history_date", "history_user_id"
        )
    }
    wanted = {t.author_id for t in translations.values()} | {row[5] for row in reviews}
    wanted |= {user_id for _, user_id in writers.values() if user_id is not None}
    people = get_user_model().objects.only(*PERSON_FIELDS).in_bulk(wanted) if wanted else {}

    approvals: dict[int, list[Approval]] = {}
    for translation_id, version, stage, created_at, source_text, reviewer_id in reviews:
        approvals.setdefault(translation_id, []).append(
            Approval(people.get(reviewer_id), version, stage, created_at, source_text)
        )

    def render(segment):
        translation = translations.get(segment.pk)
        if translation is None:
            return RenderedSegment(segment)
        written_at, writer_id = writers.get(translation.pk, (None, None))
        return RenderedSegment(
            segment,
            translation_id=translation.pk,
            text=translation.published_text,
            version=translation.published_version,
            published_at=translation.published_at,
            author=people.get(translation.author_id),
            written_by=people.get(writer_id) if writer_id is not None else None,
            written_at=written_at if writer_id is not None else None,
            approvals=approvals.get(translation.pk, []),
            source_changed=translation.published_source_hash != segment.source_hash,
        )

    now = timezone.now()
    return [
        ApprovedRendering(
            document=document, language=language, segments=[render(s) for s in by_document[document.pk]],
            generated_at=now,
        )
        for document in documents
    ]


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
        .order_by()
    )
