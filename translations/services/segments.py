"""The transcription: segments added, edited, split, merged, moved, deleted.

A segment edit names the version it started from (invariant 6). When the
source changes for real (its whitespace-insensitive fingerprint changes), the
translations of the segment are re-derived so their approvals stop counting
(invariant 5); a no-op or whitespace-only save invalidates nothing.
Deleting only flags a segment, so its translations and reviews stay on
record and it can be restored.
"""

import unicodedata

from django.db import transaction
from django.db.models import Max

from ..exceptions import DomainError, EditConflict, InvalidText
from ..history import bulk_create_tracked, bulk_update_tracked, save_tracked
from ..models import Document, Segment
from ..permissions import Action, require
from ..texts import check_marks, normalise, source_fingerprint, split_into_segments
from .translations import states_refresh

MAX_SOURCE_LENGTH = 20_000


def clean_source_text(text: str) -> str:
    text = normalise(text, field="source text").strip()
    if not text:
        raise InvalidText("The source text is empty.")
    if len(text) > MAX_SOURCE_LENGTH:
        raise InvalidText(f"The source text is longer than {MAX_SOURCE_LENGTH} characters.")
    check_marks(text)
    return text


def _live_segments(document: Document) -> list[Segment]:
    return list(Segment.objects.select_for_update().filter(document=document, is_deleted=False).order_by("position", "id"))


def _renumber(ordered: list[Segment], *, user, reason: str) -> None:
    """Give live segments positions 1..n, writing history only for those that moved."""
    moved = []
    for index, segment in enumerate(ordered, start=1):
        if segment.position != index:
            segment.position = index
            moved.append(segment)
    bulk_update_tracked(moved, ["position"], user=user, reason=reason)


def _lock_segment(segment: Segment, base_version: int | None) -> Segment:
    locked = Segment.objects.select_for_update().select_related("document__project").get(pk=segment.pk)
    if base_version is not None and locked.version != base_version:
        raise EditConflict(
            current_version=locked.version,
            current_text=locked.source_text,
            attempted_text="",
            base_version=base_version,
        )
    return locked


def _set_source(segment: Segment, text: str, *, user, reason: str) -> bool:
    """Save a new source; return whether it changed for real (and translations were re-derived)."""
    new_hash = source_fingerprint(text)
    real_change = new_hash != segment.source_hash
    segment.source_text = text
    segment.source_hash = new_hash
    segment.version += 1
    save_tracked(segment, user=user, reason=reason)
    if real_change:
        states_refresh(
            segment=segment,
            project=segment.document.project,
            user=user,
            reason=f"Source of segment {segment.position} changed; needs re-review",
        )
        from reviews.services.checks import segment_checks_refresh

        segment_checks_refresh(segment=segment, user=user)
    return real_change


@transaction.atomic
def segment_create(*, document: Document, user, source_text: str, position: int | None = None, reason: str = "") -> Segment:
    """Add a segment at the end, or before the live segment now at `position`."""
    require(user, Action.TRANSCRIBE, document.project)
    text = clean_source_text(source_text)
    live = _live_segments(document)
    segment = Segment(document=document, source_text=text, source_hash=source_fingerprint(text))
    if position is None or position > len(live):
        segment.position = (live[-1].position if live else 0) + 1
        return save_tracked(segment, user=user, reason=reason or "Added segment")
    position = max(1, position)
    segment.position = position
    _renumber(live[: position - 1] + [Segment(position=position)] + live[position - 1 :], user=user,
              reason="Renumbered after an insertion")
    return save_tracked(segment, user=user, reason=reason or f"Inserted segment at {position}")


@transaction.atomic
def segments_append_from_text(*, document: Document, user, text: str, mode: str = "line", reason: str = "") -> list[Segment]:
    """Split pasted text by line or sentence and append the pieces as segments, all or nothing."""
    require(user, Action.TRANSCRIBE, document.project)
    pieces = [clean_source_text(piece) for piece in split_into_segments(text, mode=mode)]
    if not pieces:
        raise InvalidText("There is no text to add.")
    start = (
        Segment.objects.select_for_update().filter(document=document, is_deleted=False).aggregate(m=Max("position"))["m"]
        or 0
    )
    segments = [
        Segment(document=document, position=start + index, source_text=piece, source_hash=source_fingerprint(piece))
        for index, piece in enumerate(pieces, start=1)
    ]
    return bulk_create_tracked(
        segments, user=user, reason=reason or f"Transcribed {len(segments)} segments (split by {mode})"
    )


@transaction.atomic
def segment_edit(*, segment: Segment, user, base_version: int, source_text: str, reason: str = "") -> Segment:
    segment = _lock_segment(segment, None)
    require(user, Action.TRANSCRIBE, segment.document.project)
    text = clean_source_text(source_text)
    if segment.version != base_version:
        raise EditConflict(
            current_version=segment.version, current_text=segment.source_text, attempted_text=text,
            base_version=base_version,
        )
    if segment.is_deleted:
        raise DomainError("This segment has been deleted; restore it first.")
    if text == segment.source_text:
        return segment
    _set_source(segment, text, user=user, reason=reason or "Corrected transcription")
    return segment


@transaction.atomic
def segment_split(*, segment: Segment, user, base_version: int, at: int, reason: str = "") -> tuple[Segment, Segment]:
    """Split a segment at character offset `at`; the tail becomes a new segment after it."""
    segment = _lock_segment(segment, base_version)
    require(user, Action.TRANSCRIBE, segment.document.project)
    if segment.is_deleted:
        raise DomainError("This segment has been deleted; restore it first.")
    head, tail = segment.source_text[:at].strip(), segment.source_text[at:].strip()
    if not head or not tail:
        raise DomainError("Choose a split point inside the text, with text on both sides.")
    live = _live_segments(segment.document)
    index = next(i for i, s in enumerate(live) if s.pk == segment.pk)
    live[index] = segment  # one instance, so the history rows written below agree
    _renumber(live[: index + 1] + [Segment(position=index + 2)] + live[index + 1 :], user=user,
              reason="Renumbered after a split")
    new = Segment(document=segment.document, position=index + 2, source_text=tail, source_hash=source_fingerprint(tail))
    save_tracked(new, user=user, reason=reason or f"Split from segment {index + 1}")
    _set_source(segment, head, user=user, reason=reason or "Split into two segments")
    return segment, new


@transaction.atomic
def segment_merge(*, segment: Segment, user, base_version: int, next_base_version: int, reason: str = "") -> Segment:
    """Merge a segment with the one after it. The following segment is deleted
    (flagged); its translations stay on record with it."""
    segment = _lock_segment(segment, base_version)
    require(user, Action.TRANSCRIBE, segment.document.project)
    live = _live_segments(segment.document)
    index = next((i for i, s in enumerate(live) if s.pk == segment.pk), None)
    if index is None:
        raise DomainError("This segment has been deleted; restore it first.")
    if index + 1 >= len(live):
        raise DomainError("This is the last segment; there is nothing after it to merge.")
    live[index] = segment
    following = live[index + 1]
    if following.version != next_base_version:
        raise EditConflict(
            current_version=following.version, current_text=following.source_text, attempted_text="",
            base_version=next_base_version,
        )
    separator = "" if segment.document.project.source_language in ("zh", "ja") else " "
    following.is_deleted = True
    save_tracked(following, user=user, reason=reason or f"Merged into segment {index + 1}")
    # Joined without a space, a segment's end and the next one's start can compose
    # (か + ゙ is が): the joined text is normalised again, as every stored source is.
    merged = unicodedata.normalize("NFC", f"{segment.source_text}{separator}{following.source_text}")
    _set_source(segment, merged, user=user, reason=reason or f"Merged with segment {index + 2}")
    _renumber([s for s in live if s.pk != following.pk], user=user, reason="Renumbered after a merge")
    return segment


@transaction.atomic
def segment_move(*, segment: Segment, user, to_position: int, reason: str = "") -> Segment:
    segment = _lock_segment(segment, None)
    require(user, Action.TRANSCRIBE, segment.document.project)
    if segment.is_deleted:
        raise DomainError("This segment has been deleted; restore it first.")
    live = [s for s in _live_segments(segment.document) if s.pk != segment.pk]
    to_position = min(max(1, to_position), len(live) + 1)
    live.insert(to_position - 1, segment)
    _renumber(live, user=user, reason=reason or f"Moved segment to position {to_position}")
    segment.refresh_from_db()
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, user, base_version: int, reason: str = "") -> Segment:
    segment = _lock_segment(segment, base_version)
    require(user, Action.TRANSCRIBE, segment.document.project)
    if segment.is_deleted:
        return segment
    segment.is_deleted = True
    save_tracked(segment, user=user, reason=reason or "Deleted segment")
    _renumber(_live_segments(segment.document), user=user, reason="Renumbered after a deletion")
    return segment


@transaction.atomic
def segment_restore(*, segment: Segment, user, reason: str = "") -> Segment:
    """Bring a deleted segment back at the end of the document."""
    segment = _lock_segment(segment, None)
    require(user, Action.TRANSCRIBE, segment.document.project)
    if not segment.is_deleted:
        return segment
    live = _live_segments(segment.document)
    segment.is_deleted = False
    segment.position = (live[-1].position if live else 0) + 1
    return save_tracked(segment, user=user, reason=reason or "Restored deleted segment")
