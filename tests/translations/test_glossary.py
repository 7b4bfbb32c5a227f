"""The project glossary: finding terms in Korean sources, highlighting them safely, managing terms with
history, and CSV/TBX import and export (round trips, hostile files, all or nothing)."""

import codecs

import pytest
from django.urls import reverse

from tests.factories import make_document
from translations import services
from translations.exceptions import DomainError, NotAllowed
from translations.glossary import Glossary, Term
from translations.glossary_files import read_glossary
from translations.interchange.errors import ImportRejected
from translations.models import GlossaryTerm

HTMX = {"HTTP_HX_REQUEST": "true"}


def term(source, approved=(), forbidden=(), **kwargs):
    return Term(None, source, "en", tuple(approved), tuple(forbidden), **kwargs)


# --- Finding and showing terms ----------------------------------------------------------------------


def test_terms_are_found_inside_words_longest_first_without_overlaps():
    glossary = Glossary([term("사령관", ["commander"]), term("최고사령관", ["Supreme Commander"]), term("당", ["the Party"])])
    found = [(text[start:end], t.source_term) for text in ["최고사령관께서 당의 사령관에게"]
             for start, end, t in glossary.matches(text)]
    assert found == [("최고사령관", "최고사령관"), ("당", "당"), ("사령관", "사령관")]


def test_latin_source_terms_match_without_case():
    glossary = Glossary([term("Party", ["Partei"])])
    assert [t.source_term for t in glossary.terms_in("the party and the PARTY")] == ["Party"]


def test_highlighting_escapes_terms_renderings_and_text_and_keeps_uncertain_marks():
    glossary = Glossary([term("<script>", ["<img src=x onerror=alert(1)>"], note='"quoted"'), term("당", ["the Party"])],
                        language="en", source_language="ko")
    html = glossary.highlight("<b>당</b> [?당] <script>")
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;</mark>" in html
    assert 'title="Approved: &lt;img src=x onerror=alert(1)&gt; · &quot;quoted&quot;"' in html
    assert '<mark class="il-mark" title="uncertain reading">[?<mark class="il-term' in html
    legend = glossary.legend("<script>")
    assert "&lt;img src=x onerror=alert(1)&gt;" in legend and "<img" not in legend


def test_the_workspace_highlights_terms_with_their_renderings(client, project, people):
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="최고사령관",
                                  approved=["Supreme Commander"], forbidden=["<script>alert(1)</script>"])
    document = make_document(project, people["manager"], lines=("최고사령관께서 말씀하셨다.", "다른 줄."))
    client.force_login(people["translator"])
    page = client.get(reverse("workspace", args=[project.slug, document.pk, "en"])).content.decode()
    assert '최고사령관</mark>께서' in page
    assert "Supreme Commander" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    segment = document.segments.first()
    response = client.post(reverse("translation_create", args=[project.slug, segment.pk, "en"]),
                           {"text": "The Great Leader spoke.", "action": "submit"}, **HTMX)
    row = response.content.decode()
    assert response.status_code == 200 and '최고사령관</mark>' in row and "Glossary term not followed" in row


# --- Managing terms ----------------------------------------------------------------------------------


def test_managers_add_edit_and_delete_terms_with_history(project, people):
    created = services.glossary_term_create(project=project, user=people["manager"], language="en",
                                            source_term=" 당 ", approved=["the Party", "the Party"], reason="Style guide")
    assert created.source_term == "당" and created.approved == ["the Party"]
    with pytest.raises(DomainError):
        services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="당")
    with pytest.raises(DomainError):
        services.glossary_term_create(project=project, user=people["manager"], language="fr", source_term="조국")
    with pytest.raises(DomainError):
        services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="조국",
                                      approved=["homeland"], forbidden=["homeland"])
    services.glossary_term_update(term=created, user=people["manager"], source_term="당", approved=["the Party"],
                                  forbidden=["the party-state"], reason="Ruled out")
    services.glossary_term_delete(term=created, user=people["manager"], reason="Duplicate")
    reasons = list(GlossaryTerm.history.filter(id=created.pk).order_by("history_id").values_list(
        "history_change_reason", "history_user__username"))
    assert reasons == [("Style guide", "manager"), ("Ruled out", "manager"), ("Duplicate", "manager")]


@pytest.mark.parametrize("role", ["translator", "reviewer", "auditor"])
def test_only_managers_change_the_glossary(project, people, role):
    with pytest.raises(NotAllowed):
        services.glossary_term_create(project=project, user=people[role], language="en", source_term="당")


def test_members_read_and_search_the_glossary_in_a_fixed_number_of_queries(client, project, people,
                                                                          django_assert_max_num_queries):
    for n in range(30):
        services.glossary_term_create(project=project, user=people["manager"], language="en", source_term=f"용어{n}",
                                      approved=[f"term {n}"], note="<i>n</i>")
    client.force_login(people["auditor"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("glossary", args=[project.slug]))
    page = response.content.decode()
    assert response.status_code == 200 and "용어29" in page and "Add a term" not in page and "&lt;i&gt;n" in page
    response = client.get(reverse("glossary", args=[project.slug]), {"q": "term 7"})
    assert [t.source_term for t in response.context["page"].object_list] == ["용어7"]


def test_the_glossary_page_adds_and_edits_terms_for_managers(client, project, people):
    client.force_login(people["manager"])
    url = reverse("glossary_term_create", args=[project.slug])
    response = client.post(url, {"language": "en", "source_term": "조국", "approved": "homeland\nfatherland",
                                 "forbidden": "motherland", "part_of_speech": "noun", "reason": "First term"})
    assert response.status_code == 302
    created = GlossaryTerm.objects.get()
    assert created.approved == ["homeland", "fatherland"] and created.forbidden == ["motherland"]
    response = client.post(url, {"language": "en", "source_term": "조국"})
    assert response.status_code == 400 and "already has" in response.content.decode()
    edit = reverse("glossary_term_edit", args=[project.slug, created.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"source_term": "조국", "approved": "homeland", "forbidden": "", "reason": "Simpler"})
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.approved == ["homeland"] and created.forbidden == []
    assert created.history.order_by("-history_id").first().history_change_reason == "Simpler"


# --- Files ------------------------------------------------------------------------------------------


def read(data, *, format="auto", filename="g.csv", languages=("en",)):
    return read_glossary(data, filename=filename, format=format, languages=list(languages), source_language="ko",
                         default_language=languages[0])


@pytest.mark.parametrize("fmt", ["csv", "tbx"])
def test_export_and_import_round_trip(client, project, people, admin_user, fmt):
    from tests.factories import make_project
    from translations.models import Role

    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="최고사령관",
                                  approved=["Supreme Commander", "Commander-in-Chief"], forbidden=["Great Leader"],
                                  part_of_speech="title", note="Kim Il Sung's title, 1950.")
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="=당",
                                  approved=["-the Party, | not |"[:10].strip()], note="")
    client.force_login(people["auditor"])
    response = client.get(reverse("glossary_export", args=[project.slug, fmt]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    other = make_project(admin_user, slug="other", members={people["manager"]: Role.MANAGER})
    client.force_login(people["manager"])
    upload = _upload(f"g.{fmt}", data)
    preview = client.post(reverse("glossary_import", args=[other.slug]), {"file": upload, "format": "auto",
                                                                            "language": "en"})
    assert preview.status_code == 200, preview.content.decode()[:2000]
    assert "2</strong> new" in preview.content.decode()
    response = client.post(reverse("glossary_import", args=[other.slug]), {"payload": preview.context["payload"]})
    assert response.status_code == 302

    def terms(p):
        return sorted((t.language, t.source_term, t.approved, t.forbidden, t.part_of_speech, t.note)
                      for t in GlossaryTerm.objects.filter(project=p))

    assert terms(other) == terms(project)
    assert GlossaryTerm.history.filter(project_id=other.pk, history_change_reason__startswith="Imported").count() == 2


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_tbx_from_another_tool_is_read():
    tbx = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">
<martif type="TBX-Basic" xml:lang="en-US"><martifHeader><fileDesc><sourceDesc><p>MultiTerm</p></sourceDesc></fileDesc></martifHeader>
<text><body>
<termEntry id="c1">
  <descrip type="definition">Title of the head of state.</descrip>
  <langSet xml:lang="ko-KR"><tig><term>최고사령관</term><termNote type="partOfSpeech">noun</termNote></tig></langSet>
  <langSet xml:lang="en-US">
    <ntig><termGrp><term>Great Leader</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></termGrp></ntig>
    <ntig><termGrp><term>Commander-in-Chief</term></termGrp></ntig>
    <ntig><termGrp><term>Supreme Commander</term><termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></termGrp></ntig>
  </langSet>
  <langSet xml:lang="de"><tig><term>Oberbefehlshaber</term></tig></langSet>
</termEntry>
</body></text></martif>"""
    parsed = read(tbx.encode(), filename="terms.tbx")
    assert parsed.problems == []
    [row] = parsed.rows
    assert (row.source_term, row.language, row.approved, row.forbidden, row.part_of_speech, row.note) == (
        "최고사령관", "en", ["Supreme Commander", "Commander-in-Chief"], ["Great Leader"], "noun",
        "Title of the head of state.",
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"source_term,approved\n\xff\xfe\x00bad,x\n", "not valid UTF-8"),
        (b"source_term,approved\n\xc3\xa9\x00,x\n", "NUL byte"),
        ("source_term,approved\n당,x\n".encode("latin-1", "replace") + b"\xe9", "not valid UTF-8"),
        (b"", "empty"),
        (b"term,rendering\n\xeb\x8b\xb9,x\n", "first row must name the columns"),
        (b'source_term,approved\n"unclosed,x\n', "malformed"),
        (b'<?xml version="1.0"?><!DOCTYPE martif [<!ENTITY a "aaaa">]><martif><text><body/></text></martif>',
         "entities"),
        (b"<martif><text><body><termEntry>", "not well-formed"),
        (b"<tmx><body/></tmx>", "not a TBX file"),
    ],
)
def test_hostile_and_broken_files_are_refused_clearly(data, message):
    with pytest.raises(ImportRejected) as refused:
        read(data, filename="g.tbx" if data.startswith(b"<") else "g.csv")
    assert message in refused.value.message


def test_utf16_with_a_byte_order_mark_is_accepted():
    parsed = read(codecs.BOM_UTF16_LE + "source_term,approved\n당,the Party\n".encode("utf-16-le"))
    assert [(r.source_term, r.approved) for r in parsed.rows] == [("당", ["the Party"])]


def test_every_bad_row_is_listed_and_nothing_is_imported(client, project, people):
    csv = ("source_term,language,approved,forbidden,part_of_speech\n"
           "당,en,the Party,,noun\n"
           ",en,nothing,,\n"
           "조국,fr,patrie,,\n"
           "혁명,en,revolution,revolution,\n"
           "당,en,the Party,,\n"
           "인민,en,people,,gerund\n").encode()
    client.force_login(people["manager"])
    response = client.post(reverse("glossary_import", args=[project.slug]),
                           {"file": _upload("g.csv", csv), "format": "auto", "language": "en"})
    page = response.content.decode()
    assert response.status_code == 400
    for expected in ("Line 3: the source term is empty", "Line 4: “fr” is not a target language",
                     "Line 5: “revolution” is both approved and forbidden", "Line 6: “당” (en) is already at Line 2",
                     "Line 7: “gerund” is not a part of speech"):
        assert expected.replace("“", "&ldquo;").replace("”", "&rdquo;") in page or expected in page, expected
    assert not GlossaryTerm.objects.exists()


def test_oversize_files_and_tampered_previews_are_refused(client, project, people, monkeypatch):
    client.force_login(people["manager"])
    monkeypatch.setattr("translations.views.glossary.MAX_BYTES", 10)
    response = client.post(reverse("glossary_import", args=[project.slug]),
                           {"file": _upload("g.csv", b"source_term\n" + "당\n".encode() * 10), "language": "en",
                            "format": "csv"})
    assert response.status_code == 400 and "refused" in response.content.decode()
    response = client.post(reverse("glossary_import", args=[project.slug]), {"payload": "forged:payload"})
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not GlossaryTerm.objects.exists()


def test_an_import_updates_known_terms_and_keeps_the_others(project, people):
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="당",
                                  approved=["the party"])
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="조국",
                                  approved=["homeland"])
    parsed = read("source_term,approved\n당,the Party|the WPK\n인민,the people\n".encode())
    outcome = services.glossary_import(project=project, user=people["manager"], rows=parsed.rows, filename="g.csv")
    assert outcome == {"created": 1, "updated": 1, "unchanged": 0}
    assert dict(GlossaryTerm.objects.values_list("source_term", "approved")) == {
        "당": ["the Party", "the WPK"], "조국": ["homeland"], "인민": ["the people"]}
