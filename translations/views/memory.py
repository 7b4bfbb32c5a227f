"""Translation memory: the aid panel's suggestions, and the project's memory page.

* ``segment_aids`` answers the workspace's aid panel (htmx): the closest
  approved pairs for one segment (``translations.memory``) and, where the
  segment has several candidates, how far they agree (``reviews.agreement``).
  Any member (Action.VIEW) may ask; only published text is ever offered.
* ``memory`` shows what the memory holds; members export it as TMX; managers
  (Action.MANAGE_POLICY) import TMX files into it and remove an import.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count, F, Max
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from reviews.agreement import candidate_agreement

from ..exceptions import DomainError
from ..interchange.errors import ImportRejected
from ..interchange.importing import display_filename
from ..interchange.readers import check_size, max_bytes
from ..memory import suggestions
from ..models import MemoryEntry, Translation
from ..permissions import Action, can
from ..services.memory import TMX_CONTENT_TYPE, memory_export_tmx, memory_import_tmx, memory_origin_delete
from .access import language_in, project_for, segment_in

PAGE = "translations/memory/memory.html"
AIDS = "translations/memory/aids.html"


class MemoryImportForm(forms.Form):
    file = forms.FileField(label="TMX file", help_text="TMX 1.1–1.4, in UTF-8 (or UTF-16 with a byte-order mark).")


@require_safe
def segment_aids(request, slug, segment_id, language):
    project = project_for(request, slug)
    segment = segment_in(project, segment_id)
    language = language_in(project, language)
    segment.document.project = project
    context = {
        "project": project,
        "segment": segment,
        "language": language,
        "suggestions": suggestions(request.user, segment, language),
        "agreement": candidate_agreement(segment, language),
        "can_translate": can(request.user, Action.TRANSLATE, project),
    }
    return render(request, AIDS, context)


def _page(request, project, form, *, error="", status=200):
    published = dict(
        Translation.objects.filter(
            segment__document__project=project, is_published=True, segment__is_deleted=False,
            published_source_hash=F("segment__source_hash"),
        )
        .values_list("language")
        .annotate(n=Count("id"))
        .order_by()
    )
    imports = list(
        MemoryEntry.objects.filter(project=project)
        .values("origin", "language")
        .annotate(pairs=Count("id"), imported_at=Max("created_at"))
        .order_by("-imported_at", "origin", "language")
    )
    imported = {}
    for row in imports:
        imported[row["language"]] = imported.get(row["language"], 0) + row["pairs"]
    languages = [
        {"code": code, "published": published.get(code, 0), "imported": imported.get(code, 0)}
        for code in project.target_languages
    ]
    context = {
        "project": project,
        "languages": languages,
        "imports": imports,
        "form": form,
        "error": error,
        "max_bytes": max_bytes(),
        "can_import": can(request.user, Action.MANAGE_POLICY, project),
        "crumb": "Translation memory",
    }
    return render(request, PAGE, context, status=status)


@require_safe
def memory(request, slug):
    project = project_for(request, slug)
    return _page(request, project, MemoryImportForm())


@require_POST
def memory_import(request, slug):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    form = MemoryImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, project, form, error="Choose a TMX file to import.", status=400)
    upload = form.cleaned_data["file"]
    try:
        check_size(upload.size)
        report = memory_import_tmx(
            project=project, user=request.user, data=upload.read(), filename=display_filename(upload.name)
        )
    except ImportRejected as error:
        return _page(request, project, form, error=error.message, status=400)
    added = ", ".join(f"{n} {code.upper()}" for code, n in sorted(report.added.items())) or "none"
    left_out = []
    if report.duplicates:
        left_out.append(f"{report.duplicates} already in the memory")
    if report.skipped_units:
        left_out.append(f"{report.skipped_units} unit(s) with no pair in this project's languages")
    messages.success(
        request,
        f"Imported {report.total} pair(s) from {report.origin} ({added})."
        + (f" Left out: {'; '.join(left_out)}." if left_out else ""),
    )
    return redirect("memory", project.slug)


@require_POST
def memory_origin_remove(request, slug):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    origin = request.POST.get("origin", "")
    try:
        removed = memory_origin_delete(project=project, user=request.user, origin=origin)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("memory", project.slug)
    messages.success(request, f"Removed the {removed} pair(s) imported from {origin or 'an unnamed file'}.")
    return redirect("memory", project.slug)


@require_safe
def memory_export(request, slug):
    project = project_for(request, slug)
    content = memory_export_tmx(project=project, user=request.user)
    response = HttpResponse(content, content_type=TMX_CONTENT_TYPE)
    filename = f"{project.slug}-memory-{timezone.now():%Y%m%d}.tmx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
