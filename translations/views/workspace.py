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
from ..links import ID, IdLink
from ..permissions import Action, can
from ..selectors import glossary_for, workspace_segments
from .access import document_in, language_in, project_for, segment_in, translation_in

TEMPLATE = "translations/workspace.html"


def workspace(request, slug, document_id, language):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    language = language_in(project, language)
    can_translate = can(request.user, Action.TRANSLATE, project)
    segments = _linked(
        project, language, workspace_segments(document, language, user=request.user),
        editor=request.user if can_translate else None,
    )
    context = {
        "project": project,
        "document": document,
        "language": language,
        "segments": segments,
        **_aids(request, project, document, language, segments),
        "images": list(document.images.all()),
        "can_translate": can_translate,
        "crumb": f"Translate into {language.upper()}",
    }
    return render(request, TEMPLATE, context)


def _linked(project, language: str, segments: list, *, editor) -> list:
    """Give each row and candidate its addresses, reversed once per page (see
    translations.links), and mark the candidate the user edits in place (`editor`:
    the user, when they may translate here)."""
    segment_history = IdLink("segment_history", project.slug, ID)
    segment_comments = IdLink("segment_comments", project.slug, ID)
    translation_create = IdLink("translation_create", project.slug, ID, language)
    translation_history = IdLink("translation_history", project.slug, ID)
    translation_save = IdLink("translation_save", project.slug, ID)
    translation_quality = IdLink("translation_quality", project.slug, ID)
    for segment in segments:
        segment.history_url = segment_history(segment.pk)
        segment.comments_url = segment_comments(segment.pk)
        segment.create_url = translation_create(segment.pk)
        for candidate in segment.candidates:
            candidate.history_url = translation_history(candidate.pk)
            candidate.save_url = translation_save(candidate.pk)
            candidate.quality_url = translation_quality(candidate.pk)
            candidate.editable = editor is not None and candidate.author_id == editor.pk
        # The user's one editor in the row: a new version of their candidate, or a first one.
        segment.editor_url = segment.mine.save_url if segment.mine else segment.create_url
    return segments


def _aids(request, project, document, language: str, segments: list) -> dict:
    """The glossary matcher for the page (1 query) and each candidate's open check findings
    (1 query), which the row tag shows (see translations/templatetags/workspace.py)."""
    from reviews.selectors.checks import open_findings
    from reviews.services.checks import may_dismiss
    from reviews.templatetags.checks import dismiss_link

    candidates = [candidate for segment in segments for candidate in segment.candidates]
    findings = open_findings(candidates)
    for candidate in candidates:
        candidate.open_findings = findings.get(candidate.pk, [])
    return {
        "glossary": glossary_for(project, language),
        "dismiss_link": dismiss_link(project.slug),
        "can_dismiss": may_dismiss(request.user, project),
    }


def _row(request, project, segment, language, *, status=200, **extra):
    if not request.htmx:
        return redirect("workspace", project.slug, segment.document_id, language)
    can_translate = can(request.user, Action.TRANSLATE, project)
    [segment] = _linked(
        project, language, workspace_segments(segment.document, language, user=request.user, segment_ids=[segment.pk]),
        editor=request.user if can_translate else None,
    )
    context = {
        "project": project,
        "document": segment.document,
        "language": language,
        "segment": segment,
        **_aids(request, project, segment.document, language, [segment]),
        "can_translate": can_translate,
        "row_state": bool(extra),  # a save's outcome to show: saved, error, conflict (see the workspace_row tag)
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
