"""A user's own API tokens: list, make, revoke. Any signed-in user; nobody else's tokens.

A new token's secret is in the one answer that makes it (rendered straight
from the POST, never stored in the session, never cached) and nowhere else:
the database keeps only its digest. Another user's token id is 404, as if it
did not exist.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..exceptions import DomainError
from ..models import ApiToken
from ..services import tokens as token_services

PAGE = "translations/api_tokens.html"
REVOKED_SHOWN = 50


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Name",
        help_text="What will use it, e.g. “CMS import” or “CAT tool on my laptop”.",
        error_messages={"required": "Name the token after what will use it."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("api_tokens")
        self.helper.layout = Layout(Field("name", autocomplete="off"), Submit("create", "Make a token"))


@never_cache
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    made = secret = None
    if form.is_bound and form.is_valid():
        try:
            made, secret = token_services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    context = {
        "form": form,
        "made": made,
        "secret": secret,
        "live": list(tokens.filter(revoked_at__isnull=True).order_by("-created_at", "-id")),
        "revoked": list(tokens.filter(revoked_at__isnull=False).order_by("-revoked_at", "-id")[:REVOKED_SHOWN]),
        "revoked_shown": REVOKED_SHOWN,
        "max_live": token_services.MAX_LIVE_TOKENS,
        "projects_url": request.build_absolute_uri(reverse("api:project-list")),
    }
    return render(request, PAGE, context, status=400 if form.errors else 200)


@require_POST
def api_token_revoke(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token_services.api_token_revoke(token=token, user=request.user)
    messages.success(request, f"Revoked “{token.name}”: requests with it are refused from now on.")
    return redirect("api_tokens")
