from django.urls import path

from .views import comments, preferences

urlpatterns = [
    path("p/<slug:slug>/s/<id:segment_id>/comments/", comments.segment_comments, name="segment_comments"),
    path("account/notifications/", preferences.notification_preferences, name="notification_preferences"),
]
