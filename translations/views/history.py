"""Per-object history pages: who changed what, when and why.

Any member of the project may read them, auditors included (Action.VIEW);
non-members get 404 like for an object that does not exist. Each page costs
the same number of queries however long the history: the history rows come
with their users in one query, a translation's reviews with their reviewers
in one more, and everything else is derived in Python from those rows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews.models import Decision, Review

from ..models import Authenticity, Document
from ..permissions import Action, can
from ..services.documents import PROVENANCE_FIELDS
from .access import document_in, project_for, segment_in, translation_in

CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
# A timeline reads in the past tense: "Approved", not the button's "Approve".
DECISION_LABELS = {
    Decision.APPROVE: "Approved",
    Decision.REQUEST_CHANGES: "Changes requested",
    Decision.REJECT: "Rejected",
}
DECISION_BADGE_CLASSES = {
    Decision.APPROVE: "text-bg-success",
    Decision.REQUEST_CHANGES: "text-bg-warning",
    Decision.REJECT: "text-bg-danger",
}
# Free text is shown as an inline diff; short fields as before → after.
LONG_DOCUMENT_FIELDS = {"description", "sensitivity_notes"}


def _chronological(history):
    """History rows oldest first, with the acting user, in one query."""
    return list(history.select_related("history_user").order_by("history_date", "history_id"))


@dataclass
class VersionEntry:
    """One history row of an object, compared with the row before it."""

    row: object
    previous: object | None
    events: list[str] = field(default_factory=list)
    kind: str = "version"

    @property
    def when(self) -> datetime:
        return self.row.history_date

    @property
    def who(self):
        return self.row.history_user

    @property
    def reason(self) -> str:
        return self.row.history_change_reason or ""

    @property
    def change_type(self) -> str:
        return CHANGE_TYPES.get(self.row.history_type, self.row.history_type)


# --- segment ---------------------------------------------------------------


@dataclass
class SegmentEntry(VersionEntry):
    @property
    def source_changed(self) -> bool:
        return self.previous is not None and self.row.source_text != self.previous.source_text

    @property
    def whitespace_only(self) -> bool:
        """The text changed but its fingerprint did not, so approvals still count."""
        return self.source_changed and self.row.source_hash == self.previous.source_hash


def segment_entries(rows) -> list[SegmentEntry]:
    """Entries newest first, with moves, deletions and restorations said in words."""
    entries = []
    previous = None
    for row in rows:
        entry = SegmentEntry(row=row, previous=previous)
        if previous is None:
            entry.events.append(f"Added at position {row.position}.")
        else:
            if row.position != previous.position:
                entry.events.append(f"Moved from position {previous.position} to position {row.position}.")
            if row.is_deleted and not previous.is_deleted:
                entry.events.append("Deleted; it stays on record with its translations and reviews.")
            elif previous.is_deleted and not row.is_deleted:
                entry.events.append(f"Restored at position {row.position}.")
        if row.history_type == "-":
            entry.events.append("The row was removed from the database.")
        entries.append(entry)
        previous = row
    entries.reverse()
    return entries


@require_GET
def segment_history(request, slug, segment_id):
    project = project_for(request, slug, Action.VIEW)
    segment = segment_in(project, segment_id)
    translations = list(segment.translations.select_related("author").order_by("language", "id"))
    return render(
        request,
        "translations/history/segment.html",
        {
            "project": project,
            "document": segment.document,
            "segment": segment,
            "crumb": f"History of segment {segment.position}",
            "entries": segment_entries(_chronological(segment.history)),
            "translations": translations,
            "can_manage_documents": can(request.user, Action.MANAGE_DOCUMENTS, project),
        },
    )


# --- translation -----------------------------------------------------------


@dataclass
class TranslationEntry(VersionEntry):
    @property
    def text_changed(self) -> bool:
        return self.previous is not None and self.row.text != self.previous.text

    @property
    def state_changed(self) -> bool:
        return self.previous is None or self.row.state != self.previous.state


@dataclass
class ReviewEntry:
    review: Review
    text_changed: bool  # the translation's text is no longer the one judged
    source_changed: bool  # the segment's source is no longer the one judged against
    superseded: bool = False  # the same reviewer decided again on this text and source
    kind: str = "review"

    @property
    def counts(self) -> bool:
        return not (self.text_changed or self.source_changed)

    @property
    def when(self) -> datetime:
        return self.review.created_at

    @property
    def label(self) -> str:
        return DECISION_LABELS.get(self.review.decision, self.review.decision)

    @property
    def badge_class(self) -> str:
        return DECISION_BADGE_CLASSES.get(self.review.decision, "text-bg-light")


def translation_entries(rows) -> list[TranslationEntry]:
    """Version entries oldest first, with publication and submission said in words."""
    entries = []
    previous = None
    for row in rows:
        entry = TranslationEntry(row=row, previous=previous)
        was_published = previous is not None and previous.is_published
        was_submitted = previous is not None and previous.submitted_at is not None
        if row.submitted_at is not None and not was_submitted:
            entry.events.append("Submitted for review.")
        if row.is_published and (
            not was_published or row.published_version != previous.published_version
        ):
            entry.events.append(f"Version {row.published_version} became the published rendering.")
        elif was_published and not row.is_published:
            entry.events.append("No longer the published rendering.")
        if previous is not None and row.note != previous.note:
            entry.events.append("The translator's note changed.")
        entries.append(entry)
        previous = row
    return entries


def review_entries(reviews, *, translation) -> list[ReviewEntry]:
    """Reviews oldest first, marking which still count for the current version.

    A review counts while the translation's text and its segment's source are
    the ones it judged (invariants 2 and 5); of a reviewer's counting reviews
    only the latest stands, as in ``translations.states.derive_state``.
    """
    source_hash = translation.segment.source_hash
    entries = [
        ReviewEntry(
            review=review,
            text_changed=review.text_hash != translation.text_hash,
            source_changed=review.source_hash != source_hash,
        )
        for review in reviews
    ]
    latest = {}
    for entry in entries:
        if entry.counts:
            latest[entry.review.reviewer_id] = entry
    for entry in entries:
        entry.superseded = entry.counts and latest[entry.review.reviewer_id] is not entry
    return entries


def timeline(versions, reviews) -> list:
    """Versions and reviews interleaved newest first.

    A review and the state change it causes are written in one transaction,
    the review first; on an exact tie the review is taken as the older.
    """
    keyed = [((entry.when, 1, entry.row.history_id), entry) for entry in versions]
    keyed += [((entry.when, 0, entry.review.pk), entry) for entry in reviews]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in keyed]


@require_GET
def translation_history(request, slug, translation_id):
    project = project_for(request, slug, Action.VIEW)
    translation = translation_in(project, translation_id)
    reviews = Review.objects.filter(translation=translation).select_related("reviewer").order_by("created_at", "id")
    versions = translation_entries(_chronological(translation.history))
    return render(
        request,
        "translations/history/translation.html",
        {
            "project": project,
            "document": translation.segment.document,
            "segment": translation.segment,
            "translation": translation,
            "can_manage_documents": can(request.user, Action.MANAGE_DOCUMENTS, project),
            "crumb": "History of the {} translation by {}".format(
                translation.language, translation.author.get_full_name() or translation.author.get_username()
            ),
            "timeline": timeline(versions, review_entries(reviews, translation=translation)),
        },
    )


# --- document --------------------------------------------------------------


@dataclass
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    long: bool


@dataclass
class DocumentEntry(VersionEntry):
    changes: list[FieldChange] = field(default_factory=list)


def _field_label(name: str) -> str:
    label = str(Document._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _field_value(name: str, value) -> str:
    if name == "authenticity" and value in Authenticity.values:
        return Authenticity(value).label
    return "" if value is None else str(value)


def document_entries(rows) -> list[DocumentEntry]:
    """Entries newest first, each listing the fields it changed, before → after.

    The first row lists the fields the document was created with."""
    order = {name: index for index, name in enumerate(PROVENANCE_FIELDS)}
    entries = []
    previous = None
    for row in rows:
        entry = DocumentEntry(row=row, previous=previous)
        if previous is None:
            names = [name for name in PROVENANCE_FIELDS if getattr(row, name)]
            changes = [(name, "", getattr(row, name)) for name in names]
        else:
            delta = row.diff_against(previous, included_fields=PROVENANCE_FIELDS)
            changes = sorted(((c.field, c.old, c.new) for c in delta.changes), key=lambda c: order[c[0]])
        entry.changes = [
            FieldChange(
                name=name,
                label=_field_label(name),
                old=_field_value(name, old),
                new=_field_value(name, new),
                long=name in LONG_DOCUMENT_FIELDS,
            )
            for name, old, new in changes
        ]
        entries.append(entry)
        previous = row
    entries.reverse()
    return entries


@require_GET
def document_history(request, slug, document_id):
    project = project_for(request, slug, Action.VIEW)
    document = document_in(project, document_id)
    segments = list(document.segments.order_by("is_deleted", "position", "id"))
    return render(
        request,
        "translations/history/document.html",
        {
            "project": project,
            "document": document,
            "crumb": "History",
            "entries": document_entries(_chronological(document.history)),
            "segments": segments,
        },
    )
