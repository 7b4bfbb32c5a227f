from django.urls import path

from .views import rendering

urlpatterns = [
    path(
        "p/<slug:slug>/d/<id:document_id>/rendering/<str:language>/",
        rendering.document_rendering,
        name="approved_rendering",
    ),
]
