"""Page images: upload, the display copy, and the original.

Members see only display copies (metadata stripped); originals, byte for byte
with their SHA-256, go to those who may download them (managers, site
admins). Every object is looked up within the project named in the URL, so
another project's image is a 404 (invariant 9).
"""

import logging
import os
import re
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import FileResponse, Http404, HttpResponseRedirect, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from ..exceptions import ImageRejected, StorageFull
from ..permissions import Action, can
from ..services import document_image_add
from .access import document_in, image_in, project_for

logger = logging.getLogger(__name__)

DISPLAY_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# Sent by viewer.js when the page also shows the viewer, so an upload refreshes it too.
VIEWER_REFRESH_HEADER = "X-Interlinear-Viewer"


@csrf_exempt  # only deferred: _store_uploads checks CSRF once the body is known to be readable
@require_POST
def image_upload(request, slug, document_id):
    """Store each posted file as a page image; each succeeds or fails on its own.

    Django refuses bodies beyond its limits while parsing them, which the CSRF
    middleware would otherwise do first and answer with a bare 400. Parsing
    here lets the user see why the upload was refused; the CSRF check follows
    before anything is stored.
    """
    project = project_for(request, slug, Action.TRANSCRIBE)
    document = document_in(project, document_id)
    try:
        uploads = request.FILES.getlist("images")
    except (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent, MultiPartParserError, BadRequest,
            UnreadablePostError) as error:
        return _upload_refused(request, project=project, document=document, error=error)
    return _store_uploads(request, project=project, document=document, uploads=uploads)


@csrf_protect
def _store_uploads(request, *, project, document, uploads):
    results = []
    disk_full = None
    if not uploads:
        results.append({"ok": False, "message": "Choose at least one image file to upload."})
    for upload in uploads:
        try:
            image = document_image_add(document=document, user=request.user, upload=upload, filename=upload.name)
        except ImageRejected as error:
            results.append({"ok": False, "message": f"{upload.name}: {error.message}"})
        except StorageFull as error:
            # The next files would meet the same full disk: stop here.
            logger.error("Disk full storing a page image for document %s: %s", document.pk, error.__cause__)
            disk_full = error
            results.append({"ok": False, "message": f"{upload.name}: {error.message}"})
            break
        else:
            results.append({"ok": True, "message": f"{upload.name}: added as page {image.position}."})

    stored_any = any(result["ok"] for result in results)
    if request.htmx:
        status = disk_full.status_code if disk_full else 200 if stored_any else 400
        return _render_panel(request, project=project, document=document, results=results, status=status)
    if disk_full and not stored_any:
        context = {"project": project, "document": document, "crumb": "Upload refused", "message": disk_full.message}
        return render(request, "translations/images/upload_refused.html", context, status=disk_full.status_code)
    for result in results:
        (messages.success if result["ok"] else messages.error)(request, result["message"])
    return HttpResponseRedirect(reverse("document_detail", args=[project.slug, document.pk]), status=303)


def _upload_refused(request, *, project, document, error):
    if isinstance(error, RequestDataTooBig):
        status = 413
        message = (
            "The upload was refused: it is larger than the server accepts in one request. "
            "Upload fewer files at a time."
        )
    elif isinstance(error, TooManyFilesSent):
        status = 400
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        message = (
            f"The upload was refused: at most {limit} file{'' if limit == 1 else 's'} can be sent at once. "
            "Upload them in smaller batches."
        )
    else:
        status = 400
        message = "The upload could not be read (the request was malformed or interrupted). Please try again."
    logger.info("Refused image upload to document %s: %s", document.pk, error)
    results = [{"ok": False, "message": message}]
    if request.htmx:
        return _render_panel(request, project=project, document=document, results=results, status=status)
    context = {"project": project, "document": document, "crumb": "Upload refused", "message": message}
    return render(request, "translations/images/upload_refused.html", context, status=status)


def _render_panel(request, *, project, document, results, status):
    context = {
        "project": project,
        "document": document,
        "images": list(document.images.order_by("position", "id")),
        "can_upload": can(request.user, Action.TRANSCRIBE, project),
        "can_download_original": can(request.user, Action.DOWNLOAD_ORIGINAL, project),
        "upload_results": results,
        "refresh_viewer": request.headers.get(VIEWER_REFRESH_HEADER) == "1",
    }
    return render(request, "translations/images/panel.html#upload_response", context, status=status)


@require_safe
def image_display(request, slug, image_id):
    """The display copy, which carries no metadata, for any member."""
    project = project_for(request, slug, Action.VIEW)
    return display_response(image_in(project, image_id))


def display_response(image) -> FileResponse:
    """The display copy inline (pages and API alike)."""
    extension = os.path.splitext(image.display.name)[1].lower()
    response = FileResponse(
        _open(image.display), content_type=DISPLAY_CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition_header(False, f"page-{image.position}{extension}")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def image_original(request, slug, image_id):
    """The uploaded bytes, unaltered, with their SHA-256 so the recipient can verify them."""
    project = project_for(request, slug, Action.DOWNLOAD_ORIGINAL)
    return original_response(image_in(project, image_id), request.user)


def original_response(image, user, *, through: str = "") -> FileResponse:
    """The original's bytes as a download, logged with who took them (pages and API alike)."""
    response = FileResponse(_open(image.original), content_type="application/octet-stream")
    response["Content-Disposition"] = _attachment_header(image)
    response["X-Content-SHA256"] = image.sha256
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    logger.info(
        "Original of image %s (document %s, sha256 %s) downloaded by %s%s",
        image.pk, image.document_id, image.sha256, user.get_username(), through,
    )
    return response


def _open(field_file):
    try:
        return field_file.storage.open(field_file.name, "rb")
    except (OSError, ValueError):
        logger.error("Stored file %r of an image cannot be opened", field_file.name, exc_info=True)
        raise Http404("The image file is missing.") from None


# Path separators, quotes and characters that shells or file managers treat specially.
_UNSAFE_IN_FILENAME = re.compile(r'[\\/"\';:*?<>|]')


def _attachment_header(image) -> str:
    """``attachment; filename="..."`` from the original name, with any path,
    control or bidirectional-override characters (``"gpj.exe"`` tricks)
    removed; non-ASCII names also travel as RFC 6266 ``filename*``."""
    name = unicodedata.normalize("NFC", image.original_filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = _UNSAFE_IN_FILENAME.sub("_", name).strip(" .")[-200:] or f"page-{image.position}{image.extension}"
    if name.isascii():
        return f'attachment; filename="{name}"'
    extension = os.path.splitext(name)[1]
    ascii_name = f"page-{image.position}{extension if extension.isascii() else image.extension}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(name)}"
