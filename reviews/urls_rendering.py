from django.urls import path

from .views import rendering

urlpatterns = [
    path(
        "p/<slug:slug>/d/<int:document_id>/rendering/<str:language>/",
        rendering.document_rendering,
        name="approved_rendering",
    ),
]
