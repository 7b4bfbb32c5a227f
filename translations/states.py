"""How a translation's state follows from the reviews of its current text.

Reviews bind to fingerprints of the text they judged and of the source they
judged it against. Only reviews whose fingerprints match the translation's
current text and the segment's current source count; so an edit (a new
version) or a real source change leaves earlier approvals on record without
letting them approve the new state of affairs, and a return to exactly an
approved text against the same source counts those approvals again.

Of the counting reviews, each reviewer's latest decision stands. Any standing
rejection or request for changes wins over approvals (a reviewer's objection
is not outvoted); otherwise ``required_approvals`` distinct eligible
approvers make the version approved. When the project requires a final
edit, that makes it ``reviewed`` instead, and one final-stage approval by
someone who neither wrote it nor approved it at review makes it approved.
"""

from collections.abc import Iterable

from .models import TranslationState


def derive_state(
    *,
    submitted: bool,
    matching_reviews: Iterable,
    writer_ids: set[int],
    required_approvals: int,
    allow_self_approval: bool,
    final_stage_required: bool = False,
) -> str:
    if not submitted:
        return TranslationState.DRAFT
    standing = {}
    for review in sorted(matching_reviews, key=lambda r: (r.created_at, r.pk or 0)):
        standing[(review.reviewer_id, getattr(review, "stage", "review"))] = review.decision
    decisions = set(standing.values())
    if "reject" in decisions:
        return TranslationState.REJECTED
    if "request_changes" in decisions:
        return TranslationState.CHANGES_REQUESTED

    def eligible(reviewer_id):
        return allow_self_approval or reviewer_id not in writer_ids

    approvers = {
        reviewer_id
        for (reviewer_id, stage), decision in standing.items()
        if stage == "review" and decision == "approve" and eligible(reviewer_id)
    }
    if len(approvers) < required_approvals:
        return TranslationState.SUBMITTED
    if not final_stage_required:
        return TranslationState.APPROVED
    final_approvers = {
        reviewer_id
        for (reviewer_id, stage), decision in standing.items()
        if stage == "final" and decision == "approve" and reviewer_id not in writer_ids and reviewer_id not in approvers
    }
    return TranslationState.APPROVED if final_approvers else TranslationState.REVIEWED
