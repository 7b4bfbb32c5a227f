"""Page image views: upload (plain and htmx), the display copy for members, the
original only for managers and admins, each refusal clear and nothing stored
by a refused file, and no image reachable through another project's URL."""

import hashlib
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.factories import make_document, make_project
from translations import services
from translations.models import DocumentImage, Role

HTMX = {"HX-Request": "true"}


def jpeg_with_gps(size=(64, 48)):
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_with_alpha(size=(20, 10)):
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 128)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_url(document):
    return reverse("image_upload", args=[document.project.slug, document.pk])


def display_url(image, slug=None):
    return reverse("image_display", args=[slug or image.document.project.slug, image.pk])


def original_url(image, slug=None):
    return reverse("image_original", args=[slug or image.document.project.slug, image.pk])


def post_files(client, document, *files, headers=None, extra=None):
    uploads = [SimpleUploadedFile(name, data, content_type="application/octet-stream") for name, data in files]
    return client.post(upload_url(document), {"images": uploads, **(extra or {})}, headers=headers or {})


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def add_image(document, user, data=None, filename="page.jpg"):
    data = data if data is not None else jpeg_with_gps()
    return services.document_image_add(document=document, user=user, upload=io.BytesIO(data), filename=filename)


# --- Upload -----------------------------------------------------------------


def test_a_translator_uploads_a_page_and_its_sha256_is_of_the_exact_bytes(client, document, people):
    data = jpeg_with_gps()
    client.force_login(people["translator"])
    response = post_files(client, document, ("page1.jpg", data))
    assert response.status_code == 303
    assert response["Location"] == reverse("document_detail", args=[document.project.slug, document.pk])
    image = DocumentImage.objects.get()
    assert (image.document, image.position, image.original_filename) == (document, 1, "page1.jpg")
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    with image.original.open("rb") as stored:
        assert stored.read() == data
    assert messages_of(response) == ["page1.jpg: added as page 1."]
    assert image.history.get().history_user == people["translator"]


def test_a_file_larger_than_the_memory_threshold_arrives_as_a_temporary_file_and_is_stored(
    client, document, people, settings
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 256
    data = jpeg_with_gps(size=(300, 200))
    assert len(data) > 256
    client.force_login(people["translator"])
    assert post_files(client, document, ("big.jpg", data)).status_code == 303
    assert DocumentImage.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_uploading_through_htmx_answers_with_the_refreshed_panel(client, document, people):
    data = jpeg_with_gps()
    client.force_login(people["translator"])
    response = post_files(client, document, ("page1.jpg", data), headers=HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    image = DocumentImage.objects.get()
    assert f'id="il-images-{document.pk}"' in page
    assert "page1.jpg: added as page 1." in page
    assert re.search(rf"<code[^>]*>{image.sha256}</code>", page)
    assert display_url(image) in page and "Page 1" in page and "64 × 48 px" in page
    assert original_url(image) not in page and "Download original" not in page  # translators may not
    assert 'name="images"' in page and "hx-post" in page
    assert 'id="il-viewer"' not in page  # only when the page shows the viewer


def test_the_htmx_panel_offers_the_original_to_managers_and_refreshes_the_viewer_when_asked(client, document, people):
    client.force_login(people["manager"])
    response = post_files(
        client, document, ("page1.jpg", jpeg_with_gps()), headers={**HTMX, "X-Interlinear-Viewer": "1"}
    )
    page = response.content.decode()
    image = DocumentImage.objects.get()
    assert "Download original" in page and original_url(image) in page
    assert 'id="il-viewer"' in page and 'hx-swap-oob="true"' in page


def test_several_files_succeed_or_fail_each_on_their_own(client, document, people, settings):
    client.force_login(people["translator"])
    response = post_files(
        client,
        document,
        ("page1.jpg", jpeg_with_gps()),
        ("page3.jpg", b"just some text, not a picture"),
        ("page2.png", png_with_alpha()),
    )
    assert response.status_code == 303
    assert messages_of(response) == [
        "page1.jpg: added as page 1.",
        "page3.jpg: The file is not a JPEG, PNG, WebP or TIFF image, whatever its name says.",
        "page2.png: added as page 2.",
    ]
    assert list(DocumentImage.objects.values_list("original_filename", "position")) == [
        ("page1.jpg", 1),
        ("page2.png", 2),
    ]
    assert len(stored_files(settings)) == 4  # an original and a display copy each


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_bad_file_is_refused_with_a_message_naming_it_and_nothing_is_stored(client, document, people, settings, htmx):
    client.force_login(people["translator"])
    truncated = jpeg_with_gps(size=(400, 400))[:600]
    response = post_files(client, document, ("page3.jpg", truncated), headers=HTMX if htmx else None)
    if htmx:
        assert response.status_code == 400
        page = response.content.decode()
        assert "page3.jpg: The image is damaged or truncated" in page
        assert 'role="alert"' in page and "No page images yet" in page
    else:
        assert response.status_code == 303
        [message] = messages_of(response)
        assert message.startswith("page3.jpg: The image is damaged or truncated")
    assert DocumentImage.objects.count() == 0 and DocumentImage.history.count() == 0
    assert stored_files(settings) == []


def test_file_names_in_messages_are_escaped(client, document, people):
    client.force_login(people["translator"])
    response = post_files(client, document, ("<img src=x>.jpg", b"not an image"), headers=HTMX)
    page = response.content.decode()
    assert "&lt;img src=x&gt;.jpg: The file is not a JPEG" in page and "<img src=x>" not in page


def test_an_upload_without_files_asks_for_one(client, document, people):
    client.force_login(people["translator"])
    response = client.post(upload_url(document), {}, headers=HTMX)
    assert response.status_code == 400
    assert "Choose at least one image file to upload." in response.content.decode()


def test_the_same_bytes_uploaded_again_are_detected(client, document, people, settings):
    data = jpeg_with_gps()
    client.force_login(people["translator"])
    post_files(client, document, ("page1.jpg", data))
    files = stored_files(settings)
    response = post_files(client, document, ("copy.jpg", data), ("again.jpg", data), headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 400
    assert "copy.jpg: This exact file is already attached to this document." in page
    assert "again.jpg: This exact file is already attached to this document." in page
    assert DocumentImage.objects.count() == 1 and stored_files(settings) == files


def test_the_same_bytes_twice_in_one_upload_store_one_page(client, document, people):
    data = jpeg_with_gps()
    client.force_login(people["translator"])
    response = post_files(client, document, ("a.jpg", data), ("b.jpg", data))
    assert messages_of(response) == [
        "a.jpg: added as page 1.",
        "b.jpg: This exact file is already attached to this document.",
    ]
    assert DocumentImage.objects.count() == 1


@pytest.mark.parametrize(("role", "status"), [("auditor", 403), ("outsider", 404)])
def test_members_who_may_not_transcribe_and_outsiders_cannot_upload(client, document, people, settings, role, status):
    client.force_login(people[role])
    response = post_files(client, document, ("page1.jpg", jpeg_with_gps()))
    assert response.status_code == status
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []


def test_uploading_to_another_projects_document_is_404(client, admin_user, people, settings):
    other = make_project(admin_user, slug="other", members={people["translator"]: Role.TRANSLATOR})
    make_project(admin_user, slug="mine", members={people["translator"]: Role.TRANSLATOR})
    foreign = make_document(other, admin_user)
    client.force_login(people["translator"])
    url = reverse("image_upload", args=["mine", foreign.pk])
    response = client.post(url, {"images": [SimpleUploadedFile("p.jpg", jpeg_with_gps())]})
    assert response.status_code == 404
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []


def test_get_on_the_upload_url_is_405(client, document, people):
    client.force_login(people["translator"])
    assert client.get(upload_url(document)).status_code == 405


def test_too_many_files_get_a_clear_400_even_with_csrf_checks_on(document, people, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["translator"])
    files = [(f"page{n}.png", png_with_alpha(size=(10 + n, 10))) for n in range(3)]
    response = post_files(client, document, *files)
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 2 files can be sent at once" in page and "Nothing was stored" in page
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []


def test_too_many_files_through_htmx_answer_with_the_panel_and_the_reason(client, document, people, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    client.force_login(people["translator"])
    response = post_files(client, document, ("a.png", png_with_alpha()), ("b.jpg", jpeg_with_gps()), headers=HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="il-images-{document.pk}"' in page and "at most 1 file can be sent at once" in page


def test_a_request_over_djangos_data_limit_gets_a_clear_413(document, people, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["translator"])
    response = post_files(client, document, ("page1.jpg", jpeg_with_gps()), extra={"note": "x" * 5000})
    assert response.status_code == 413
    assert "larger than the server accepts" in response.content.decode()
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []


def test_the_upload_is_still_protected_against_cross_site_requests(document, people, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["translator"])
    response = post_files(client, document, ("page1.jpg", jpeg_with_gps()))
    assert response.status_code == 403
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []

    client.get(reverse("home"))  # sets the CSRF cookie, as the document page would
    token = client.cookies["csrftoken"].value
    response = post_files(client, document, ("page1.jpg", jpeg_with_gps()), headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200 and DocumentImage.objects.count() == 1


def test_the_htmx_panel_costs_the_same_queries_for_many_pages(client, document, people, django_assert_max_num_queries):
    for n in range(12):
        add_image(document, people["translator"], jpeg_with_gps(size=(64 + n, 48)), f"p{n}.jpg")
    client.force_login(people["translator"])
    with django_assert_max_num_queries(8):
        response = post_files(client, document, ("bad.jpg", b"not an image"), headers=HTMX)
    assert response.content.decode().count('class="il-image-item') == 12


# --- Display copy -----------------------------------------------------------


@pytest.mark.parametrize("role", ["translator", "reviewer", "auditor", "manager"])
def test_the_display_copy_is_served_to_members_without_metadata(client, document, people, role):
    image = add_image(document, people["translator"])
    client.force_login(people[role])
    response = client.get(display_url(image))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    body = b"".join(response.streaming_content)
    served = Image.open(io.BytesIO(body))
    assert served.format == "JPEG" and len(served.getexif()) == 0 and "exif" not in served.info
    assert b"SERIAL-12345" not in body and b"CameraMaker" not in body


def test_a_display_copy_with_transparency_is_served_as_png(client, document, people):
    image = add_image(document, people["translator"], png_with_alpha(), "page.png")
    client.force_login(people["reviewer"])
    response = client.get(display_url(image))
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "PNG"


def test_the_display_copy_is_404_for_outsiders_and_a_login_for_anonymous(client, document, people):
    image = add_image(document, people["translator"])
    assert client.get(display_url(image))["Location"].startswith(reverse("login"))
    client.force_login(people["outsider"])
    assert client.get(display_url(image)).status_code == 404


# --- Original ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_site_admins_download_the_exact_original_with_its_sha256(client, document, people, admin_user, who):
    data = jpeg_with_gps()
    image = add_image(document, people["translator"], data, "page1.jpg")
    client.force_login(admin_user if who == "admin" else people[who])
    response = client.get(original_url(image))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["X-Content-SHA256"] == hashlib.sha256(data).hexdigest() == image.sha256
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page1.jpg"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(data))


@pytest.mark.parametrize(("role", "status"), [("translator", 403), ("reviewer", 403), ("auditor", 403), ("outsider", 404)])
def test_only_managers_and_admins_may_download_originals(client, document, people, role, status):
    image = add_image(document, people["translator"])
    client.force_login(people[role])
    response = client.get(original_url(image))
    assert response.status_code == status
    assert "X-Content-SHA256" not in response


def test_anonymous_visitors_are_sent_to_log_in_for_originals(client, document, people):
    image = add_image(document, people["translator"])
    response = client.get(original_url(image))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ('../../etc/"evil";.jpg', 'attachment; filename="_evil__.jpg"'),
        ("scan\u202egpj.exe", 'attachment; filename="scan_gpj.exe"'),
        ("C:\\Users\\kim\\page 7.JPG", 'attachment; filename="page 7.JPG"'),
        ("노트 1.jpg", "attachment; filename=\"page-1.jpg\"; filename*=utf-8''%EB%85%B8%ED%8A%B8%201.jpg"),
    ],
)
def test_the_original_filename_is_sanitised_in_the_download(client, document, people, filename, expected):
    image = add_image(document, people["translator"], filename=filename)
    client.force_login(people["manager"])
    assert client.get(original_url(image))["Content-Disposition"] == expected


# --- Invariant 9: nothing of another project --------------------------------


@pytest.mark.parametrize("view", ["display", "original"])
def test_an_image_of_project_b_is_not_reachable_through_project_as_slug(client, document, people, admin_user, view):
    other = make_project(admin_user, slug="project-b", members={people["manager"]: Role.MANAGER})
    foreign = add_image(make_document(other, admin_user), people["manager"])
    url = display_url if view == "display" else original_url
    for user in (people["manager"], admin_user):  # members of both projects
        client.force_login(user)
        assert client.get(url(foreign, slug=document.project.slug)).status_code == 404
        assert client.get(url(foreign)).status_code == 200
    client.force_login(people["translator"])  # member of A only; may not download any original there
    assert client.get(url(foreign, slug=document.project.slug)).status_code == (404 if view == "display" else 403)
    assert client.get(url(foreign)).status_code == 404


# --- Templates --------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
_FORBIDDEN_ATTRIBUTES = re.compile(r"\s(style|on[a-z]+|hx-on[:\w-]*)=", re.IGNORECASE)


def _assert_csp_clean(html):
    assert not _INLINE_SCRIPT.search(html)
    assert not _FORBIDDEN_ATTRIBUTES.search(html), _FORBIDDEN_ATTRIBUTES.search(html)


def test_the_panel_and_viewer_partials_render_without_inline_script_or_style(document, people, rf):
    images = [add_image(document, people["translator"], jpeg_with_gps(size=(64 + n, 48)), f"p{n}.jpg") for n in range(3)]
    request = rf.get("/")
    request.user = people["manager"]
    context = {
        "project": document.project,
        "document": document,
        "images": images,
        "can_upload": True,
        "can_download_original": True,
    }
    panel = render_to_string("translations/images/panel.html#panel", context, request=request)
    viewer = render_to_string("translations/images/viewer.html#viewer", context, request=request)
    assets = render_to_string("translations/images/viewer.html#assets", {})
    for html in (panel, viewer, assets):
        _assert_csp_clean(html)
    assert 'enctype="multipart/form-data"' in panel and 'hx-encoding="multipart/form-data"' in panel
    assert 'accept="image/jpeg,image/png,image/webp,image/tiff"' in panel and "multiple" in panel
    assert panel.count("Download original") == 3 and "data-il-dropzone" in panel and "progress-bar" in panel
    assert viewer.count("data-il-viewer-page=") == 3 and 'tabindex="0"' in viewer
    assert "viewer.js" in assets and "viewer.css" in assets


def test_the_viewer_and_panel_say_how_to_start_when_there_are_no_images(document, people, rf):
    request = rf.get("/")
    request.user = people["auditor"]
    context = {"project": document.project, "document": document, "images": [], "can_upload": False,
               "can_download_original": False}
    for name in ("translations/images/panel.html#panel", "translations/images/viewer.html#viewer"):
        html = render_to_string(name, context, request=request)
        assert "No page images yet — upload a photograph of each page." in html
    assert "<form" not in render_to_string("translations/images/panel.html#panel", context, request=request)
