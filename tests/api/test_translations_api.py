"""Candidate translations over the API, with tokens only: add, list, edit naming the
base version (409 with both texts when stale), submit; permissions and bad input."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.models import Role, Translation


def candidates_url(project, segment):
    return reverse("api:translation-list", kwargs={"slug": project.slug, "segment_id": segment.pk})


def detail_url(project, translation):
    return reverse("api:translation-detail", kwargs={"slug": project.slug, "translation_id": translation.pk})


def submit_url(project, translation):
    return reverse("api:translation-submit", kwargs={"slug": project.slug, "translation_id": translation.pk})


def document_url(project, document, **query):
    url = reverse("api:document-translation-list", kwargs={"slug": project.slug, "document_id": document.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def walk_pages(client, url):
    """Every row of a cursor-paginated list, following ``next``."""
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        rows += response.json()["results"]
        url = response.json()["next"]
        pages += 1
    return rows, pages


def test_a_translator_adds_a_candidate_which_is_submitted_by_default(api, project, segment, people):
    response = api["translator"].post(candidates_url(project, segment), {"language": "en", "text": "The first line."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["version"], body["author"], body["segment"]) == ("submitted", 1, "translator", segment.pk)
    assert body["submitted_at"] and body["document"] == segment.document_id
    assert not body["is_published"] and body["published_text"] == ""
    assert Translation.objects.get(pk=body["id"]).history.first().history_user == people["translator"]


def test_a_draft_is_submitted_naming_its_version(api, project, segment):
    draft = api["translator"].post(
        candidates_url(project, segment), {"language": "en", "text": "A draft.", "note": "Unsure.", "submit": False}
    ).json()
    assert (draft["state"], draft["submitted_at"], draft["note"]) == ("draft", None, "Unsure.")
    translation = Translation.objects.get(pk=draft["id"])
    stale = api["translator"].post(submit_url(project, translation), {"base_version": 2})
    error = assert_error(stale, 409, "edit_conflict")
    assert error["details"]["current_version"] == 1
    submitted = api["translator"].post(submit_url(project, translation), {"base_version": 1})
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    assert api["translator2"].post(submit_url(project, translation), {"base_version": 1}).status_code == 403


def test_a_second_candidate_by_the_same_translator_is_refused(api, project, segment):
    assert api["translator"].post(candidates_url(project, segment), {"language": "en", "text": "One."}).status_code == 201
    again = api["translator"].post(candidates_url(project, segment), {"language": "en", "text": "Two."})
    assert "edit it instead" in assert_error(again, 400)["message"]


def test_a_stale_base_version_is_409_with_both_texts_and_saves_nothing(api, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Version one.")
    moved = api["translator"].patch(detail_url(project, translation), {"base_version": 1, "text": "Version two."})
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = api["translator"].patch(detail_url(project, translation), {"base_version": 1, "text": "My lost edit."})
    error = assert_error(stale, 409, "edit_conflict")
    assert error["details"] == {"base_version": 1, "current_version": 2, "current_text": "Version two.",
                                "attempted_text": "My lost edit."}
    translation.refresh_from_db()
    assert (translation.version, translation.text) == (2, "Version two.")


def test_only_the_author_saves_a_new_version_of_a_candidate(api, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Mine.")
    refused = api["translator2"].patch(detail_url(project, translation), {"base_version": 1, "text": "Theirs."})
    assert_error(refused, 403, "permission_denied")
    assert Translation.objects.get(pk=translation.pk).text == "Mine."


def test_a_note_alone_changes_no_version(api, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Same.")
    body = api["translator"].patch(detail_url(project, translation), {"base_version": 1, "text": "Same.", "note": "Why."}).json()
    assert (body["version"], body["note"], body["text"]) == (1, "Why.", "Same.")


@pytest.mark.parametrize("role", ["auditor"])
def test_an_auditor_reads_candidates_but_cannot_translate(api, project, segment, people, role):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Text.")
    assert api[role].get(candidates_url(project, segment)).status_code == 200
    assert api[role].get(detail_url(project, translation)).status_code == 200
    assert_error(api[role].post(candidates_url(project, segment), {"language": "en", "text": "No."}), 403, "permission_denied")
    assert_error(api[role].patch(detail_url(project, translation), {"base_version": 1, "text": "No."}), 403)
    assert_error(api[role].post(submit_url(project, translation), {"base_version": 1}), 403)
    assert Translation.objects.filter(segment=segment).count() == 1


def test_a_non_member_gets_404_for_every_candidate_address(api, project, document, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Text.")
    client = api["outsider"]
    for response in (
        client.get(candidates_url(project, segment)),
        client.post(candidates_url(project, segment), {"language": "en", "text": "x"}),
        client.get(document_url(project, document)),
        client.get(detail_url(project, translation)),
        client.patch(detail_url(project, translation), {"base_version": 1, "text": "x"}),
        client.post(submit_url(project, translation), {"base_version": 1}),
    ):
        assert_error(response, 404, "not_found")


def test_another_projects_ids_through_ones_own_slug_are_404(api, project, admin_user, people):
    other = make_project(admin_user, slug="other", members={people["translator"]: Role.TRANSLATOR})
    their_document = make_document(other, admin_user, title="Theirs")
    their_segment = their_document.segments.first()
    theirs = services.translation_create(segment=their_segment, user=people["translator"], language="en", text="Theirs.")
    client = api["translator"]
    assert_error(client.get(detail_url(project, theirs)), 404)
    assert_error(client.patch(detail_url(project, theirs), {"base_version": 1, "text": "Hijack."}), 404)
    assert_error(client.post(submit_url(project, theirs), {"base_version": 1}), 404)
    assert_error(client.get(candidates_url(project, their_segment)), 404)
    assert_error(client.post(candidates_url(project, their_segment), {"language": "en", "text": "x"}), 404)
    assert_error(client.get(document_url(project, their_document)), 404)
    for empty_body in (client.patch(detail_url(project, theirs), {}), client.post(submit_url(project, theirs), {}),
                       client.post(candidates_url(project, their_segment), {})):
        assert_error(empty_body, 404)  # the address is judged before the body
    assert Translation.objects.get(pk=theirs.pk).text == "Theirs."
    huge = reverse("api:translation-detail", kwargs={"slug": project.slug, "translation_id": 1}).replace(
        "/1/", f"/{10**30}/")
    assert_error(client.get(huge), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "en", "text": "nul\x00byte"}, "text"),
        ({"language": "en", "text": "x" * 20_001}, "text"),
        ({"language": "en", "text": ""}, "text"),
        ({"language": "en"}, "text"),
        ({"language": "en", "text": ["a", "list"]}, "text"),
        ({"language": "xx", "text": "Not a target language."}, "language"),
        ({"language": "e\x00n", "text": "x"}, "language"),
        ({"language": "en", "text": "x", "submit": "perhaps"}, "submit"),
        ({"language": "en", "text": "x", "note": "n" * 5_001}, "note"),
    ],
)
def test_bad_candidates_are_400_in_the_error_shape(api, project, segment, body, field):
    error = assert_error(api["translator"].post(candidates_url(project, segment), body), 400, "validation_error")
    assert field in error["details"]["fields"]
    assert not Translation.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"text": "No base version."},
        {"base_version": "one", "text": "Not a number."},
        {"base_version": 0, "text": "Zero."},
        {"base_version": 10**40, "text": "Huge."},
        {"base_version": 1, "text": "nul\x00"},
        {"base_version": 1, "text": "y" * 20_001},
        {"base_version": 1},
    ],
)
def test_bad_edits_are_400_and_change_nothing(api, project, segment, people, body):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Kept.")
    assert_error(api["translator"].patch(detail_url(project, translation), body, format="json"), 400, "validation_error")
    assert Translation.objects.get(pk=translation.pk).text == "Kept."


def test_whitespace_only_text_is_refused_by_the_service(api, project, segment):
    error = assert_error(api["translator"].post(candidates_url(project, segment), {"language": "en", "text": "   "}), 400)
    assert error["code"] == "invalid_text"


def test_a_candidate_shows_its_open_check_findings(api, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text=segment.source_text)
    body = api["translator"].get(detail_url(project, translation)).json()
    assert "unchanged" in {finding["check_id"] for finding in body["findings"]}
    listed = api["translator"].get(candidates_url(project, segment)).json()["results"]
    assert listed[0]["findings"] == body["findings"]


def test_a_segments_candidates_filter_and_order(api, project, segment, people):
    for name in ("translator", "translator2", "reviewer"):
        services.translation_create(segment=segment, user=people[name], language="en", text=f"By {name}.",
                                    submit=name != "reviewer")
    client = api["auditor"]
    url = candidates_url(project, segment)
    assert [t["author"] for t in client.get(url + "?author=translator2").json()["results"]] == ["translator2"]
    assert [t["author"] for t in client.get(url + "?state=draft").json()["results"]] == ["reviewer"]
    assert len(client.get(url + "?language=en").json()["results"]) == 3
    assert client.get(url + "?language=fr").json()["results"] == []
    ordered = [t["author"] for t in client.get(url + "?ordering=-id").json()["results"]]
    assert ordered == ["reviewer", "translator2", "translator"]
    assert_error(client.get(url + "?state=nonsense"), 400, "validation_error")
    assert_error(client.get(url + "?author=a%00b"), 400, "validation_error")
    assert_error(client.get(url + "?cursor=not-a-cursor"), 404, "not_found")


def test_a_segments_candidate_list_costs_the_same_queries_at_any_length(
    api, project, segment, admin_user, django_assert_max_num_queries, django_assert_num_queries
):
    client = api["reviewer"]
    url = candidates_url(project, segment) + "?page_size=100"
    translators = [UserFactory(username=f"t{n:02}") for n in range(32)]
    for user in translators[:3]:
        services.membership_set(project=project, user=admin_user, member=user, role=Role.TRANSLATOR)
        services.translation_create(segment=segment, user=user, language="en", text=f"By {user.username}.")
    client.get(url)  # warm the token's last-used stamp
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).json()["results"]) == 3
    for user in translators[3:]:
        services.membership_set(project=project, user=admin_user, member=user, role=Role.TRANSLATOR)
        services.translation_create(segment=segment, user=user, language="en", text=f"By {user.username}.")
    with django_assert_num_queries(len(few)):
        assert len(client.get(url).json()["results"]) == 32
    with django_assert_max_num_queries(8):
        client.get(url)


def test_a_documents_candidates_are_listed_in_reading_order_at_constant_cost(
    api, project, people, django_assert_num_queries
):
    document = make_document(project, people["manager"], title="Long", lines=[f"{n}번째 줄." for n in range(36)])
    segments = list(document.segments.order_by("position"))
    for segment in reversed(segments):  # ids against reading order: the list must follow positions
        services.translation_create(segment=segment, user=people["translator"], language="en", text=f"Line {segment.position}.")
    services.translation_create(segment=segments[0], user=people["translator2"], language="en", text="Draft.", submit=False)
    client = api["auditor"]
    client.get(document_url(project, document))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(document_url(project, document, page_size=3))
    with django_assert_num_queries(len(few)):
        full = client.get(document_url(project, document, page_size=200)).json()["results"]
    assert len(full) == 37
    assert [row["segment"] for row in full][:2] == [segments[0].pk, segments[0].pk]
    assert [row["segment"] for row in full][2:] == [s.pk for s in segments[1:]]
    rows, pages = walk_pages(client, document_url(project, document, page_size=5))
    assert [row["id"] for row in rows] == [row["id"] for row in full] and pages == 8
    assert [row["author"] for row in client.get(document_url(project, document, state="draft")).json()["results"]] == [
        "translator2"]
    assert len(client.get(document_url(project, document, language="en", page_size=100)).json()["results"]) == 37


def test_a_documents_deleted_segments_candidates_are_not_listed(api, project, document, people):
    first, second = list(document.segments.order_by("position"))[:2]
    services.translation_create(segment=first, user=people["translator"], language="en", text="Kept.")
    services.translation_create(segment=second, user=people["translator"], language="en", text="Gone.")
    services.segment_delete(segment=second, user=people["manager"], base_version=second.version)
    rows = api["translator"].get(document_url(project, document)).json()["results"]
    assert [row["text"] for row in rows] == ["Kept."]
