"""MQM assessment of a translation, a document's quality report, back-translations.

Members read (auditors included); annotating and asking for back-translations
need Action.REVIEW (403 otherwise); non-members get 404 (invariant 9). A
back-translation is written only by the member it was asked of, on the
unscoped page that lists their own requests.
"""

import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from translations.exceptions import DomainError, EditConflict, NotAllowed
from translations.forms import form_error_message
from translations.permissions import Action, can
from translations.views.access import document_in, language_in, project_for, translation_in

from .. import mqm
from ..forms import BackTranslationAnswerForm, BackTranslationRequestForm, ErrorAnnotationForm
from ..models import BackTranslation, ErrorAnnotation, MqmSeverity
from ..selectors.quality import (
    back_translations_for,
    document_quality_report,
    members_for_back_translation,
    quality_policy_of,
    translation_assessment,
)
from ..services.quality import (
    back_translation_complete,
    back_translation_decline,
    back_translation_request,
    error_annotation_create,
    error_annotation_delete,
)

PAGE = "reviews/quality/translation.html"
ASSESSMENT = "reviews/quality/translation.html#assessment"
BACK = "reviews/quality/translation.html#back-translations"
_ID = re.compile(r"[0-9]{1,17}")
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(mqm.SEVERITIES)}


def highlighted(text: str, annotations) -> str:
    """The text escaped, each annotated span in ``<mark>`` (the worst severity
    covering it gives the colour; overlapping spans are split at their edges).
    The last piece of each span carries the annotation's number for the CSS to
    show, outside the text nodes, so the page's selection offsets stay exact."""
    length = len(text)
    spans = [(min(a.start, length), min(a.end, length), a) for a in annotations]
    cuts = sorted({0, length, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for left, right in zip(cuts, cuts[1:]):
        piece = escape(text[left:right])
        covering = [a for s, e, a in spans if s <= left and right <= e]
        if not covering:
            out.append(piece)
            continue
        worst = max(covering, key=lambda a: _SEVERITY_RANK.get(a.severity, 0)).severity
        numbers = " ".join(str(a.number) for a in covering)
        title = "; ".join(f"{a.number}: {a.label} ({MqmSeverity(a.severity).label})" for a in covering
                          if a.severity in MqmSeverity.values)
        ending = ",".join(str(a.number) for s, e, a in spans if e == right)
        end_attribute = f' data-il-end="{escape(ending)}"' if ending else ""
        out.append(
            f'<mark class="il-mqm il-mqm-{escape(worst)}" data-il-notes="{escape(numbers)}" '
            f'title="{escape(title)}"{end_attribute}>{piece}</mark>'
        )
    return mark_safe("".join(out))  # noqa: S308 — every piece of user text escaped above


def _may_annotate(user, project, translation) -> bool:
    if not can(user, Action.REVIEW, project) or translation.segment.is_deleted:
        return False
    return project.allow_self_approval or user.pk not in {translation.author_id, translation.edited_by_id}


def _context(request, project, translation, *, annotation_form=None, request_form=None, **extra) -> dict:
    translation.segment.document.project = project
    policy = quality_policy_of(project)
    assessment = translation_assessment(translation, policy=policy)
    for version in assessment["versions"]:
        version.html = highlighted(version.text, version.annotations)
    may_review = can(request.user, Action.REVIEW, project)
    manager = can(request.user, Action.MANAGE_POLICY, project)
    for version in assessment["versions"]:
        for annotation in version.annotations:
            annotation.may_delete = may_review and (annotation.reviewer_id == request.user.pk or manager)
    members = members_for_back_translation(translation) if may_review else []
    return {
        "project": project,
        "document": translation.segment.document,
        "segment": translation.segment,
        "translation": translation,
        "crumb": f"Quality of §{translation.segment.position} ({translation.language})",
        "current": assessment["versions"][0],
        "older": assessment["versions"][1:],
        "back_translations": assessment["back_translations"],
        "weights": assessment["weights"],
        "threshold": assessment["threshold"],
        "unit": mqm.count_unit(project.source_language),
        "typology": mqm.TYPOLOGY,
        "severities": MqmSeverity.choices,
        "may_annotate": _may_annotate(request.user, project, translation),
        "may_review": may_review,
        "members": members,
        "form": annotation_form or ErrorAnnotationForm(initial={"version": translation.version, "occurrence": 1}),
        "request_form": request_form or BackTranslationRequestForm(members=members, initial={"version": translation.version}),
        "queue_url": reverse("review_queue") + f"?document={translation.segment.document_id}",
        **extra,
    }


def _answer(request, project, translation, *, partial, status=200, **extra):
    context = _context(request, project, translation, **extra)
    if request.htmx:
        return render(request, partial, context, status=status)
    return render(request, PAGE, context, status=status)


@require_GET
def translation_quality(request, slug, translation_id):
    project = project_for(request, slug)
    return _answer(request, project, translation_in(project, translation_id), partial=PAGE)


@require_POST
def translation_annotate(request, slug, translation_id):
    project = project_for(request, slug, Action.REVIEW)
    translation = translation_in(project, translation_id)
    form = ErrorAnnotationForm(request.POST)
    if not form.is_valid():
        return _answer(request, project, translation, partial=ASSESSMENT, status=400, annotation_form=form,
                       error=form_error_message(form, "Check the annotation."))
    data = form.cleaned_data
    try:
        annotation = error_annotation_create(
            translation=translation, user=request.user, base_version=data["version"],
            dimension=data["dimension"], subtype=data["subtype"], severity=data["severity"],
            start=data["start"], end=data["end"], quote=data["quote"], occurrence=data["occurrence"],
            note=data["note"],
        )
    except EditConflict as conflict:
        kept = {name: data.get(name) for name in ("dimension", "subtype", "severity", "note")}
        fresh = ErrorAnnotationForm(initial={**kept, "version": conflict.current_version, "occurrence": 1})
        translation = translation_in(project, translation_id)
        return _answer(request, project, translation, partial=ASSESSMENT, status=409, annotation_form=fresh,
                       error=conflict.message + " The text below is the current version: select the words again.")
    except (DomainError, NotAllowed) as error:
        status = 403 if isinstance(error, NotAllowed) else error.status_code
        return _answer(request, project, translation, partial=ASSESSMENT, status=status, annotation_form=form,
                       error=error.message)
    saved = f"Saved: {mqm.category_label(annotation.dimension, annotation.subtype)}, " \
            f"{annotation.get_severity_display()} on version {annotation.version}."
    if not request.htmx:
        messages.success(request, saved)
        return redirect("translation_quality", project.slug, translation.pk)
    return _answer(request, project, translation, partial=ASSESSMENT, saved=saved)


@require_POST
def translation_annotation_delete(request, slug, translation_id):
    project = project_for(request, slug, Action.REVIEW)
    translation = translation_in(project, translation_id)
    annotation_id = (request.POST.get("annotation") or "").strip()
    if not _ID.fullmatch(annotation_id):
        return _answer(request, project, translation, partial=ASSESSMENT, status=400,
                       error="Which annotation? Reload the page and try again.")
    annotation = get_object_or_404(ErrorAnnotation, pk=annotation_id, translation=translation)
    try:
        error_annotation_delete(annotation=annotation, user=request.user, reason=request.POST.get("reason", ""))
    except (DomainError, NotAllowed) as error:
        status = 403 if isinstance(error, NotAllowed) else error.status_code
        return _answer(request, project, translation, partial=ASSESSMENT, status=status, error=error.message)
    saved = "Annotation removed; history keeps it."
    if not request.htmx:
        messages.success(request, saved)
        return redirect("translation_quality", project.slug, translation.pk)
    return _answer(request, project, translation, partial=ASSESSMENT, saved=saved)


@require_POST
def back_translation_ask(request, slug, translation_id):
    project = project_for(request, slug, Action.REVIEW)
    translation = translation_in(project, translation_id)
    members = members_for_back_translation(translation)
    form = BackTranslationRequestForm(request.POST, members=members)
    if not form.is_valid():
        return _answer(request, project, translation, partial=BACK, status=400, request_form=form,
                       back_error=form_error_message(form, "Choose whom to ask."))
    data = form.cleaned_data
    try:
        back = back_translation_request(
            translation=translation, user=request.user, assignee=data["assignee"], base_version=data["version"],
            note=data["note"],
        )
    except (DomainError, NotAllowed) as error:
        status = 403 if isinstance(error, NotAllowed) else error.status_code
        if isinstance(error, EditConflict):
            translation = translation_in(project, translation_id)
            form = None
        return _answer(request, project, translation, partial=BACK, status=status, request_form=form,
                       back_error=error.message)
    saved = f"Asked {back.assignee.get_full_name() or back.assignee.get_username()} for a back-translation of version {back.version}."
    if not request.htmx:
        messages.success(request, saved)
        return redirect("translation_quality", project.slug, translation.pk)
    return _answer(request, project, translation, partial=BACK, back_saved=saved)


@require_GET
def document_quality(request, slug, document_id, language):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    language = language_in(project, language)
    document.project = project
    report = document_quality_report(document, language, policy=quality_policy_of(project))
    return render(request, "reviews/quality/document.html", {
        "project": project, "document": document, "language": language, "crumb": f"Quality report ({language})",
        "report": report, "severities": MqmSeverity.choices, "typology": mqm.TYPOLOGY,
        "may_manage": can(request.user, Action.MANAGE_POLICY, project),
    })


@require_http_methods(["GET", "POST"])
def back_translations(request):
    """The signed-in user's own back-translation requests, across their projects."""
    context = {}
    status = 200
    if request.method == "POST":
        form = BackTranslationAnswerForm(request.POST)
        if not form.is_valid():
            context["error"] = form_error_message(form, "Write the back-translation, or say why you decline.")
            status = 400
        else:
            data = form.cleaned_data
            back = BackTranslation.objects.filter(pk=data["back_translation"], assignee=request.user).first()
            if back is None:
                raise Http404("No such request of yours.")
            try:
                if data["action"] == "complete":
                    back_translation_complete(back_translation=back, user=request.user, text=data["text"])
                    messages.success(request, "Back-translation saved. The reviewer sees it beside the source.")
                else:
                    back_translation_decline(back_translation=back, user=request.user, reason=data["reason"])
                    messages.success(request, "Request declined; the reviewer sees your reason.")
                return redirect("back_translations")
            except (DomainError, NotAllowed) as error:
                context |= {"error": error.message, "draft_id": back.pk, "draft_text": data["text"],
                            "draft_reason": data["reason"]}
                status = 403 if isinstance(error, NotAllowed) else error.status_code
    context |= back_translations_for(request.user)
    return render(request, "reviews/quality/back_translations.html", context, status=status)
