"""/api/v1/: every resource module's routes, the OpenAPI schema and its docs.

All names live in the ``api`` namespace (``api:project-detail`` ...); the
access walk (tests/api/test_api_access_walk.py) requires each of them.
"""

import base64
import hashlib
import re
from functools import cache

from django.conf import settings
from django.template.loader import get_template
from django.urls import include, path, re_path
from django.utils.csp import CSP
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from translations.api import projects, tokens
from translations.api.base import ApiMixin, NoSuchAddress

app_name = "api"


class SchemaView(ApiMixin, SpectacularAPIView):
    pass


@cache
def _inline_style_hashes(template_name: str) -> tuple[str, ...]:
    """CSP hash sources of the literal <style> blocks in a template."""
    source = get_template(template_name).template.source
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
        for css in re.findall(r"<style>(.*?)</style>", source, re.DOTALL)
    )


class DocsView(ApiMixin, SpectacularSwaggerSplitView):
    """Swagger UI from our own static files. drf-spectacular's page carries one inline
    <style> (page margin and background); the policy of this page alone admits that
    block by its hash, so no page anywhere may use inline styles."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        policy = settings.SECURE_CSP  # read per response: tests switch it off
        if policy:
            styles = list(policy.get("style-src", [CSP.SELF]))
            # What django.views.decorators.csp.csp_override sets, built per response from the settings.
            response._csp_config = {**policy, "style-src": [*styles, *_inline_style_hashes(self.template_name)]}
        return response


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("tokens/", tokens.ApiTokenListView.as_view(), name="token-list"),
    path("tokens/<id:pk>/", tokens.ApiTokenDetailView.as_view(), name="token-detail"),
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    path("projects/<slug:slug>/", projects.ProjectDetailView.as_view(), name="project-detail"),
    path("", include("translations.api.urls_material")),
    path("", include("translations.api.urls_translations")),
    path("", include("translations.api.urls_records")),
    path("", include("reviews.api.urls_review")),
    path("", include("reviews.api.urls_records")),
    path("", include("reviews.api.urls_webhooks")),
    path("", include("translations.api.urls_aids")),
    path("", include("reviews.api.urls_aids")),
    # Last: every other address under /api/v1/ answers a JSON 404, not Django's HTML page.
    re_path(r"^", NoSuchAddress.as_view()),
]
