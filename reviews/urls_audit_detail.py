from django.http import Http404
from django.urls import path


def _pending(request, *args, **kwargs):
    raise Http404("Not built yet.")


urlpatterns = [
    path("audit/e/<int:event_id>/", _pending, name="audit_event"),
    path("p/<slug:slug>/d/<int:document_id>/as-of/", _pending, name="document_as_of"),
    path("p/<slug:slug>/s/<int:segment_id>/restore-version/", _pending, name="segment_restore_version"),
    path("p/<slug:slug>/t/<int:translation_id>/restore-version/", _pending, name="translation_restore_version"),
]
