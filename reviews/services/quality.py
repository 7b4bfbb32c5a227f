"""MQM annotations, back-translations and the project's quality policy.

An MQM annotation judges one exact version: it names the version the
reviewer saw (a version that moved on is refused with EditConflict, nothing
written), keeps that version's text and fingerprint, and never moves to a
later version (so it never counts for one). A back-translation is asked of a
member who did not write the rendering, is bound to the version it was asked
for, and is only ever shown beside the source for comparison: nothing here
touches a translation's text or its publication.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from translations.exceptions import DomainError, EditConflict, InvalidText, NotAllowed
from translations.history import delete_tracked, save_tracked
from translations.models import Project, Translation
from translations.permissions import Action, can, is_member, require
from translations.services.translations import _lock
from translations.texts import normalise, text_fingerprint

from .. import mqm
from ..models import BackTranslation, BackTranslationState, ErrorAnnotation, MqmSeverity, QualityPolicy

MAX_NOTE_LENGTH = 2_000
MAX_BACK_TRANSLATION_LENGTH = 20_000
MAX_WEIGHT = 1_000


def _clean(text: str, *, field: str, limit: int) -> str:
    text = normalise(text or "", field=field).strip()
    if len(text) > limit:
        raise InvalidText(f"The {field} is longer than {limit} characters.")
    return text


def _current(translation: Translation, base_version, attempted_text: str = "") -> None:
    try:
        base_version = int(base_version)
    except (TypeError, ValueError):
        raise DomainError("The version you looked at is missing; reload the page.") from None
    if translation.version != base_version:
        raise EditConflict(
            current_version=translation.version, current_text=translation.text,
            attempted_text=attempted_text, base_version=base_version,
        )


def _span(text: str, *, start, end, quote: str, occurrence) -> tuple[int, int]:
    """Check a span given by offsets, or find it by its text and occurrence number."""
    quote = normalise(quote or "", field="span text")
    if start is not None or end is not None:
        if not (isinstance(start, int) and isinstance(end, int)):
            raise DomainError("Give both the start and the end of the span.")
        if not 0 <= start < end <= len(text):
            raise DomainError(
                f"The span {start}–{end} is not inside the text, which has {len(text)} characters. "
                "Select the words again."
            )
        if quote and text[start:end] != quote:
            raise DomainError("The selected words and the typed span text disagree; select the words again.")
        return start, end
    if not quote:
        raise DomainError("Select the words in error (or type them and say which occurrence).")
    try:
        occurrence = int(occurrence or 1)
    except (TypeError, ValueError):
        raise DomainError("The occurrence must be a number (1 for the first).") from None
    found = mqm.span_of(text, quote, occurrence)
    if found is None:
        times = text.count(quote)
        raise DomainError(
            f"“{quote[:80]}” does not occur in this version."
            if not times
            else f"“{quote[:80]}” occurs {times} time{'s' if times != 1 else ''} in this version, not {occurrence}."
        )
    return found


@transaction.atomic
def error_annotation_create(
    *,
    translation: Translation,
    user,
    base_version,
    dimension: str,
    severity: str,
    subtype: str = "",
    start: int | None = None,
    end: int | None = None,
    quote: str = "",
    occurrence: int | None = None,
    note: str = "",
) -> ErrorAnnotation:
    """Annotate a span of the version the reviewer saw with an MQM error.

    The annotation names that version and keeps its text and fingerprint; a
    version that moved on is refused (EditConflict), as is a span outside the
    text or a category outside MQM Core. Nobody annotates their own rendering
    unless the project lets reviewers approve their own work."""
    _, translation = _lock(translation)  # segment, then translation: the one lock order
    project = translation.segment.document.project
    require(user, Action.REVIEW, project)
    _current(translation, base_version)
    if translation.segment.is_deleted:
        raise DomainError("This segment has been deleted.")
    if not project.allow_self_approval and user.pk in {translation.author_id, translation.edited_by_id}:
        raise NotAllowed("You cannot assess your own translation under this project's policy.")
    dimension, subtype = (dimension or "").strip(), (subtype or "").strip()
    if not mqm.is_valid(dimension, subtype):
        raise DomainError("Choose an error type from the MQM typology (a dimension and one of its subtypes).")
    if severity not in MqmSeverity.values:
        raise DomainError("Choose a severity: neutral, minor, major or critical.")
    start, end = _span(translation.text, start=start, end=end, quote=quote, occurrence=occurrence)
    annotation = ErrorAnnotation(
        translation=translation,
        version=translation.version,
        text=translation.text,
        text_hash=text_fingerprint(translation.text),
        start=start,
        end=end,
        dimension=dimension,
        subtype=subtype,
        severity=severity,
        note=_clean(note, field="note", limit=MAX_NOTE_LENGTH),
        reviewer=user,
    )
    label = mqm.category_label(dimension, subtype)
    return save_tracked(
        annotation, user=user,
        reason=f"MQM annotation: {label}, {MqmSeverity(severity).label} on version {translation.version}",
    )


@transaction.atomic
def error_annotation_delete(*, annotation: ErrorAnnotation, user, reason: str = "") -> None:
    """Withdraw an annotation: its reviewer may, or a manager with a reason.
    The deletion stays in history with who and why."""
    annotation = ErrorAnnotation.objects.select_for_update().select_related(
        "translation__segment__document__project"
    ).get(pk=annotation.pk)
    project = annotation.translation.segment.document.project
    require(user, Action.REVIEW, project)
    reason = _clean(reason, field="reason", limit=500)
    if annotation.reviewer_id == user.pk:
        reason = reason or "Withdrawn by the reviewer who made it"
    elif can(user, Action.MANAGE_POLICY, project):
        if not reason:
            raise DomainError("Say why you remove another reviewer's annotation; the reason is recorded.")
    else:
        raise NotAllowed("Only the reviewer who made an annotation, or a manager, may remove it.")
    delete_tracked(annotation, user=user, reason=f"MQM annotation removed: {reason}")


@transaction.atomic
def back_translation_request(
    *, translation: Translation, user, assignee, base_version, note: str = ""
) -> BackTranslation:
    """Ask a member who did not write the rendering to translate its current
    version back into the source language. The request names the version and
    keeps its text, so a later edit does not change what was asked."""
    _, translation = _lock(translation)  # segment, then translation: the one lock order
    project = translation.segment.document.project
    require(user, Action.REVIEW, project)
    _current(translation, base_version)
    if translation.segment.is_deleted:
        raise DomainError("This segment has been deleted.")
    if assignee is None or not assignee.is_active or not is_member(assignee, project) or not can(
        assignee, Action.TRANSLATE, project
    ):
        raise DomainError("Choose a member of this project who translates.")
    if assignee.pk in {translation.author_id, translation.edited_by_id}:
        raise DomainError("Ask someone other than the rendering's author: a back-translation checks their reading.")
    if assignee.pk == user.pk:
        raise DomainError("Ask another member; a back-translation by the reviewer who asks is no independent check.")
    if BackTranslation.objects.filter(
        translation=translation, version=translation.version, assignee=assignee, state=BackTranslationState.REQUESTED
    ).exists():
        raise DomainError("This member already has an open request for this version.")
    back = BackTranslation(
        translation=translation,
        version=translation.version,
        rendering=translation.text,
        requested_by=user,
        assignee=assignee,
        request_note=_clean(note, field="note", limit=MAX_NOTE_LENGTH),
    )
    return save_tracked(
        back, user=user,
        reason=f"Back-translation of version {translation.version} requested from {assignee.get_username()}",
    )


def _open_for(back: BackTranslation, user) -> BackTranslation:
    back = BackTranslation.objects.select_for_update().select_related(
        "translation__segment__document__project"
    ).get(pk=back.pk)
    if back.assignee_id != user.pk:
        raise NotAllowed("This back-translation was asked of someone else.")
    require(user, Action.TRANSLATE, back.translation.segment.document.project)
    if back.state != BackTranslationState.REQUESTED:
        raise DomainError(f"This request is already {back.get_state_display().lower()}.")
    return back


@transaction.atomic
def back_translation_complete(*, back_translation: BackTranslation, user, text: str) -> BackTranslation:
    """The assignee writes the back-translation. It is kept beside the
    request, never in the translation: nothing published changes."""
    back = _open_for(back_translation, user)
    text = _clean(text, field="back-translation", limit=MAX_BACK_TRANSLATION_LENGTH)
    if not text:
        raise InvalidText("The back-translation is empty.")
    back.text = text
    back.state = BackTranslationState.DONE
    back.completed_at = timezone.now()
    return save_tracked(back, user=user, reason=f"Back-translation of version {back.version} written")


@transaction.atomic
def back_translation_decline(*, back_translation: BackTranslation, user, reason: str) -> BackTranslation:
    """The assignee declines, saying why. A declined request keeps the reason
    in ``text`` (shown as the reason, never as a back-translation)."""
    back = _open_for(back_translation, user)
    reason = _clean(reason, field="reason", limit=MAX_NOTE_LENGTH)
    if not reason:
        raise DomainError("Say why you decline; the person who asked will see it.")
    back.text = reason
    back.state = BackTranslationState.DECLINED
    back.completed_at = timezone.now()
    return save_tracked(back, user=user, reason=f"Back-translation request declined: {reason[:200]}")


def _decimal(value, *, field: str, low: Decimal, high: Decimal, places: int) -> Decimal:
    try:
        value = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(f"The {field} must be a number.") from None
    if not value.is_finite() or not low <= value <= high:
        raise DomainError(f"The {field} must be between {low} and {high}.")
    return value.quantize(Decimal(1).scaleb(-places))


@transaction.atomic
def quality_policy_update(
    *,
    project: Project,
    user,
    weight_neutral: int,
    weight_minor: int,
    weight_major: int,
    weight_critical: int,
    pass_threshold,
    length_ratio_tolerance,
    shares_memory: bool,
    reason: str,
) -> QualityPolicy:
    """Change the MQM weights, the pass mark, the length-ratio tolerance and
    whether the project offers its memory to its members' other projects.
    Only what changed is written, each row with its history. Scores are
    computed when read, so new weights apply to every report at once; no
    annotation is changed."""
    require(user, Action.MANAGE_POLICY, project)
    reason = _clean(reason, field="reason", limit=300)
    if not reason:
        raise DomainError("Say why the policy changes; the reason is recorded.")
    weights = {
        "weight_neutral": weight_neutral, "weight_minor": weight_minor,
        "weight_major": weight_major, "weight_critical": weight_critical,
    }
    for name, value in weights.items():
        if not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
            raise DomainError(f"Each weight must be a whole number from 0 to {MAX_WEIGHT}.")
    if not weight_neutral <= weight_minor <= weight_major <= weight_critical:
        raise DomainError("Weights must not decrease with severity (neutral ≤ minor ≤ major ≤ critical).")
    wanted = {
        **weights,
        "pass_threshold": _decimal(pass_threshold, field="pass threshold", low=Decimal(0), high=Decimal(100), places=2),
        "length_ratio_tolerance": _decimal(
            length_ratio_tolerance, field="length-ratio tolerance", low=Decimal("1.1"), high=Decimal(10), places=2
        ),
    }
    project = Project.objects.select_for_update().get(pk=project.pk)
    policy = QualityPolicy.objects.select_for_update().filter(project=project).first() or QualityPolicy(project=project)
    # A new row starts at the defaults: it is written only when something differs from them.
    changed = [name for name, value in wanted.items() if getattr(policy, name) != value]
    if changed:
        for name in changed:
            setattr(policy, name, wanted[name])
        summary = ", ".join(f"{name.replace('_', ' ')} → {wanted[name]}" for name in changed)
        save_tracked(policy, user=user, reason=f"{reason} (quality: {summary})")
    if project.shares_memory != bool(shares_memory):
        project.shares_memory = bool(shares_memory)
        save_tracked(project, user=user, reason=f"{reason} (shares memory → {project.shares_memory})")
    return policy

