from django.urls import path

from .views import audit_detail

urlpatterns = [
    path("audit/e/<id:event_id>/", audit_detail.audit_event, name="audit_event"),
    path("p/<slug:slug>/d/<id:document_id>/as-of/", audit_detail.document_as_of, name="document_as_of"),
    path(
        "p/<slug:slug>/s/<id:segment_id>/restore-version/",
        audit_detail.segment_restore_version,
        name="segment_restore_version",
    ),
    path(
        "p/<slug:slug>/t/<id:translation_id>/restore-version/",
        audit_detail.translation_restore_version,
        name="translation_restore_version",
    ),
]
