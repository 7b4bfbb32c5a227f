"""The translation workspace: page image | source segments | candidates.

A translator adds a candidate or saves a new version of their own; each
save answers with the segment's row, re-rendered in place. A save naming a
stale version answers 409 with the conflict in the row and the user's text
still in the editor (invariant 6).
"""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import services
from ..exceptions import DomainError, EditConflict
from ..forms import TranslationForm, form_error_message
from ..permissions import Action, can
from ..selectors import workspace_segments
from .access import document_in, language_in, project_for, segment_in, translation_in

TEMPLATE = "translations/workspace.html"


def workspace(request, slug, document_id, language):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    language = language_in(project, language)
    context = {
        "project": project,
        "document": document,
        "language": language,
        "segments": workspace_segments(document, language, user=request.user),
        "images": list(document.images.all()),
        "can_translate": can(request.user, Action.TRANSLATE, project),
        "crumb": f"Translate into {language.upper()}",
    }
    return render(request, TEMPLATE, context)


def _row(request, project, segment, language, *, status=200, **extra):
    if not request.htmx:
        return redirect("workspace", project.slug, segment.document_id, language)
    [segment] = workspace_segments(segment.document, language, user=request.user, segment_ids=[segment.pk])
    context = {
        "project": project,
        "document": segment.document,
        "language": language,
        "segment": segment,
        "can_translate": can(request.user, Action.TRANSLATE, project),
        **extra,
    }
    return render(request, f"{TEMPLATE}#segment-row", context, status=status)


@require_POST
def translation_create(request, slug, segment_id, language):
    project = project_for(request, slug, Action.TRANSLATE)
    segment = segment_in(project, segment_id)
    language = language_in(project, language)
    form = TranslationForm(request.POST)
    if not form.is_valid():
        raise DomainError(form_error_message(form, "Write a translation before saving."))
    submit = form.cleaned_data["action"] != "draft"
    try:
        services.translation_create(
            segment=segment, user=request.user, language=language, text=form.cleaned_data["text"],
            note=form.cleaned_data["note"], submit=submit,
        )
    except DomainError as error:
        return _row(request, project, segment, language, status=error.status_code, error=error.message,
                    draft_text=form.cleaned_data["text"], draft_note=form.cleaned_data["note"])
    return _row(request, project, segment, language, saved="Submitted for review" if submit else "Draft saved")


@require_POST
def translation_save(request, slug, translation_id):
    project = project_for(request, slug, Action.TRANSLATE)
    translation = translation_in(project, translation_id)
    segment, language = translation.segment, translation.language
    form = TranslationForm(request.POST)
    if not form.is_valid() or form.cleaned_data["base_version"] is None:
        raise DomainError(form_error_message(form, "The translation text and the version you started from are required."))
    data = form.cleaned_data
    try:
        services.translation_edit(
            translation=translation, user=request.user, base_version=data["base_version"], text=data["text"],
            note=data["note"], submit=data["action"] == "submit",
        )
    except EditConflict as conflict:
        return _row(request, project, segment, language, status=409, conflict=conflict,
                    conflict_id=translation.pk, draft_text=data["text"], draft_note=data["note"])
    except DomainError as error:
        return _row(request, project, segment, language, status=error.status_code, error=error.message,
                    conflict_id=translation.pk, draft_text=data["text"], draft_note=data["note"])
    return _row(request, project, segment, language, saved="Saved")
