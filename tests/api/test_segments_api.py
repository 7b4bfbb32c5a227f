"""The transcription over the API: the same services, versions and history as the web editor."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_document, make_project
from translations import services
from translations.models import Role, Segment

SLUG = "recovered-notes"


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs={"slug": SLUG, **kwargs})


def texts(client, document, **params):
    response = client.get(url("segment-list", document_id=document.pk), params)
    assert response.status_code == 200, response.content
    return [(row["position"], row["source_text"]) for row in response.json()["results"]]


def test_segments_are_listed_in_order_and_deleted_ones_only_on_request(api, document, people):
    rows = api["auditor"].get(url("segment-list", document_id=document.pk)).json()["results"]
    assert [row["position"] for row in rows] == [1, 2, 3]
    assert set(rows[0]) == {"id", "document", "position", "source_text", "version", "is_deleted", "created_at",
                            "updated_at"}
    first = Segment.objects.get(pk=rows[0]["id"])
    services.segment_delete(segment=first, user=people["translator"], base_version=1)
    assert texts(api["auditor"], document) == [(1, "둘째 줄이다."), (2, "셋째 줄이다.")]
    everything = api["auditor"].get(url("segment-list", document_id=document.pk), {"include_deleted": "true"})
    assert [row["is_deleted"] for row in everything.json()["results"]] == [True, False, False]
    assert texts(api["auditor"], document, q="셋째") == [(2, "셋째 줄이다.")]
    assert api["outsider"].get(url("segment-list", document_id=document.pk)).status_code == 404


def test_the_segment_list_costs_the_same_at_any_size(api, document, people):
    address = url("segment-list", document_id=document.pk)
    api["translator"].get(address)  # the token's last-used time is written on first use only

    def count(query_string=""):
        with CaptureQueriesContext(connection) as captured:
            assert api["translator"].get(address + query_string).status_code == 200
        return len(captured.captured_queries)

    small = count()
    services.segments_append_from_text(document=document, user=people["translator"],
                                       text="\n".join(f"{n}번째 줄이다." for n in range(40)))
    assert count("?page_size=100") == small <= 5
    assert count("?include_deleted=true&ordering=-updated_at") == small
    page = api["translator"].get(address, {"page_size": 20}).json()
    following = api["translator"].get(page["next"]).json()
    assert [row["position"] for row in page["results"] + following["results"]] == list(range(1, 41))


@pytest.mark.parametrize("role, expected", [
    ("translator", 201), ("reviewer", 201), ("manager", 201), ("auditor", 403), ("outsider", 404),
])
def test_adding_segments_needs_the_transcribe_right(api, document, role, expected):
    response = api[role].post(url("segment-list", document_id=document.pk), {"source_text": "넷째 줄이다."})
    assert response.status_code == expected, response.content
    assert document.segments.count() == (4 if expected == 201 else 3)


def test_a_segment_is_added_at_a_position_or_pasted_text_is_split(api, document, people):
    inserted = api["translator"].post(url("segment-list", document_id=document.pk),
                                      {"source_text": "새 줄이다.", "position": 2, "reason": "Missed a line"})
    assert inserted.status_code == 201
    [segment] = inserted.json()["segments"]
    assert segment["position"] == 2 and segment["document"] == document.pk
    assert Segment.objects.get(pk=segment["id"]).history.first().history_change_reason == "Missed a line"
    pasted = api["translator"].post(url("segment-list", document_id=document.pk),
                                    {"text": "하나다. 둘이다! 셋이다?", "mode": "sentence"})
    assert [row["position"] for row in pasted.json()["segments"]] == [5, 6, 7]
    assert texts(api["translator"], document)[-3:] == [(5, "하나다."), (6, "둘이다!"), (7, "셋이다?")]
    lines = api["translator"].post(url("segment-list", document_id=document.pk), {"text": "가\n\n나\n"})
    assert [row["source_text"] for row in lines.json()["segments"]] == ["가", "나"]
    created = Segment.objects.get(pk=lines.json()["segments"][0]["id"])
    assert created.history.first().history_user == people["translator"]


@pytest.mark.parametrize("body", [
    {}, {"source_text": "가", "text": "나"}, {"source_text": ""}, {"source_text": "   "}, {"source_text": "a\x00b"},
    {"source_text": "x" * 20_001}, {"source_text": ["가"]}, {"source_text": "가", "position": 0},
    {"source_text": "가", "position": "first"}, {"source_text": "가", "position": 10**40}, {"text": "가", "mode": "word"},
    {"text": "가", "position": 1}, {"source_text": "unclosed [mark"}, {"text": "x" * 500_001}, {"text": "가\x07"},
])
def test_bad_segment_input_is_a_400_in_the_error_shape(api, document, body):
    response = api["translator"].post(url("segment-list", document_id=document.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert document.segments.count() == 3


def test_malformed_json_and_lone_surrogates_are_a_400(api, document):
    address = url("segment-list", document_id=document.pk)
    for raw in (b'{"source_text": "\\ud800"}', b'{"source_text": ', b"\xff\xfe", b'["source_text"]'):
        response = api["translator"].generic("POST", address, raw, content_type="application/json")
        assert response.status_code == 400, (raw, response.content)
        assert set(response.json()["error"]) == {"code", "message", "details"}
    assert document.segments.count() == 3


def test_editing_a_segment_names_its_version_and_leaves_history(api, segment, people):
    before = segment.history.count()
    response = api["translator"].patch(url("segment-detail", segment_id=segment.pk),
                                       {"base_version": 1, "source_text": "첫째 줄이었다.", "reason": "Misread"})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["source_text"] == "첫째 줄이었다."
    assert segment.history.count() == before + 1
    latest = segment.history.first()
    assert latest.history_user == people["translator"] and latest.history_change_reason == "Misread"


def test_a_stale_segment_edit_is_a_409_with_both_texts(api, segment):
    assert api["translator"].patch(url("segment-detail", segment_id=segment.pk),
                                   {"base_version": 1, "source_text": "번역자의 글이다."}).status_code == 200
    stale = api["reviewer"].patch(url("segment-detail", segment_id=segment.pk),
                                  {"base_version": 1, "source_text": "검토자의 글이다."})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "edit_conflict"
    assert error["details"] == {"base_version": 1, "current_version": 2, "current_text": "번역자의 글이다.",
                                "attempted_text": "검토자의 글이다."}
    segment.refresh_from_db()
    assert segment.source_text == "번역자의 글이다."


@pytest.mark.parametrize("body", [
    {"source_text": "가"}, {"base_version": 1}, {"base_version": "one", "source_text": "가"},
    {"base_version": 0, "source_text": "가"}, {"base_version": 1, "source_text": "가\x00"},
    {"base_version": 1, "source_text": "x" * 20_001}, {"base_version": 1, "source_text": None},
    {"base_version": 10**30, "source_text": "가"},
])
def test_bad_segment_edits_are_a_400(api, segment, body):
    response = api["translator"].patch(url("segment-detail", segment_id=segment.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("role, expected", [
    ("translator", 200), ("reviewer", 200), ("manager", 200), ("auditor", 403), ("outsider", 404),
])
def test_segment_writes_need_the_transcribe_right(api, document, role, expected):
    first, second, _ = document.segments.order_by("position")
    client = api[role]
    assert client.patch(url("segment-detail", segment_id=first.pk),
                        {"base_version": 1, "source_text": "고쳤다."}).status_code == expected
    assert client.post(url("segment-move", segment_id=second.pk), {"to_position": 1}).status_code == expected
    assert client.post(url("segment-split", segment_id=second.pk), {"base_version": 1, "at": 3}).status_code == expected
    assert client.delete(url("segment-detail", segment_id=second.pk) + "?base_version=2").status_code == expected
    assert client.post(url("segment-restore", segment_id=second.pk)).status_code == expected
    if expected != 200:
        assert [s.version for s in document.segments.order_by("id")] == [1, 1, 1]


def test_delete_needs_the_current_version_and_restore_brings_it_back(api, document, people):
    first = document.segments.order_by("position").first()
    address = url("segment-detail", segment_id=first.pk)
    missing = api["translator"].delete(address)
    assert missing.status_code == 400 and "base_version" in missing.json()["error"]["details"]["fields"]
    assert api["translator"].delete(address + "?base_version=abc").status_code == 400
    stale = api["translator"].delete(address + "?base_version=7")
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_text"] == "첫째 줄이다."
    deleted = api["translator"].delete(address + "?base_version=1&reason=Duplicate+line")
    assert deleted.status_code == 200 and deleted.json()["is_deleted"] is True
    assert first.history.first().history_change_reason == "Duplicate line"
    assert texts(api["translator"], document) == [(1, "둘째 줄이다."), (2, "셋째 줄이다.")]
    assert api["translator"].get(address).json()["is_deleted"] is True
    restored = api["reviewer"].post(url("segment-restore", segment_id=first.pk), {"reason": "Not a duplicate"})
    assert restored.status_code == 200 and restored.json()["position"] == 3
    assert first.history.first().history_user == people["reviewer"]


def test_split_merge_and_move_rearrange_the_transcription(api, document):
    first, second, third = document.segments.order_by("position")
    split = api["translator"].post(url("segment-split", segment_id=first.pk), {"base_version": 1, "at": 2})
    assert split.status_code == 200
    assert [(s["position"], s["source_text"]) for s in split.json()["segments"]] == [(1, "첫째"), (2, "줄이다.")]
    assert texts(api["translator"], document) == [(1, "첫째"), (2, "줄이다."), (3, "둘째 줄이다."), (4, "셋째 줄이다.")]
    stale = api["translator"].post(url("segment-merge", segment_id=first.pk), {"base_version": 2, "next_base_version": 9})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_text"] == "줄이다."
    tail = split.json()["segments"][1]
    merged = api["translator"].post(url("segment-merge", segment_id=first.pk),
                                    {"base_version": 2, "next_base_version": tail["version"]})
    assert merged.status_code == 200 and merged.json()["source_text"] == "첫째 줄이다." and merged.json()["version"] == 3
    moved = api["translator"].post(url("segment-move", segment_id=third.pk), {"to_position": 1})
    assert moved.status_code == 200 and moved.json()["position"] == 1
    assert texts(api["translator"], document) == [(1, "셋째 줄이다."), (2, "첫째 줄이다."), (3, "둘째 줄이다.")]
    last = api["translator"].post(url("segment-merge", segment_id=second.pk), {"base_version": 1, "next_base_version": 1})
    assert last.status_code == 400 and "last segment" in last.json()["error"]["message"]
    for body in ({"base_version": 3, "at": 0}, {"base_version": 3, "at": 999}):
        assert api["translator"].post(url("segment-split", segment_id=first.pk), body).status_code == 400
    for body in ({"base_version": 3}, {"at": 1}, {"base_version": 3, "at": -1}, {"base_version": [3], "at": 1}):
        assert api["translator"].post(url("segment-split", segment_id=first.pk), body).status_code == 400
    assert api["translator"].post(url("segment-move", segment_id=first.pk), {"to_position": "top"}).status_code == 400
    assert api["translator"].post(url("segment-move", segment_id=first.pk), {}).status_code == 400


def test_another_projects_segment_is_not_found_through_our_project(api, project, admin_user, people):
    other = make_project(admin_user, slug="elsewhere", members={people["translator"]: Role.TRANSLATOR})
    foreign = make_document(other, admin_user).segments.order_by("position").first()
    for name, method, body in (
        ("segment-detail", "get", None), ("segment-detail", "patch", {"base_version": 1, "source_text": "가"}),
        ("segment-split", "post", {"base_version": 1, "at": 1}), ("segment-move", "post", {"to_position": 2}),
        ("segment-merge", "post", {"base_version": 1, "next_base_version": 1}), ("segment-restore", "post", {}),
    ):
        response = getattr(api["translator"], method)(url(name, segment_id=foreign.pk), body)
        assert response.status_code == 404, (name, method)
    assert api["translator"].delete(url("segment-detail", segment_id=foreign.pk) + "?base_version=1").status_code == 404
    foreign.refresh_from_db()
    assert (foreign.version, foreign.is_deleted, foreign.position) == (1, False, 1)
    same_project = reverse("api:segment-detail", kwargs={"slug": "elsewhere", "segment_id": foreign.pk})
    assert api["translator"].get(same_project).status_code == 200
