"""The review queue, inline decisions, bulk decisions.

Decisions are posted naming the version the reviewer saw; a version that
moved on is refused and the row shows what changed (invariant 6). Bulk
decisions apply the same checks per row and report the rows they skipped.
"""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from translations import security_log
from translations.exceptions import DomainError, StaleVersion
from translations.models import Translation, TranslationState
from translations.permissions import is_member

from ..checks import CHECKS
from ..models import Decision
from ..selectors.queue import AGES, PAGE_SIZE, awaiting, facets, queue_page, queue_page_rows, queue_scope
from ..services import review_record, reviews_record_bulk
from ..services.decisions import MAX_BULK

FILTERS = ("project", "document", "language", "translator", "state", "age", "check")


_ID = re.compile(r"[0-9]{1,18}")


def _local_next(request) -> str:
    """The page to go back to, if it is one of ours; anything else (another site, a
    view name, a header-splitting string) is ignored."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _filters(data) -> dict:
    values = {name: (data.get(name) or "").strip()[:100] for name in FILTERS}
    # A NUL can be in no row (PostgreSQL refuses it in a query): such a value is ignored, like a malformed id.
    values = {name: "" if "\x00" in value else value for name, value in values.items()}
    if values["document"] and not re.fullmatch(r"[0-9]{1,18}", values["document"]):
        values["document"] = ""
    if values["check"] not in CHECKS:
        values["check"] = ""
    return {name: value for name, value in values.items() if value}


def _page_number(value) -> int | None:
    value = (value or "").strip()
    return int(value) if _ID.fullmatch(value) and 0 < int(value) <= 10**9 else None


def review_queue(request):
    filters = _filters(request.GET)
    scope = queue_scope(request.user)
    queryset = awaiting(request.user, filters=filters, scope=scope)
    counts = facets(queryset, scope)
    num_pages = max(1, -(-counts["total"] // PAGE_SIZE))
    number = _page_number(request.GET.get("page"))
    if number and not counts["capped"]:
        number = min(number, num_pages)  # past the end: the last page, as before
    # Past the counted part a bare page number is an offset read: slower the deeper it goes,
    # but the same cost the page always had; the Next and Previous links carry cursors.
    page = queue_page(queryset, after=request.GET.get("after"), before=request.GET.get("before"), number=number)
    page.num_pages, page.num_pages_capped = num_pages, counts["capped"]
    context = {
        "page": page,
        "rows": page.rows,
        "filters": filters,
        "facets": counts,
        "max_bulk": MAX_BULK,
        "query": urlencode(filters),
        "ages": list(AGES),
        "states": [(TranslationState.SUBMITTED, "Awaiting review"), (TranslationState.REVIEWED, "Awaiting final edit")],
    }
    return render(request, "reviews/queue.html", context)


def _queue_item(request, translation_id) -> Translation:
    translation = get_object_or_404(
        Translation.objects.select_related("segment__document__project", "author"), pk=translation_id
    )
    project = translation.segment.document.project
    if not is_member(request.user, project):
        security_log.access_refused(request, status=404, reason="not a member", project_slug=project.slug)
        raise Http404("No such translation.")
    return translation


@require_POST
def review_decide(request, translation_id):
    translation = _queue_item(request, translation_id)
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        raise DomainError("The version you reviewed is missing; reload the queue.") from None
    try:
        review = review_record(translation=translation, reviewer=request.user, version=version, decision=decision, comment=comment)
    except StaleVersion as stale:
        seen = (
            Translation.history.filter(id=translation.pk, version=version).order_by("-history_id").values_list("text", flat=True).first()
            or ""
        )
        [row] = queue_page_rows([_queue_item(request, translation_id)])
        context = {"t": row, "stale": stale, "seen_text": seen, "comment": comment}
        return render(request, "reviews/queue.html#queue-row", context, status=409)
    if not request.htmx:
        messages.success(request, f"{Decision(decision).label}: version {version} of “{translation.text[:60]}”.")
        return redirect(_local_next(request) or "review_queue")
    # The service's own locked instance: state and publication as just written, no reload.
    return render(request, "reviews/queue.html#decided-row", {"t": review.translation, "review": review})


@require_POST
def review_bulk(request):
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    if request.POST.get("scope") == "all":
        filters = _filters(request.POST)
        items = list(awaiting(request.user, filters=filters).order_by("updated_at", "id").values_list("id", "version")[:MAX_BULK])
    else:
        items = []
        for value in request.POST.getlist("item"):
            translation_id, _, version = value.partition(":")
            # ASCII digits only, and ids a database can hold ("²".isdigit() is true; int("²") fails).
            if _ID.fullmatch(translation_id) and _ID.fullmatch(version):
                items.append((int(translation_id), int(version)))
        filters = _filters(request.POST)
    if not items:
        raise DomainError("Select at least one translation (or “all matching the filter”).")
    outcome = reviews_record_bulk(reviewer=request.user, items=items, decision=decision, comment=comment)
    label = Decision(decision).label.lower() if decision in Decision.values else decision
    summary = f"Recorded “{label}” on {outcome.decided_count} translation{'s' if outcome.decided_count != 1 else ''}."
    if outcome.skipped:
        reasons = {}
        for _, reason in outcome.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        summary += " Skipped " + "; ".join(f"{n} × {reason}" for reason, n in reasons.items())
        messages.warning(request, summary)
    else:
        messages.success(request, summary)
    target = "review_queue"
    response = redirect(target)
    if filters:
        response["Location"] += "?" + urlencode(filters)
    return response
