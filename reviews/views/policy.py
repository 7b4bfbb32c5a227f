"""Project review policy and final editors, editable by managers.

Every change is recorded in the project's or membership's history; a policy
change never re-derives states, so it cannot silently approve anything."""

import re

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from translations import services
from translations.forms import normalised_text
from translations.models import Membership, Role
from translations.permissions import Action
from translations.views.access import project_for

from ..forms import QualityPolicyForm
from ..models import QualityPolicy
from ..selectors.quality import quality_policy_of
from ..services.quality import quality_policy_update


class PolicyForm(forms.Form):
    required_approvals = forms.IntegerField(min_value=1, max_value=10, label="Distinct approvals required")
    allow_self_approval = forms.BooleanField(required=False, label="Reviewers may approve their own translations")
    final_stage_required = forms.BooleanField(
        required=False, label="Require a final edit after review (managers or designated final editors)"
    )
    translators_may_create_documents = forms.BooleanField(required=False, label="Translators may create documents")
    reason = forms.CharField(max_length=300, label="Why the change", help_text="Recorded in the project's history.")

    def clean_reason(self):
        return normalised_text(self.cleaned_data["reason"], field="reason")


def project_policy(request, slug):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    initial = {name: getattr(project, name) for name in PolicyForm.base_fields if name != "reason"}
    form = PolicyForm(request.POST if request.POST.get("form") == "policy" else None, initial=initial)
    if request.method == "POST" and request.POST.get("form") == "final_editor":
        membership_id = request.POST.get("membership", "")
        if not re.fullmatch(r"[0-9]{1,18}", membership_id):
            raise Http404("No such member of this project.")
        membership = get_object_or_404(Membership.objects.select_related("user"), project=project, pk=membership_id)
        services.membership_set(
            project=project, user=request.user, member=membership.user, role=membership.role,
            is_final_editor=request.POST.get("is_final_editor") == "on",
        )
        messages.success(request, f"Updated {membership.user.get_full_name() or membership.user.username}.")
        return redirect("project_policy", project.slug)
    policy = quality_policy_of(project)
    shown = policy or QualityPolicy(project=project)  # an unsaved row holds the defaults
    quality_initial = {name: getattr(shown, name) for name in QualityPolicyForm.base_fields
                       if name not in ("reason", "shares_memory")}
    quality_form = QualityPolicyForm(
        request.POST if request.POST.get("form") == "quality" else None,
        initial={**quality_initial, "shares_memory": project.shares_memory},
        auto_id="id_quality_%s",  # the review policy form beside it has a "reason" field too
    )
    if request.method == "POST" and request.POST.get("form") == "quality" and quality_form.is_valid():
        data = quality_form.cleaned_data
        quality_policy_update(
            project=project, user=request.user, weight_neutral=data["weight_neutral"],
            weight_minor=data["weight_minor"], weight_major=data["weight_major"],
            weight_critical=data["weight_critical"], pass_threshold=data["pass_threshold"],
            length_ratio_tolerance=data["length_ratio_tolerance"], shares_memory=data["shares_memory"],
            reason=data["reason"],
        )
        messages.success(request, "Quality policy saved. Scores use the new weights and pass mark from now on.")
        return redirect(reverse("project_policy", args=[project.slug]) + "#quality")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.project_policy_update(
            project=project, user=request.user, required_approvals=data["required_approvals"],
            allow_self_approval=data["allow_self_approval"], final_stage_required=data["final_stage_required"],
            translators_may_create_documents=data["translators_may_create_documents"], reason=data["reason"],
        )
        messages.success(request, "Policy saved. It applies to decisions from now on; nothing was re-approved.")
        return redirect("project_policy", project.slug)
    members = Membership.objects.filter(project=project).select_related("user").order_by("role", "user__username")
    return render(request, "reviews/policy.html", {
        "project": project, "form": form, "quality_form": quality_form, "members": members, "crumb": None, "Role": Role,
        "policy_history": project.history.select_related("history_user")[:10],
        "quality_history": policy.history.select_related("history_user")[:5] if policy else [],
    })
