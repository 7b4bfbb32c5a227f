"""The audit trail: one timeline of every history event, filterable, keyset-paginated."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from translations.models import Document, Membership, Project

from ..audit import KIND_LABELS
from ..models import IntegrityCheck
from ..selectors.audit import ACTIONS, audit_page, auditable_projects, clean_filters


def _require_auditor(user):
    projects = auditable_projects(user)
    if projects is not None and not projects:
        raise PermissionDenied("The audit trail is for auditors, managers and site administrators.")
    return projects


def audit_trail(request):
    projects = _require_auditor(request.user)
    filters = clean_filters(request.GET)
    try:
        before = int(request.GET.get("before", "")) if request.GET.get("before") else None
    except ValueError:
        before = None
    events, next_before = audit_page(request.user, filters, before=before, projects=projects)
    chosen = None
    if filters.get("project"):
        chosen = next((p for p in projects or [] if p.slug == filters["project"]), None)
        if projects is None:
            chosen = Project.objects.filter(slug=filters["project"]).first()
    documents = list(Document.objects.filter(project=chosen).order_by("title").values("id", "title")[:500]) if chosen else []
    actors = (
        list(Membership.objects.filter(project=chosen).select_related("user").order_by("user__username"))
        if chosen
        else []
    )
    context = {
        "events": events,
        "filters": filters,
        "query": urlencode(filters),
        "next_before": next_before,
        "before": before,
        "projects": projects if projects is not None else list(Project.objects.order_by("name")),
        "all_projects": projects is None,
        "documents": documents,
        "actors": actors,
        "kinds": KIND_LABELS,
        "actions": list(ACTIONS),
        "last_check": IntegrityCheck.objects.select_related("started_by").first() if request.user.is_staff else None,
    }
    return render(request, "reviews/audit/trail.html", context)


@require_POST
def audit_verify(request):
    """Site admins run verify_history from the page; the result is kept and shown."""
    import io
    import time

    from translations.management.commands.verify_history import tracked_models, verify_model

    if not request.user.is_staff:
        raise PermissionDenied("Only site administrators run the integrity check.")
    started = time.monotonic()
    report, rows, drifted = io.StringIO(), 0, 0
    for model in tracked_models():
        checked, bad = verify_model(model, report=lambda line: report.write(line + "\n"))
        rows, drifted = rows + checked, drifted + bad
    check = IntegrityCheck.objects.create(
        started_by=request.user, rows_checked=rows, drifted=drifted, seconds=time.monotonic() - started,
        report=report.getvalue()[:100_000],
    )
    if drifted:
        messages.error(request, f"{drifted} of {rows} rows differ from their history. See the report below.")
    else:
        messages.success(request, f"All {rows} rows match their latest history ({check.seconds:.2f} s).")
    return redirect("audit_trail")
