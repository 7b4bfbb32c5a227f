"""Members, documents and page images over the API, with tokens only."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from PIL import Image

from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.models import Document, DocumentImage, Membership, Role

SLUG = "recovered-notes"


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs={"slug": SLUG, **kwargs})


def png(color=(200, 10, 10), size=(8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, document, data, name="page.png"):
    return client.post(url("image-list", document_id=document.pk),
                       {"file": SimpleUploadedFile(name, data, content_type="image/png")}, format="multipart")


def queries(client, address) -> int:
    client.get(address)  # the token's last-used time is written on first use only
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


@pytest.fixture
def elsewhere(admin_user, people):
    """Another project the manager also belongs to: its ids must not work through ours."""
    other = make_project(admin_user, slug="elsewhere", members={people["manager"]: Role.MANAGER})
    document = make_document(other, people["manager"], title="Other notebook")
    image = services.document_image_add(document=document, user=people["manager"],
                                        upload=io.BytesIO(png((1, 2, 3))), filename="other.png")
    return other, document, image


# --- Members ---------------------------------------------------------------------------------


def test_every_member_sees_the_members_and_their_roles(api, project):
    response = api["auditor"].get(url("member-list"))
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["results"]}
    assert rows["reviewer"]["role"] == "reviewer" and rows["manager"]["role"] == "manager"
    assert set(rows["translator"]) == {"username", "full_name", "role", "is_final_editor", "created_at"}
    assert api["outsider"].get(url("member-list")).status_code == 404
    filtered = api["translator"].get(url("member-list"), {"role": "reviewer"}).json()["results"]
    assert [row["username"] for row in filtered] == ["reviewer", "reviewer2"]


@pytest.mark.parametrize("role, expected", [
    ("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404), ("manager", 201), ("siteadmin", 201),
])
def test_only_managers_add_members(api, project, role, expected):
    newcomer = UserFactory(username="newcomer")
    response = api[role].post(url("member-list"), {"username": "newcomer", "role": "translator"})
    assert response.status_code == expected, response.content
    assert Membership.objects.filter(project=project, user=newcomer).exists() == (expected == 201)
    if expected != 201:
        assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_manager_changes_and_removes_a_member_with_history(api, project, people):
    changed = api["manager"].post(url("member-list"), {"username": "translator", "role": "reviewer", "reason": "Promoted"})
    assert changed.status_code == 200 and changed.json()["role"] == "reviewer"
    membership = Membership.objects.get(project=project, user=people["translator"])
    latest = membership.history.first()
    assert latest.history_user == people["manager"] and latest.history_change_reason == "Promoted"

    final = api["manager"].patch(url("member-detail", username="translator"), {"is_final_editor": True})
    assert final.status_code == 200 and final.json() == {**final.json(), "role": "reviewer", "is_final_editor": True}
    assert api["manager"].put(url("member-detail", username="translator"), {"is_final_editor": False}).status_code == 400
    assert api["reviewer"].delete(url("member-detail", username="translator")).status_code == 403

    removed = api["manager"].delete(url("member-detail", username="translator") + "?reason=Left+the+team")
    assert removed.status_code == 204
    assert not Membership.objects.filter(project=project, user=people["translator"]).exists()
    deletion = Membership.history.filter(id=membership.pk).first()
    assert deletion.history_type == "-" and deletion.history_change_reason == "Left the team"
    assert api["manager"].get(url("member-detail", username="translator")).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"username": "nobody-at-all", "role": "translator"}, "username"),
    ({"username": "outsider", "role": "owner"}, "role"),
    ({"username": "out\x00sider", "role": "translator"}, "username"),
    ({"username": ["outsider"], "role": "translator"}, "username"),
    ({"role": "translator"}, "username"),
    ({"username": "outsider", "role": "translator", "reason": "x" * 501}, "reason"),
    ({"username": "outsider", "role": "translator", "is_final_editor": "perhaps"}, "is_final_editor"),
])
def test_bad_member_input_is_a_400_naming_the_field(api, project, body, field):
    response = api["manager"].post(url("member-list"), body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]["fields"]


def test_the_member_list_costs_the_same_at_any_size(api, project):
    small = queries(api["manager"], url("member-list"))
    for number in range(30):
        services.membership_set(project=project, user=project.history.first().history_user,
                                member=UserFactory(username=f"member{number:02}"), role=Role.TRANSLATOR)
    large = queries(api["manager"], url("member-list") + "?page_size=100")
    assert large == small <= 5
    page = api["manager"].get(url("member-list"), {"page_size": 10}).json()
    second = api["manager"].get(page["next"]).json()
    assert len(page["results"]) == len(second["results"]) == 10
    assert page["results"][-1]["username"] < second["results"][0]["username"]


# --- Documents -------------------------------------------------------------------------------


def test_documents_list_with_provenance_progress_and_filters(api, project, document, people):
    services.document_create(project=project, user=people["manager"], title="Leaflet", authenticity="disputed",
                             obtained_from="A reader")
    response = api["auditor"].get(url("document-list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["title"] for row in rows] == ["Leaflet", "Notebook"]
    notebook = rows[1]
    assert notebook["segment_count"] == 3 and notebook["created_by"] == "manager"
    assert notebook["progress"] == [{"language": "en", "published": 0, "submitted": 0, "none": 3, "total": 3,
                                     "published_pct": 0, "submitted_pct": 0}]
    assert rows[0]["obtained_from"] == "A reader" and rows[0]["authenticity"] == "disputed"

    def titles(**params):
        answer = api["translator"].get(url("document-list"), params)
        assert answer.status_code == 200, answer.content
        return [row["title"] for row in answer.json()["results"]]

    assert titles(q="leaf") == ["Leaflet"]
    assert titles(authenticity="unverified") == ["Notebook"]
    assert titles(progress="complete") == []
    assert titles(ordering="-created_at") == ["Leaflet", "Notebook"]
    assert titles(ordering="-title") == ["Notebook", "Leaflet"]
    for bad in ({"q": "a\x00b"}, {"authenticity": "forged"}, {"q": "x" * 201}):
        assert api["translator"].get(url("document-list"), bad).status_code == 400
    assert api["translator"].get(url("document-list"), {"cursor": "not-a-cursor"}).status_code == 404
    assert api["outsider"].get(url("document-list")).status_code == 404


def test_the_document_list_costs_the_same_at_any_size(api, project, document, people):
    small = queries(api["translator"], url("document-list"))
    for number in range(30):
        make_document(project, people["manager"], title=f"Letter {number:02}", lines=(f"{number}번째 편지다.",))
    large = queries(api["translator"], url("document-list") + "?page_size=100")
    assert large == small <= 7
    assert len(api["translator"].get(url("document-list"), {"page_size": 100}).json()["results"]) == 31


@pytest.mark.parametrize("role, expected", [
    ("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404), ("manager", 201), ("siteadmin", 201),
])
def test_creating_a_document_needs_the_create_right(api, project, role, expected):
    response = api[role].post(url("document-list"), {"title": "Diary", "obtained_by": "A photographer"})
    assert response.status_code == expected, response.content
    if expected == 201:
        created = Document.objects.get(pk=response.json()["id"])
        assert created.obtained_by == "A photographer" and created.history.first().history_user.username == role


def test_translators_create_documents_when_the_project_allows_it(api, project, people):
    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=False, translators_may_create_documents=True)
    response = api["translator"].post(url("document-list"), {"title": "Diary"})
    assert response.status_code == 201
    assert api["auditor"].post(url("document-list"), {"title": "Diary 2"}).status_code == 403


@pytest.mark.parametrize("role, expected", [
    ("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404), ("manager", 200),
])
def test_editing_provenance_needs_the_manage_documents_right(api, document, role, expected):
    response = api[role].patch(url("document-detail", document_id=document.pk),
                               {"authenticity": "authenticated", "reason": "Matched the archive"})
    assert response.status_code == expected, response.content
    document.refresh_from_db()
    assert (document.authenticity == "authenticated") == (expected == 200)
    if expected == 200:
        assert response.json()["authenticity"] == "authenticated"
        latest = document.history.first()
        assert latest.history_user.username == "manager" and latest.history_change_reason == "Matched the archive"


@pytest.mark.parametrize("body", [
    {"title": ""}, {"title": "x" * 301}, {"title": "a\x00b"}, {"authenticity": "forged"}, {"title": ["list"]},
    {"description": {"nested": 1}}, {"sensitivity_notes": "bell\x07"}, {"reason": "a\x00"},
])
def test_bad_document_input_is_a_400_in_the_error_shape(api, document, body):
    response = api["manager"].patch(url("document-detail", document_id=document.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert api["manager"].post(url("document-list"), body, format="json").status_code == 400


def test_another_projects_document_is_not_found_through_our_project(api, project, elsewhere):
    _, other_document, _ = elsewhere
    for name in ("document-detail", "image-list", "segment-list"):
        assert api["manager"].get(url(name, document_id=other_document.pk)).status_code == 404
    assert api["manager"].patch(url("document-detail", document_id=other_document.pk), {"title": "Mine"}).status_code == 404
    assert api["manager"].get(reverse("api:document-detail", kwargs={"slug": SLUG, "document_id": 10**17})).status_code == 404
    assert api["manager"].get(f"/api/v1/projects/{SLUG}/documents/{'9' * 30}/").status_code == 404


# --- Images ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role, expected", [
    ("translator", 201), ("reviewer", 201), ("manager", 201), ("auditor", 403), ("outsider", 404),
])
def test_uploading_a_page_image_needs_the_transcribe_right(api, document, role, expected):
    response = upload(api[role], document, png())
    assert response.status_code == expected, response.content
    assert DocumentImage.objects.filter(document=document).count() == (expected == 201)


def test_an_uploaded_image_has_metadata_and_history(api, document, people):
    data = png(size=(12, 7))
    response = upload(api["translator"], document, data, name="notebook page 1.png")
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["format"], body["size"], body["width"], body["height"]) == ("PNG", len(data), 12, 7)
    assert body["original_filename"] == "notebook page 1.png" and body["uploaded_by"] == "translator"
    assert body["display_url"].endswith(url("image-display", image_id=body["id"])) and body["original_url"] is None
    image = DocumentImage.objects.get(pk=body["id"])
    assert image.history.first().history_user == people["translator"]
    as_manager = api["manager"].get(url("image-detail", image_id=image.pk)).json()
    assert as_manager["original_url"].endswith(url("image-original", image_id=image.pk))
    listed = api["auditor"].get(url("image-list", document_id=document.pk)).json()["results"]
    assert [row["id"] for row in listed] == [image.pk]


def test_refused_uploads_say_why_and_store_nothing(api, document, settings):
    assert upload(api["translator"], document, png()).status_code == 201
    duplicate = upload(api["translator"], document, png(), name="again.png")
    assert duplicate.status_code == 400 and duplicate.json()["error"]["code"] == "duplicate_image"
    text = upload(api["translator"], document, b"just some notes, not a picture\n", name="notes.png")
    assert text.status_code == 400 and text.json()["error"]["code"] == "image_rejected"
    assert "not a JPEG, PNG" in text.json()["error"]["message"]
    settings.IMAGE_UPLOAD_MAX_BYTES = 50
    big = upload(api["translator"], document, png((9, 9, 9), size=(40, 40)))
    assert big.status_code == 413 and big.json()["error"]["code"] == "upload_too_large"
    nothing = api["translator"].post(url("image-list", document_id=document.pk), {}, format="multipart")
    assert nothing.status_code == 400 and "file" in nothing.json()["error"]["details"]["fields"]
    as_json = api["translator"].post(url("image-list", document_id=document.pk), {"file": "abc"}, format="json")
    assert as_json.status_code == 415
    assert DocumentImage.objects.filter(document=document).count() == 1


def test_display_copies_go_to_members_and_originals_only_to_managers(api, document, people):
    data = png((10, 200, 30))
    image = DocumentImage.objects.get(pk=upload(api["translator"], document, data).json()["id"])
    display = api["auditor"].get(url("image-display", image_id=image.pk))
    assert display.status_code == 200 and display["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(display.streaming_content))).size == (8, 6)
    for role, expected in (("auditor", 403), ("translator", 403), ("reviewer", 403), ("outsider", 404)):
        assert api[role].get(url("image-original", image_id=image.pk)).status_code == expected
    original = api["manager"].get(url("image-original", image_id=image.pk), HTTP_ACCEPT="application/octet-stream")
    assert original.status_code == 200 and b"".join(original.streaming_content) == data
    assert original["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
    assert original["Content-Disposition"] == 'attachment; filename="page.png"'
    refused = api["auditor"].get(url("image-original", image_id=image.pk), HTTP_ACCEPT="application/octet-stream")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
    assert refused.json()["error"]["code"] == "permission_denied"


def test_another_projects_image_is_not_found_through_our_project(api, project, elsewhere):
    _, _, other_image = elsewhere
    for name, accept in (("image-detail", "application/json"), ("image-display", "image/png"),
                         ("image-original", "application/octet-stream")):
        response = api["manager"].get(url(name, image_id=other_image.pk), HTTP_ACCEPT=accept)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api["manager"].get(reverse("api:image-original", kwargs={"slug": "elsewhere", "image_id": other_image.pk})
                              ).status_code == 200


def test_the_image_list_costs_the_same_at_any_size(api, document, people):
    upload(api["translator"], document, png((0, 0, 0)))
    small = queries(api["manager"], url("image-list", document_id=document.pk))
    for number in range(1, 31):
        services.document_image_add(document=document, user=people["translator"],
                                    upload=io.BytesIO(png((number, 0, 0))), filename=f"p{number}.png")
    address = url("image-list", document_id=document.pk) + "?page_size=100"
    assert queries(api["manager"], address) == small <= 5
    assert len(api["manager"].get(address).json()["results"]) == 31



def test_every_api_list_breaks_ordering_ties_by_id():
    """Cursor pages must not repeat or skip rows that share an ?ordering= value: every list's
    ordering filter is the tie-breaking one (the default), never DRF's plain OrderingFilter."""
    from rest_framework.filters import OrderingFilter

    from tests.api.test_api_access_walk import api_patterns
    from translations.api.filters import StableOrdering

    plain = []
    for name, converters in api_patterns().items():
        kwargs = {key: "s" if key == "slug" else "1" for key in converters}
        view = resolve(reverse(f"api:{name}", kwargs=kwargs)).func.view_class
        for backend in getattr(view, "filter_backends", []):
            if issubclass(backend, OrderingFilter) and not issubclass(backend, StableOrdering):
                plain.append(name)
    assert plain == []
