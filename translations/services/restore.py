"""Bringing back an earlier version of a segment's source or a translation's text.

A restore never rewrites history: it writes the old text again as a *new*
version, naming the acting user and "Restored version N" (invariants 1 and 7).
It names the version the user was looking at, so a restore over someone
else's newer edit is refused as a conflict and writes nothing (invariant 6).
Only managers and site administrators restore (Action.MANAGE_DOCUMENTS).

A segment is restored through ``segment_edit``, so the translations' approvals
stop counting only when the source really changes (invariant 5). A
translation is restored as ``translation_edit`` would save it — a new version
by the restorer, its state re-derived from the reviews of that exact text —
except that the restorer need not be its author. A deleted segment is brought
back with ``segment_restore``, not here.
"""

from django.db import transaction

from ..exceptions import DomainError, EditConflict
from ..history import save_tracked
from ..models import Segment, Translation, TranslationState
from ..permissions import Action, require
from ..texts import text_fingerprint
from .segments import segment_edit
from .translations import _lock, _record_checks, state_for


def _recorded_version(history, version: int):
    """The latest history row of `version`, or None if there never was one."""
    return history.filter(version=version).order_by("-history_id").first()


def _conflict(*, current_version: int, current_text: str, restoring, field: str, base_version: int) -> EditConflict:
    return EditConflict(
        current_version=current_version,
        current_text=current_text,
        attempted_text=getattr(restoring, field) if restoring is not None else "",
        base_version=base_version,
    )


@transaction.atomic
def segment_version_restore(*, segment: Segment, user, version: int, base_version: int) -> Segment:
    """Make the source text of `version` the segment's text again, as a new version.

    When that text is already the current one nothing is written and the
    segment comes back unchanged."""
    segment = Segment.objects.select_for_update().select_related("document__project").get(pk=segment.pk)
    require(user, Action.MANAGE_DOCUMENTS, segment.document.project)
    row = _recorded_version(segment.history, version)
    if segment.version != base_version:
        raise _conflict(
            current_version=segment.version, current_text=segment.source_text, restoring=row, field="source_text",
            base_version=base_version,
        )
    if row is None:
        raise DomainError(f"There is no version {version}.")
    if segment.is_deleted:
        raise DomainError("This segment has been deleted; restore it first.")
    return segment_edit(
        segment=segment, user=user, base_version=base_version, source_text=row.source_text,
        reason=f"Restored version {version}",
    )


@transaction.atomic
def translation_version_restore(*, translation: Translation, user, version: int, base_version: int) -> Translation:
    """Make the text of `version` the translation's text again, as a new version by `user`.

    The new version's approvals start afresh unless that exact text was
    approved against the current source (as for any edit, invariant 2); the
    published text is left as it is (invariant 4). When the text is already
    the current one nothing is written."""
    segment, translation = _lock(translation)
    project = segment.document.project
    require(user, Action.MANAGE_DOCUMENTS, project)
    row = _recorded_version(translation.history, version)
    if translation.version != base_version:
        raise _conflict(
            current_version=translation.version, current_text=translation.text, restoring=row, field="text",
            base_version=base_version,
        )
    if row is None:
        raise DomainError(f"There is no version {version}.")
    if segment.is_deleted:
        raise DomainError("This segment has been deleted; restore it first.")
    if row.text == translation.text:
        return translation
    translation.text = row.text
    translation.text_hash = text_fingerprint(row.text)
    translation.version += 1
    translation.edited_by = user
    translation.state = state_for(translation, segment=segment, project=project)
    if translation.state == TranslationState.SUBMITTED:
        from reviews.notifications import notify_waiting_work

        transaction.on_commit(lambda: notify_waiting_work(translation))
    save_tracked(translation, user=user, reason=f"Restored version {version}")
    _record_checks(translation, user)
    return translation
