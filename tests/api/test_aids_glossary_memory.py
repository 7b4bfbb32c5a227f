"""The glossary, translation-memory suggestions and imported memory over the API, with tokens only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.services.decisions import review_record
from tests.factories import make_document, make_project
from translations import services
from translations.history import save_tracked
from translations.models import GlossaryTerm, MemoryEntry, Role

SLUG = "recovered-notes"
LINES = (
    "나는 당의 사랑과 은덕을 배신하였다.",
    "나는 당의 사랑과 은덕을 배신하였습니다.",
    "우리 분대는 숲속에 참호를 팠다.",
)


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs={"slug": SLUG, **kwargs})


def queries(client, address) -> int:
    client.get(address)  # the token's last-used time is written on first use only
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def add_term(project, user, source_term="당", language="en", **values):
    values.setdefault("approved", ["the Party"])
    return services.glossary_term_create(project=project, user=user, language=language, source_term=source_term,
                                         **values)


def publish(segment, translator, reviewer, text, language="en"):
    translation = services.translation_create(segment=segment, user=translator, language=language, text=text)
    review_record(translation=translation, reviewer=reviewer, version=translation.version, decision="approve")
    translation.refresh_from_db()
    assert translation.is_published
    return translation


def add_entry(project, user, n, *, language="en", origin="old.tmx"):
    return save_tracked(MemoryEntry(project=project, language=language, source_text=f"원문 {n}",
                                    target_text=f"Pair {n}", origin=origin, created_by=user),
                        user=user, reason="Pair for the test")


@pytest.fixture
def elsewhere(admin_user, people):
    """Another project the manager also belongs to: its ids must not work through ours."""
    other = make_project(admin_user, slug="elsewhere", members={people["manager"]: Role.MANAGER})
    term = add_term(other, people["manager"], source_term="다른")
    document = make_document(other, people["manager"], title="Other notebook", lines=LINES)
    return other, term, document.segments.order_by("position").first()


def error_of(response, status=400):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


# --- Glossary --------------------------------------------------------------------------------


def test_every_member_reads_the_glossary_with_filters(api, project, people):
    add_term(project, people["manager"], "당", approved=["the Party"], note="Always capitalised.")
    add_term(project, people["manager"], "분대", approved=["squad"])
    response = api["auditor"].get(url("glossary-term-list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["source_term"] for row in rows] == ["당", "분대"]
    assert set(rows[0]) == {"id", "language", "source_term", "approved", "forbidden", "part_of_speech", "note",
                            "created_at", "updated_at"}
    for search in ("squad", "분"):
        found = api["translator"].get(url("glossary-term-list"), {"q": search}).json()["results"]
        assert [row["source_term"] for row in found] == ["분대"]
    assert api["translator"].get(url("glossary-term-list"), {"language": "de"}).json()["results"] == []
    ordered = api["reviewer"].get(url("glossary-term-list"), {"ordering": "-source_term"}).json()["results"]
    assert [row["source_term"] for row in ordered] == ["분대", "당"]
    assert api["outsider"].get(url("glossary-term-list")).status_code == 404


@pytest.mark.parametrize("role, expected", [
    ("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404), ("manager", 201), ("siteadmin", 201),
])
def test_only_managers_add_terms(api, project, role, expected):
    body = {"language": "en", "source_term": "참호", "approved": ["trench"], "forbidden": ["ditch"],
            "part_of_speech": "noun", "note": "Military.", "reason": "From the style guide"}
    response = api[role].post(url("glossary-term-list"), body, format="json")
    assert response.status_code == expected, response.content
    assert GlossaryTerm.objects.filter(project=project, source_term="참호").exists() == (expected == 201)
    if expected == 201:
        assert response.json()["approved"] == ["trench"] and response.json()["forbidden"] == ["ditch"]
    else:
        error_of(response, expected)


@pytest.mark.parametrize("role, expected", [
    ("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404), ("manager", 200),
])
def test_only_managers_edit_terms(api, project, people, role, expected):
    term = add_term(project, people["manager"])
    response = api[role].patch(url("glossary-term-detail", term_id=term.pk), {"note": "Edited."}, format="json")
    assert response.status_code == expected, response.content
    term.refresh_from_db()
    assert (term.note == "Edited.") == (expected == 200)
    read = api[role].get(url("glossary-term-detail", term_id=term.pk))
    assert read.status_code == (404 if role == "outsider" else 200)


@pytest.mark.parametrize("role, expected", [
    ("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404), ("manager", 204),
])
def test_only_managers_delete_terms(api, project, people, role, expected):
    term = add_term(project, people["manager"])
    response = api[role].delete(url("glossary-term-detail", term_id=term.pk))
    assert response.status_code == expected, response.content
    assert GlossaryTerm.objects.filter(pk=term.pk).exists() == (expected != 204)


def test_each_change_is_in_history_naming_the_manager_and_reason(api, project, people):
    body = {"language": "en", "source_term": "은덕", "approved": ["grace"], "reason": "New term"}
    created = api["manager"].post(url("glossary-term-list"), body, format="json")
    assert created.status_code == 201, created.content
    term = GlossaryTerm.objects.get(pk=created.json()["id"])
    first = term.history.first()
    assert first.history_user == people["manager"] and first.history_change_reason == "New term"
    edited = api["manager"].patch(url("glossary-term-detail", term_id=term.pk),
                                  {"approved": ["benevolence", "grace"], "reason": "Usage"}, format="json")
    assert edited.status_code == 200 and edited.json()["approved"] == ["benevolence", "grace"]
    assert edited.json()["source_term"] == "은덕"  # left out of the PATCH: unchanged
    latest = term.history.first()
    assert latest.history_user == people["manager"] and latest.history_change_reason == "Usage"
    deleted = api["manager"].delete(url("glossary-term-detail", term_id=term.pk) + "?reason=Obsolete")
    assert deleted.status_code == 204
    gone = GlossaryTerm.history.filter(id=term.pk).first()
    assert gone.history_type == "-" and gone.history_change_reason == "Obsolete"
    assert gone.history_user == people["manager"]


def test_another_projects_term_through_our_address_is_404(api, project, people, elsewhere):
    _, theirs, _ = elsewhere
    manager = api["manager"]
    assert manager.get(url("glossary-term-detail", term_id=theirs.pk)).status_code == 404
    patched = manager.patch(url("glossary-term-detail", term_id=theirs.pk), {"note": "x"}, format="json")
    assert patched.status_code == 404
    assert manager.delete(url("glossary-term-detail", term_id=theirs.pk)).status_code == 404
    assert GlossaryTerm.objects.filter(pk=theirs.pk, note="").exists()
    assert manager.get(url("glossary-term-detail", term_id=999_999_999)).status_code == 404


def test_a_duplicate_term_is_refused(api, project, people):
    add_term(project, people["manager"], "당")
    other = add_term(project, people["manager"], "분대", approved=["squad"])
    response = api["manager"].post(url("glossary-term-list"), {"language": "en", "source_term": " 당 "}, format="json")
    assert "already has" in error_of(response)["message"]
    renamed = api["manager"].patch(url("glossary-term-detail", term_id=other.pk), {"source_term": "당"}, format="json")
    assert "already has" in error_of(renamed)["message"]
    assert GlossaryTerm.objects.filter(project=project).count() == 2


@pytest.mark.parametrize("body", [
    {},
    {"language": "en"},
    {"language": "de", "source_term": "당"},
    {"language": "en", "source_term": "당\x00"},
    {"language": "en", "source_term": "x" * 100_000},
    {"language": "en", "source_term": ["당"]},
    {"language": "en", "source_term": "당", "approved": "the Party"},
    {"language": "en", "source_term": "당", "approved": [["nested"]]},
    {"language": "en", "source_term": "당", "approved": [f"r{n}" for n in range(50)]},
    {"language": "en", "source_term": "당", "approved": ["Party"], "forbidden": ["Party"]},
    {"language": "en", "source_term": "당", "part_of_speech": "adverbial-thing"},
    {"language": "en", "source_term": "당", "note": "y" * 100_000},
    {"language": "en", "source_term": "   "},
    {"language": 7, "source_term": 8},
])
def test_bad_terms_are_refused_in_the_error_shape(api, project, body):
    response = api["manager"].post(url("glossary-term-list"), body, format="json")
    error_of(response)
    assert not GlossaryTerm.objects.filter(project=project).exists()


def test_bad_edits_are_refused_and_change_nothing(api, project, people):
    term = add_term(project, people["manager"])
    address = url("glossary-term-detail", term_id=term.pk)
    for body in ({"language": "fr"}, {"source_term": "\x00"}, {"approved": {"a": 1}}, {"note": 5 * "z" * 1000},
                 {"source_term": ""}):
        error_of(api["manager"].patch(address, body, format="json"))
    error_of(api["manager"].patch(address, ["a", "list"], format="json"))
    assert error_of(api["manager"].delete(address + "?reason=" + "r" * 600))["details"]
    term.refresh_from_db()
    assert (term.source_term, term.approved, term.note) == ("당", ["the Party"], "")


def test_a_glossary_filter_or_cursor_that_cannot_be_read_is_not_a_500(api, project, people):
    add_term(project, people["manager"])
    client = api["translator"]
    assert client.get(url("glossary-term-list"), {"q": "\x00"}).status_code == 400
    assert client.get(url("glossary-term-list"), {"q": "q" * 5000}).status_code == 400
    assert client.get(url("glossary-term-list"), {"cursor": "not-a-cursor"}).status_code == 404
    assert client.get(url("glossary-term-list"), {"ordering": "nonsense"}).status_code == 200


def test_the_glossary_list_costs_the_same_queries_at_any_size(api, project, people, django_assert_max_num_queries):
    add_term(project, people["manager"], "첫")
    client = api["reviewer"]
    small = queries(client, url("glossary-term-list"))
    for n in range(35):
        add_term(project, people["manager"], f"용어 {n}", approved=[f"term {n}"])
    with django_assert_max_num_queries(small):
        response = client.get(url("glossary-term-list"), {"page_size": 100})
    assert len(response.json()["results"]) == 36
    with django_assert_max_num_queries(small):
        assert client.get(url("glossary-term-list"), {"q": "term"}).status_code == 200


# --- Suggestions -----------------------------------------------------------------------------


@pytest.fixture
def notebook(project, people):
    document = make_document(project, people["manager"], title="Notebook of the 3rd company", lines=LINES)
    return list(document.segments.order_by("position"))


def test_suggestions_offer_what_the_aid_panel_offers_with_glossary_terms(api, project, notebook, people):
    publish(notebook[1], people["translator"], people["reviewer"], "I betrayed the love and grace of the Party.")
    add_term(project, people["manager"], "당", approved=["the Party"])
    add_term(project, people["manager"], "참호", approved=["trench"])
    response = api["auditor"].get(url("segment-suggestions", segment_id=notebook[0].pk, language="en"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["segment_id"] == notebook[0].pk and data["language"] == "en"
    [best] = data["suggestions"]
    assert best["target_text"] == "I betrayed the love and grace of the Party."
    assert 80 <= best["score"] < 100 and best["kind"] == "rendering"
    assert best["origin"] == "Notebook of the 3rd company" and best["other_project"] is False
    assert best["origin_url"].endswith(f"#ws-segment-{notebook[1].pk}")
    assert [term["source_term"] for term in data["glossary"]] == ["당"]
    assert data["glossary"][0]["approved"] == ["the Party"]


def test_suggestions_never_include_unapproved_text(api, project, notebook, people):
    address = url("segment-suggestions", segment_id=notebook[0].pk, language="en")
    services.translation_create(segment=notebook[1], user=people["translator"], language="en",
                                text="A SUBMITTED DRAFT")
    assert api["translator2"].get(address).json()["suggestions"] == []
    published = publish(notebook[1], people["translator2"], people["reviewer"], "The approved words.")
    services.translation_edit(translation=published, user=people["translator2"], base_version=published.version,
                              text="A LATER UNREVIEWED VERSION")
    found = api["translator"].get(address).json()["suggestions"]
    assert [s["target_text"] for s in found] == ["The approved words."]


def test_imported_pairs_are_suggested_with_their_origin(api, project, notebook, people):
    save_tracked(MemoryEntry(project=project, language="en", source_text=LINES[1], target_text="From the old tool.",
                             origin="archive.tmx", created_by=people["manager"]), user=people["manager"], reason="t")
    found = api["reviewer"].get(url("segment-suggestions", segment_id=notebook[0].pk, language="en")).json()
    assert [(s["kind"], s["origin"], s["target_text"]) for s in found["suggestions"]] == [
        ("memory", "archive.tmx", "From the old tool.")]


def test_suggestions_for_an_unknown_language_or_another_projects_segment_are_404(api, project, notebook, elsewhere):
    _, _, their_segment = elsewhere
    client = api["manager"]
    assert client.get(url("segment-suggestions", segment_id=notebook[0].pk, language="de")).status_code == 404
    assert client.get(url("segment-suggestions", segment_id=notebook[0].pk, language="e\x00n")).status_code == 404
    assert client.get(url("segment-suggestions", segment_id=their_segment.pk, language="en")).status_code == 404
    assert client.get(url("segment-suggestions", segment_id=999_999_999, language="en")).status_code == 404
    assert api["outsider"].get(url("segment-suggestions", segment_id=notebook[0].pk, language="en")).status_code == 404


# --- Imported memory -------------------------------------------------------------------------


def test_members_list_imported_pairs_with_filters(api, project, people):
    add_entry(project, people["manager"], 1, origin="a.tmx")
    add_entry(project, people["manager"], 2, origin="b.tmx")
    response = api["translator"].get(url("memory-entry-list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["target_text"] for row in rows] == ["Pair 2", "Pair 1"]
    assert rows[0]["created_by"] == "manager" and rows[0]["origin"] == "b.tmx"
    only = api["auditor"].get(url("memory-entry-list"), {"origin": "a.tmx"}).json()["results"]
    assert [row["target_text"] for row in only] == ["Pair 1"]
    assert api["auditor"].get(url("memory-entry-list"), {"language": "de"}).json()["results"] == []
    assert api["auditor"].get(url("memory-entry-list"), {"origin": "\x00"}).status_code == 400
    assert api["outsider"].get(url("memory-entry-list")).status_code == 404


def test_another_projects_pairs_are_not_listed(api, project, people, elsewhere):
    other, _, _ = elsewhere
    add_entry(other, people["manager"], 9)
    assert api["manager"].get(url("memory-entry-list")).json()["results"] == []


def test_the_memory_list_costs_the_same_queries_at_any_size(api, project, people, django_assert_max_num_queries):
    add_entry(project, people["manager"], 0)
    client = api["reviewer"]
    small = queries(client, url("memory-entry-list"))
    for n in range(1, 35):
        add_entry(project, people["manager"] if n % 2 else people["reviewer"], n)
    with django_assert_max_num_queries(small):
        response = client.get(url("memory-entry-list"), {"page_size": 100})
    assert len(response.json()["results"]) == 35


def test_the_suggestions_cost_the_same_queries_at_any_memory_size(api, project, people, django_assert_max_num_queries):
    lines = [f"나는 당의 사랑과 은덕을 {n}번 배신하였다." for n in range(32)]
    document = make_document(project, people["manager"], lines=lines)
    segments = list(document.segments.order_by("position"))
    add_term(project, people["manager"], "당")
    address = url("segment-suggestions", segment_id=segments[0].pk, language="en")
    small = queries(api["reviewer"], address)
    for segment in segments[1:]:
        publish(segment, people["translator"], people["reviewer"], f"Rendering of {segment.position}.")
    for n in range(30):
        save_tracked(MemoryEntry(project=project, language="en", source_text=lines[n], target_text=f"TM {n}",
                                 origin="a.tmx", created_by=people["manager"]), user=people["manager"], reason="t")
    with django_assert_max_num_queries(small):
        response = api["reviewer"].get(address)
    assert len(response.json()["suggestions"]) == 5
