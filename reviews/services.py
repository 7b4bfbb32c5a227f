"""Decisions on translation versions, and comments.

An approval names the version it approves and is bound to the exact text
and source it judged (invariant 2); nobody decides on their own work unless
the project allows it, and ``required_approvals`` distinct reviewers are
needed (invariant 3); the published rendering changes only on an approval,
and always to the approved text (invariant 4).
"""

from django.db import transaction
from django.utils import timezone

from translations.exceptions import DomainError, InvalidText, SelfReviewForbidden, StaleVersion
from translations.history import save_tracked
from translations.models import Segment, Translation, TranslationState
from translations.permissions import Action, require
from translations.services.translations import state_for
from translations.texts import normalise

from .models import Comment, Decision, Review

MAX_COMMENT_LENGTH = 10_000


def _clean_comment(text: str) -> str:
    text = normalise(text or "", field="comment").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidText(f"The comment is longer than {MAX_COMMENT_LENGTH} characters.")
    return text


@transaction.atomic
def review_record(
    *, translation: Translation, reviewer, version: int, decision: str, comment: str = "", reason: str = ""
) -> Review:
    """Record a decision on version `version` of a translation.

    Refused, writing nothing, when the translation has moved past that
    version (StaleVersion), when it is the reviewer's own work under a policy
    that forbids it (SelfReviewForbidden), or when a refusal has no comment."""
    segment = Segment.objects.select_for_update().select_related("document__project").get(pk=translation.segment_id)
    translation = Translation.objects.select_for_update().get(pk=translation.pk)
    translation.segment = segment
    project = segment.document.project
    require(reviewer, Action.REVIEW, project)
    if decision not in Decision.values:
        raise DomainError(f"Unknown decision {decision!r}.")
    if translation.version != version:
        raise StaleVersion(decided_version=version, current_version=translation.version, current_text=translation.text)
    if segment.is_deleted:
        raise DomainError("This segment has been deleted.")
    if translation.submitted_at is None:
        raise DomainError("This translation is a draft and has not been submitted for review.")
    if not project.allow_self_approval and reviewer.pk in {translation.author_id, translation.edited_by_id}:
        raise SelfReviewForbidden("You cannot review your own translation under this project's policy.")
    comment = _clean_comment(comment)
    if decision != Decision.APPROVE and not comment:
        raise DomainError("Say why: a comment is required to reject or request changes.")

    review = Review(
        translation=translation,
        version=translation.version,
        text=translation.text,
        text_hash=translation.text_hash,
        source_text=segment.source_text,
        source_hash=segment.source_hash,
        reviewer=reviewer,
        decision=decision,
        comment=comment,
    )
    label = Decision(decision).label
    save_tracked(review, user=reviewer, reason=reason or f"{label} version {version}")

    new_state = state_for(translation, segment=segment, project=project)
    changed = new_state != translation.state
    translation.state = new_state
    publishes_current = (
        translation.is_published
        and translation.published_text_hash == translation.text_hash
        and translation.published_source_hash == segment.source_hash
    )
    if new_state == TranslationState.APPROVED and not publishes_current:
        _unpublish_others(translation, user=reviewer)
        translation.is_published = True
        translation.published_version = translation.version
        translation.published_text = translation.text
        translation.published_text_hash = translation.text_hash
        translation.published_source_hash = segment.source_hash
        translation.published_at = timezone.now()
        changed = True
    elif decision != Decision.APPROVE and publishes_current and new_state != TranslationState.APPROVED:
        # The very text that is published has been judged wrong: withdraw it.
        translation.is_published = False
        changed = True
    if changed:
        save_tracked(translation, user=reviewer, reason=reason or f"{label} version {version} ({new_state})")
    return review


def _unpublish_others(translation: Translation, *, user) -> None:
    for other in Translation.objects.select_for_update().filter(
        segment_id=translation.segment_id, language=translation.language, is_published=True
    ).exclude(pk=translation.pk):
        other.is_published = False
        save_tracked(other, user=user, reason=f"Another candidate (#{translation.pk}) was approved and published")


@transaction.atomic
def comment_create(*, user, body: str, segment: Segment | None = None, translation: Translation | None = None) -> Comment:
    if (segment is None) == (translation is None):
        raise DomainError("A comment is on a segment or on a translation.")
    subject_segment = segment or translation.segment
    project = subject_segment.document.project
    require(user, Action.COMMENT, project)
    body = _clean_comment(body)
    if not body:
        raise InvalidText("The comment is empty.")
    comment = Comment(project=project, segment=segment, translation=translation, author=user, body=body)
    return save_tracked(comment, user=user, reason="Commented")
