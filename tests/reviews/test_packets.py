"""The approved rendering as files a newsroom keeps — a Word document and a
self-contained HTML packet — and the page listing every export of a document.

What is published is what was approved (invariant 4): the files are read
back (the .docx with python-docx) and must hold the approved version, never a
later draft. Nobody outside the project gets them (invariant 9). User text is
escaped in the HTML and inert in the .docx.
"""

import io
import re
import zipfile
from urllib.parse import unquote

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import escape
from docx.oxml.ns import qn

from config import urls as project_urls
from reviews import packets
from reviews.selectors.rendering import approved_rendering
from reviews.views import packets as packet_views
from tests.factories import UserFactory, make_document, make_project
from tests.reviews.test_rendering import approve, edit, submit, worked_document
from translations import services
from translations.models import Role

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def packet_url(kind, project, document, language="en"):
    return reverse(f"document_packet_{kind}", args=[project.slug, document.pk, language])


def exports_url(project, document):
    return reverse("document_exports", args=[project.slug, document.pk])


def download(client, user, address):
    client.force_login(user)
    response = client.get(address)
    assert response.status_code == 200, response.status_code
    return response


def word(response):
    return docx.Document(io.BytesIO(response.content))


def word_text(document) -> str:
    """Every piece of text in the .docx: body paragraphs, table cells, header and footer."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def segment_rows(document):
    """The segment table's rows after its heading row, as lists of cell texts."""
    table = document.tables[-1]
    assert table.rows[0].cells[0].text == "#"
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def document_xml(response) -> str:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return archive.read("word/document.xml").decode("utf-8")


@pytest.fixture
def provenance(document, people):
    services.document_update(
        document=document, user=people["manager"], title="Soldier's notebook",
        obtained_from="Ukrainian Special Operations Forces", obtained_when="January 2025",
        obtained_where="Kursk region", obtained_by="A field photographer", reference_number="RN-2025-001",
        sensitivity_notes="Names of the family are withheld.\nDo not publish the cover.",
    )
    document.refresh_from_db()
    return document


@pytest.fixture
def v1_approved_v2_pending(provenance, people):
    """Segment 1: v1 approved, then edited to an unreviewed v2. Segment 2 only submitted. Segment 3 untouched."""
    first, second, _ = provenance.segments.order_by("position")
    translation = submit(first, people["translator"], "Version one, approved.")
    approve(translation, people["reviewer"])
    edit(translation, people["translator"], "Version two, awaiting review.")
    submit(second, people["translator"], "Submitted, never approved.")
    return provenance


# --- Word -----------------------------------------------------------------------


def test_the_word_file_holds_the_approved_version_and_never_a_later_draft(
    client, project, v1_approved_v2_pending, people
):
    document = v1_approved_v2_pending
    response = download(client, people["auditor"], packet_url("docx", project, document))
    assert response["Content-Type"] == DOCX_TYPE
    text = word_text(word(response))
    assert "Version one, approved." in text
    assert "Version two" not in text
    assert "Submitted, never approved." not in text
    assert "Version two" not in document_xml(response)


def test_the_word_file_reads_like_the_page(client, project, v1_approved_v2_pending, people):
    document = v1_approved_v2_pending
    packet = word(download(client, people["translator"], packet_url("docx", project, document)))
    paragraphs = [p.text for p in packet.paragraphs]
    assert paragraphs[0] == f"APPROVED RENDERING · {project.name.upper()}"
    assert paragraphs[1] == "Soldier's notebook"
    assert paragraphs[2] == "Korean original, English rendering (ko → en)"
    # The caveat comes right after the title, before anything else is read.
    assert paragraphs[3].startswith("Authenticity unverified — any quotation must say so")
    caveat = packet.paragraphs[3]
    assert caveat.runs[0].bold and caveat._p.pPr.find(qn("w:pBdr")) is not None

    facts = {row.cells[0].text: row.cells[1].text for row in packet.tables[0].rows}
    assert facts == {
        "Reference number": "RN-2025-001", "Obtained from": "Ukrainian Special Operations Forces",
        "When": "January 2025", "Where": "Kursk region", "By whom": "A field photographer",
        "Project": project.name, "Languages": "Korean → English",
    }
    assert "Sensitivity notes" in paragraphs
    assert "Names of the family are withheld.\nDo not publish the cover." in paragraphs
    status = next(p for p in paragraphs if "an approved rendering" in p)
    assert re.fullmatch(r"1 of 3 segments have an approved rendering; generated \d+ \w+ \d{4}, \d\d:\d\d \w+ by "
                        r"Interlinear\.", status), status

    rows = segment_rows(packet)
    first, second, third = document.segments.order_by("position")
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert [row[1] for row in rows] == [first.source_text, second.source_text, third.source_text]
    assert rows[0][2] == "Version one, approved."
    assert rows[1][2] == rows[2][2] == "Not yet approved"
    who = rows[0][3]
    assert f"Translated by {people['translator'].get_full_name()}" in who
    assert f"Version 1 written by {people['translator'].get_full_name()}, " in who
    assert f"{people['reviewer'].get_full_name()} — approved version 1, " in who
    assert rows[1][3] == "—"

    header = packet.sections[0].header.paragraphs[0].text
    assert header == "Soldier's notebook · Authenticity unverified — any quotation must say so."
    assert "RN-2025-001 · ko → en · 1 of 3 approved" in packet.sections[0].footer.paragraphs[0].text
    properties = packet.core_properties
    assert properties.title == "Soldier's notebook" and properties.author == "Interlinear"
    assert "python-docx" not in f"{properties.author} {properties.comments} {properties.last_modified_by}"


def test_korean_runs_name_an_east_asian_font_and_their_language(client, project, document, people):
    approve(submit(document.segments.order_by("position").first(), people["translator"], "First."), people["reviewer"])
    packet = word(download(client, people["reviewer"], packet_url("docx", project, document)))
    source_cell = packet.tables[-1].rows[1].cells[1]
    [run] = source_cell.paragraphs[0].runs
    assert run.text == "첫째 줄이다."
    fonts = run._r.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == packets.EAST_ASIAN_FONTS["ko"]
    assert fonts.get(qn("w:hint")) == "eastAsia"
    assert run._r.rPr.find(qn("w:lang")).get(qn("w:eastAsia")) == "ko-KR"
    # And the default for every run, so Hangul quoted in a rendering renders too.
    normal = packet.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == packets.EAST_ASIAN_FONTS["ko"]


def test_uncertain_readings_are_highlighted_in_the_word_file(client, project, people):
    document = make_document(project, people["manager"], lines=["동지들에게 [?부끄럽지] 않은 전사가 되겠다."])
    packet = word(download(client, people["reviewer"], packet_url("docx", project, document)))
    runs = packet.tables[-1].rows[1].cells[1].paragraphs[0].runs
    assert [run.text for run in runs] == ["동지들에게 ", "[?부끄럽지]", " 않은 전사가 되겠다."]
    assert [run.font.highlight_color is not None for run in runs] == [False, True, False]


def test_a_source_change_is_noted_with_the_original_as_approved(client, project, document, segment, people):
    approve(submit(segment, people["translator"], "This is the first line."), people["reviewer"])
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="첫째 줄이었다.")
    packet = word(download(client, people["reviewer"], packet_url("docx", project, document)))
    rows = segment_rows(packet)
    assert rows[0][1] == "첫째 줄이었다."
    assert rows[0][2] == "Source changed since approval — re-review pending\nThis is the first line."
    assert "Original as approved 첫째 줄이다." in rows[0][3]
    assert all("Source changed" not in row[2] for row in rows[1:])
    assert any("1 of them approved against an earlier version of the source" in p.text for p in packet.paragraphs)

    html = download(client, people["reviewer"], packet_url("html", project, document)).content.decode()
    assert html.count("Source changed since approval — re-review pending") == 1
    assert "<dt>Original as approved</dt>" in html


@pytest.mark.parametrize(
    ("authenticity", "headline", "in_header"),
    [
        ("unverified", "Authenticity unverified — any quotation must say so.", True),
        ("disputed", "Authenticity disputed — any quotation must say so.", True),
        ("authenticated", "Authenticity: authenticated.", False),
    ],
)
def test_the_caveat_follows_the_authenticity_status(client, project, document, people, authenticity, headline,
                                                     in_header):
    services.document_update(document=document, user=people["manager"], authenticity=authenticity)
    packet = word(download(client, people["reviewer"], packet_url("docx", project, document)))
    assert packet.paragraphs[3].text.startswith(headline)
    assert (headline in packet.sections[0].header.paragraphs[0].text) is in_header
    html = download(client, people["reviewer"], packet_url("html", project, document)).content.decode()
    assert f"<strong>{headline}</strong>" in html
    assert f'class="caveat caveat-{authenticity}"' in html


def test_an_empty_document_still_makes_both_files(client, project, people):
    document = services.document_create(project=project, user=people["manager"], title="Blank page")
    packet = word(download(client, people["reviewer"], packet_url("docx", project, document)))
    assert "This document has no transcribed segments yet." in word_text(packet)
    assert any(p.text.startswith("0 of 0 segments have an approved rendering") for p in packet.paragraphs)
    html = download(client, people["reviewer"], packet_url("html", project, document)).content.decode()
    assert "This document has no transcribed segments yet." in html


# --- HTML -------------------------------------------------------------------------


def test_the_html_packet_holds_the_approved_version_and_never_a_later_draft(
    client, project, v1_approved_v2_pending, people
):
    document = v1_approved_v2_pending
    response = download(client, people["auditor"], packet_url("html", project, document))
    html = response.content.decode()
    assert '<p class="text" lang="en">Version one, approved.</p>' in html
    assert "Version two" not in html and "Submitted, never approved." not in html
    assert html.count('<p class="gap-note">Not yet approved</p>') == 2
    first, second, third = document.segments.order_by("position")
    for segment in (first, second, third):
        assert f'<p lang="ko">{segment.source_text}</p>' in html
    assert "<strong>Authenticity unverified — any quotation must say so.</strong>" in html
    assert "Any quotation must say that its authenticity is unverified." in html
    for fact in ("Ukrainian Special Operations Forces", "January 2025", "Kursk region", "A field photographer",
                 "RN-2025-001", "Names of the family are withheld.<br>Do not publish the cover.", project.name,
                 "Korean original, English rendering"):
        assert fact in html, fact
    assert "<strong>1 of 3 segments have an approved rendering</strong>" in html
    assert f"{escape(people['reviewer'].get_full_name())} — approved version 1, <time" in html


def test_the_html_packet_is_self_contained_and_inert(client, project, v1_approved_v2_pending, people):
    html = download(client, people["reviewer"], packet_url("html", project, v1_approved_v2_pending)).content.decode()
    assert html.startswith("<!doctype html>")
    assert html.count("<style>") == 1
    assert "<script" not in html
    assert not re.search(r"<(link|img|iframe|object|embed|form|base|a)\b", html), "nothing to load or follow"
    assert not re.search(r"\s(src|href|on[a-z]+)=", html)
    assert "url(" not in html and "@import" not in html


def test_the_html_packet_is_a_download_that_cannot_run_anything(client, project, document, people):
    response = download(client, people["reviewer"], packet_url("html", project, document))
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    policy = [directive.strip() for directive in response["Content-Security-Policy"].split(";")]
    assert policy[:2] == ["default-src 'none'", "style-src 'unsafe-inline'"]
    assert not any("script" in directive for directive in policy)
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_word_file_is_a_download(client, project, provenance, people):
    response = download(client, people["reviewer"], packet_url("docx", project, provenance))
    assert response["Content-Disposition"] == 'attachment; filename="RN-2025-001-soldiers-notebook-en.docx"'
    assert response["Cache-Control"] == "private, no-store"
    html = download(client, people["reviewer"], packet_url("html", project, provenance))
    assert html["Content-Disposition"] == 'attachment; filename="RN-2025-001-soldiers-notebook-en.html"'


HOSTILE_TITLE = '<script>alert("title")</script> & "quotes"'
HOSTILE_TEXT = '</p><script>alert(1)</script><img src=x onerror=alert(2)> & more'


def test_hostile_text_is_escaped_in_the_html_packet_and_inert_in_the_word_file(client, project, admin_user, people):
    sneaky = UserFactory(username="sneaky", first_name="<b>Eve", last_name="</b><script>x()</script>")
    services.membership_set(project=project, user=admin_user, member=sneaky, role=Role.TRANSLATOR)
    document = make_document(project, people["manager"], title=HOSTILE_TITLE,
                             lines=["<b>굵게</b> [?<i>기울임</i>]", "둘째 줄이다."])
    services.document_update(document=document, user=people["manager"], obtained_from='<a href="//evil">x</a>',
                             reference_number="RN<1>/../2", sensitivity_notes="<style>body{display:none}</style>")
    approve(submit(document.segments.order_by("position").first(), sneaky, HOSTILE_TEXT), people["reviewer"])

    html = download(client, people["reviewer"], packet_url("html", project, document)).content.decode()
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<a " not in html
    assert html.count("<style>") == 1
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in html
    assert "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp; more" in html
    assert "&lt;b&gt;Eve &lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;style&gt;body{display:none}&lt;/style&gt;" in html
    assert '<mark class="il-mark" title="uncertain reading">[?&lt;i&gt;기울임&lt;/i&gt;]</mark>' in html

    response = download(client, people["reviewer"], packet_url("docx", project, document))
    packet = word(response)
    assert packet.paragraphs[1].text == HOSTILE_TITLE  # exactly the text, as text
    rows = segment_rows(packet)
    assert rows[0][1] == "<b>굵게</b> [?<i>기울임</i>]"
    assert rows[0][2] == HOSTILE_TEXT
    assert "Translated by <b>Eve </b><script>x()</script>" in rows[0][3]
    xml = document_xml(response)
    assert "<script" not in xml and "<img" not in xml and "<b>" not in xml
    assert "&lt;script&gt;" in xml

    for kind in ("docx", "html"):
        disposition = download(client, people["reviewer"], packet_url(kind, project, document))["Content-Disposition"]
        assert disposition == f'attachment; filename="RN-1-2-scriptalerttitlescript-quotes-en.{kind}"'


def test_filenames_are_ascii_with_the_title_in_utf_8_beside(client, project, people):
    document = make_document(project, people["manager"], title="병사의 수첩: 자기비판")
    response = download(client, people["reviewer"], packet_url("docx", project, document))
    disposition = response["Content-Disposition"]
    ascii_part, utf8_part = disposition.split("; filename*=UTF-8''")
    assert ascii_part == f'attachment; filename="document-{document.pk}-en.docx"'
    assert unquote(utf8_part) == f"document-{document.pk}-병사의-수첩-자기비판-en.docx"
    assert disposition.isascii()


def test_filenames_drop_path_and_direction_tricks(project, people):
    document = make_document(project, people["manager"], title="../../etc/passwd \u202egpj.exe")
    services.document_update(document=document, user=people["manager"], reference_number="RN 7/8")
    document.refresh_from_db()
    ascii_name = packets.packet_filename(document, "en", "docx")
    unicode_name = packets.packet_filename(document, "en", "docx", allow_unicode=True)
    assert ascii_name == "RN-7-8-etcpasswd-gpjexe-en.docx"
    assert unicode_name == ascii_name
    assert "/" not in ascii_name and "\u202e" not in packets.attachment_header(document, "en", "docx")


def test_long_titles_are_shortened_at_a_word(project, people):
    document = make_document(project, people["manager"], title="word " * 40)
    name = packets.packet_filename(document, "en", "html")
    assert name.startswith(f"document-{document.pk}-word-word-") and name.endswith("-word-en.html")
    assert len(name) < 90


# --- who may download ---------------------------------------------------------------

ADDRESSES = {
    "docx": lambda project, document: packet_url("docx", project, document),
    "html": lambda project, document: packet_url("html", project, document),
    "exports": exports_url,
}


@pytest.mark.parametrize("kind", ADDRESSES)
@pytest.mark.parametrize("role", ["translator", "reviewer", "manager", "auditor"])
def test_every_member_may_download(client, project, document, people, role, kind):
    download(client, people[role], ADDRESSES[kind](project, document))


@pytest.mark.parametrize("kind", ADDRESSES)
def test_a_site_admin_may_download(client, project, document, admin_user, kind):
    download(client, admin_user, ADDRESSES[kind](project, document))


@pytest.mark.parametrize("kind", ADDRESSES)
def test_an_outsider_gets_404(client, project, document, people, kind):
    client.force_login(people["outsider"])
    assert client.get(ADDRESSES[kind](project, document)).status_code == 404


@pytest.mark.parametrize("kind", ADDRESSES)
def test_another_projects_document_through_ones_own_project_is_404(client, project, people, admin_user, kind):
    other = make_project(admin_user, slug="elsewhere", members={people["outsider"]: Role.MANAGER})
    foreign = make_document(other, people["outsider"], title="Not yours")
    client.force_login(people["manager"])
    response = client.get(ADDRESSES[kind](project, foreign))
    assert response.status_code == 404
    assert b"Not yours" not in response.content


@pytest.mark.parametrize("kind", ADDRESSES)
def test_an_anonymous_visitor_is_sent_to_log_in(client, project, document, kind):
    response = client.get(ADDRESSES[kind](project, document))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "next=" in response["Location"]


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_an_unknown_language_is_404(client, project, document, people, kind):
    client.force_login(people["reviewer"])
    assert client.get(packet_url(kind, project, document, "fr")).status_code == 404


@pytest.mark.parametrize("kind", ADDRESSES)
def test_downloads_are_read_only(client, project, document, people, kind):
    client.force_login(people["manager"])
    assert client.post(ADDRESSES[kind](project, document)).status_code == 405


# --- the exports page ----------------------------------------------------------------


@pytest.fixture
def bilingual(admin_user, people):
    project = services.project_create(user=admin_user, name="Two languages", slug="two-languages",
                                      source_language="ko", target_languages=["en", "ja"])
    for name, role in (("translator", Role.TRANSLATOR), ("reviewer", Role.REVIEWER), ("manager", Role.MANAGER),
                       ("auditor", Role.AUDITOR)):
        services.membership_set(project=project, user=admin_user, member=people[name], role=role)
    document = make_document(project, people["manager"], title="Leaflet")
    first, second, _ = document.segments.order_by("position")
    approve(submit(first, people["translator"], "First."), people["reviewer"])
    approve(submit(second, people["translator"], "Second."), people["reviewer"])
    services.segment_edit(segment=second, user=people["manager"], base_version=1, source_text="둘째 줄이었다.")
    return project, document


def test_the_exports_page_says_how_many_segments_lack_an_approved_rendering(client, bilingual, people):
    project, document = bilingual
    html = download(client, people["auditor"], exports_url(project, document)).content.decode()
    assert "1 of 3 segments has no approved English rendering yet." in html
    assert "1 approved rendering was approved against an earlier version of the source" in html
    assert "3 of 3 segments have no approved Japanese rendering yet." in html
    assert 'data-il-coverage="en">2 of 3 segments approved' in html
    for language in ("en", "ja"):
        for name in ("approved_rendering", "document_packet_docx", "document_packet_html"):
            assert f'href="{reverse(name, args=[project.slug, document.pk, language])}"' in html


def test_the_coverage_is_counted_as_the_packets_count_it(bilingual, people):
    project, document = bilingual
    third = document.segments.order_by("position").last()
    services.segment_delete(segment=third, user=people["manager"], base_version=third.version)
    for coverage in packets.packet_coverage(document, ["en", "ja"]):
        rendering = approved_rendering(document, coverage.language)
        assert (coverage.segment_count, coverage.approved_count, coverage.source_changed_count) == (
            rendering.segment_count, rendering.approved_count, rendering.source_changed_count)
    en, _ = packets.packet_coverage(document, ["en", "ja"])
    assert (en.segment_count, en.approved_count, en.missing_count, en.is_complete) == (2, 2, 0, True)


def test_without_the_interchange_exporter_its_formats_are_not_offered(client, bilingual, people, monkeypatch):
    project, document = bilingual

    def no_interchange(name, *args, **kwargs):
        if name in ("document_export", "project_export"):
            raise NoReverseMatch(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(packet_views, "reverse", no_interchange)
    html = download(client, people["translator"], exports_url(project, document)).content.decode()
    assert "XLIFF, PO, CSV, JSON and TMX files are not available yet." in html
    assert "il-export-format" not in html and "il-project-export" not in html


def _interchange_stand_in(request, **kwargs):  # pragma: no cover - only reversed, never called
    raise AssertionError("not called")


# The interchange exporter's URLs, as another change adds them; harmless if they already exist.
urlpatterns = [
    *project_urls.urlpatterns,
    path("p/<slug:slug>/d/<int:document_id>/export/<str:language>/<str:fmt>/", _interchange_stand_in,
         name="document_export"),
    path("p/<slug:slug>/export/<str:language>/<str:fmt>/", _interchange_stand_in, name="project_export"),
]


@pytest.mark.urls(__name__)
def test_with_the_interchange_exporter_every_format_is_offered_per_language(client, bilingual, people):
    project, document = bilingual
    html = download(client, people["translator"], exports_url(project, document)).content.decode()
    for language in ("en", "ja"):
        for fmt in ("xliff", "po", "csv", "json", "tmx"):
            assert f'href="{reverse("document_export", args=[project.slug, document.pk, language, fmt])}"' in html
            assert f'href="{reverse("project_export", args=[project.slug, language, fmt])}"' in html
    for line in ("For CAT tools", "For PO editors", "For spreadsheets", "For developers", "For translation memories"):
        assert line in html
    assert "not available yet" not in html


def test_the_exports_page_has_no_inline_script_or_style(client, project, document, people):
    html = download(client, people["reviewer"], exports_url(project, document)).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html and not re.search(r"\son[a-z]+=", html)


# --- cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ADDRESSES)
def test_each_download_costs_the_same_number_of_queries_at_any_length(
    client, project, people, django_assert_max_num_queries, kind
):
    small, large = worked_document(project, people, 5), worked_document(project, people, 200)
    client.force_login(people["auditor"])
    counts = []
    for document in (small, large):
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(12):
                response = client.get(ADDRESSES[kind](project, document))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    if kind == "docx":
        rows = segment_rows(word(response))
        assert len(rows) == 200 and sum(row[2] == "Not yet approved" for row in rows) > 0
        assert not any("Revised." in row[2] for row in rows)
    elif kind == "html":
        assert response.content.decode().count('<tr class="segment') == 200
        assert b"Revised." not in response.content
    print(f"{kind}: {counts[1]} queries for 200 segments")
