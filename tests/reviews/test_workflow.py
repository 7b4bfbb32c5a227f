"""Invariants 2–6 of DESIGN.md: approvals of versions, four eyes, publication,
source changes, no lost update."""

import pytest
from django.db import IntegrityError, transaction

from reviews.models import Review
from reviews.services import review_record
from translations import services
from translations.exceptions import DomainError, EditConflict, SelfReviewForbidden, StaleVersion
from translations.models import Segment, Translation, TranslationState


def submit(segment, user, text="This is the first line."):
    return services.translation_create(segment=segment, user=user, language="en", text=text)


def approve(translation, reviewer, version=None):
    translation.refresh_from_db()
    return review_record(
        translation=translation, reviewer=reviewer, version=version or translation.version, decision="approve"
    )


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_approval_publishes_the_approved_text(segment, people):
    t = submit(segment, people["translator"])
    assert t.state == TranslationState.SUBMITTED and not t.is_published
    approve(t, people["reviewer"])
    t = fresh(t)
    assert t.state == TranslationState.APPROVED
    assert (t.is_published, t.published_version, t.published_text) == (True, 1, "This is the first line.")


def test_editing_an_approved_translation_keeps_the_published_text_and_puts_the_new_version_in_review(segment, people):
    t = submit(segment, people["translator"], "The first line.")
    approve(t, people["reviewer"])
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="The very first line.")
    t = fresh(t)
    assert t.version == 2
    assert t.state == TranslationState.SUBMITTED
    assert t.is_published and t.published_version == 1 and t.published_text == "The first line."
    assert t.has_unpublished_changes


def test_an_approval_of_version_n_does_not_count_for_version_n_plus_1(segment, people, project):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=2, allow_self_approval=False, reason="Two"
    )
    t = submit(segment, people["translator"], "Version one.")
    approve(t, people["reviewer"])
    assert fresh(t).state == TranslationState.SUBMITTED  # one of two approvals
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Version two.")
    approve(t, people["reviewer2"], version=2)
    t = fresh(t)
    assert t.state == TranslationState.SUBMITTED, "the v1 approval must not count towards v2"
    assert not t.is_published
    assert Review.objects.filter(translation=t, version=1, decision="approve").exists(), "old approval stays on record"


def test_self_approval_is_refused_under_the_default_policy_and_writes_nothing(segment, people):
    t = submit(segment, people["reviewer"], "My own rendering.")
    with pytest.raises(SelfReviewForbidden):
        approve(t, people["reviewer"])
    assert not Review.objects.exists()
    assert fresh(t).state == TranslationState.SUBMITTED
    assert t.history.count() == 1


def test_self_approval_is_allowed_when_the_project_allows_it(segment, people, project):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=1, allow_self_approval=True, reason="Small team"
    )
    t = submit(segment, people["reviewer"], "My own rendering.")
    approve(t, people["reviewer"])
    assert fresh(t).state == TranslationState.APPROVED


def test_required_approvals_two_needs_two_distinct_reviewers(segment, people, project):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=2, allow_self_approval=False, reason="Two"
    )
    t = submit(segment, people["translator"])
    approve(t, people["reviewer"])
    approve(t, people["reviewer"])  # the same reviewer twice is still one approver
    assert fresh(t).state == TranslationState.SUBMITTED and not t.is_published
    approve(t, people["manager"])
    t = fresh(t)
    assert t.state == TranslationState.APPROVED and t.is_published


def test_a_policy_change_does_not_silently_approve_anything(segment, people, project):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=2, allow_self_approval=False, reason="Two"
    )
    t = submit(segment, people["translator"])
    approve(t, people["reviewer"])
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=1, allow_self_approval=False, reason="One"
    )
    assert fresh(t).state == TranslationState.SUBMITTED and not t.is_published


def test_a_real_source_change_makes_approvals_stale_but_keeps_the_published_text(segment, people):
    t = submit(segment, people["translator"], "The first line.")
    approve(t, people["reviewer"])
    segment = fresh(segment)
    services.segment_edit(segment=segment, user=people["manager"], base_version=segment.version, source_text="첫째 줄이었다.")
    t = Translation.objects.select_related("segment").get(pk=t.pk)
    assert t.state == TranslationState.SUBMITTED
    assert t.is_published and t.published_text == "The first line."
    assert t.source_changed_since_publication
    # A new approval against the new source publishes again.
    approve(t, people["reviewer2"])
    t = Translation.objects.select_related("segment").get(pk=t.pk)
    assert t.state == TranslationState.APPROVED and not t.source_changed_since_publication


@pytest.mark.parametrize("new_source", ["첫째 줄이다.", "  첫째   줄이다. ", "첫째\u3000줄이다."])
def test_a_no_op_or_whitespace_only_source_save_invalidates_nothing(segment, people, new_source):
    t = submit(segment, people["translator"])
    approve(t, people["reviewer"])
    history_before = fresh(t).history.count()
    segment = fresh(segment)
    services.segment_edit(segment=segment, user=people["manager"], base_version=segment.version, source_text=new_source)
    t = fresh(t)
    assert t.state == TranslationState.APPROVED and t.is_published
    assert t.history.count() == history_before


def test_reverting_to_an_approved_text_restores_the_approval(segment, people):
    t = submit(segment, people["translator"], "Approved wording.")
    approve(t, people["reviewer"])
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Experimental wording.")
    assert fresh(t).state == TranslationState.SUBMITTED
    services.translation_edit(translation=t, user=people["translator"], base_version=2, text="Approved wording.")
    t = fresh(t)
    assert t.version == 3
    assert t.state == TranslationState.APPROVED


def test_a_save_naming_a_stale_version_raises_a_conflict_and_changes_nothing(segment, people):
    t = submit(segment, people["translator"], "Original.")
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Second tab's edit.")
    with pytest.raises(EditConflict) as conflict:
        services.translation_edit(translation=t, user=people["translator"], base_version=1, text="First tab's edit.")
    assert conflict.value.current_text == "Second tab's edit."
    assert conflict.value.attempted_text == "First tab's edit."
    t = fresh(t)
    assert (t.version, t.text) == (2, "Second tab's edit.")
    assert t.history.count() == 2


def test_a_segment_save_naming_a_stale_version_raises_a_conflict_and_changes_nothing(segment, people):
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="고친 줄이다.")
    with pytest.raises(EditConflict):
        services.segment_edit(segment=segment, user=people["translator"], base_version=1, source_text="다른 줄이다.")
    segment = fresh(segment)
    assert (segment.version, segment.source_text) == (2, "고친 줄이다.")


def test_a_decision_on_a_stale_version_is_refused_and_changes_nothing(segment, people):
    t = submit(segment, people["translator"], "Version one.")
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Version two.")
    with pytest.raises(StaleVersion):
        review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    assert not Review.objects.exists()
    assert fresh(t).state == TranslationState.SUBMITTED


def test_approving_another_candidate_moves_publication_and_leaves_the_first_not_chosen(segment, people):
    first = submit(segment, people["translator"], "First candidate.")
    second = submit(segment, people["translator2"], "Second candidate.")
    approve(first, people["reviewer"])
    approve(second, people["reviewer"])
    first, second = fresh(first), fresh(second)
    assert second.is_published and not first.is_published
    assert first.state == TranslationState.APPROVED  # approved, but not the chosen rendering
    assert Translation.objects.filter(segment=segment, language="en", is_published=True).count() == 1


def test_the_database_refuses_two_published_renderings_for_one_segment_and_language(segment, people):
    first = submit(segment, people["translator"], "First candidate.")
    second = submit(segment, people["translator2"], "Second candidate.")
    approve(first, people["reviewer"])
    second = fresh(second)
    second.is_published, second.published_version = True, 1
    second._history_user, second._change_reason = people["reviewer"], "forced"
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_rejecting_or_requesting_changes_needs_a_comment(segment, people):
    t = submit(segment, people["translator"])
    for decision in ("reject", "request_changes"):
        with pytest.raises(DomainError):
            review_record(translation=t, reviewer=people["reviewer"], version=1, decision=decision, comment="  ")
    assert not Review.objects.exists()


def test_a_standing_objection_is_not_outvoted(segment, people):
    t = submit(segment, people["translator"])
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="request_changes", comment="Tense.")
    approve(t, people["reviewer2"])
    assert fresh(t).state == TranslationState.CHANGES_REQUESTED


def test_rejecting_the_published_text_withdraws_it(segment, people):
    t = submit(segment, people["translator"])
    approve(t, people["reviewer"])
    review_record(translation=t, reviewer=people["reviewer2"], version=1, decision="reject", comment="Mistranslation.")
    t = fresh(t)
    assert t.state == TranslationState.REJECTED and not t.is_published


def test_a_draft_cannot_be_reviewed_until_submitted(segment, people):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="Draft.", submit=False)
    with pytest.raises(DomainError):
        approve(t, people["reviewer"])
    services.translation_submit(translation=t, user=people["translator"], base_version=1)
    approve(t, people["reviewer"])
    assert fresh(t).state == TranslationState.APPROVED


def test_others_candidates_are_read_only_to_a_translator(segment, people):
    from translations.exceptions import NotAllowed

    t = submit(segment, people["translator"], "Mine.")
    with pytest.raises(NotAllowed):
        services.translation_edit(translation=t, user=people["translator2"], base_version=1, text="Not yours.")
    assert fresh(t).text == "Mine."


def test_split_merge_move_and_delete_keep_order_and_history(document, people):
    user = people["translator"]
    first, second, third = Segment.objects.filter(document=document).order_by("position")
    services.segment_split(segment=first, user=user, base_version=1, at=3)
    order = list(Segment.objects.filter(document=document, is_deleted=False).order_by("position").values_list("source_text", flat=True))
    assert order == ["첫째", "줄이다.", "둘째 줄이다.", "셋째 줄이다."]
    first = fresh(first)
    new = Segment.objects.get(document=document, source_text="줄이다.")
    services.segment_merge(segment=first, user=user, base_version=first.version, next_base_version=new.version)
    services.segment_move(segment=third, user=user, to_position=1)
    services.segment_delete(segment=fresh(second), user=user, base_version=1)
    live = list(Segment.objects.filter(document=document, is_deleted=False).order_by("position"))
    assert [s.source_text for s in live] == ["셋째 줄이다.", "첫째 줄이다."]
    assert [s.position for s in live] == [1, 2]
    services.segment_restore(segment=second, user=user)
    assert Segment.objects.filter(document=document, is_deleted=False).count() == 3
