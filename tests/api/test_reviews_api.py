"""Reviews, the review queue, bulk decisions and comments over the API, with tokens only.

The flow a newsroom script walks: a translator submits, a reviewer approves a named
version, a stale version is 409 with the current text, and what is published stays
the approved text while a newer version waits (invariants 2, 3, 4, 6, 9)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Comment, Review
from reviews.services import comment_create, review_record
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role, Translation

from .test_translations_api import assert_error, candidates_url, detail_url, document_url, walk_pages

QUEUE = "/api/v1/review-queue/"


def reviews_url(project, translation):
    return reverse("api:review-list", kwargs={"slug": project.slug, "translation_id": translation.pk})


def segment_comments_url(project, segment):
    return reverse("api:segment-comment-list", kwargs={"slug": project.slug, "segment_id": segment.pk})


def translation_comments_url(project, translation):
    return reverse("api:translation-comment-list", kwargs={"slug": project.slug, "translation_id": translation.pk})


def submit(segment, user, text="A rendering."):
    return services.translation_create(segment=segment, user=user, language="en", text=text)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- the flow ---------------------------------------------------------------------------------------


def test_a_translator_submits_and_a_reviewer_approves_over_http(api, project, segment, people):
    made = api["translator"].post(candidates_url(project, segment), {"language": "en", "text": "The first line."}).json()
    translation = Translation.objects.get(pk=made["id"])
    assert [row["id"] for row in api["reviewer"].get(QUEUE).json()["results"]] == [translation.pk]

    decided = api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"})
    assert decided.status_code == 201, decided.content
    body = decided.json()
    assert (body["decision"], body["stage"], body["version"], body["reviewer"], body["text"]) == (
        "approve", "review", 1, "reviewer", "The first line.")
    assert (body["translation_state"], body["is_published"], body["published_version"], body["counts"]) == (
        "approved", True, 1, True)
    detail = api["auditor"].get(detail_url(project, translation)).json()
    assert (detail["state"], detail["published_text"], detail["published_version"]) == ("approved", "The first line.", 1)
    listed = api["auditor"].get(reviews_url(project, translation)).json()["results"]
    assert [(r["reviewer"], r["decision"], r["version"]) for r in listed] == [("reviewer", "approve", 1)]
    assert api["reviewer"].get(QUEUE).json()["results"] == []
    review = Review.objects.get(pk=body["id"])
    assert review.history.first().history_user == people["reviewer"]


def test_a_decision_on_a_stale_version_is_409_with_the_current_text(api, project, segment, people):
    translation = submit(segment, people["translator"], "Version one.")
    api["translator"].patch(detail_url(project, translation), {"base_version": 1, "text": "Version two."})
    stale = api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"})
    error = assert_error(stale, 409, "stale_version")
    assert error["details"] == {"decided_version": 1, "current_version": 2, "current_text": "Version two."}
    assert not Review.objects.exists()


def test_approving_ones_own_translation_is_403_in_the_error_shape(api, project, segment, people):
    own = submit(segment, people["reviewer"], "My own rendering.")
    error = assert_error(api["reviewer"].post(reviews_url(project, own), {"version": 1, "decision": "approve"}), 403)
    assert error["code"] == "self_review_forbidden"
    assert not Review.objects.exists()
    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=True, reason="Small team")
    assert api["reviewer"].post(reviews_url(project, own), {"version": 1, "decision": "approve"}).status_code == 201


@pytest.mark.parametrize("role", ["auditor", "translator2"])
def test_auditors_and_translators_cannot_review(api, project, segment, people, role):
    translation = submit(segment, people["translator"])
    assert api[role].get(reviews_url(project, translation)).status_code == 200
    refused = api[role].post(reviews_url(project, translation), {"version": 1, "decision": "approve"})
    assert_error(refused, 403, "permission_denied")
    bulk = api[role].post(reverse("api:review-queue-decide"), {"decision": "approve", "items": [
        {"translation": translation.pk, "version": 1}]}).json()
    assert bulk["decided"] == 0 and bulk["results"][0]["outcome"] == "skipped"
    assert not Review.objects.exists()
    assert api[role].get(QUEUE).json()["results"] == []


def test_a_non_member_gets_404_and_never_reaches_another_projects_translation(api, project, segment, people, admin_user):
    translation = submit(segment, people["translator"])
    assert_error(api["outsider"].get(reviews_url(project, translation)), 404, "not_found")
    assert_error(api["outsider"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"}), 404)
    other = make_project(admin_user, slug="other", members={people["reviewer"]: Role.REVIEWER,
                                                              people["translator"]: Role.TRANSLATOR})
    theirs = submit(make_document(other, admin_user).segments.first(), people["translator"])
    crossed = reverse("api:review-list", kwargs={"slug": project.slug, "translation_id": theirs.pk})
    assert_error(api["reviewer"].post(crossed, {"version": 1, "decision": "approve"}), 404)
    assert_error(api["reviewer"].get(crossed), 404)
    assert_error(api["reviewer"].post(crossed, {}), 404)  # the address is judged before the body
    assert not Review.objects.exists()


def test_the_published_text_stays_the_approved_version_after_a_later_edit(api, project, document, people):
    """Invariant 4, read through the API: the candidate and the document's candidates."""
    segment = document.segments.order_by("position").first()
    translation = submit(segment, people["translator"], "Approved words.")
    api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"})
    edited = api["translator"].patch(detail_url(project, translation), {"base_version": 1, "text": "Unreviewed draft."})
    assert edited.status_code == 200
    for body in (api["auditor"].get(detail_url(project, translation)).json(),
                 api["auditor"].get(document_url(project, document)).json()["results"][0]):
        assert (body["text"], body["version"], body["state"]) == ("Unreviewed draft.", 2, "submitted")
        assert (body["published_text"], body["published_version"], body["is_published"]) == ("Approved words.", 1, True)


def test_approvals_of_an_old_version_do_not_approve_the_new_one(api, project, segment, people):
    """Invariant 2: the approval of version 1 stays on record, does not count for version 2."""
    translation = submit(segment, people["translator"], "First wording.")
    api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"})
    api["translator"].patch(detail_url(project, translation), {"base_version": 1, "text": "Second wording."})
    reviews = api["auditor"].get(reviews_url(project, translation)).json()["results"]
    assert [(r["version"], r["decision"], r["counts"], r["text"]) for r in reviews] == [
        (1, "approve", False, "First wording.")]
    assert api["auditor"].get(detail_url(project, translation)).json()["state"] == "submitted"
    waiting = api["reviewer"].get(QUEUE).json()["results"]
    assert [(row["id"], row["version"], row["previous_text"], row["published_text"]) for row in waiting] == [
        (translation.pk, 2, "First wording.", "First wording.")]
    approved = api["reviewer"].post(reviews_url(project, translation), {"version": 2, "decision": "approve"}).json()
    assert (approved["translation_state"], approved["published_version"]) == ("approved", 2)


def test_the_final_edit_stage_follows_the_web_rules(api, project, segment, people):
    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=False, final_stage_required=True, reason="Final edit")
    translation = submit(segment, people["translator"])
    first = api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"}).json()
    assert (first["stage"], first["translation_state"], first["is_published"]) == ("review", "reviewed", False)
    refused = api["reviewer2"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"})
    assert "final edit" in assert_error(refused, 400, "domain_error")["message"]
    final = api["manager"].post(reviews_url(project, translation), {"version": 1, "decision": "approve"}).json()
    assert (final["stage"], final["translation_state"], final["is_published"]) == ("final", "approved", True)


def test_a_draft_cannot_be_decided(api, project, segment, people):
    draft = services.translation_create(segment=segment, user=people["translator"], language="en", text="D.", submit=False)
    error = assert_error(api["reviewer"].post(reviews_url(project, draft), {"version": 1, "decision": "approve"}), 400)
    assert "draft" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "decision": "accept"}, "decision"),
        ({"version": 1}, "decision"),
        ({"decision": "approve"}, "version"),
        ({"version": "one", "decision": "approve"}, "version"),
        ({"version": 1.5, "decision": "approve"}, "version"),
        ({"version": 10**40, "decision": "approve"}, "version"),
        ({"version": 1, "decision": "reject", "comment": "nul\x00"}, "comment"),
        ({"version": 1, "decision": "reject", "comment": "c" * 10_001}, "comment"),
        ({"version": 1, "decision": ["approve"]}, "decision"),
    ],
)
def test_bad_decisions_are_400_in_the_error_shape(api, project, segment, people, body, field):
    translation = submit(segment, people["translator"])
    error = assert_error(api["reviewer"].post(reviews_url(project, translation), body, format="json"), 400, "validation_error")
    assert field in error["details"]["fields"]
    assert not Review.objects.exists()


def test_a_refusal_without_a_comment_is_400(api, project, segment, people):
    translation = submit(segment, people["translator"])
    error = assert_error(api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "reject"}), 400)
    assert "comment" in error["message"]
    ok = api["reviewer"].post(reviews_url(project, translation), {"version": 1, "decision": "reject", "comment": "Wrong tense."})
    assert ok.status_code == 201 and ok.json()["translation_state"] == "rejected"


def test_a_translations_reviews_cost_the_same_queries_at_any_length(api, project, segment, people, django_assert_max_num_queries):
    translation = submit(segment, people["translator"])
    url = reviews_url(project, translation) + "?page_size=100"
    for n in range(3):
        review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="request_changes", comment=f"#{n}")
    client = api["auditor"]
    client.get(url)
    few = queries(client, url)
    for n in range(30):
        reviewer = people["reviewer2"] if n % 2 else people["manager"]
        review_record(translation=translation, reviewer=reviewer, version=1, decision="request_changes", comment=f"#{n}")
    assert queries(client, url) == few
    with django_assert_max_num_queries(6):
        assert len(client.get(url).json()["results"]) == 33
    assert len(client.get(reviews_url(project, translation) + "?reviewer=manager").json()["results"]) == 15
    rows, _ = walk_pages(client, reviews_url(project, translation) + "?page_size=4&ordering=-version")
    assert len({row["id"] for row in rows}) == 33


# --- the queue -------------------------------------------------------------------------------------


def many_waiting(project, people, count, *, title="Long", creator=None):
    document = make_document(project, creator or people["manager"], title=title, lines=[f"{n}번째 줄." for n in range(count)])
    return [submit(segment, people["translator"], f"Line {segment.position}.") for segment in document.segments.order_by("position")]


def test_the_queue_pages_with_cursors_at_constant_cost(api, project, people):
    client = api["reviewer"]
    waiting = many_waiting(project, people, 3, title="Short")
    client.get(QUEUE)
    few = queries(client, QUEUE + "?page_size=100")
    waiting += many_waiting(project, people, 32)
    assert queries(client, QUEUE + "?page_size=100") == few
    rows, pages = walk_pages(client, QUEUE + "?page_size=10")
    assert [row["id"] for row in rows] == [t.pk for t in waiting] and pages == 4
    second = client.get(client.get(QUEUE + "?page_size=10").json()["next"]).json()
    back = client.get(second["previous"]).json()
    assert [row["id"] for row in back["results"]] == [t.pk for t in waiting[:10]] and back["previous"] is None
    row = rows[0]
    assert (row["project"], row["author"], row["state"], row["source_text"]) == (
        project.slug, "translator", "submitted", waiting[0].segment.source_text)


def test_the_queue_filters_as_the_web_queue_does(api, project, people, admin_user):
    mine = many_waiting(project, people, 2)
    other = make_project(admin_user, slug="other", members={people["reviewer"]: Role.REVIEWER,
                                                              people["translator"]: Role.TRANSLATOR})
    theirs = many_waiting(other, people, 1, title="Elsewhere", creator=admin_user)
    client = api["reviewer"]

    def ids(query):
        response = client.get(QUEUE + query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("") == {t.pk for t in mine + theirs}
    assert ids("?project=other") == {theirs[0].pk}
    assert ids(f"?document={mine[0].segment.document_id}") == {t.pk for t in mine}
    assert ids("?translator=translator2") == set()
    assert ids("?language=en&state=submitted&project=") == {t.pk for t in mine + theirs}
    assert ids("?state=reviewed") == set()
    assert ids("?project=no-such-project") == set()
    assert ids("?check=unchanged") == set()
    for query in ("?state=draft", "?age=2d", "?check=nope", "?document=abc", "?translator=a%00b", "?project=a%00"):
        assert_error(client.get(QUEUE + query), 400, "validation_error")
    for cursor in ("nonsense", "n1_", "x123_4", "p" + "9" * 40 + "_1", "n99999999999999999_1"):
        assert client.get(QUEUE + "?cursor=" + cursor).status_code in (200, 404)
    assert_error(client.get(QUEUE + "?cursor=garbage"), 404, "not_found")


def test_the_queue_leaves_out_ones_own_work_and_other_projects(api, project, segment, people, admin_user):
    own = submit(segment, people["reviewer"], "My own.")
    theirs_project = make_project(admin_user, slug="hidden", members={people["translator"]: Role.TRANSLATOR})
    submit(make_document(theirs_project, admin_user).segments.first(), people["translator"])
    assert api["reviewer"].get(QUEUE).json()["results"] == []
    assert [row["id"] for row in api["reviewer2"].get(QUEUE).json()["results"]] == [own.pk]
    assert api["outsider"].get(QUEUE).json()["results"] == []


def test_a_bulk_decision_reports_each_row(api, project, people, admin_user):
    good, stale = many_waiting(project, people, 2)
    services.translation_edit(translation=stale, user=people["translator"], base_version=1, text="Moved on.")
    hidden = make_project(admin_user, slug="hidden", members={people["translator"]: Role.TRANSLATOR})
    elsewhere = submit(make_document(hidden, admin_user).segments.first(), people["translator"])
    items = [{"translation": t.pk, "version": 1} for t in (good, stale, elsewhere)] + [{"translation": 10**17, "version": 1}]
    response = api["reviewer"].post(reverse("api:review-queue-decide"), {"decision": "approve", "items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["decided"], body["skipped"]) == (1, 1)
    outcomes = {row["translation"]: row for row in body["results"]}
    assert (outcomes[good.pk]["outcome"], outcomes[good.pk]["state"]) == ("decided", "approved")
    assert Review.objects.get(pk=outcomes[good.pk]["review"]).translation_id == good.pk
    assert outcomes[stale.pk]["outcome"] == "skipped" and "version" in outcomes[stale.pk]["reason"]
    assert outcomes[elsewhere.pk] == {"translation": elsewhere.pk, "version": 1, "outcome": "not_found", "reason": None,
                                      "review": None, "state": None}
    assert outcomes[10**17]["outcome"] == "not_found"
    assert not Review.objects.filter(translation=elsewhere).exists()


def test_a_bulk_decision_on_everything_matching_a_filter(api, project, people):
    waiting = many_waiting(project, people, 4)
    response = api["reviewer"].post(reverse("api:review-queue-decide"), {
        "decision": "request_changes", "comment": "Check the dates.", "matching": {"project": project.slug}})
    assert response.status_code == 200, response.content
    assert response.json()["decided"] == 4
    assert {t.state for t in Translation.objects.filter(pk__in=[t.pk for t in waiting])} == {"changes_requested"}
    assert api["reviewer"].get(QUEUE).json()["results"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "approve"},
        {"decision": "approve", "items": []},
        {"decision": "maybe", "items": [{"translation": 1, "version": 1}]},
        {"decision": "approve", "items": [{"translation": 1}]},
        {"decision": "approve", "items": [{"translation": "x", "version": 1}]},
        {"decision": "approve", "items": [{"translation": 10**30, "version": 1}]},
        {"decision": "approve", "items": [{"translation": 1, "version": 1}, {"translation": 1, "version": 2}]},
        {"decision": "approve", "items": [{"translation": 1, "version": 1}], "matching": {}},
        {"decision": "approve", "items": "all"},
        {"decision": "reject", "comment": "\x00", "items": [{"translation": 1, "version": 1}]},
        {"decision": "approve", "items": [{"translation": 1, "version": 1}] * 5_001},
    ],
)
def test_bad_bulk_decisions_are_400(api, project, segment, people, body):
    submit(segment, people["translator"])
    assert_error(api["reviewer"].post(reverse("api:review-queue-decide"), body, format="json"), 400, "validation_error")
    assert not Review.objects.exists()


def test_a_bulk_refusal_without_a_comment_is_400(api, project, segment, people):
    translation = submit(segment, people["translator"])
    body = {"decision": "reject", "items": [{"translation": translation.pk, "version": 1}]}
    assert "comment" in assert_error(api["reviewer"].post(reverse("api:review-queue-decide"), body), 400)["message"]


# --- comments --------------------------------------------------------------------------------------


def test_comments_on_a_segment_and_its_translation_with_mentions(api, project, segment, people, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    translation = submit(segment, people["translator"])
    with django_capture_on_commit_callbacks(execute=True):
        made = api["translator"].post(segment_comments_url(project, segment), {"body": "@reviewer is [?word] right? @nobody"})
    assert made.status_code == 201, made.content
    assert (made.json()["mentions"], made.json()["unknown_mentions"]) == (["reviewer"], ["nobody"])
    assert [m.to for m in mailoutbox] == [["reviewer@example.org"]]
    on_translation = api["reviewer"].post(translation_comments_url(project, translation), {"body": "Tense, @translator."})
    assert on_translation.status_code == 201
    assert (on_translation.json()["translation"], on_translation.json()["segment"]) == (translation.pk, segment.pk)

    thread = api["auditor"].get(segment_comments_url(project, segment)).json()["results"]
    assert [(c["author"], c["translation"], c["mentions"]) for c in thread] == [
        ("translator", None, ["reviewer"]), ("reviewer", translation.pk, ["translator"])]
    only_segment = api["auditor"].get(segment_comments_url(project, segment) + "?subject=segment").json()["results"]
    assert [c["author"] for c in only_segment] == ["translator"]
    assert [c["body"] for c in api["auditor"].get(translation_comments_url(project, translation)).json()["results"]] == [
        "Tense, @translator."]


def test_an_auditor_reads_comments_but_cannot_post_and_outsiders_get_404(api, project, segment, people, admin_user):
    translation = submit(segment, people["translator"])
    for url in (segment_comments_url(project, segment), translation_comments_url(project, translation)):
        assert api["auditor"].get(url).status_code == 200
        assert_error(api["auditor"].post(url, {"body": "Hello."}), 403, "permission_denied")
        assert_error(api["outsider"].get(url), 404, "not_found")
        assert_error(api["outsider"].post(url, {"body": "Hello."}), 404, "not_found")
    other = make_project(admin_user, slug="other", members={people["translator"]: Role.TRANSLATOR})
    their_segment = make_document(other, admin_user).segments.first()
    crossed = reverse("api:segment-comment-list", kwargs={"slug": project.slug, "segment_id": their_segment.pk})
    assert_error(api["translator"].post(crossed, {"body": "Hello."}), 404)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": "nul\x00"}, {"body": "b" * 10_001}, {"body": ["a"]}])
def test_bad_comments_are_400(api, project, segment, body):
    response = api["translator"].post(segment_comments_url(project, segment), body, format="json")
    assert_error(response, 400)
    assert not Comment.objects.exists()


def test_a_thread_costs_the_same_queries_at_any_length(api, project, segment, people, django_assert_max_num_queries):
    translation = submit(segment, people["translator"])
    url = segment_comments_url(project, segment) + "?page_size=100"
    for n in range(3):
        comment_create(user=people["translator"], segment=segment, body=f"@reviewer note {n}")
    client = api["auditor"]
    client.get(url)
    few = queries(client, url)
    for n in range(30):
        comment_create(user=people["reviewer"], translation=translation, body=f"@translator point {n}")
    assert queries(client, url) == few
    with django_assert_max_num_queries(7):
        assert len(client.get(url).json()["results"]) == 33
    assert len(client.get(url + "&author=reviewer").json()["results"]) == 30
    rows, pages = walk_pages(client, translation_comments_url(project, translation) + "?page_size=7")
    assert len(rows) == 30 and pages == 5
