"""Project review policy and final editors, editable by managers.

Every change is recorded in the project's or membership's history; a policy
change never re-derives states, so it cannot silently approve anything."""

import re

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from translations import services
from translations.forms import normalised_text
from translations.models import Membership, Role
from translations.permissions import Action
from translations.views.access import project_for


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
        "project": project, "form": form, "members": members, "crumb": None, "Role": Role,
        "policy_history": project.history.select_related("history_user")[:10],
    })
