"""API routes (see config/urls_api.py): reviews, comments, the review queue."""

from django.urls import path

from . import comments, queue, reviews

urlpatterns = [
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/reviews/",
        reviews.ReviewListView.as_view(),
        name="review-list",
    ),
    path(
        "projects/<slug:slug>/segments/<id:segment_id>/comments/",
        comments.SegmentCommentListView.as_view(),
        name="segment-comment-list",
    ),
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/comments/",
        comments.TranslationCommentListView.as_view(),
        name="translation-comment-list",
    ),
    path("review-queue/", queue.ReviewQueueView.as_view(), name="review-queue"),
    path("review-queue/decide/", queue.ReviewQueueDecideView.as_view(), name="review-queue-decide"),
]
