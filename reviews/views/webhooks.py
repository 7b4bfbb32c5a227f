"""A project's webhooks, for its managers (Action.MANAGE_POLICY): add, switch,
give a new secret, remove, and see what was sent.

A secret is shown in the one answer that makes it (rendered from that POST,
never cached, never kept in the session) and nowhere else. Every change goes
through ``reviews.webhooks`` and is in the project's history.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from translations.exceptions import DomainError
from translations.permissions import Action
from translations.views.access import project_for

from ..models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent
from ..webhooks import (
    EVENT_SHAPES, MAX_HOOKS_PER_PROJECT, webhook_create, webhook_delete, webhook_secret_rotate, webhook_update,
)
from ..webhooks.addresses import MAX_URL_LENGTH

PAGE = "reviews/webhooks.html"
RECENT = 20


class WebhookForm(forms.Form):
    url = forms.URLField(
        max_length=MAX_URL_LENGTH, label="Address",
        help_text="Where to POST the events: an http(s) address of your CMS or integration.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label="Send",
        initial=[WebhookEvent.TRANSLATION_APPROVED], error_messages={"required": "Choose at least one event."},
    )


def _page(request, project, form, *, secret=None, secret_hook=None, status=200):
    hooks = list(Webhook.objects.filter(project=project).select_related("created_by").order_by("id"))
    counts = {}
    for webhook_id, state, n in (
        WebhookDelivery.objects.filter(webhook__project=project).values("webhook_id", "state")
        .annotate(n=Count("id")).values_list("webhook_id", "state", "n")
    ):
        counts.setdefault(webhook_id, {})[state] = n
    for hook in hooks:
        hook.delivery_counts = [
            (label, counts.get(hook.pk, {}).get(value, 0), value) for value, label in DeliveryState.choices
        ]
    recent = list(
        WebhookDelivery.objects.filter(webhook__project=project).select_related("webhook").order_by("-id")[:RECENT]
    )
    context = {
        "project": project,
        "crumb": "Webhooks",
        "form": form,
        "hooks": hooks,
        "recent": recent,
        "secret": secret,
        "secret_hook": secret_hook,
        "max_hooks": MAX_HOOKS_PER_PROJECT,
        "event_shapes": [(str(name), shape) for name, shape in EVENT_SHAPES.items()],
    }
    return render(request, PAGE, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def project_webhooks(request, slug):
    project = project_for(request, slug, Action.MANAGE_POLICY)
    if request.method != "POST":
        return _page(request, project, WebhookForm())
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            hook, secret = webhook_create(
                project=project, user=request.user, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
        except DomainError as error:
            form.add_error("url", error.message)
        else:
            return _page(request, project, WebhookForm(), secret=secret, secret_hook=hook)
    return _page(request, project, form, status=400)


@never_cache
@require_POST
def webhook_change(request, slug, webhook_id):
    """``do``: on, off, rotate (answers the new secret) or delete."""
    project = project_for(request, slug, Action.MANAGE_POLICY)
    hook = get_object_or_404(Webhook.objects.select_related("project"), project=project, pk=webhook_id)
    do = request.POST.get("do", "")
    try:
        if do in ("on", "off"):
            webhook_update(webhook=hook, user=request.user, is_active=do == "on")
            messages.success(request, f"The webhook to {hook.url} is switched {do}.")
        elif do == "rotate":
            hook, secret = webhook_secret_rotate(webhook=hook, user=request.user)
            return _page(request, project, WebhookForm(), secret=secret, secret_hook=hook)
        elif do == "delete":
            webhook_delete(webhook=hook, user=request.user)
            messages.success(request, f"The webhook to {hook.url} is removed; its history stays.")
        else:
            messages.error(request, "Choose what to do with the webhook.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("project_webhooks", project.slug)
