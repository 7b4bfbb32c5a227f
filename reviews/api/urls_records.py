"""API routes (see config/urls_api.py): the approved rendering and the audit trail."""

from django.urls import path

from . import audit, rendering

urlpatterns = [
    path(
        "projects/<slug:slug>/documents/<id:document_id>/rendering/<str:language>/",
        rendering.RenderingView.as_view(),
        name="rendering",
    ),
    path("audit/", audit.AuditTrailView.as_view(), name="audit-list"),
    path("projects/<slug:slug>/audit/", audit.ProjectAuditTrailView.as_view(), name="project-audit-list"),
    path("audit/<id:event_id>/", audit.AuditEventView.as_view(), name="audit-detail"),
]
