"""Decisions on translation versions, one at a time or in bulk.

An approval names the version it approves and is bound to the exact text
and source it judged (invariant 2); nobody decides on their own work unless
the project allows it, and ``required_approvals`` distinct reviewers are
needed (invariant 3); the published rendering changes only on an approval,
and always to the approved text (invariant 4). A bulk decision is the same
decision made per row: rows that fail a check are skipped and reported, the
rest land together, each with its own history row.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from translations.exceptions import DomainError, InvalidText, NotAllowed, SelfReviewForbidden, StaleVersion
from translations.history import bulk_create_tracked, bulk_update_tracked
from translations.models import Segment, Translation, TranslationState
from translations.permissions import Action, can
from translations.services.translations import state_for
from translations.texts import normalise

from ..models import Decision, Review, Stage
from ..notifications import notify_after_commit, notify_decisions
from ..webhooks import events_for_approval

MAX_COMMENT_LENGTH = 10_000
MAX_BULK = 5_000
PUBLICATION_FIELDS = [
    "state",
    "is_published",
    "published_version",
    "published_text",
    "published_text_hash",
    "published_source_hash",
    "published_at",
    "updated_at",
]


def _clean_comment(text: str) -> str:
    text = normalise(text or "", field="comment").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidText(f"The comment is longer than {MAX_COMMENT_LENGTH} characters.")
    return text


@dataclass
class BulkOutcome:
    reviews: list[Review] = field(default_factory=list)
    skipped: list[tuple[Translation, str]] = field(default_factory=list)

    @property
    def decided_count(self) -> int:
        return len(self.reviews)


def _stage_for(translation: Translation, project, reviewer, version: int, standing_approvers: set[int]) -> str:
    """Check one decision and return its stage, or raise the domain error that refuses it."""
    segment = translation.segment
    if not can(reviewer, Action.REVIEW, project):
        raise NotAllowed("Your role in this project does not include reviewing.")
    if translation.version != version:
        raise StaleVersion(decided_version=version, current_version=translation.version, current_text=translation.text)
    if segment.is_deleted:
        raise DomainError("This segment has been deleted.")
    if translation.submitted_at is None:
        raise DomainError("This translation is a draft and has not been submitted for review.")
    if not project.allow_self_approval and reviewer.pk in {translation.author_id, translation.edited_by_id}:
        raise SelfReviewForbidden("You cannot review your own translation under this project's policy.")
    if project.final_stage_required and translation.state == TranslationState.REVIEWED:
        if not can(reviewer, Action.FINAL_EDIT, project):
            raise DomainError("This rendering awaits its final edit, which only managers and designated final editors make.")
        if reviewer.pk in {translation.author_id, translation.edited_by_id} or reviewer.pk in standing_approvers:
            raise SelfReviewForbidden("You wrote or approved this version at review; its final edit needs another person.")
        return Stage.FINAL
    return Stage.REVIEW


@transaction.atomic
def reviews_record_bulk(
    *, reviewer, items: list[tuple[int, int]], decision: str, comment: str = "", reason: str = "", raise_errors: bool = False
) -> BulkOutcome:
    """Record one decision on many (translation id, version) pairs.

    Costs a fixed number of queries for up to 500 rows (each further 500 add
    a few), whatever the rows: locks, matching reviews and current
    publications are read in one query each; reviews are inserted and
    translations updated in bulk, each with one history row."""
    if decision not in Decision.values:
        raise DomainError(f"Unknown decision {decision!r}.")
    comment = _clean_comment(comment)
    if decision != Decision.APPROVE and not comment:
        raise DomainError("Say why: a comment is required to reject or request changes.")
    if len(items) > MAX_BULK:
        raise DomainError(f"At most {MAX_BULK} translations can be decided at once.")
    versions = dict(items)
    # Segments first, in id order: the lock order of every service (segment, then
    # translation). Locking both in one statement took the translation first and
    # deadlocked against a concurrent save of the same translation.
    segment_ids = Translation.objects.filter(pk__in=versions).values("segment_id")
    list(Segment.objects.select_for_update().filter(pk__in=segment_ids).order_by("pk").values_list("pk", flat=True))
    locked = {
        t.pk: t
        for t in Translation.objects.select_for_update(of=("self", "segment"))
        .select_related("segment__document__project")
        .filter(pk__in=versions)
    }
    outcome = BulkOutcome()
    if not locked:
        if raise_errors:
            raise DomainError("No such translation.")
        return outcome
    existing: dict[int, list[Review]] = {}
    for review in Review.objects.filter(translation__in=locked.values()).order_by("created_at", "id"):
        existing.setdefault(review.translation_id, []).append(review)

    label = Decision(decision).label
    new_reviews = []
    for translation_id, version in items:
        translation = locked.get(translation_id)
        if translation is None:
            continue
        segment = translation.segment
        project = segment.document.project
        current = [r for r in existing.get(translation.pk, []) if r.text_hash == translation.text_hash and r.source_hash == segment.source_hash]
        approvers = {r.reviewer_id for r in current if r.decision == Decision.APPROVE and r.stage == Stage.REVIEW}
        try:
            stage = _stage_for(translation, project, reviewer, version, approvers)
        except (DomainError, NotAllowed) as error:
            if raise_errors:
                raise
            outcome.skipped.append((translation, error.message))
            continue
        review = Review(
            translation=translation,
            version=translation.version,
            text=translation.text,
            text_hash=translation.text_hash,
            source_text=segment.source_text,
            source_hash=segment.source_hash,
            reviewer=reviewer,
            decision=decision,
            stage=stage,
            comment=comment,
            created_at=timezone.now(),
        )
        new_reviews.append(review)
        existing.setdefault(translation.pk, []).append(review)
    if not new_reviews:
        return outcome
    stage_label = "final edit: " if new_reviews[0].stage == Stage.FINAL else ""
    outcome.reviews = bulk_create_tracked(
        new_reviews, user=reviewer, reason=reason or f"{stage_label}{label} version {new_reviews[0].version}"
        if len(new_reviews) == 1 else reason or f"Bulk {label.lower()}: {len(new_reviews)} translations",
    )
    _apply(outcome.reviews, existing, locked, reviewer=reviewer, decision=decision, label=label, reason=reason)
    notify_after_commit(notify_decisions, outcome.reviews)
    return outcome


def _apply(reviews, existing, locked, *, reviewer, decision, label, reason):
    """Re-derive states and move publication, writing each changed translation once."""
    now = timezone.now()
    changed: dict[int, Translation] = {}
    winners: dict[tuple[int, str], Translation] = {}
    for review in reviews:
        translation = locked[review.translation_id]
        segment = translation.segment
        project = segment.document.project
        new_state = state_for(translation, segment=segment, project=project, reviews=existing[translation.pk])
        publishes_current = (
            translation.is_published
            and translation.published_text_hash == translation.text_hash
            and translation.published_source_hash == segment.source_hash
        )
        if new_state != translation.state:
            translation.state = new_state
            changed[translation.pk] = translation
        if new_state == TranslationState.APPROVED and not publishes_current:
            winners[(segment.pk, translation.language)] = translation  # the last approval in the batch wins
        elif decision != Decision.APPROVE and publishes_current and new_state != TranslationState.APPROVED:
            translation.is_published = False  # the very text that is published was judged wrong: withdraw it
            changed[translation.pk] = translation

    covered_before = set()  # webhooks: (segment, language) pairs that already had a published rendering
    if winners:
        # Others currently published for the same segment and language step down (one query).
        # One IN list, languages matched here: an OR of thousands of pairs
        # exceeds SQLite's expression depth.
        segment_ids = {segment_id for segment_id, _ in winners}
        for other in Translation.objects.select_for_update().filter(segment_id__in=segment_ids, is_published=True):
            covered_before.add((other.segment_id, other.language))
            winner = winners.get((other.segment_id, other.language))
            if winner is not None and winner.pk != other.pk:
                instance = locked.get(other.pk, other)
                instance.is_published = False
                changed[instance.pk] = instance
        for (segment_id, language), translation in winners.items():
            translation.is_published = True
            translation.published_version = translation.version
            translation.published_text = translation.text
            translation.published_text_hash = translation.text_hash
            translation.published_source_hash = translation.segment.source_hash
            translation.published_at = now
            changed[translation.pk] = translation

    for translation in changed.values():
        translation.updated_at = now
    stepping_down = [t for t in changed.values() if not t.is_published]
    rising = [t for t in changed.values() if t.is_published]
    # Unpublish first: the partial unique index (one published per segment and
    # language) is checked row by row.
    bulk_update_tracked(stepping_down, PUBLICATION_FIELDS, user=reviewer, reason=reason or f"{label}: state and publication updated")
    bulk_update_tracked(rising, PUBLICATION_FIELDS, user=reviewer, reason=reason or f"{label}: approved text published")
    if winners:  # webhooks: outbox rows in this transaction, sent after commit (reviews/webhooks)
        events_for_approval(winners.values(), approved_by=reviewer, newly_covered=set(winners) - covered_before)


def review_record(
    *, translation: Translation, reviewer, version: int, decision: str, comment: str = "", reason: str = ""
) -> Review:
    """Record a decision on version `version` of one translation.

    Refused, writing nothing, when the translation has moved past that
    version (StaleVersion), when it is the reviewer's own work under a policy
    that forbids it (SelfReviewForbidden), or when a refusal has no comment."""
    outcome = reviews_record_bulk(
        reviewer=reviewer, items=[(translation.pk, version)], decision=decision, comment=comment, reason=reason,
        raise_errors=True,
    )
    return outcome.reviews[0]
