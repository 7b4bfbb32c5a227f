"""The transcription editor: segments edited in place, pasted text split into
segments, and split / merge / move / delete / restore.

Row saves answer with the row; structural changes answer with the whole
list, since positions move. A save naming a stale version answers 409 with
the conflict shown in the row and the user's text kept in the editor.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import services
from ..exceptions import DomainError, EditConflict
from ..forms import PasteForm, SegmentSaveForm, form_error_message
from ..models import Segment
from ..permissions import Action, can
from .access import document_in, project_for, segment_in

TEMPLATE = "translations/transcription.html"


def _context(request, project, document, **extra):
    segments = list(Segment.objects.filter(document=document).order_by("is_deleted", "position", "id"))
    live = [s for s in segments if not s.is_deleted]
    for current, following in zip(live, live[1:] + [None]):
        current.next_version = following.version if following else None
    return {
        "project": project,
        "document": document,
        "segments": live,
        "deleted_segments": [s for s in segments if s.is_deleted],
        "can_edit": can(request.user, Action.TRANSCRIBE, project),
        "paste_form": PasteForm(),
        "crumb": "Transcription",
        **extra,
    }


def transcription(request, slug, document_id):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    return render(request, TEMPLATE, _context(request, project, document))


def _list_response(request, project, document, notice=""):
    if request.htmx:
        return render(request, f"{TEMPLATE}#segment-list", _context(request, project, document, notice=notice))
    if notice:
        messages.success(request, notice)
    return redirect("transcription", project.slug, document.pk)


@require_POST
def segments_paste(request, slug, document_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    document = document_in(project, document_id)
    form = PasteForm(request.POST)
    if not form.is_valid():
        raise DomainError(form_error_message(form, "Paste some text and choose how to split it."))
    created = services.segments_append_from_text(
        document=document, user=request.user, text=form.cleaned_data["text"], mode=form.cleaned_data["mode"]
    )
    notice = f"Added {len(created)} segment{'s' if len(created) != 1 else ''}."
    return _list_response(request, project, document, notice)


@require_POST
def segment_save(request, slug, segment_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    segment = segment_in(project, segment_id)
    form = SegmentSaveForm(request.POST)
    if not form.is_valid():
        raise DomainError(form_error_message(form, "The segment text and its version are required."))
    attempted = form.cleaned_data["source_text"]
    try:
        segment = services.segment_edit(
            segment=segment, user=request.user, base_version=form.cleaned_data["base_version"], source_text=attempted
        )
    except EditConflict as conflict:
        segment.refresh_from_db()
        context = {"project": project, "document": segment.document, "segment": segment, "can_edit": True,
                   "conflict": conflict, "draft_text": attempted}
        return render(request, f"{TEMPLATE}#segment-row", context, status=409)
    if not request.htmx:
        return redirect("transcription", project.slug, segment.document_id)
    context = {"project": project, "document": segment.document, "segment": segment, "can_edit": True, "saved": True}
    return render(request, f"{TEMPLATE}#segment-row", context)


def _int(request, name):
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None


@require_POST
def segment_split(request, slug, segment_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    segment = segment_in(project, segment_id)
    at, version = _int(request, "at"), _int(request, "base_version")
    if at is None or version is None:
        raise DomainError("Put the cursor where the segment should be split.")
    services.segment_split(segment=segment, user=request.user, base_version=version, at=at)
    return _list_response(request, project, segment.document)


@require_POST
def segment_merge(request, slug, segment_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    segment = segment_in(project, segment_id)
    version, next_version = _int(request, "base_version"), _int(request, "next_base_version")
    if version is None or next_version is None:
        raise DomainError("Both segments' versions are required.")
    services.segment_merge(segment=segment, user=request.user, base_version=version, next_base_version=next_version)
    return _list_response(request, project, segment.document)


@require_POST
def segment_move(request, slug, segment_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    segment = segment_in(project, segment_id)
    to_position = _int(request, "to_position")
    if to_position is None:
        raise DomainError("Say where to move the segment.")
    services.segment_move(segment=segment, user=request.user, to_position=to_position)
    return _list_response(request, project, segment.document)


@require_POST
def segment_delete(request, slug, segment_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    segment = segment_in(project, segment_id)
    version = _int(request, "base_version")
    if version is None:
        raise DomainError("The segment's version is required.")
    services.segment_delete(segment=segment, user=request.user, base_version=version)
    return _list_response(request, project, segment.document)


@require_POST
def segment_restore(request, slug, segment_id):
    project = project_for(request, slug, Action.TRANSCRIBE)
    segment = segment_in(project, segment_id)
    services.segment_restore(segment=segment, user=request.user)
    return _list_response(request, project, segment.document)
