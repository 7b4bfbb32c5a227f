"""Exporting documents to interchange files, and importing files into a document.

Exports: any member of the project (Action.VIEW), auditors included; only
approved text leaves (invariant 4). Imports: members who may transcribe
(Action.TRANSCRIBE; candidates also need Action.TRANSLATE). An import is
two requests: the upload answers with a preview and writes nothing to the
database; the confirmation imports the kept file, whole or not at all
(invariant 8). A refused file is answered on the import page with the
message naming the line, unit or byte offset at fault — never a 500.
"""

import logging

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from ..interchange import (
    EXPORT_FORMATS,
    ImportRejected,
    PreviewOutdated,
    document_import as import_document,
    export_document,
    export_project,
    import_plan,
    read_upload,
    staging,
)
from ..interchange.importing import display_filename
from ..interchange.forms import ImportUploadForm
from ..exceptions import StorageFull
from ..interchange.readers import check_size, max_bytes
from ..permissions import Action
from .access import document_in, language_in, project_for

logger = logging.getLogger(__name__)

TEMPLATE = "translations/interchange/import.html"
PREVIEW_TEMPLATE = "translations/interchange/preview.html"


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_safe
def document_export(request, slug, document_id, language, fmt):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    language = language_in(project, language)
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such export format.")
    document.project = project
    return _attachment(*export_document(document, language, fmt))


@require_safe
def project_export(request, slug, language, fmt):
    project = project_for(request, slug)
    language = language_in(project, language)
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such export format.")
    return _attachment(*export_project(project, language, fmt))


def _page(request, project, document, form, *, error="", status=200):
    context = {
        "project": project,
        "document": document,
        "form": form,
        "error": error,
        "max_bytes": max_bytes(),
        "crumb": "Import",
    }
    return render(request, TEMPLATE, context, status=status)


def _preview(request, project, document, plan, staged, *, error="", status=200):
    context = {"project": project, "document": document, "plan": plan, "staged": staged, "error": error,
               "crumb": "Import preview"}
    return render(request, PREVIEW_TEMPLATE, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def document_import(request, slug, document_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    document = document_in(project, document_id)
    document.project = project
    if request.method != "POST":
        return _page(request, project, document, ImportUploadForm(project=project))
    if "token" in request.POST:
        return _confirm(request, project, document)
    form = ImportUploadForm(request.POST, request.FILES, project=project)
    if not form.is_valid():
        return _page(request, project, document, form, status=400)
    upload = form.cleaned_data["file"]
    filename = display_filename(upload.name)
    options = {key: form.cleaned_data[key] for key in ("format", "split", "language")}
    try:
        check_size(upload.size)
        data = upload.read()
        parsed = read_upload(data, filename=filename, **options)
        plan = import_plan(document=document, user=request.user, language=options["language"], parsed=parsed,
                           filename=filename)
    except ImportRejected as error:
        return _page(request, project, document, form, error=error.message, status=400)
    try:
        staged = staging.stage(data, user=request.user, document=document, filename=filename,
                               format=parsed.format, split=options["split"], language=options["language"],
                               fingerprint=plan.fingerprint)
    except StorageFull as error:
        logger.error("Disk full staging an import for document %s: %s", document.pk, error.__cause__)
        return _page(request, project, document, form, error=error.message, status=error.status_code)
    return _preview(request, project, document, plan, staged)


def _confirm(request, project, document):
    token = request.POST.get("token", "")
    if request.POST.get("action") == "cancel":
        staging.discard(token)
        messages.info(request, "Import cancelled; nothing was imported.")
        return redirect("document_detail", project.slug, document.pk)
    try:
        staged, data = staging.load(token, user=request.user, document=document)
        parsed = read_upload(data, filename=staged.filename, format=staged.format, split=staged.split,
                             language=staged.language)
    except ImportRejected as error:
        return _page(request, project, document, ImportUploadForm(project=project), error=error.message, status=400)
    try:
        plan = import_document(document=document, user=request.user, language=staged.language, parsed=parsed,
                               filename=staged.filename, expected=staged.fingerprint)
    except PreviewOutdated as error:
        plan = import_plan(document=document, user=request.user, language=staged.language, parsed=parsed,
                           filename=staged.filename)
        staging.refingerprint(staged, plan.fingerprint)
        return _preview(request, project, document, plan, staged, error=error.message, status=409)
    except ImportRejected as error:
        return _page(request, project, document, ImportUploadForm(project=project), error=error.message, status=400)
    staging.discard(token)
    if plan.writes_anything:
        messages.success(
            request,
            f"Imported {staged.filename}: {plan.segments_to_create} new segment(s), "
            f"{plan.candidates_to_create} new candidate(s), {plan.candidates_to_update} new version(s) of your "
            f"candidates; {plan.unchanged} unit(s) unchanged.",
        )
    else:
        messages.info(request, f"{staged.filename} held nothing new; nothing was imported.")
    return redirect("document_detail", project.slug, document.pk)
