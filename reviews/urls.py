from django.urls import path

from .views import policy, queue

urlpatterns = [
    path("review/", queue.review_queue, name="review_queue"),
    path("review/t/<int:translation_id>/decide/", queue.review_decide, name="review_decide"),
    path("review/bulk/", queue.review_bulk, name="review_bulk"),
    path("p/<slug:slug>/policy/", policy.project_policy, name="project_policy"),
]
