"""Dismissing a finding of the automatic checks, from the workspace or the queue.

GET answers the small dismiss form (loaded when a finding's "Dismiss" is
opened); POST dismisses. The reason is required and recorded in history (see
``reviews.services.checks.check_finding_dismiss``). An htmx POST gets the
candidate's findings block back, re-rendered without the dismissed one.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.middleware.csrf import get_token
from django.views.decorators.http import require_http_methods

from translations.exceptions import NotAllowed
from translations.views.access import project_for

from ..models import CheckFinding
from ..selectors.checks import open_findings
from ..services.checks import check_finding_dismiss, may_dismiss
from ..templatetags.checks import dismiss_form_html, dismiss_link, findings_html


@require_http_methods(["GET", "HEAD", "POST"])
def finding_dismiss(request, slug, finding_id):
    project = project_for(request, slug)
    finding = get_object_or_404(
        CheckFinding.objects.select_related("translation__segment__document"),
        translation__segment__document__project=project, pk=finding_id,
    )
    if not may_dismiss(request.user, project):
        raise NotAllowed("Only members who translate or review may dismiss a check's finding.")
    if request.method != "POST":
        if finding.dismissed_at is not None:
            return HttpResponse('<p class="small text-body-secondary mb-0">Already dismissed.</p>')
        url = request.path
        return HttpResponse(dismiss_form_html(finding.pk, finding.translation_id, url=url, csrf_token=get_token(request)))
    check_finding_dismiss(finding=finding, user=request.user, reason=request.POST.get("reason", ""))
    translation = finding.translation
    if not request.htmx:
        messages.success(request, "Finding dismissed; the reason is recorded in its history.")
        return redirect("workspace", project.slug, translation.segment.document_id, translation.language)
    findings = open_findings([translation]).get(translation.pk, [])
    return HttpResponse(
        findings_html(translation, findings, dismiss_url=dismiss_link(project.slug), can_dismiss=True)
    )
