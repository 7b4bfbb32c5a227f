"""Exports and imports over the API: the web's files and the web's importer. Exports carry
approved text only (invariant 4); an import lands whole or changes nothing, naming the
line or unit at fault (invariant 8); a dry run writes nothing."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.models import AuditEvent
from reviews.services import review_record
from tests.factories import make_document, make_project
from translations import services
from translations.interchange import EXPORT_FORMATS
from translations.interchange.writers import WRITERS
from translations.management.commands.verify_history import tracked_models
from translations.models import Segment, Translation

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"


def db_state():
    """Row and history counts of every tracked model, and the audit index."""
    counts = {"AuditEvent": AuditEvent.objects.count()}
    for model in tracked_models():
        counts[model.__name__] = model.objects.count()
        counts[f"{model.__name__} history"] = model.history.model.objects.count()
    return counts


@pytest.fixture
def approved(document, people):
    """The first segment's English rendering: v1 approved, then a v2 draft nobody approved."""
    segment = document.segments.order_by("position").first()
    translation = services.translation_create(
        segment=segment, user=people["translator"], language="en", text="First line."
    )
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    services.translation_edit(translation=translation, user=people["translator"], base_version=1, text="A later draft.")
    return translation


def export_url(project, document, fmt):
    return reverse("api:document-export", kwargs={"slug": project.slug, "document_id": document.pk, "fmt": fmt})


def import_url(project, document):
    return reverse("api:document-import", kwargs={"slug": project.slug, "document_id": document.pk})


def upload(client, project, document, content: bytes, name="notes.txt", **fields):
    data = {"file": SimpleUploadedFile(name, content), "language": "en", **fields}
    return client.post(import_url(project, document), data, format="multipart")


def xliff(units: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="{XLIFF_NS}">\n'
        f'<file source-language="ko" target-language="en" datatype="plaintext" original="x"><body>\n{units}\n'
        "</body></file></xliff>\n"
    ).encode()


# --- exports -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_an_export_downloads_the_approved_text_with_the_webs_content_type_and_name(
    api, project, document, approved, fmt
):
    response = api["auditor"].get(export_url(project, document, fmt), {"language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == WRITERS[fmt].CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert f"recovered-notes-d{document.pk}-notebook-en{WRITERS[fmt].EXTENSION}" in response["Content-Disposition"]
    content = response.content.decode()
    assert "First line." in content and "A later draft." not in content


def test_an_export_asked_for_with_its_own_media_type_still_downloads(api, project, document, approved):
    response = api["translator"].get(
        export_url(project, document, "xliff"), {"language": "en"}, HTTP_ACCEPT="application/x-xliff+xml"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/x-xliff+xml"


def test_a_project_export_is_a_zip_with_one_file_per_document(api, project, document, approved, people):
    services.document_create(project=project, user=people["manager"], title="Letter")
    response = api["auditor"].get(
        reverse("api:project-export", kwargs={"slug": project.slug, "fmt": "csv"}), {"language": "en"},
        HTTP_ACCEPT="application/zip",
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "recovered-notes-en-csv-" in response["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 2 and all(name.endswith(".csv") for name in names)


def test_unknown_formats_languages_and_other_projects_are_refused_in_the_error_shape(
    api, project, document, admin_user
):
    client = api["translator"]
    unknown = client.get(export_url(project, document, "docx"), {"language": "en"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "export_refused"
    assert client.get(export_url(project, document, "xliff"), {"language": "fr"}).status_code == 404
    assert client.get(export_url(project, document, "xliff"), {"language": "e\x00n"}).status_code == 400
    missing = client.get(export_url(project, document, "xliff"))
    assert missing.status_code == 400 and "language" in missing.json()["error"]["details"]["fields"]
    assert client.get(export_url(project, document, "xliff"), {"language": "x" * 5000}).status_code == 400
    other = make_document(make_project(admin_user, slug="elsewhere"), admin_user)
    assert client.get(export_url(project, other, "xliff"), {"language": "en"}).status_code == 404
    assert api["outsider"].get(export_url(project, document, "xliff"), {"language": "en"}).status_code == 404
    project_wide = reverse("api:project-export", kwargs={"slug": project.slug, "fmt": "nope"})
    assert client.get(project_wide, {"language": "en"}).status_code == 404


# --- imports -----------------------------------------------------------------------


def test_a_dry_run_answers_the_plan_and_writes_nothing(api, project, document):
    before = db_state()
    response = upload(api["translator"], project, document, "새 줄이다.\t\n또 한 줄.\n".encode(), dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["segments_created"] == 2 and body["writes_anything"] is True
    assert [unit["action"] for unit in body["units"]] == ["new segment", "new segment"]
    assert body["units"][0]["where"] == "line 1" and len(body["fingerprint"]) == 64
    assert db_state() == before


def test_an_import_lands_whole_through_the_webs_importer(api, project, document, people):
    first = document.segments.order_by("position").first()
    content = xliff(
        f'<trans-unit id="s{first.pk}"><source>첫째 줄이다.</source><target>The first line.</target></trans-unit>\n'
        '<trans-unit id="new1"><source>넷째 줄.</source><target>Fourth line.</target></trans-unit>'
    )
    response = upload(api["translator"], project, document, content, name="batch.xlf")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is False
    assert (body["segments_created"], body["candidates_created"], body["candidates_updated"]) == (1, 2, 0)
    assert Segment.objects.filter(document=document, is_deleted=False).count() == 4
    made = Translation.objects.get(segment=first, author=people["translator"])
    assert made.text == "The first line." and made.history.first().history_change_reason == "Imported from batch.xlf"
    assert body["units"][0]["translation_id"] == made.pk
    assert not made.is_published  # nothing is ever approved by an import


def test_an_import_with_one_bad_unit_changes_nothing_and_names_the_unit(api, project, document):
    content = xliff(
        '<trans-unit id="a"><source>하나</source><target>One</target></trans-unit>\n'
        '<trans-unit id="b"><source>  </source><target>Two</target></trans-unit>'
    )
    before = db_state()
    response = upload(api["translator"], project, document, content, name="bad.xlf")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_rejected" and "Unit “b” (line 5): the source text is empty." in error["message"]
    assert db_state() == before


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"one\ntw\x00o\n", "notes.txt", "NUL byte at byte offset 6 (line 2)"),
        (b"\xec\xb2\xab\xec\xa7\xb8.\n\xff\xfe oops\n", "notes.txt", "not valid UTF-8 text"),
        (xliff('<trans-unit id="a"><source>하나</trans-unit>'), "a.xlf", "not well-formed XML"),
        ("하나,One\x1b\n".encode(), "a.csv", "Line 1: the target text contains a control character"),
        (b'{"units": [{"source": "a",}]}', "a.json", "not valid JSON"),
    ],
)
def test_malformed_files_are_refused_with_400_naming_the_place(api, project, document, content, name, expected):
    before = db_state()
    response = upload(api["translator"], project, document, content, name=name)
    assert response.status_code == 400 and expected in response.json()["error"]["message"]
    assert db_state() == before


def test_a_huge_upload_is_refused_before_it_is_read(api, project, document, settings):
    settings.IMPORT_MAX_BYTES = 100
    before = db_state()
    response = upload(api["translator"], project, document, b"x\n" * 51)
    assert response.status_code == 400 and "files over 100 bytes are refused" in response.json()["error"]["message"]
    assert db_state() == before


def test_bad_requests_to_the_import_are_400_or_415_never_500(api, project, document):
    client = api["translator"]
    assert upload(client, project, document, b"one\n", language="fr").status_code == 400
    assert upload(client, project, document, b"one\n", format="docx").status_code == 400
    assert upload(client, project, document, b"one\n", dry_run="perhaps").status_code == 400
    assert upload(client, project, document, b"").status_code == 400
    assert upload(client, project, document, b"one\n", fingerprint="abc").status_code == 400
    missing = client.post(import_url(project, document), {"language": "en"}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["error"]["details"]["fields"]
    as_json = client.post(import_url(project, document), {"file": "one", "language": "en"}, format="json")
    assert as_json.status_code == 415
    broken = client.post(
        import_url(project, document), b"--x\r\nnonsense", content_type="multipart/form-data; boundary=x"
    )
    assert broken.status_code == 400
    assert client.get(import_url(project, document)).status_code == 405


def test_an_import_made_stale_since_its_dry_run_is_refused_with_409(api, project, document, people):
    client = api["translator"]
    first = document.segments.order_by("position").first()
    content = f"source,target,id\n첫째 줄이다.,One,s{first.pk}\n".encode()
    plan = upload(client, project, document, content, name="a.csv", dry_run="true").json()
    services.translation_create(segment=first, user=people["translator"], language="en", text="Mine meanwhile.")
    before = db_state()
    response = upload(client, project, document, content, name="a.csv", fingerprint=plan["fingerprint"])
    assert response.status_code == 409 and response.json()["error"]["code"] == "preview_outdated"
    assert db_state() == before


def test_an_auditor_may_export_but_not_import(api, project, document):
    before = db_state()
    response = upload(api["auditor"], project, document, b"one\n")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    response = upload(api["auditor"], project, document, b"one\n", dry_run="true")
    assert response.status_code == 403
    assert db_state() == before
    assert upload(api["outsider"], project, document, b"one\n").status_code == 404


def test_a_two_thousand_unit_file_imports_in_a_bounded_number_of_queries(
    api, project, document, django_assert_max_num_queries
):
    content = json.dumps({"units": [{"id": f"u{n}", "source": f"줄 {n}.", "target": f"Line {n}."} for n in range(2000)]})
    with django_assert_max_num_queries(40):
        response = upload(api["translator"], project, document, content.encode(), name="many.json")
    assert response.status_code == 200 and response.json()["segments_created"] == 2000
