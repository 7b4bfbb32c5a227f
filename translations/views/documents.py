from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render

from .. import services
from ..forms import DocumentForm
from ..models import Document
from ..permissions import Action, can
from ..services.documents import PROVENANCE_FIELDS
from .access import document_in, project_for


def document_create(request, slug):
    project = project_for(request, slug, Action.CREATE_DOCUMENT)
    form = DocumentForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PROVENANCE_FIELDS}
        document = services.document_create(project=project, user=request.user, **fields)
        messages.success(request, f"Created “{document.title}”. Upload its page images and transcribe it.")
        return redirect("document_detail", project.slug, document.pk)
    return render(request, "translations/documents/form.html", {"project": project, "form": form, "crumb": "New document"})


def document_detail(request, slug, document_id):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    counts = document.segments.aggregate(live=Count("id", filter=Q(is_deleted=False)), deleted=Count("id", filter=Q(is_deleted=True)))
    context = {
        "project": project,
        "document": document,
        "images": list(document.images.all()),
        "segment_count": counts["live"],
        "deleted_count": counts["deleted"],
        "can_edit": can(request.user, Action.MANAGE_DOCUMENTS, project),
        "can_upload": can(request.user, Action.TRANSCRIBE, project),
        "can_transcribe": can(request.user, Action.TRANSCRIBE, project),
        "can_download_original": can(request.user, Action.DOWNLOAD_ORIGINAL, project),
    }
    return render(request, "translations/documents/detail.html", context)


def document_edit(request, slug, document_id):
    project = project_for(request, slug, Action.MANAGE_DOCUMENTS)
    document = document_in(project, document_id)
    form = DocumentForm(request.POST or None, instance=Document.objects.get(pk=document.pk))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PROVENANCE_FIELDS}
        services.document_update(document=document, user=request.user, reason=form.cleaned_data["reason"], **fields)
        messages.success(request, "Provenance saved.")
        return redirect("document_detail", project.slug, document.pk)
    return render(
        request,
        "translations/documents/form.html",
        {"project": project, "document": document, "form": form, "crumb": "Edit provenance"},
    )
