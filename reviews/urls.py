from django.urls import path

from .views import policy, queue

urlpatterns = [
    path("review/", queue.review_queue, name="review_queue"),
    path("review/t/<id:translation_id>/decide/", queue.review_decide, name="review_decide"),
    path("review/bulk/", queue.review_bulk, name="review_bulk"),
    path("p/<slug:slug>/policy/", policy.project_policy, name="project_policy"),
]

from .views import audit  # noqa: E402

urlpatterns += [
    path("audit/", audit.audit_trail, name="audit_trail"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
]
