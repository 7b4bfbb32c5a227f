from django.contrib import admin

from translations.admin_base import ReadOnlyTrackedAdmin

from .models import Comment, NotificationPreference, Review


@admin.register(Review)
class ReviewAdmin(ReadOnlyTrackedAdmin):
    list_display = ["translation", "version", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]
    list_select_related = ["reviewer", "translation"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyTrackedAdmin):
    list_display = ["author", "project", "created_at"]
    list_select_related = ["author", "project"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyTrackedAdmin):
    list_display = ["user", "email_on_decision", "email_on_waiting_work", "email_on_mention"]
