"""Candidate translations: create, edit naming the base version, submit.

Also the state engine shared with reviews: ``states_refresh`` recomputes the
derived state of translations after their text, their segment's source or
their reviews changed, and reports which rows changed so callers write
exactly one history row per changed object.
"""

from django.db import transaction
from django.utils import timezone

from ..exceptions import DomainError, EditConflict, InvalidText, NotAllowed
from ..history import bulk_update_tracked, save_tracked
from ..models import Segment, Translation, TranslationState
from ..permissions import Action, is_site_admin, require
from ..states import derive_state
from ..texts import normalise, text_fingerprint

MAX_TEXT_LENGTH = 20_000


def clean_translation_text(text: str) -> str:
    text = normalise(text, field="translation").strip()
    if not text:
        raise InvalidText("The translation is empty.")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidText(f"The translation is longer than {MAX_TEXT_LENGTH} characters.")
    return text


def state_for(translation: Translation, *, segment: Segment, project, reviews=None) -> str:
    """The state the translation's current text has against the segment's current source."""
    from reviews.models import Review

    if reviews is None:
        reviews = Review.objects.filter(
            translation=translation, text_hash=translation.text_hash, source_hash=segment.source_hash
        )
    else:
        reviews = [
            r for r in reviews if r.text_hash == translation.text_hash and r.source_hash == segment.source_hash
        ]
    return derive_state(
        submitted=translation.submitted_at is not None,
        matching_reviews=reviews,
        writer_ids={translation.author_id, translation.edited_by_id},
        required_approvals=project.required_approvals,
        allow_self_approval=project.allow_self_approval,
        final_stage_required=project.final_stage_required,
    )


def states_refresh(*, segment: Segment, project, user, reason: str) -> list[Translation]:
    """Recompute states of every translation of a segment after its source changed.

    Approvals bound to the old source stop counting; approvals bound to the
    source as it is again (a correction undone) count again. Published text is
    left alone: it stays the last approved one until a new approval."""
    from reviews.models import Review

    translations = list(Translation.objects.select_for_update().filter(segment=segment))
    reviews = list(Review.objects.filter(translation__segment=segment, source_hash=segment.source_hash))
    by_translation = {}
    for review in reviews:
        by_translation.setdefault(review.translation_id, []).append(review)
    changed = []
    for translation in translations:
        new_state = state_for(
            translation, segment=segment, project=project, reviews=by_translation.get(translation.pk, [])
        )
        if new_state != translation.state:
            translation.state = new_state
            translation.updated_at = timezone.now()
            changed.append(translation)
    bulk_update_tracked(changed, ["state", "updated_at"], user=user, reason=reason)
    return changed


def _record_checks(translation: Translation, user) -> None:
    """Store the automatic checks' findings of the version just saved (reviews.services.checks)."""
    from reviews.services.checks import translation_checks_record

    translation_checks_record(translation=translation, user=user)


def _lock(translation: Translation) -> tuple[Segment, Translation]:
    """Lock segment then translation: the one lock order every service uses."""
    segment = Segment.objects.select_for_update().select_related("document__project").get(pk=translation.segment_id)
    locked = Translation.objects.select_for_update().get(pk=translation.pk)
    locked.segment = segment
    return segment, locked


@transaction.atomic
def translation_create(
    *, segment: Segment, user, language: str, text: str, note: str = "", submit: bool = True, reason: str = ""
) -> Translation:
    """Add a candidate by `user`. Each translator has at most one candidate per
    segment and language; further work on it is a new version of it."""
    segment = Segment.objects.select_for_update().select_related("document__project").get(pk=segment.pk)
    project = segment.document.project
    require(user, Action.TRANSLATE, project)
    if segment.is_deleted:
        raise DomainError("This segment has been deleted.")
    if language not in project.target_languages:
        raise DomainError(f"{language!r} is not a target language of this project.")
    if Translation.objects.filter(segment=segment, language=language, author=user).exists():
        raise DomainError("You already have a candidate for this segment; edit it instead.")
    text = clean_translation_text(text)
    translation = Translation(
        segment=segment,
        language=language,
        author=user,
        edited_by=user,
        text=text,
        text_hash=text_fingerprint(text),
        note=normalise(note, field="note").strip(),
        version=1,
        submitted_at=timezone.now() if submit else None,
    )
    translation.state = TranslationState.SUBMITTED if submit else TranslationState.DRAFT
    if submit:
        from reviews.notifications import notify_after_commit, notify_waiting_work

        notify_after_commit(notify_waiting_work, translation)
    save_tracked(translation, user=user, reason=reason or ("Submitted candidate" if submit else "Saved draft"))
    _record_checks(translation, user)
    return translation


@transaction.atomic
def translation_edit(
    *,
    translation: Translation,
    user,
    base_version: int,
    text: str,
    note: str | None = None,
    submit: bool = False,
    reason: str = "",
) -> Translation:
    """Save a new version of one's own candidate.

    The caller names the version the edit started from; if the row has moved
    on, EditConflict carries both texts and nothing is written (invariant 6).
    A change of text makes a new version whose approvals start afresh
    (invariant 2), unless it is exactly a text already approved against the
    current source. The published text is untouched: it stays the last
    approved one until a newer version is approved (invariant 4)."""
    segment, translation = _lock(translation)
    project = segment.document.project
    require(user, Action.TRANSLATE, project)
    if translation.author_id != user.pk and not is_site_admin(user):
        raise NotAllowed("Only the translator who wrote a candidate may edit it; add your own candidate instead.")
    text = clean_translation_text(text)
    if translation.version != base_version:
        raise EditConflict(
            current_version=translation.version,
            current_text=translation.text,
            attempted_text=text,
            base_version=base_version,
        )
    if segment.is_deleted:
        raise DomainError("This segment has been deleted.")
    note = translation.note if note is None else normalise(note, field="note").strip()
    text_changed = text != translation.text
    submitting = submit and translation.submitted_at is None
    if not (text_changed or note != translation.note or submitting):
        return translation
    if text_changed:
        translation.text = text
        translation.text_hash = text_fingerprint(text)
        translation.version += 1
        translation.edited_by = user
    translation.note = note
    if submitting:
        translation.submitted_at = timezone.now()
    translation.state = state_for(translation, segment=segment, project=project)
    if not reason:
        parts = []
        if text_changed:
            parts.append(f"Edited text (version {translation.version})")
        elif note:
            parts.append("Edited note")
        if submitting:
            parts.append("submitted for review")
        reason = "; ".join(parts) or "Edited note"
    if translation.state == TranslationState.SUBMITTED and (text_changed or submitting):
        from reviews.notifications import notify_after_commit, notify_waiting_work

        notify_after_commit(notify_waiting_work, translation)
    save_tracked(translation, user=user, reason=reason)
    if text_changed:
        _record_checks(translation, user)
    return translation


@transaction.atomic
def translation_submit(*, translation: Translation, user, base_version: int) -> Translation:
    segment, locked = _lock(translation)
    if locked.author_id != user.pk and not is_site_admin(user):
        raise NotAllowed("Only the translator who wrote a candidate may submit it.")
    return translation_edit(
        translation=locked, user=user, base_version=base_version, text=locked.text, submit=True,
        reason="Submitted for review",
    )
