from django.urls import path

from .views import interchange

urlpatterns = [
    path(
        "p/<slug:slug>/d/<id:document_id>/export/<str:language>/<str:fmt>/",
        interchange.document_export,
        name="document_export",
    ),
    path("p/<slug:slug>/export/<str:language>/<str:fmt>/", interchange.project_export, name="project_export"),
    path("p/<slug:slug>/d/<id:document_id>/import/", interchange.document_import, name="document_import"),
]
