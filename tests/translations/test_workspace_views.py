"""The translator's pages: dashboard, document, transcription editor, translation workspace."""

import pytest
from django.urls import reverse

from reviews.services import review_record
from tests.factories import make_document
from translations import services
from translations.models import Document, Segment, Translation, TranslationState

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_user(client, people):
    def login(name):
        client.force_login(people[name])
        return client

    return login


def url(name, *args):
    return reverse(name, args=args)


# --- Dashboard ----------------------------------------------------------------


def test_dashboard_shows_documents_with_authenticity_and_progress(as_user, project, document, segment, people):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    second = document.segments.get(position=2)
    services.translation_create(segment=second, user=people["translator"], language="en", text="Two.")
    page = as_user("translator").get(url("project_dashboard", project.slug)).content.decode()
    assert "Notebook" in page and "Unverified" in page
    assert "en: 1 published, 1 awaiting review, 1 not yet translated, of 3 segments" in page


def test_dashboard_search_and_filters(as_user, project, document, people):
    services.document_create(project=project, user=people["manager"], title="Letter home", authenticity="disputed")
    client = as_user("translator")
    page = client.get(url("project_dashboard", project.slug), {"q": "letter"}).content.decode()
    assert "Letter home" in page and "Notebook" not in page
    page = client.get(url("project_dashboard", project.slug), {"authenticity": "disputed"}).content.decode()
    assert "Letter home" in page and "Notebook" not in page
    page = client.get(url("project_dashboard", project.slug), {"progress": "complete"}).content.decode()
    assert "No documents match these filters" in page
    page = client.get(url("project_dashboard", project.slug), {"progress": "nonsense", "page": "x"}).content.decode()
    assert "Notebook" in page


def test_dashboard_empty_state_invites_managers_to_create(as_user, project):
    page = as_user("manager").get(url("project_dashboard", project.slug)).content.decode()
    assert "No documents yet — create one" in page
    page = as_user("translator").get(url("project_dashboard", project.slug)).content.decode()
    assert "A manager adds documents" in page


def test_dashboard_query_count_does_not_grow_with_documents(as_user, project, people, django_assert_max_num_queries):
    for n in range(30):
        make_document(project, people["manager"], title=f"Doc {n:02}")
    client = as_user("translator")
    with django_assert_max_num_queries(10):
        response = client.get(url("project_dashboard", project.slug))
    assert response.content.decode().count("list-group-item-action") == 25


# --- Documents ----------------------------------------------------------------


def test_a_manager_creates_a_document_with_provenance(as_user, project):
    response = as_user("manager").post(url("document_create", project.slug), {
        "title": "Diary", "obtained_from": "SOF", "obtained_when": "Jan 2025", "authenticity": "unverified",
        "reference_number": "RN-9",
    })
    document = Document.objects.get(title="Diary")
    assert response.status_code == 302 and response["Location"] == url("document_detail", project.slug, document.pk)
    assert document.history.first().history_change_reason == "Document created"


def test_translators_create_documents_only_if_the_project_allows(as_user, project, people):
    client = as_user("translator")
    assert client.post(url("document_create", project.slug), {"title": "X", "authenticity": "unverified"}).status_code == 403
    project.translators_may_create_documents = True
    from translations.history import save_tracked

    save_tracked(project, user=people["manager"], reason="Allow translators to add documents")
    assert client.post(url("document_create", project.slug), {"title": "X", "authenticity": "unverified"}).status_code == 302


def test_provenance_edit_records_the_reason_and_authenticity_history(as_user, project, document):
    response = as_user("manager").post(url("document_edit", project.slug, document.pk), {
        "title": document.title, "authenticity": "disputed", "reason": "Handwriting expert disagrees",
    })
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.authenticity == "disputed"
    assert document.history.first().history_change_reason == "Handwriting expert disagrees"


# --- Transcription ------------------------------------------------------------


def test_paste_and_split_by_sentence(as_user, project, people):
    document = services.document_create(project=project, user=people["manager"], title="Empty")
    response = as_user("translator").post(
        url("segments_paste", project.slug, document.pk),
        {"text": "나는 돌아간다. 정말인가?\n그렇다!", "mode": "sentence"}, **HTMX)
    assert response.status_code == 200
    assert list(document.segments.order_by("position").values_list("source_text", flat=True)) == [
        "나는 돌아간다.", "정말인가?", "그렇다!"]
    assert 'id="segment-list"' in response.content.decode()


@pytest.mark.parametrize("text, message", [
    ("첫 줄\x00둘째", "Null characters are not allowed"),
    ("첫 줄\x07둘째", "control character (U+0007)"),
    ("오늘 [?] 왔다", "Empty mark"),
    ("오늘 [무인기 왔다", "never closed"),
])
def test_bad_pasted_text_is_refused_with_a_clear_message_and_nothing_stored(as_user, project, document, text, message):
    before = Segment.objects.count(), Segment.history.count()
    response = as_user("translator").post(url("segments_paste", project.slug, document.pk), {"text": text, "mode": "line"}, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Segment.objects.count(), Segment.history.count()) == before


def test_editing_a_segment_in_place(as_user, project, segment):
    response = as_user("translator").post(
        url("segment_save", project.slug, segment.pk), {"source_text": "첫째 줄이었다.", "base_version": 1}, **HTMX)
    assert response.status_code == 200
    assert "Saved · version 2" in response.content.decode()
    segment.refresh_from_db()
    assert segment.source_text == "첫째 줄이었다."


def test_a_stale_segment_save_shows_both_texts_and_keeps_mine(as_user, project, segment, people):
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="관리자가 고친 줄.")
    response = as_user("translator").post(
        url("segment_save", project.slug, segment.pk), {"source_text": "내가 고친 줄.", "base_version": 1}, **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "관리자가 고친 줄." in page and "내가 고친 줄." in page and "<ins" in page
    assert '>내가 고친 줄.</textarea>' in page
    assert 'name="base_version" value="2"' in page
    segment.refresh_from_db()
    assert segment.source_text == "관리자가 고친 줄."


def test_structural_edits_through_the_editor(as_user, project, document):
    client = as_user("translator")
    first, second, third = document.segments.order_by("position")
    assert client.post(url("segment_split", project.slug, first.pk), {"at": 3, "base_version": 1}, **HTMX).status_code == 200
    assert document.segments.filter(is_deleted=False).count() == 4
    first.refresh_from_db()
    new = document.segments.get(position=2)
    client.post(url("segment_merge", project.slug, first.pk),
                {"base_version": first.version, "next_base_version": new.version}, **HTMX)
    client.post(url("segment_move", project.slug, third.pk), {"to_position": 1}, **HTMX)
    client.post(url("segment_delete", project.slug, second.pk), {"base_version": 1}, **HTMX)
    response = client.post(url("segment_restore", project.slug, second.pk), **HTMX)
    assert response.status_code == 200
    texts = list(document.segments.filter(is_deleted=False).order_by("position").values_list("source_text", flat=True))
    assert texts == ["셋째 줄이다.", "첫째 줄이다.", "둘째 줄이다."]


def test_transcription_highlights_uncertain_readings(as_user, project, people):
    document = make_document(project, people["manager"], lines=["오늘 [illegible] 왔다 <b>x</b>"])
    page = as_user("auditor").get(url("transcription", project.slug, document.pk)).content.decode()
    assert '<mark class="il-mark" title="uncertain reading">[illegible]</mark>' in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<textarea" not in page  # auditors read only


# --- Translation workspace ----------------------------------------------------


def test_a_translator_submits_a_candidate_in_place(as_user, project, segment):
    response = as_user("translator").post(
        url("translation_create", project.slug, segment.pk, "en"), {"text": "The first line.", "note": "literal", "action": "submit"}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="ws-segment-{segment.pk}"' in page and "Submitted for review" in page
    t = Translation.objects.get(segment=segment)
    assert (t.state, t.note) == (TranslationState.SUBMITTED, "literal")


def test_a_draft_is_saved_without_submitting(as_user, project, segment):
    as_user("translator").post(url("translation_create", project.slug, segment.pk, "en"),
                               {"text": "Draft line.", "action": "draft"}, **HTMX)
    assert Translation.objects.get(segment=segment).state == TranslationState.DRAFT


def test_saving_ones_own_candidate_makes_a_new_version(as_user, project, segment, people):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="v1")
    response = as_user("translator").post(url("translation_save", project.slug, t.pk),
                                          {"text": "v2", "base_version": 1, "action": "save"}, **HTMX)
    assert response.status_code == 200
    t.refresh_from_db()
    assert (t.version, t.text) == (2, "v2")


def test_others_candidates_are_read_only(as_user, project, segment, people):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="Mine.")
    client = as_user("translator2")
    page = client.get(url("workspace", project.slug, segment.document_id, "en")).content.decode()
    assert url("translation_save", project.slug, t.pk) not in page
    response = client.post(url("translation_save", project.slug, t.pk), {"text": "Hijack", "base_version": 1}, **HTMX)
    assert response.status_code == 403
    t.refresh_from_db()
    assert t.text == "Mine."


def test_a_stale_translation_save_shows_a_conflict_and_loses_nothing(as_user, project, segment, people):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="Original.")
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Saved in the other tab.")
    response = as_user("translator").post(url("translation_save", project.slug, t.pk),
                                          {"text": "Typed here.", "base_version": 1, "action": "save"}, **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Saved in the other tab." in page and "Typed here." in page
    assert ">Typed here.</textarea>" in page and "<del" in page
    t.refresh_from_db()
    assert (t.version, t.text) == (2, "Saved in the other tab.")


def test_the_workspace_shows_published_text_state_and_not_chosen(as_user, project, segment, people):
    a = services.translation_create(segment=segment, user=people["translator"], language="en", text="Alpha.")
    b = services.translation_create(segment=segment, user=people["translator2"], language="en", text="Beta.")
    review_record(translation=a, reviewer=people["reviewer"], version=1, decision="approve")
    review_record(translation=b, reviewer=people["reviewer"], version=1, decision="approve")
    page = as_user("reviewer2").get(url("workspace", project.slug, segment.document_id, "en")).content.decode()
    assert "Published · version 1" in page and "not chosen" in page and "Beta." in page


def test_unknown_language_is_404(as_user, project, document):
    assert as_user("translator").get(url("workspace", project.slug, document.pk, "fr")).status_code == 404


def test_workspace_query_count_does_not_grow_with_segments_or_candidates(
    as_user, project, people, django_assert_max_num_queries
):
    document = make_document(project, people["manager"], lines=[f"{n}번째 줄이다." for n in range(300)])
    segments = list(document.segments.all())
    rows = []
    for author in ("translator", "translator2", "reviewer"):
        for segment in segments:
            rows.append(Translation(segment=segment, language="en", author=people[author], edited_by=people[author],
                                    text=f"Line {segment.position}", text_hash="x", state="submitted"))
    from translations.history import bulk_create_tracked

    bulk_create_tracked(rows, user=people["manager"], reason="Test data")
    client = as_user("translator")
    with django_assert_max_num_queries(12) as captured:
        response = client.get(url("workspace", project.slug, document.pk, "en"))
    assert response.status_code == 200
    assert response.content.decode().count('class="card shadow-sm mb-3 il-ws-row"') == 300
    print(f"workspace 300 segments x 3 candidates: {len(captured.captured_queries)} queries")
    small = make_document(project, people["manager"], title="Small", lines=["한 줄."])
    with django_assert_max_num_queries(len(captured.captured_queries)):
        client.get(url("workspace", project.slug, small.pk, "en"))
