"""API routes (see config/urls_api.py): object histories, a document as it stood, exports and imports."""

from django.urls import path

from . import history, interchange

urlpatterns = [
    path("projects/<slug:slug>/history/<str:kind>/<id:object_id>/", history.HistoryView.as_view(), name="history"),
    path(
        "projects/<slug:slug>/documents/<id:document_id>/as-of/",
        history.DocumentAsOfView.as_view(),
        name="document-as-of",
    ),
    path(
        "projects/<slug:slug>/documents/<id:document_id>/exports/<str:fmt>/",
        interchange.DocumentExportView.as_view(),
        name="document-export",
    ),
    path("projects/<slug:slug>/exports/<str:fmt>/", interchange.ProjectExportView.as_view(), name="project-export"),
    path(
        "projects/<slug:slug>/documents/<id:document_id>/imports/",
        interchange.DocumentImportView.as_view(),
        name="document-import",
    ),
]
