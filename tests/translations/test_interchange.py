"""Interchange: exports carry only approved text (invariant 4); imports land whole
or not at all, with history for every row (invariants 1 and 8), and refuse
hostile files with a message naming the line, unit or byte offset at fault."""

import codecs
import csv
import io
import json
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree
from translate.storage import po as toolkit_po
from translate.storage import tmx as toolkit_tmx
from translate.storage import xliff as toolkit_xliff
from translate.storage import xliff2 as toolkit_xliff2

from reviews.models import AuditEvent, Review
from reviews.services import review_record
from tests.factories import make_document
from translations import services
from translations.interchange import (
    EXPORT_FORMATS,
    ImportRejected,
    document_import,
    export_document,
    export_project,
    import_plan,
    read_upload,
)
from translations.management.commands.verify_history import tracked_models
from translations.models import Segment, Translation

FIXTURES = Path(__file__).parent / "fixtures" / "interchange"
XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
FOURTH_SOURCE = '넷째 [?줄] & "따옴표" <g id="1">굵게</g><x id="2"/>'
FOURTH_TARGET = 'Fourth [?line] & "quotes" <g id="1">bold</g><x id="2"/>'


def db_state():
    """Row and history counts of every tracked model, and the audit index."""
    counts = {"AuditEvent": AuditEvent.objects.count()}
    for model in tracked_models():
        counts[model.__name__] = model.objects.count()
        counts[f"{model.__name__} history"] = model.history.model.objects.count()
    return counts


def history_rows_since(mark):
    rows = []
    for model in (Segment, Translation):
        rows += list(model.history.model.objects.filter(history_id__gt=mark[model]))
    return rows


def history_mark():
    return {model: model.history.model.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0
            for model in (Segment, Translation)}


@pytest.fixture
def world(project, document, people):
    """Four segments in English: 1 approved then redrafted, 2 awaiting review, 3 untouched, 4 approved with markup."""
    first, second, third = document.segments.order_by("position")
    fourth = services.segment_create(document=document, user=people["translator"], source_text=FOURTH_SOURCE)
    approved = services.translation_create(segment=first, user=people["translator"], language="en", text="First line.")
    review_record(translation=approved, reviewer=people["reviewer"], version=1, decision="approve")
    services.translation_edit(
        translation=approved, user=people["translator"], base_version=1, text="First line, a later draft."
    )
    pending = services.translation_create(
        segment=second, user=people["translator2"], language="en", text="Second line, awaiting review."
    )
    marked_up = services.translation_create(segment=fourth, user=people["translator2"], language="en", text=FOURTH_TARGET)
    review_record(translation=marked_up, reviewer=people["reviewer"], version=1, decision="approve")
    return SimpleNamespace(
        project=project, document=document, segments=[first, second, third, fourth], approved=approved,
        pending=pending, marked_up=marked_up, **people,
    )


def fresh_document(world, title="Copy"):
    return services.document_create(project=world.project, user=world.manager, title=title)


def import_bytes(document, user, content, filename, *, language="en", **options):
    parsed = read_upload(content, filename=filename, language=language, **options)
    return document_import(document=document, user=user, language=language, parsed=parsed, filename=filename)


def rejected(content, filename, **options):
    with pytest.raises(ImportRejected) as caught:
        read_upload(content, filename=filename, language="en", **options)
    return caught.value.message


# --- Export -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_never_contains_a_later_unapproved_draft(world, fmt):
    content, content_type, filename = export_document(world.document, "en", fmt)
    text = content.decode("utf-8")
    assert "First line." in text
    assert "later draft" not in text
    assert "awaiting review." not in text  # a candidate that was never approved
    assert filename.endswith({"xliff": ".xlf", "po": ".po", "csv": ".csv", "json": ".json", "tmx": ".tmx"}[fmt])
    assert content_type


def test_xliff_export_marks_approved_units_and_says_which_lack_a_rendering(world):
    content, _, _ = export_document(world.document, "en", "xliff")
    root = etree.fromstring(content)
    units = {u.get("id"): u for u in root.iter(f"{{{XLIFF_NS}}}trans-unit")}
    first, second, third, fourth = (units[f"s{s.pk}"] for s in world.segments)
    target = lambda unit: unit.find(f"{{{XLIFF_NS}}}target")  # noqa: E731
    assert first.get("approved") == "yes" and target(first).get("state") == "final" and target(first).text == "First line."
    assert second.get("approved") is None and target(second).get("state") == "needs-review-translation"
    assert not target(second).text
    assert third.get("approved") is None and target(third).get("state") == "new" and not target(third).text
    # Inline markup stored as text goes out as XLIFF markup.
    assert [child.tag.split("}")[1] for child in target(fourth)] == ["g", "x"]
    header_notes = [n.text for n in root.iter(f"{{{XLIFF_NS}}}note") if n.getparent().tag.endswith("header")]
    assert "Document: Notebook" in header_notes
    assert any(n.startswith("Authenticity: Unverified") for n in header_notes)
    assert any(n.startswith("Reference:") for n in header_notes)
    note = first.find(f"{{{XLIFF_NS}}}note").text
    assert "Version 1 written by" in note and "approved by" in note and world.reviewer.get_full_name() in note
    assert "awaits review" in second.find(f"{{{XLIFF_NS}}}note").text


def test_po_export_has_approved_text_non_fuzzy_and_empty_msgstr_otherwise(world):
    store = toolkit_po.pofile(io.BytesIO(export_document(world.document, "en", "po")[0]))
    units = {u.getcontext(): u for u in store.units if not u.isheader()}
    first, second, third, fourth = (units[f"s{s.pk}"] for s in world.segments)
    assert first.target == "First line." and not first.isfuzzy()
    assert second.target == "" and "awaits review" in first.getnotes() + second.getnotes()
    assert third.target == ""
    assert fourth.source == FOURTH_SOURCE and fourth.target == FOURTH_TARGET


def test_csv_export_has_a_status_column(world):
    content = export_document(world.document, "en", "csv")[0]
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row["status"] for row in rows] == ["approved", "awaiting-review", "not-approved", "approved"]
    assert [row["target"] for row in rows] == ["First line.", "", "", FOURTH_TARGET]
    assert [row["id"] for row in rows] == [f"s{s.pk}" for s in world.segments]


def test_tmx_export_holds_only_approved_pairs(world):
    store = toolkit_tmx.tmxfile(io.BytesIO(export_document(world.document, "en", "tmx")[0]))
    assert [(u.source, u.target) for u in store.units] == [("첫째 줄이다.", "First line."), (FOURTH_SOURCE, FOURTH_TARGET)]


def test_a_rendering_approved_against_an_earlier_source_is_flagged_not_approved(world):
    services.segment_edit(segment=world.segments[0], user=world.manager, base_version=1, source_text="첫째 줄이었다.")
    data = json.loads(export_document(world.document, "en", "json")[0])
    assert data["units"][0]["status"] == "source-changed" and data["units"][0]["target"] == "First line."
    root = etree.fromstring(export_document(world.document, "en", "xliff")[0])
    unit = next(root.iter(f"{{{XLIFF_NS}}}trans-unit"))
    assert unit.get("approved") is None
    assert unit.find(f"{{{XLIFF_NS}}}target").get("state") == "needs-review-translation"
    store = toolkit_tmx.tmxfile(io.BytesIO(export_document(world.document, "en", "tmx")[0]))
    assert [u.target for u in store.units] == [FOURTH_TARGET]


def test_exports_are_read_by_translate_toolkit(world):
    xliff = toolkit_xliff.xlifffile(io.BytesIO(export_document(world.document, "en", "xliff")[0]))
    ids = [u.getid().split("\x04")[-1] for u in xliff.units]
    assert ids == [f"s{s.pk}" for s in world.segments]
    assert xliff.units[0].isapproved() and xliff.units[0].target == "First line."
    assert xliff.getsourcelanguage() == "ko" and xliff.gettargetlanguage() == "en"
    po = toolkit_po.pofile(io.BytesIO(export_document(world.document, "en", "po")[0]))
    assert po.gettargetlanguage() == "en"
    assert len([u for u in po.units if not u.isheader()]) == 4


def test_export_of_an_empty_or_unknown_format_answers_404(client, world):
    client.force_login(world.translator)
    url = reverse("document_export", args=[world.project.slug, world.document.pk, "en", "docx"])
    assert client.get(url).status_code == 404
    url = reverse("document_export", args=[world.project.slug, world.document.pk, "fr", "xliff"])
    assert client.get(url).status_code == 404


def test_export_view_downloads_the_file_for_any_member(client, world):
    client.force_login(world.auditor)
    response = client.get(reverse("document_export", args=[world.project.slug, world.document.pk, "en", "po"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b'msgstr "First line."' in response.content


def test_project_export_is_a_zip_with_one_file_per_document(client, world):
    make_document(world.project, world.manager, title="Second notebook")
    client.force_login(world.translator)
    response = client.get(reverse("project_export", args=[world.project.slug, "en", "json"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 2 and all(name.endswith("-en.json") for name in names)
    content, content_type, _ = export_project(world.project, "en", "csv")
    assert content_type == "application/zip"


def test_project_export_reads_forty_documents_in_the_queries_of_two(world):
    """Each document's file holds what exporting it alone gives; the number of
    queries does not grow with the number of documents."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from translations.interchange.exporting import document_export_data, documents_export_data

    make_document(world.project, world.manager, title="Second notebook")
    with CaptureQueriesContext(connection) as two:
        export_project(world.project, "en", "json")
    for n in range(38):
        make_document(world.project, world.manager, title=f"Notebook {n:02d}", lines=(f"{n}번째 줄이다.",))
    with CaptureQueriesContext(connection) as forty:
        content, _, _ = export_project(world.project, "en", "json")
    assert len(zipfile.ZipFile(io.BytesIO(content)).namelist()) == 40
    assert len(forty.captured_queries) == len(two.captured_queries)
    documents = list(world.project.documents.order_by("title", "id"))
    together = documents_export_data(documents, "en")
    assert [export.units for export in together] == [document_export_data(d, "en").units for d in documents]
    assert any(unit.target == "First line." for export in together for unit in export.units)


# --- Round trips ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_each_format_round_trips_into_a_fresh_document(world, fmt):
    content, _, filename = export_document(world.document, "en", fmt)
    copy = fresh_document(world)
    import_bytes(copy, world.reviewer2, content, filename)

    sources = [s.source_text for s in world.segments]
    if fmt == "tmx":  # a translation memory holds the approved pairs only
        sources = [sources[0], sources[3]]
    assert [s.source_text for s in copy.segments.order_by("position")] == sources
    assert [s.position for s in copy.segments.order_by("position")] == list(range(1, len(sources) + 1))
    candidates = Translation.objects.filter(segment__document=copy).select_related("segment")
    assert {t.segment.source_text: t.text for t in candidates} == {"첫째 줄이다.": "First line.", FOURTH_SOURCE: FOURTH_TARGET}
    for candidate in candidates:  # targets come back as candidates, never approvals
        assert candidate.author == world.reviewer2 and candidate.version == 1
        assert candidate.state == "submitted" and not candidate.is_published
        assert ("Marked approved in " + filename in candidate.note) == (fmt != "tmx")
    assert not Review.objects.filter(translation__segment__document=copy).exists()
    reasons = {row.history_change_reason for model in (Segment, Translation)
               for row in model.history.model.objects.filter(**({"document": copy} if model is Segment else {"segment__document": copy}))}
    assert reasons == {f"Imported from {filename}"}


def test_inline_markup_survives_export_and_reimport_as_the_same_text(world):
    content, _, filename = export_document(world.document, "en", "xliff")
    assert b'<source>\xeb\x84\xb7\xec\xa7\xb8 [?\xec\xa4\x84] &amp; "\xeb\x94\xb0\xec\x98\xb4\xed\x91\x9c" <g id="1">' in content
    copy = fresh_document(world)
    import_bytes(copy, world.reviewer2, content, filename)
    copy_fourth = copy.segments.get(position=4)
    assert copy_fourth.source_text == FOURTH_SOURCE
    again, _, _ = export_document(copy, "en", "xliff")
    assert again.count(b'<g id="1">') == 1  # the candidate is not approved, so only the source carries markup


# --- Files other tools write ----------------------------------------------------


def test_files_written_by_translate_toolkit_import(world):
    xliff = toolkit_xliff.xlifffile(sourcelanguage="ko", targetlanguage="en")
    unit = xliff.addsourceunit("하나다.")
    unit.setid("one")
    unit.target = "One."
    unit.markapproved(True)
    unit.addnote("Checked twice.", origin="translator")
    xliff.addsourceunit("둘이다.").setid("two")
    po = toolkit_po.pofile()
    entry = po.addsourceunit("셋이다.\n넷이다.")
    entry.target = "Three.\nFour."
    entry.setcontext("three")
    entry.addnote("Two lines.", origin="translator")
    fuzzy = po.addsourceunit("다섯이다.")
    fuzzy.target = "Five?"
    fuzzy.markfuzzy(True)
    tmx = toolkit_tmx.tmxfile(sourcelanguage="ko", targetlanguage="en")
    tmx.addtranslation("여섯이다.", "ko", "Six.", "en")
    xliff2 = toolkit_xliff2.Xliff2File(sourcelanguage="ko", targetlanguage="en")
    unit2 = xliff2.addsourceunit("일곱이다.")
    unit2.target = "Seven."

    document = fresh_document(world)
    for store, name in ((xliff, "tk.xlf"), (po, "tk.po"), (tmx, "tk.tmx"), (xliff2, "tk2.xlf")):
        import_bytes(document, world.translator, bytes(store), name)

    rows = {t.segment.source_text: t for t in Translation.objects.filter(segment__document=document).select_related("segment")}
    assert [s.source_text for s in document.segments.order_by("position")] == [
        "하나다.", "둘이다.", "셋이다.\n넷이다.", "다섯이다.", "여섯이다.", "일곱이다."
    ]
    assert rows["하나다."].text == "One." and rows["하나다."].note == "Checked twice.\nMarked approved in tk.xlf"
    assert rows["셋이다.\n넷이다."].text == "Three.\nFour." and "Marked approved in tk.po" in rows["셋이다.\n넷이다."].note
    assert rows["셋이다.\n넷이다."].note.startswith("Two lines.")
    assert rows["다섯이다."].text == "Five?" and "Marked approved" not in rows["다섯이다."].note  # fuzzy
    assert rows["여섯이다."].text == "Six." and rows["일곱이다."].text == "Seven."
    assert "둘이다." not in rows


def test_a_trados_like_xliff_with_groups_notes_context_and_inline_tags_imports(world):
    document = fresh_document(world)
    content = (FIXTURES / "trados-like.xlf").read_bytes()
    parsed = read_upload(content, filename="trados-like.xlf", language="en")
    plan = import_plan(document=document, user=world.translator, language="en", parsed=parsed, filename="trados-like.xlf")
    assert any('translate="no"' in w for w in plan.warnings) and any("copy the source" in w for w in plan.warnings)
    document_import(document=document, user=world.translator, language="en", parsed=parsed, filename="trados-like.xlf")
    segments = list(document.segments.order_by("position"))
    assert [s.source_text for s in segments] == [
        '조국을 <g id="1">지키자</g>!',
        '날짜:<x id="2" ctype="x-tab"/>1950년',
        '<bpt id="3"><b></bpt>경고<ept id="3"></b></ept> & 주의 {0}',
        "번역하지 않은 줄.",
    ]
    rows = {t.segment.position: t for t in Translation.objects.filter(segment__document=document).select_related("segment")}
    assert rows[1].text == 'Defend the <g id="1">homeland</g>!'
    assert rows[1].note == "Slogan printed in red.\nMarked approved in trados-like.xlf"
    assert rows[2].text == 'Date:<x id="2" ctype="x-tab"/>1950' and rows[2].note == ""
    assert rows[3].text == '<bpt id="3"><b></bpt>Warning<ept id="3"></b></ept> & caution {0}'
    assert 4 not in rows  # a target that only copies the source with state="new"
    # Written back as XLIFF, the stored markup becomes markup again, the escaped native code stays escaped.
    exported = export_document(document, "en", "xliff")[0].decode()
    assert '<source><bpt id="3">&lt;b&gt;</bpt>경고<ept id="3">&lt;/b&gt;</ept> &amp; 주의 {0}</source>' in exported
    assert '<source>날짜:<x id="2" ctype="x-tab"/>1950년</source>' in exported


def test_an_omegat_like_po_with_context_comments_fuzzy_and_obsolete_entries_imports(world):
    document = fresh_document(world)
    import_bytes(document, world.translator, (FIXTURES / "omegat-like.po").read_bytes(), "omegat-like.po")
    segments = list(document.segments.order_by("position"))
    assert [s.source_text for s in segments] == ["첫째 날이다.", "둘째 날이다.\n비가 왔다.", '"따옴표" 와 \\ 역슬래시']
    rows = {t.segment.position: t for t in Translation.objects.filter(segment__document=document).select_related("segment")}
    assert rows[1].text == "The first day."
    assert rows[1].note == "Translator: the date is uncertain.\nMarked approved in omegat-like.po"
    assert rows[2].text == "The second day.\nIt rained." and rows[2].note == ""
    assert 3 not in rows


def test_an_xliff_2_file_imports_each_segment_as_a_unit(world):
    document = fresh_document(world)
    import_bytes(document, world.translator, (FIXTURES / "okapi-2.0.xlf").read_bytes(), "okapi-2.0.xlf")
    assert [s.source_text for s in document.segments.order_by("position")] == [
        '어머니께 <pc id="1">보냅니다</pc>.', '잘 지내세요<ph id="2"/>', "곧 돌아갑니다."
    ]
    rows = {t.segment.position: t for t in Translation.objects.filter(segment__document=document).select_related("segment")}
    assert rows[1].text == 'To <pc id="1">Mother</pc>.'
    assert rows[1].note == "Opening of the letter.\nMarked approved in okapi-2.0.xlf"
    assert rows[2].text == 'Be well<ph id="2"/>' and 3 not in rows


def test_plain_text_and_headerless_csv_import(world):
    document = fresh_document(world)
    import_bytes(document, world.translator, "하나다. 둘이다!\r\n\r셋이다.\n".encode(), "notes.txt", split="sentence")
    import_bytes(document, world.translator, '넷이다.,Four.\n"다섯,\n여섯이다.",,a note\n'.encode(), "more.csv")
    assert [s.source_text for s in document.segments.order_by("position")] == [
        "하나다.", "둘이다!", "셋이다.", "넷이다.", "다섯,\n여섯이다."
    ]
    assert list(Translation.objects.filter(segment__document=document).values_list("text", flat=True)) == ["Four."]


# --- Re-import into the same document -------------------------------------------------


def test_reimporting_an_edited_export_adds_changed_units_as_new_versions_and_leaves_the_rest(world):
    content, _, filename = export_document(world.document, "en", "json")
    data = json.loads(content)
    first, second, third, fourth = data["units"]
    first["target"] = "The first line."  # the approved unit, edited
    second["target"] = "Second line."  # awaiting review, someone else's candidate
    third["target"] = None  # untouched
    # fourth: unchanged approved text
    edited = json.dumps(data, ensure_ascii=False).encode()
    before = db_state()
    mark = history_mark()

    import_bytes(world.document, world.translator, edited, "edited.json")

    approved = Translation.objects.get(pk=world.approved.pk)
    assert approved.version == 3 and approved.text == "The first line."
    assert approved.state == "submitted" and approved.is_published and approved.published_text == "First line."
    assert approved.published_version == 1
    assert "Marked approved in edited.json" in approved.note
    new = Translation.objects.get(segment=world.segments[1], author=world.translator)
    assert new.text == "Second line." and new.version == 1
    assert Translation.objects.get(pk=world.pending.pk).version == 1
    rows = history_rows_since(mark)
    assert sorted((type(r).__name__, r.id) for r in rows) == sorted(
        [("HistoricalTranslation", approved.pk), ("HistoricalTranslation", new.pk)]
    )
    assert {r.history_change_reason for r in rows} == {"Imported from edited.json (new version)", "Imported from edited.json"}
    after = db_state()
    assert after["Segment"] == before["Segment"] and after["Review"] == before["Review"]
    assert after["Translation"] == before["Translation"] + 1

    # The same file again changes nothing at all.
    before, mark = db_state(), history_mark()
    plan = import_bytes(world.document, world.translator, edited, "edited.json")
    assert plan.unchanged == 3 and not plan.writes_anything
    assert db_state() == before and history_rows_since(mark) == []


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_reimporting_an_unedited_export_writes_nothing(world, fmt):
    content, _, filename = export_document(world.document, "en", fmt)
    before = db_state()
    plan = import_bytes(world.document, world.reviewer2, content, filename)
    assert not plan.writes_anything and plan.unchanged == 2
    assert db_state() == before


def test_a_target_equal_to_ones_current_draft_is_unchanged(world):
    data = json.loads(export_document(world.document, "en", "json")[0])
    data["units"][0]["target"] = "First line, a later draft."  # what the translator already has: unchanged
    plan = import_bytes(world.document, world.translator, json.dumps(data).encode(), "same.json")
    assert plan.unchanged == 2 and not plan.writes_anything


def test_units_naming_another_documents_segments_are_added_with_a_warning(world):
    other = make_document(world.project, world.manager, title="Other")
    alien = other.segments.first()
    content = json.dumps({"units": [{"id": f"s{alien.pk}", "source": "남의 줄이다.", "target": "Theirs."}]}).encode()
    parsed = read_upload(content, filename="x.json", language="en")
    plan = import_plan(document=world.document, user=world.translator, language="en", parsed=parsed, filename="x.json")
    assert plan.segments_to_create == 1 and plan.candidates_to_create == 1
    assert any(f"s{alien.pk}" in warning and "no segment of this document" in warning for warning in plan.warnings)
    assert Translation.objects.filter(segment=alien).count() == 0


def test_a_source_that_differs_from_the_transcription_is_warned_about_and_kept(world):
    data = json.loads(export_document(world.document, "en", "json")[0])
    data["units"][2]["source"] = "셋째 줄이었다."
    data["units"][2]["target"] = "Third line."
    parsed = read_upload(json.dumps(data).encode(), filename="x.json", language="en")
    plan = document_import(document=world.document, user=world.translator, language="en", parsed=parsed, filename="x.json")
    assert any("differs from the transcription" in w and data["units"][2]["id"] in w for w in plan.warnings)
    assert Segment.objects.get(pk=world.segments[2].pk).source_text == "셋째 줄이다."


# --- All or nothing ---------------------------------------------------------------------


def _xliff(units: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<xliff version="1.2" xmlns="{XLIFF_NS}">\n'
        f'<file source-language="ko" target-language="en" datatype="plaintext" original="x"><body>\n{units}\n'
        "</body></file></xliff>\n"
    ).encode()


HOSTILE = {
    "invalid UTF-8": (b"\xec\xb2\xab\xec\xa7\xb8.\n\xff\xfe oops\n", "notes.txt", {},
                      "not valid UTF-8 text: the byte 0xFF at byte offset 8 (line 2)"),
    "latin-1 xliff": (_xliff('<trans-unit id="a"><source>caf\xe9</source></trans-unit>').replace(b"\xc3\xa9", b"\xe9"),
                      "a.xlf", {}, "byte offset"),
    "NUL byte": (b"one\ntw\x00o\n", "notes.txt", {}, "NUL byte at byte offset 6 (line 2)"),
    "UTF-16 without a byte-order mark": ("one\n".encode("utf-16-le"), "notes.txt", {}, "NUL byte at byte offset 1"),
    "Korean UTF-16 without a byte-order mark": ("하나\n".encode("utf-16-le"), "notes.txt", {},
                                                "byte offset 3 (line 1) cannot be read. It looks like UTF-16"),
    "empty file": (b"", "notes.txt", {}, "The file is empty."),
    "blank file": (codecs.BOM_UTF8 + b"  \r\n\n", "notes.txt", {}, "The file is empty."),
    "malformed XML": (_xliff('<trans-unit id="a"><source>하나</trans-unit>'), "a.xlf", {},
                      "not well-formed XML: Opening and ending tag mismatch"),
    "billion laughs": ((FIXTURES / "billion-laughs.xlf").read_bytes(), "b.xlf", {}, "declares XML entities (<!ENTITY at line 3)"),
    "external entity (XXE)": ((FIXTURES / "xxe.xlf").read_bytes(), "x.xlf", {}, "declares XML entities"),
    "undeclared entity": (_xliff('<trans-unit id="a"><source>&lol;</source></trans-unit>'), "a.xlf", {},
                          "Entity 'lol' not defined (line 4, column"),
    "no units": (_xliff(""), "a.xlf", {}, "contains no units"),
    "duplicate XLIFF ids": (_xliff('<trans-unit id="a"><source>하나</source></trans-unit>\n'
                                   '<trans-unit id="a"><source>둘</source></trans-unit>'), "a.xlf", {},
                            "The unit id “a” appears twice: at unit “a” (line 4) and at unit “a” (line 5)"),
    "empty XLIFF source": (_xliff('<trans-unit id="a"><source>하나</source></trans-unit>\n'
                                  '<trans-unit id="b"><source>  </source></trans-unit>'), "a.xlf", {},
                           "Unit “b” (line 5): the source text is empty."),
    "XLIFF unit without source": (_xliff('<trans-unit id="a"><target>x</target></trans-unit>'), "a.xlf", {},
                                  "Unit “a” (line 4) has no <source>."),
    "control character in a CSV source": ("source,target\n하나,One\n둘\x07,Two\n".encode(), "a.csv", {},
                                          "Line 3: the source text contains a control character (U+0007) at position 2."),
    "control character in a target": ("하나,One\x1b\n".encode(), "a.csv", {},
                                       "Line 1: the target text contains a control character (U+001B)"),
    "unclosed mark in text": ("하나\n둘 [?셋\n".encode(), "a.txt", {}, "Line 2: the mark opened at position 3 is never closed"),
    "empty mark in PO": ('msgid "하나 [?]"\nmsgstr ""\n'.encode(), "a.po", {}, "Line 1: empty mark “[?]”"),
    "PO plural forms": ('msgid "하나"\nmsgstr "one"\n\nmsgid "사과"\nmsgid_plural "사과들"\nmsgstr[0] "apple"\n'.encode(),
                        "a.po", {}, "Plural forms are not supported (msgid “사과” line 4)"),
    "PO syntax": ('msgid "하나"\nmsgstr "one"\nbogus\n'.encode(), "a.po", {}, "Line 3 is not valid PO"),
    "PO unterminated string": ('msgid "하나\nmsgstr "one"\n'.encode(), "a.po", {}, "Line 1: expected a quoted string"),
    "PO duplicate entry": ('msgctxt "s1"\nmsgid "하나"\nmsgstr ""\n\nmsgctxt "s1"\nmsgid "하나"\nmsgstr ""\n'.encode(),
                           "a.po", {}, "appears twice: at line 1 (msgctxt “s1”) and at line 5 (msgctxt “s1”)"),
    "CSV too many columns": ("하나,One,note,extra\n".encode(), "a.csv", {}, "Line 1 has 4 columns"),
    "CSV unclosed quote": ('source\n하나\n"둘\n셋\n'.encode(), "a.csv", {}, "Line 3: the CSV is malformed (unexpected end"),
    "invalid JSON": (b'{"units": [{"source": "a",}]}', "a.json", {}, "not valid JSON: "),
    "invalid JSON on a later line": (b'{"units": [\n{"source": "a"}\n{"source": "b"}]}', "a.json", {},
                                     "Expecting ',' delimiter at line 3, column 1."),
    "JSON duplicate ids": (json.dumps({"units": [{"id": "s9", "source": "a"}, {"id": "s9", "source": "b"}]}).encode(),
                           "a.json", {}, "The unit id “s9” appears twice: at unit “s9” and at unit “s9”"),
    "JSON source not text": (b'[{"id": "u1", "source": 5}]', "a.json", {}, "Unit “u1”: “source” must be a string."),
    "JSON deeply nested": (b"[" * 100_000 + b"]" * 100_000, "a.json", {}, "nested too deeply"),
    "TMX without body": (b'<tmx version="1.4"><header srclang="ko"/></tmx>', "a.tmx", {}, "has no <body>"),
    "TMX empty seg": (b'<tmx version="1.4"><header srclang="ko"/><body><tu tuid="t1"><tuv xml:lang="ko"><seg/></tuv>'
                      b"</tu></body></tmx>", "a.tmx", {}, "Tu “t1” (line 1): the source text is empty."),
    "XML that is neither": (b"<html><body>hi</body></html>", "page.html", {}, "neither XLIFF nor TMX"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_inputs_are_refused_naming_the_place_and_change_nothing(world, case):
    content, filename, options, expected = HOSTILE[case]
    before = db_state()
    message = rejected(content, filename, **options)
    assert expected in message, message
    assert db_state() == before


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.IMPORT_MAX_BYTES = 100
    assert "files over 100 bytes are refused" in rejected(b"x\n" * 51, "big.txt")


def test_too_many_units_are_refused(world, settings):
    settings.IMPORT_MAX_UNITS = 3
    assert "at most 3 can be imported" in rejected(b"a\nb\nc\nd\n", "many.txt")


@pytest.mark.parametrize(
    "content",
    [codecs.BOM_UTF8 + "하나\n둘\n".encode(), codecs.BOM_UTF16_LE + "하나\r\n둘\r".encode("utf-16-le"),
     codecs.BOM_UTF16_BE + "하나\n둘".encode("utf-16-be"), "하나\r\n둘\r".encode()],
    ids=["UTF-8 BOM", "UTF-16 LE BOM, mixed newlines", "UTF-16 BE BOM", "mixed newlines"],
)
def test_byte_order_marks_utf16_and_mixed_newlines_are_accepted(world, content):
    assert [unit.source for unit in read_upload(content, filename="a.txt").units] == ["하나", "둘"]


def test_utf16_xliff_with_its_declaration_is_accepted(world):
    content = codecs.BOM_UTF16_LE + _xliff('<trans-unit id="a"><source>하나</source></trans-unit>').decode().replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")
    assert [unit.source for unit in read_upload(content, filename="a.xlf").units] == ["하나"]


def test_a_failure_while_writing_rolls_back_everything(world, monkeypatch):
    data = json.loads(export_document(world.document, "en", "json")[0])
    data["units"][0]["target"] = "Changed."
    data["units"].append({"source": "새 줄이다.", "target": "A new line."})
    parsed = read_upload(json.dumps(data).encode(), filename="x.json", language="en")
    before = db_state()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("translations.interchange.importing.bulk_update_tracked", explode)
    with pytest.raises(RuntimeError):
        document_import(document=world.document, user=world.translator, language="en", parsed=parsed, filename="x.json")
    assert db_state() == before


# --- The import page ------------------------------------------------------------------


def import_url(world):
    return reverse("document_import", args=[world.project.slug, world.document.pk])


def upload(client, world, content, name, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content), "format": "auto", "split": "line", "language": "en", **fields}
    return client.post(import_url(world), data)


def test_the_preview_writes_nothing_and_the_confirmation_imports(client, world, settings):
    client.force_login(world.translator)
    assert client.get(import_url(world)).status_code == 200
    before = db_state()
    response = upload(client, world, "새 줄이다.\n또 한 줄.\n".encode(), "extra.txt")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-count="segments">2<' in page and "extra.txt" in page
    assert db_state() == before
    staged = list((Path(settings.MEDIA_ROOT) / "imports").iterdir())
    assert len(staged) == 2 and all(p.stat().st_mode & 0o077 == 0 for p in staged)
    token = response.context["staged"].token

    response = client.post(import_url(world), {"token": token, "action": "confirm"})
    assert response.status_code == 302
    assert list(world.document.segments.filter(is_deleted=False).order_by("position").values_list("source_text", flat=True))[-2:] == [
        "새 줄이다.", "또 한 줄."
    ]
    assert list((Path(settings.MEDIA_ROOT) / "imports").iterdir()) == []
    after = db_state()
    response = client.post(import_url(world), {"token": token, "action": "confirm"})  # a second confirmation
    assert response.status_code == 400 and "expired or was already used" in response.content.decode()
    assert db_state() == after


def test_cancelling_a_preview_discards_the_upload(client, world, settings):
    client.force_login(world.translator)
    before = db_state()
    token = upload(client, world, b"a line\n", "a.txt").context["staged"].token
    assert client.post(import_url(world), {"token": token, "action": "cancel"}).status_code == 302
    assert list((Path(settings.MEDIA_ROOT) / "imports").iterdir()) == [] and db_state() == before


@pytest.mark.parametrize("case", ["invalid UTF-8", "billion laughs", "PO plural forms", "JSON deeply nested"])
def test_a_refused_upload_answers_on_the_page_with_the_message(client, world, case, settings):
    content, filename, options, expected = HOSTILE[case]
    client.force_login(world.translator)
    before = db_state()
    response = upload(client, world, content, filename)
    assert response.status_code == 400
    assert expected in response.content.decode().replace("&lt;", "<").replace("&quot;", '"').replace("&#x27;", "'")
    assert db_state() == before
    assert not (Path(settings.MEDIA_ROOT) / "imports").exists() or not list((Path(settings.MEDIA_ROOT) / "imports").iterdir())


def test_an_oversized_upload_is_refused_before_it_is_read(client, world, settings):
    settings.IMPORT_MAX_BYTES = 10
    client.force_login(world.translator)
    response = upload(client, world, b"x" * 11, "big.txt")
    assert response.status_code == 400 and "files over 10 bytes are refused" in response.content.decode()


def test_someone_elses_upload_cannot_be_confirmed(client, world):
    client.force_login(world.translator)
    token = upload(client, world, b"a line\n", "a.txt").context["staged"].token
    client.force_login(world.translator2)
    before = db_state()
    response = client.post(import_url(world), {"token": token, "action": "confirm"})
    assert response.status_code == 400 and "expired" in response.content.decode()
    response = client.post(import_url(world), {"token": "../../etc/passwd", "action": "confirm"})
    assert response.status_code == 400
    assert db_state() == before


def test_a_preview_made_stale_by_an_edit_is_shown_again_instead_of_imported(client, world):
    client.force_login(world.translator)
    data = json.loads(export_document(world.document, "en", "json")[0])
    data["units"][0]["target"] = "The first line."
    token = upload(client, world, json.dumps(data).encode(), "x.json").context["staged"].token
    services.translation_edit(translation=world.approved, user=world.translator, base_version=2, text="Meanwhile.")
    before = db_state()
    response = client.post(import_url(world), {"token": token, "action": "confirm"})
    assert response.status_code == 409 and "changed since the preview" in response.content.decode()
    assert db_state() == before
    response = client.post(import_url(world), {"token": token, "action": "confirm"})
    assert response.status_code == 302
    assert Translation.objects.get(pk=world.approved.pk).text == "The first line."


def test_who_may_import_and_export(client, world):
    client.force_login(world.auditor)
    assert client.get(import_url(world)).status_code == 403
    assert upload(client, world, b"a line\n", "a.txt").status_code == 403
    assert client.get(reverse("document_export", args=[world.project.slug, world.document.pk, "en", "xliff"])).status_code == 200
    client.force_login(world.outsider)
    assert client.get(import_url(world)).status_code == 404
    assert upload(client, world, b"a line\n", "a.txt").status_code == 404
    assert client.get(reverse("document_export", args=[world.project.slug, world.document.pk, "en", "xliff"])).status_code == 404
    assert client.get(reverse("project_export", args=[world.project.slug, "en", "xliff"])).status_code == 404


def test_the_service_refuses_an_auditor(world):
    from translations.exceptions import NotAllowed

    parsed = read_upload(b"a line\n", filename="a.txt")
    with pytest.raises(NotAllowed):
        document_import(document=world.document, user=world.auditor, language="en", parsed=parsed, filename="a.txt")


# --- Management commands ----------------------------------------------------------------


def test_import_document_command_previews_with_dry_run_then_imports(world, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("하나다. 둘이다.\n")
    out = io.StringIO()
    before = db_state()
    call_command("import_document", world.document.pk, str(path), "--split", "sentence", "--user", "translator",
                 "--dry-run", stdout=out)
    assert "new segments:                    2" in out.getvalue() and "Dry run" in out.getvalue()
    assert db_state() == before
    call_command("import_document", world.document.pk, str(path), "--split", "sentence", "--user", "translator",
                 stdout=io.StringIO())
    assert world.document.segments.filter(is_deleted=False).count() == 6


def test_import_document_command_reports_refusals_as_command_errors(world, tmp_path):
    path = tmp_path / "bad.po"
    path.write_text('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "x"\n')
    with pytest.raises(CommandError, match="Plural forms are not supported"):
        call_command("import_document", world.document.pk, str(path), "--user", "translator")
    with pytest.raises(CommandError, match="may not transcribe"):
        call_command("import_document", world.document.pk, str(path), "--user", "auditor")
    with pytest.raises(CommandError, match="--user"):
        call_command("import_document", world.document.pk, str(path))


def test_export_document_command_writes_the_file(world, tmp_path):
    target = tmp_path / "out.xlf"
    call_command("export_document", world.document.pk, "en", "xliff", "--output", str(target), stderr=io.StringIO())
    assert b'approved="yes"' in target.read_bytes()
    out = io.StringIO()
    call_command("export_document", world.document.pk, "en", "csv", stdout=out)
    assert out.getvalue().startswith("\ufeffid,position,source,target,status,provenance")
    with pytest.raises(CommandError, match="not a target language"):
        call_command("export_document", world.document.pk, "fr", "po", stdout=io.StringIO())


# --- Size ----------------------------------------------------------------------------------


def test_a_10000_unit_xliff_imports_in_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    units = "\n".join(
        f'<trans-unit id="u{n}"><source>{n}번째 줄이다.</source><target>Line {n}.</target></trans-unit>'
        for n in range(1, 10_001)
    )
    content = _xliff(units)
    document = fresh_document(world, "Big")
    started = time.perf_counter()
    parsed = read_upload(content, filename="big.xlf", language="en")
    parsed_at = time.perf_counter()
    # Batches of rows, not rows: segments, translations, their history and audit events, and
    # the automatic checks' findings (here a length-ratio note on most lines) with theirs.
    with django_assert_max_num_queries(100) as captured:
        document_import(document=document, user=world.translator, language="en", parsed=parsed, filename="big.xlf")
    finished = time.perf_counter()
    print(f"\n10 000-unit XLIFF: read {parsed_at - started:.2f}s, import {finished - parsed_at:.2f}s "
          f"in {len(captured.captured_queries)} queries")
    assert document.segments.count() == 10_000
    assert Translation.objects.filter(segment__document=document).count() == 10_000
    assert Segment.history.model.objects.filter(document=document).count() == 10_000
    assert Translation.history.model.objects.filter(segment__document=document).count() == 10_000


def test_file_names_are_reduced_to_a_safe_base_name_before_they_reach_history(client, world):
    from translations.interchange.importing import display_filename

    assert display_filename("C:\\Users\\me\\notes.po") == "notes.po"
    assert display_filename("../../etc/pass\nwd<script>.txt") == "pass_wd_script_.txt"
    assert display_filename("") == "upload"
    client.force_login(world.translator)
    token = upload(client, world, b"<b>bold</b> line\n", "../x/<i>.txt").context["staged"].token
    client.post(import_url(world), {"token": token, "action": "confirm"})
    segment = world.document.segments.get(source_text="<b>bold</b> line")
    assert segment.history.get().history_change_reason == "Imported from _i_.txt"
