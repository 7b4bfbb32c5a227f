"""The project glossary: read by every member, edited, imported and exported by managers.

Reading (Action.VIEW): the list with a search, and the exports (CSV, TBX).
Changing (Action.MANAGE_POLICY): add, edit and delete a term, each with a
reason recorded in history, and import a file. An import is two requests:
the upload answers with a preview (or the list of every row at fault) and
writes nothing; the confirmation carries the previewed rows, signed for
this user and project, and imports them whole or not at all (invariant 8).
"""

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import services
from ..exceptions import DomainError
from ..forms import GlossaryImportForm, GlossaryTermForm
from ..glossary_files import MAX_BYTES, MAX_LISTED_PROBLEMS, GlossaryRow, read_glossary, write_csv, write_tbx
from ..interchange.errors import ImportRejected
from ..interchange.importing import display_filename
from ..models import GlossaryTerm
from ..permissions import Action, can
from ..selectors import glossary_page
from ..services.glossary import glossary_import_plan
from .access import project_for

LIST_TEMPLATE = "translations/glossary/list.html"
EDIT_TEMPLATE = "translations/glossary/edit.html"
IMPORT_TEMPLATE = "translations/glossary/import.html"
PREVIEW_MAX_AGE = 3600


def term_in(project, term_id) -> GlossaryTerm:
    return get_object_or_404(GlossaryTerm, project=project, pk=term_id)


def _list(request, project, *, form=None, status=200):
    search = (request.GET.get("q") or "").strip()[:200].replace("\x00", "")
    language = request.GET.get("language") or ""
    language = language if language in project.target_languages else ""
    can_manage = can(request.user, Action.MANAGE_POLICY, project)
    if form is None and can_manage:
        form = GlossaryTermForm(project=project)
    context = {
        "project": project,
        "page": glossary_page(project, search=search, language=language, page_number=request.GET.get("page")),
        "search": search,
        "language": language,
        "can_manage": can_manage,
        "form": form,
        "crumb": "Glossary",
    }
    return render(request, LIST_TEMPLATE, context, status=status)


@require_safe
def glossary(request, slug):
    return _list(request, project_for(request, slug))


def _term_values(form) -> dict:
    data = form.cleaned_data
    return {"source_term": data["source_term"], "approved": data["approved"], "forbidden": data["forbidden"],
            "part_of_speech": data["part_of_speech"], "note": data["note"], "reason": data["reason"]}


@require_POST
def glossary_term_create(request, slug):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    form = GlossaryTermForm(request.POST, project=project)
    if not form.is_valid():
        return _list(request, project, form=form, status=400)
    try:
        term = services.glossary_term_create(
            project=project, user=request.user, language=form.cleaned_data["language"], **_term_values(form)
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _list(request, project, form=form, status=error.status_code)
    messages.success(request, f"Added “{term.source_term}” to the glossary.")
    return redirect("glossary", project.slug)


@require_http_methods(["GET", "HEAD", "POST"])
def glossary_term_edit(request, slug, term_id):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    term = term_in(project, term_id)
    initial = {"language": term.language, "source_term": term.source_term, "approved": "\n".join(term.approved),
               "forbidden": "\n".join(term.forbidden), "part_of_speech": term.part_of_speech, "note": term.note}
    status = 200
    if request.method == "POST":
        form = GlossaryTermForm(request.POST, project=project, editing=True, initial=initial)
        if form.is_valid():
            try:
                services.glossary_term_update(term=term, user=request.user, **_term_values(form))
            except DomainError as error:
                form.add_error(None, error.message)
                status = error.status_code
            else:
                messages.success(request, f"Saved “{form.cleaned_data['source_term']}”.")
                return redirect("glossary", project.slug)
        else:
            status = 400
    else:
        form = GlossaryTermForm(project=project, editing=True, initial=initial)
    history = term.history.select_related("history_user").order_by("-history_id")[:20]
    context = {"project": project, "term": term, "form": form, "history": history, "crumb": "Glossary term"}
    return render(request, EDIT_TEMPLATE, context, status=status)


@require_POST
def glossary_term_delete(request, slug, term_id):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    term = term_in(project, term_id)
    reason = (request.POST.get("reason") or "").strip()[:500]
    services.glossary_term_delete(term=term, user=request.user, reason=reason)
    messages.success(request, f"Deleted “{term.source_term}” ({term.language}) from the glossary.")
    return redirect("glossary", project.slug)


@require_safe
def glossary_export(request, slug, fmt):
    project = project_for(request, slug)
    terms = list(GlossaryTerm.objects.filter(project=project).order_by("source_term", "language", "id"))
    if fmt == "csv":
        content, content_type = write_csv(terms), "text/csv; charset=utf-8"
    elif fmt == "tbx":
        content, content_type = write_tbx(terms, source_language=project.source_language), "application/x-tbx"
    else:
        raise Http404("No such glossary format.")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{project.slug}-glossary.{fmt}")
    return response


def _salt(project, user) -> str:
    return f"glossary-import:{project.pk}:{user.pk}"


def _import_page(request, project, form, *, problems=(), error="", status=200):
    context = {"project": project, "form": form, "problems": list(problems)[:MAX_LISTED_PROBLEMS],
               "more_problems": max(len(problems) - MAX_LISTED_PROBLEMS, 0), "error": error,
               "max_bytes": MAX_BYTES, "crumb": "Import glossary"}
    return render(request, IMPORT_TEMPLATE, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def glossary_import(request, slug):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    if request.method != "POST":
        return _import_page(request, project, GlossaryImportForm(project=project))
    if "payload" in request.POST:
        return _import_confirm(request, project)
    form = GlossaryImportForm(request.POST, request.FILES, project=project)
    if not form.is_valid():
        return _import_page(request, project, form, status=400)
    upload = form.cleaned_data["file"]
    filename = display_filename(upload.name)
    try:
        if upload.size > MAX_BYTES:
            raise ImportRejected(f"The file is {upload.size:,} bytes; glossary files over {MAX_BYTES:,} bytes are refused.")
        parsed = read_glossary(
            upload.read(), filename=filename, format=form.cleaned_data["format"], languages=project.target_languages,
            source_language=project.source_language, default_language=form.cleaned_data["language"],
        )
    except ImportRejected as error:
        return _import_page(request, project, form, error=error.message, status=400)
    if parsed.problems:
        return _import_page(request, project, form, problems=parsed.problems,
                            error=f"Nothing was imported: {len(parsed.problems)} problem(s) in {filename}.", status=400)
    if not parsed.rows:
        return _import_page(request, project, form, error="The file has no terms to import.", status=400)
    plan = glossary_import_plan(project=project, rows=parsed.rows)
    payload = signing.dumps(
        {"filename": filename, "format": parsed.format, "reason": form.cleaned_data["reason"],
         "rows": [[r.where, r.source_term, r.language, r.approved, r.forbidden, r.part_of_speech, r.note]
                  for r in parsed.rows]},
        salt=_salt(project, request.user), compress=True,
    )
    context = {"project": project, "plan": plan, "filename": filename, "format": parsed.format, "payload": payload,
               "total": len(parsed.rows), "changes": len(plan["create"]) + len(plan["update"]), "crumb": "Import glossary"}
    return render(request, "translations/glossary/preview.html", context)


def _import_confirm(request, project):
    try:
        data = signing.loads(request.POST["payload"], salt=_salt(project, request.user), max_age=PREVIEW_MAX_AGE)
        rows = [GlossaryRow(*row) for row in data["rows"]]
        outcome = services.glossary_import(project=project, user=request.user, rows=rows, filename=data["filename"],
                                           reason=data.get("reason", ""))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _import_page(request, project, GlossaryImportForm(project=project),
                            error="This preview has expired or was changed. Upload the file again.", status=400)
    except ImportRejected as error:
        return _import_page(request, project, GlossaryImportForm(project=project), error=error.message, status=400)
    messages.success(
        request,
        f"Imported {data['filename']}: {outcome['created']} new term(s), {outcome['updated']} updated, "
        f"{outcome['unchanged']} unchanged.",
    )
    return redirect("glossary", project.slug)

