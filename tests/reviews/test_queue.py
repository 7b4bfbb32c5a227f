"""The review queue, inline and bulk decisions, policies and the final-edit stage."""

import pytest
from django.urls import reverse

from reviews.models import Review
from reviews.selectors.queue import COUNT_CAP
from reviews.services import review_record, reviews_record_bulk
from tests.factories import make_document
from translations import services
from translations.exceptions import DomainError, SelfReviewForbidden
from translations.history import bulk_create_tracked
from translations.models import Segment, Translation, TranslationState

HTMX = {"HTTP_HX_REQUEST": "true"}


def queue_ids(client):
    response = client.get(reverse("review_queue"))
    assert response.status_code == 200
    return [t.pk for t in response.context["rows"]]


def submit(segment, user, text="A rendering."):
    return services.translation_create(segment=segment, user=user, language="en", text=text)


def many(document, author, count, people):
    """`count` submitted candidates by `author`, written in bulk with history."""
    segments = bulk_create_tracked(
        [Segment(document=document, position=100 + n, source_text=f"{n}번 줄.", source_hash=f"h{n}") for n in range(count)],
        user=people["manager"], reason="Test data",
    )
    from django.utils import timezone

    now = timezone.now()
    return bulk_create_tracked(
        [Translation(segment=s, language="en", author=author, edited_by=author, text=f"Line {n}.", text_hash=f"t{n}",
                     state=TranslationState.SUBMITTED, submitted_at=now) for n, s in enumerate(segments)],
        user=author, reason="Test data",
    )


def test_own_work_is_never_in_ones_queue_and_is_refused_by_url(client, project, segment, people):
    own = submit(segment, people["reviewer"], "My own rendering.")
    other = submit(segment, people["translator"], "Someone else's.")
    client.force_login(people["reviewer"])
    assert queue_ids(client) == [other.pk]
    response = client.post(reverse("review_decide", args=[own.pk]), {"version": 1, "decision": "approve"}, **HTMX)
    assert response.status_code == 403
    assert not Review.objects.filter(translation=own).exists()


def test_a_version_leaves_my_queue_once_i_decided_but_stays_for_the_second_reviewer(client, project, segment, people):
    services.project_policy_update(project=project, user=people["manager"], required_approvals=2,
                                   allow_self_approval=False, reason="Two pairs of eyes")
    t = submit(segment, people["translator"])
    client.force_login(people["reviewer"])
    response = client.post(reverse("review_decide", args=[t.pk]), {"version": 1, "decision": "approve"}, **HTMX)
    assert response.status_code == 200 and "data-il-done" in response.content.decode()
    assert queue_ids(client) == []
    client.force_login(people["reviewer2"])
    assert queue_ids(client) == [t.pk]


def test_translators_and_auditors_have_an_empty_queue(client, project, segment, people):
    submit(segment, people["translator"])
    for name in ("translator2", "auditor", "outsider"):
        client.force_login(people[name])
        assert queue_ids(client) == []


def test_a_decision_on_a_stale_version_is_refused_with_the_change_shown(client, project, segment, people):
    t = submit(segment, people["translator"], "First wording.")
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Second wording.")
    client.force_login(people["reviewer"])
    response = client.post(reverse("review_decide", args=[t.pk]), {"version": 1, "decision": "approve"}, **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "This translation changed since you opened it" in page and "<ins" in page
    assert 'name="version" value="2"' in page
    assert not Review.objects.exists()


def test_refusals_need_a_comment_in_the_queue_too(client, project, segment, people):
    t = submit(segment, people["translator"])
    client.force_login(people["reviewer"])
    response = client.post(reverse("review_decide", args=[t.pk]), {"version": 1, "decision": "reject"}, **HTMX)
    assert response.status_code == 400 and "comment is required" in response.content.decode()
    assert not Review.objects.exists()


def test_the_final_stage_needs_a_manager_or_designated_final_editor(client, project, segment, people):
    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=False, final_stage_required=True, reason="Final edit")
    t = submit(segment, people["translator"])
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    t.refresh_from_db()
    assert t.state == TranslationState.REVIEWED and not t.is_published
    client.force_login(people["reviewer2"])
    assert queue_ids(client) == []  # not a final editor
    with pytest.raises(DomainError):
        review_record(translation=t, reviewer=people["reviewer2"], version=1, decision="approve")
    services.membership_set(project=project, user=people["manager"], member=people["reviewer2"], role="reviewer",
                            is_final_editor=True)
    client.force_login(people["manager"])
    assert queue_ids(client) == [t.pk]
    review_record(translation=t, reviewer=people["reviewer2"], version=1, decision="approve")
    t.refresh_from_db()
    assert t.state == TranslationState.APPROVED and t.is_published


def test_the_review_approver_cannot_also_pass_the_final_edit(project, segment, people):
    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=False, final_stage_required=True, reason="Final edit")
    t = submit(segment, people["translator"])
    review_record(translation=t, reviewer=people["manager"], version=1, decision="approve")
    with pytest.raises(SelfReviewForbidden):
        review_record(translation=t, reviewer=people["manager"], version=1, decision="approve")
    t.refresh_from_db()
    assert t.state == TranslationState.REVIEWED


def test_required_approvals_two_with_a_final_stage(project, segment, people, admin_user):
    services.project_policy_update(project=project, user=people["manager"], required_approvals=2,
                                   allow_self_approval=False, final_stage_required=True, reason="Strict")
    t = submit(segment, people["translator"])
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    t.refresh_from_db()
    assert t.state == TranslationState.SUBMITTED
    review_record(translation=t, reviewer=people["reviewer2"], version=1, decision="approve")
    t.refresh_from_db()
    assert t.state == TranslationState.REVIEWED
    review_record(translation=t, reviewer=people["manager"], version=1, decision="approve")
    t.refresh_from_db()
    assert t.state == TranslationState.APPROVED and t.is_published


def test_a_bulk_approval_of_500_records_500_history_rows_in_bounded_queries(
    project, document, people, django_assert_max_num_queries
):
    translations = many(document, people["translator"], 500, people)
    review_history, translation_history = Review.history.count(), Translation.history.count()
    with django_assert_max_num_queries(30):
        outcome = reviews_record_bulk(reviewer=people["reviewer"], items=[(t.pk, 1) for t in translations],
                                      decision="approve")
    assert outcome.decided_count == 500 and outcome.skipped == []
    assert Review.history.count() - review_history == 500
    assert Translation.history.count() - translation_history == 500
    assert Translation.objects.filter(is_published=True, state=TranslationState.APPROVED).count() == 500


def test_bulk_decisions_skip_and_report_own_and_stale_work(client, project, document, people):
    first, second, third = document.segments.order_by("position")
    mine = submit(first, people["reviewer"])
    stale = submit(second, people["translator"])
    services.translation_edit(translation=stale, user=people["translator"], base_version=1, text="Changed.")
    fine = submit(third, people["translator"])
    client.force_login(people["reviewer"])
    response = client.post(reverse("review_bulk"), {
        "decision": "approve", "item": [f"{mine.pk}:1", f"{stale.pk}:1", f"{fine.pk}:1"]}, follow=True)
    page = response.content.decode()
    assert "Recorded “approve” on 1 translation." in page
    assert "your own translation" in page and "changed since you opened it" in page
    assert list(Review.objects.values_list("translation_id", flat=True)) == [fine.pk]


def test_bulk_all_matching_the_filter(client, project, document, people):
    many(document, people["translator"], 12, people)
    many(document, people["translator2"], 3, people)
    client.force_login(people["reviewer"])
    client.post(reverse("review_bulk"), {"decision": "reject", "comment": "Machine output", "scope": "all",
                                         "translator": "translator2"})
    assert Review.objects.filter(decision="reject").count() == 3
    assert len(queue_ids(client)) == 12


def test_a_bulk_rejection_needs_a_reason(client, project, document, people):
    [t] = many(document, people["translator"], 1, people)
    client.force_login(people["reviewer"])
    response = client.post(reverse("review_bulk"), {"decision": "reject", "item": [f"{t.pk}:1"]}, follow=True)
    assert "comment is required" in response.content.decode()
    assert not Review.objects.exists()


def test_queue_filters_and_counts(client, project, document, people):
    many(document, people["translator"], 4, people)
    many(document, people["translator2"], 2, people)
    client.force_login(people["reviewer"])
    response = client.get(reverse("review_queue"), {"translator": "translator2"})
    assert len(response.context["rows"]) == 2
    assert response.context["facets"]["total"] == 2
    response = client.get(reverse("review_queue"), {"language": "fr"})
    assert response.context["rows"] == [] and "Nothing awaiting you matches" in response.content.decode()


def test_the_queue_shows_the_diff_against_the_published_text_and_a_changed_source(client, project, segment, people):
    t = submit(segment, people["translator"], "The first line.")
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="The very first line.")
    segment.refresh_from_db()
    services.segment_edit(segment=segment, user=people["manager"], base_version=segment.version, source_text="첫째 줄이었다.")
    client.force_login(people["reviewer2"])
    page = client.get(reverse("review_queue")).content.decode()
    assert "Against the published text" in page and "<ins" in page
    assert "source changed" in page and "첫째 줄이었다." in page


def test_the_queue_page_costs_the_same_queries_with_5000_items(client, project, document, people, django_assert_max_num_queries):
    many(document, people["translator"], 30, people)
    client.force_login(people["reviewer"])
    client.get(reverse("review_queue"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("review_queue"))
    many(document, people["translator2"], 4970, people)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("review_queue"))
    assert (response.context["facets"]["total"], response.context["facets"]["capped"]) == (COUNT_CAP, True)
    assert len(response.context["rows"]) == 25
    print(f"review queue first page with 5000 waiting: {len(small.captured_queries)} queries")


def test_policy_changes_are_recorded_and_only_managers_make_them(client, project, people):
    client.force_login(people["reviewer"])
    assert client.get(reverse("project_policy", args=[project.slug])).status_code == 403
    client.force_login(people["manager"])
    response = client.post(reverse("project_policy", args=[project.slug]), {
        "form": "policy", "required_approvals": 2, "final_stage_required": "on", "reason": "Sensitive material"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.required_approvals, project.final_stage_required) == (2, True)
    assert "Sensitive material" in project.history.first().history_change_reason


def test_home_shows_my_counts(client, project, document, people):
    first, second, _ = document.segments.order_by("position")
    t = submit(first, people["translator"])
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="request_changes", comment="Tense.")
    submit(second, people["translator"])
    client.force_login(people["translator"])
    counts = client.get(reverse("home")).context["counts"]
    assert counts["changes_requested"] == 1 and counts["awaiting_me"] == 0
    client.force_login(people["reviewer2"])
    assert client.get(reverse("home")).context["counts"]["awaiting_me"] == 1


def test_a_bulk_approval_publishing_1200_segments_at_once_works_on_every_database(project, document, people):
    translations = many(document, people["translator"], 1200, people)
    outcome = reviews_record_bulk(reviewer=people["reviewer"], items=[(t.pk, 1) for t in translations], decision="approve")
    assert outcome.decided_count == 1200
    assert Translation.objects.filter(is_published=True).count() == 1200
