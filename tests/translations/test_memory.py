"""Translation memory: suggestions for a segment, the aid panel, TMX import and export.

Run on SQLite (the bounded scan) and on PostgreSQL (pg_trgm with the GIN
indexes of migration 0008); the tests that only make sense on one of them
say so.
"""

import codecs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from reviews.services.decisions import review_record
from tests.factories import make_document, make_project
from translations import memory, services
from translations.history import save_tracked
from translations.exceptions import NotAllowed
from translations.interchange.errors import ImportRejected
from translations.models import MemoryEntry, Role
from translations.services.memory import memory_export_tmx, memory_import_tmx, memory_origin_delete

pytestmark = pytest.mark.django_db

LINES = (
    "나는 당의 사랑과 은덕을 배신하였다.",  # 1
    "나는 당의 사랑과 은덕을 배신하였습니다.",  # 2: nearly the same as 1
    "우리 분대는 숲속에 참호를 팠다.",  # 3: unlike 1
    "오늘도 적의 무인기가 세 번 날아왔다.",  # 4
)


def publish(segment, translator, reviewer, text, language="en"):
    translation = services.translation_create(segment=segment, user=translator, language=language, text=text)
    review_record(translation=translation, reviewer=reviewer, version=translation.version, decision="approve")
    translation.refresh_from_db()
    assert translation.is_published
    return translation


@pytest.fixture
def notebook(project, people):
    document = make_document(project, people["manager"], title="Notebook of the 3rd company", lines=LINES)
    return list(document.segments.order_by("position"))


def add_entry(*, created_by, **fields):
    return save_tracked(MemoryEntry(created_by=created_by, **fields), user=created_by, reason="Pair for the test")


def suggest(user, segment, **options):
    segment.refresh_from_db()
    return memory.suggestions(user, segment, "en", **options)


def test_a_near_identical_source_ranks_first(notebook, people):
    publish(notebook[1], people["translator"], people["reviewer"], "I betrayed the love and grace of the Party.")
    publish(notebook[2], people["translator"], people["reviewer"], "Our squad dug trenches in the forest.")
    found = suggest(people["translator2"], notebook[0])
    assert [s.target_text for s in found] == ["I betrayed the love and grace of the Party."]
    best = found[0]
    assert 80 <= best.score < 100
    assert best.kind == "rendering" and best.origin == "Notebook of the 3rd company"
    assert best.origin_url.endswith(f"#ws-segment-{notebook[1].pk}")
    # the diff marks what the suggestion's source has that this one lacks
    assert best.source_diff == '나는 당의 사랑과 은덕을 배신하였<del class="il-del">습니</del>다.'


def test_identical_sources_score_100_and_rank_before_near_ones(project, notebook, people, admin_user):
    other = make_document(project, people["manager"], title="Second notebook", lines=(LINES[0],))
    publish(notebook[1], people["translator"], people["reviewer"], "Near.")
    publish(other.segments.get(), people["translator"], people["reviewer"], "Same.")
    found = suggest(people["translator2"], notebook[0])
    assert [(s.target_text, s.score) for s in found][0] == ("Same.", 100)
    assert [s.target_text for s in found] == ["Same.", "Near."]


def test_unpublished_text_is_never_offered(notebook, people):
    services.translation_create(segment=notebook[1], user=people["translator"], language="en", text="A SUBMITTED DRAFT")
    assert suggest(people["translator2"], notebook[0]) == []
    published = publish(notebook[1], people["translator2"], people["reviewer"], "The approved words.")
    services.translation_edit(translation=published, user=people["translator2"], base_version=published.version,
                              text="A LATER UNREVIEWED VERSION")
    found = suggest(people["translator"], notebook[0])
    assert [s.target_text for s in found] == ["The approved words."]


def test_the_segment_itself_is_excluded(notebook, people):
    publish(notebook[0], people["translator"], people["reviewer"], "Its own rendering.")
    assert suggest(people["translator2"], notebook[0]) == []


def test_a_rendering_whose_source_changed_since_approval_is_left_out(notebook, people):
    publish(notebook[1], people["translator"], people["reviewer"], "Approved against the old source.")
    services.segment_edit(segment=notebook[1], user=people["manager"], base_version=1,
                          source_text="나는 당의 사랑과 은덕을 배신하였다고 썼다.")
    assert suggest(people["translator2"], notebook[0]) == []


def test_deleted_segments_are_left_out(notebook, people):
    publish(notebook[1], people["translator"], people["reviewer"], "Gone.")
    notebook[1].refresh_from_db()
    services.segment_delete(segment=notebook[1], user=people["manager"], base_version=notebook[1].version)
    assert suggest(people["translator2"], notebook[0]) == []


@pytest.fixture
def neighbour(admin_user, people):
    """Another project whose translator is also in ours, with a published rendering near LINES[0]."""
    neighbour = make_project(
        admin_user, slug="neighbour",
        members={people["translator"]: Role.TRANSLATOR, people["outsider"]: Role.REVIEWER},
    )
    document = make_document(neighbour, admin_user, title="Neighbour's letter", lines=(LINES[1],))
    publish(document.segments.get(), people["translator"], people["outsider"], "From the neighbour.")
    return neighbour


def share(project, admin_user, shares=True):
    project.shares_memory = shares
    save_tracked(project, user=admin_user, reason="Memory sharing for the test")


def test_another_project_is_offered_only_when_it_shares_and_the_user_is_a_member(notebook, people, neighbour, admin_user):
    assert suggest(people["translator"], notebook[0]) == []  # not shared
    share(neighbour, admin_user)
    found = suggest(people["translator"], notebook[0])
    assert [(s.target_text, s.other_project, s.project_name) for s in found] == [
        ("From the neighbour.", True, neighbour.name)
    ]
    # translator2 is not a member of the neighbour: nothing of it leaks, shared or not
    assert suggest(people["translator2"], notebook[0]) == []


def test_a_sharing_project_in_another_source_language_is_not_offered(notebook, people, admin_user):
    other = services.project_create(user=admin_user, name="Russian", slug="russian", source_language="ru",
                                    target_languages=["en"])
    services.membership_set(project=other, user=admin_user, member=people["translator"], role=Role.TRANSLATOR)
    services.membership_set(project=other, user=admin_user, member=people["reviewer"], role=Role.REVIEWER)
    document = make_document(other, admin_user, lines=(LINES[1],))
    publish(document.segments.get(), people["translator"], people["reviewer"], "Wrong language pair.")
    share(other, admin_user)
    assert suggest(people["translator"], notebook[0]) == []


def test_imported_pairs_are_offered_with_where_they_came_from(project, notebook, people):
    add_entry(project=project, language="en", source_text=LINES[1], target_text="From the TMX.",
                               origin="old-archive.tmx", created_by=people["manager"])
    add_entry(project=project, language="uk", source_text=LINES[1], target_text="Українською.",
                               origin="old-archive.tmx", created_by=people["manager"])
    [found] = suggest(people["translator"], notebook[0])
    assert (found.kind, found.origin, found.target_text) == ("memory", "old-archive.tmx", "From the TMX.")
    assert found.origin_url == reverse("memory", args=[project.slug])


def test_the_same_pair_twice_is_shown_once_and_the_limit_holds(project, people):
    lines = [f"나는 당의 사랑과 은덕을 배신하였다 {n}." for n in range(9)]
    document = make_document(project, people["manager"], lines=["나는 당의 사랑과 은덕을 배신하였다."] + lines)
    segments = list(document.segments.order_by("position"))
    for n, segment in enumerate(segments[1:]):
        publish(segment, people["translator"], people["reviewer"], "Same words." if n < 3 else f"Words {n}.")
    found = suggest(people["translator2"], segments[0], limit=5)
    assert len(found) == 5
    assert len({(s.source_text, s.target_text) for s in found}) == 5


def test_nothing_similar_gives_nothing(notebook, people):
    publish(notebook[2], people["translator"], people["reviewer"], "Our squad dug trenches in the forest.")
    assert suggest(people["translator2"], notebook[3]) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the in-process scan is SQLite's fallback")
def test_sqlite_scans_only_the_most_recent_pairs(notebook, people, monkeypatch):
    publish(notebook[1], people["translator"], people["reviewer"], "Older, and out of the scan.")
    publish(notebook[2], people["translator"], people["reviewer"], "Newer, unlike.")
    monkeypatch.setattr(memory, "SCAN_LIMIT", 1)
    assert suggest(people["translator2"], notebook[0]) == []
    monkeypatch.setattr(memory, "SCAN_LIMIT", 2)
    assert len(suggest(people["translator2"], notebook[0])) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm exists only on PostgreSQL")
def test_postgresql_finds_suggestions_through_the_trigram_indexes(notebook, people):
    publish(notebook[1], people["translator"], people["reviewer"], "Through the index.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN ('segment_source_trgm', 'memory_entry_source_trgm')"
        )
        assert {row[0] for row in cursor.fetchall()} == {"segment_source_trgm", "memory_entry_source_trgm"}
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(
                "EXPLAIN SELECT id FROM translations_segment WHERE source_text %% %s", [LINES[0]]
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "segment_source_trgm" in plan
    assert [s.target_text for s in suggest(people["translator2"], notebook[0])] == ["Through the index."]


# --- The aid panel endpoint -------------------------------------------------------------------


def aids_url(project, segment, language="en"):
    return reverse("segment_aids", args=[project.slug, segment.pk, language])


def test_the_aid_panel_shows_score_diff_text_and_insert_buttons(client, project, notebook, people):
    publish(notebook[1], people["translator"], people["reviewer"], "I betrayed <b>the Party</b>.")
    client.force_login(people["translator2"])
    response = client.get(aids_url(project, notebook[0]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-il-insert="1"' in html and "Alt+1" in html
    assert "I betrayed &lt;b&gt;the Party&lt;/b&gt;." in html and "<b>the Party</b>" not in html
    assert '<del class="il-del">' in html
    assert "Notebook of the 3rd company" in html


def test_the_aid_panel_has_an_empty_state_and_no_insert_for_auditors(client, project, notebook, people):
    client.force_login(people["auditor"])
    html = client.get(aids_url(project, notebook[0])).content.decode()
    assert "Nothing similar in the memory yet" in html
    assert "data-il-insert" not in html


def test_the_aid_panel_costs_the_same_queries_at_any_memory_size(client, project, people, django_assert_max_num_queries):
    lines = [f"나는 당의 사랑과 은덕을 {n}번 배신하였다." for n in range(40)]
    document = make_document(project, people["manager"], lines=lines)
    segments = list(document.segments.order_by("position"))
    for segment in segments[1:]:
        publish(segment, people["translator"], people["reviewer"], f"Rendering of {segment.position}.")
        services.translation_create(segment=segment, user=people["translator2"], language="en", text="Another.")
    for n in range(30):
        add_entry(project=project, language="en", source_text=lines[n], target_text=f"TM {n}",
                                   origin="a.tmx", created_by=people["manager"])
    services.translation_create(segment=segments[0], user=people["translator"], language="en", text="One reading.")
    services.translation_create(segment=segments[0], user=people["translator2"], language="en", text="Another one.")
    client.force_login(people["reviewer"])
    with django_assert_max_num_queries(12):
        response = client.get(aids_url(project, segments[0]))
    html = response.content.decode()
    assert html.count("data-il-suggestion=") == 5
    assert "Candidates agree" in html


def test_the_aid_panel_of_another_projects_segment_is_404(client, project, notebook, people, neighbour):
    client.force_login(people["translator2"])
    other_segment = neighbour.documents.get().segments.get()
    assert client.get(aids_url(neighbour, other_segment)).status_code == 404
    assert client.get(aids_url(project, other_segment)).status_code == 404
    assert client.get(aids_url(project, notebook[0], "fr")).status_code == 404


def test_the_workspace_has_the_aid_panel(client, project, notebook, people):
    client.force_login(people["translator"])
    url = reverse("workspace", args=[project.slug, notebook[0].document_id, "en"])
    html = client.get(url).content.decode()
    assert 'id="il-aids"' in html
    assert f'data-il-aids-url="{reverse("segment_aids", args=[project.slug, 0, "en"])}"' in html


# --- TMX import and export --------------------------------------------------------------------


def tmx(*units, srclang="ko", header_extra="", doctype=""):
    body = "".join(units)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}\n<tmx version="1.4"><header srclang="{srclang}" '
        f'creationtool="t" creationtoolversion="1" segtype="sentence" adminlang="en" datatype="plaintext" '
        f'o-tmf="t"{header_extra}/>\n<body>\n{body}</body></tmx>\n'
    ).encode()


def tu(source, target, *, target_lang="en", tuid=None):
    attribute = f' tuid="{tuid}"' if tuid else ""
    return (f'<tu{attribute}><tuv xml:lang="ko"><seg>{source}</seg></tuv>'
            f'<tuv xml:lang="{target_lang}"><seg>{target}</seg></tuv></tu>\n')


def test_a_tmx_file_is_imported_with_history_and_duplicates_left_out(project, people):
    data = tmx(tu(LINES[0], "One."), tu(LINES[2], "Two.", target_lang="en-GB"), tu(LINES[0], "One."),
               tu("다른 말", "Другое", target_lang="ru"))
    report = memory_import_tmx(project=project, user=people["manager"], data=data, filename="../../archive.tmx")
    assert (report.total, report.duplicates, report.skipped_units, report.origin) == (2, 1, 1, "archive.tmx")
    entries = list(MemoryEntry.objects.filter(project=project).order_by("pk"))
    assert [(e.language, e.source_text, e.target_text) for e in entries] == [
        ("en", LINES[0], "One."), ("en", LINES[2], "Two.")
    ]
    for entry in entries:
        row = entry.history.get()
        assert row.history_user == people["manager"] and "archive.tmx" in row.history_change_reason
    again = memory_import_tmx(project=project, user=people["manager"], data=data, filename="archive.tmx")
    assert (again.total, again.duplicates) == (0, 3)


def test_export_and_import_round_trip(project, notebook, people, admin_user):
    publish(notebook[0], people["translator"], people["reviewer"], "Published & <kept> exactly.")
    services.translation_create(segment=notebook[1], user=people["translator"], language="en", text="NOT APPROVED")
    add_entry(project=project, language="en", source_text=LINES[3], target_text="Imported pair.",
                               origin="earlier.tmx", created_by=people["manager"])
    data = memory_export_tmx(project=project, user=people["auditor"])
    assert b"NOT APPROVED" not in data
    copy = make_project(admin_user, slug="copy", members={people["manager"]: Role.MANAGER})
    report = memory_import_tmx(project=copy, user=people["manager"], data=data, filename="export.tmx")
    assert report.total == 2
    assert set(MemoryEntry.objects.filter(project=copy).values_list("source_text", "target_text")) == {
        (LINES[0], "Published & <kept> exactly."), (LINES[3], "Imported pair.")
    }


HOSTILE = {
    "malformed": (tmx(tu(LINES[0], "One."))[:-20], "not well-formed XML"),
    "entities": (
        tmx(tu(LINES[0], "&lol;"), doctype='<!DOCTYPE tmx [<!ENTITY lol "lollollol">]>'), "declares XML entities"
    ),
    "nul byte": (tmx(tu(LINES[0], "One\x00."),), "NUL byte"),
    "utf-16 without mark": (tmx(tu(LINES[0], "One.")).decode().encode("utf-16-le"), "UTF-16"),
    "latin-1": ('<?xml version="1.0"?><tmx><body><tu><tuv xml:lang="ko"><seg>caf\xe9</seg></tuv></tu></body></tmx>'
                .encode("latin-1"), "not valid UTF-8"),
    "not tmx": (b'<?xml version="1.0"?><xliff version="1.2"/>', "not a TMX file"),
    "no pair": (tmx(tu(LINES[0], "Только русский", target_lang="ru")), "no pair in this project's languages"),
    "empty target": (tmx(tu(LINES[0], "One."), tu(LINES[1], "", tuid="u2")), "Unit “u2”"),
    "control character": (tmx(tu(LINES[0], "One\x85.", tuid="nel")), "Unit “nel”"),
    "empty file": (b"", "empty"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_or_broken_tmx_is_refused_whole_with_a_clear_message(project, people, case):
    data, message = HOSTILE[case]
    with pytest.raises(ImportRejected) as refused:
        memory_import_tmx(project=project, user=people["manager"], data=data, filename="bad.tmx")
    assert message in refused.value.message
    assert not MemoryEntry.objects.exists()


def test_a_tmx_file_over_the_size_limit_is_refused(project, people, settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(ImportRejected, match="over 1,000 bytes"):
        memory_import_tmx(project=project, user=people["manager"], data=tmx(*[tu(LINES[0], "x")] * 40),
                          filename="big.tmx")


def test_utf16_with_a_byte_order_mark_is_read(project, people):
    data = codecs.BOM_UTF16_LE + tmx(tu(LINES[0], "One.")).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")
    assert memory_import_tmx(project=project, user=people["manager"], data=data, filename="u16.tmx").total == 1


def test_the_memory_page_imports_lists_exports_and_removes(client, project, notebook, people):
    publish(notebook[0], people["translator"], people["reviewer"], "Published.")
    client.force_login(people["manager"])
    upload = SimpleUploadedFile(
        "archive.tmx", tmx(tu(LINES[1], "One."), tu(LINES[2], "Two.")), content_type="application/x-tmx+xml"
    )
    response = client.post(reverse("memory_import", args=[project.slug]), {"file": upload}, follow=True)
    assert "Imported 2 pair(s) from archive.tmx" in response.content.decode()
    page = client.get(reverse("memory", args=[project.slug])).content.decode()
    assert "archive.tmx" in page and "Import a TMX file" in page
    export = client.get(reverse("memory_export", args=[project.slug]))
    assert export["Content-Type"].startswith("application/x-tmx+xml") and b"Published." in export.content
    response = client.post(reverse("memory_origin_remove", args=[project.slug]), {"origin": "archive.tmx"}, follow=True)
    assert "Removed the 2 pair(s)" in response.content.decode()
    assert not MemoryEntry.objects.exists()
    assert MemoryEntry.history.filter(history_type="-", history_user=people["manager"]).count() == 2


def test_a_refused_import_on_the_page_says_why_and_changes_nothing(client, project, people):
    client.force_login(people["manager"])
    response = client.post(reverse("memory_import", args=[project.slug]),
                           {"file": SimpleUploadedFile("bad.tmx", b"<tmx><body><tu>")})
    assert response.status_code == 400
    assert "not well-formed XML" in response.content.decode()
    assert not MemoryEntry.objects.exists()


def test_translators_see_the_memory_page_but_cannot_import_or_remove(client, project, people):
    client.force_login(people["translator"])
    page = client.get(reverse("memory", args=[project.slug])).content.decode()
    assert "Import a TMX file" not in page and "Export as TMX" in page
    assert client.post(reverse("memory_import", args=[project.slug])).status_code == 403
    with pytest.raises(NotAllowed):
        memory_origin_delete(project=project, user=people["translator"], origin="x")


def test_the_memory_page_costs_the_same_queries_at_any_size(client, project, people, django_assert_max_num_queries):
    for n in range(25):
        add_entry(project=project, language="en", source_text=f"원문 {n}", target_text=f"T {n}",
                                   origin=f"file-{n % 5}.tmx", created_by=people["manager"])
    client.force_login(people["manager"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("memory", args=[project.slug]))
    assert response.content.decode().count("file-") >= 5
