"""/api/v1/: every resource module's routes, the OpenAPI schema and its docs.

All names live in the ``api`` namespace (``api:project-detail`` ...); the
access walk (tests/api/test_api_access_walk.py) requires each of them.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from translations.api import projects, tokens
from translations.api.base import ApiMixin, NoSuchAddress

app_name = "api"


class SchemaView(ApiMixin, SpectacularAPIView):
    pass


class DocsView(ApiMixin, SpectacularSwaggerSplitView):
    pass


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
    # Last: every other address under /api/v1/ answers a JSON 404, not Django's HTML page.
    re_path(r"^", NoSuchAddress.as_view()),
]
