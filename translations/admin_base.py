"""Admin bases that keep the history invariants.

Every admin write names the admin and a reason in history; material whose
changes carry workflow meaning (segments, translations, reviews) is read-only
here, because editing it outside the services would skip versioning and
re-review. History is shown, never editable, and revert is disabled.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .history import delete_tracked, save_tracked


class ReadOnlyHistoryMixin:
    """The admin's per-version form may be viewed, never posted: with revert
    disabled, simple-history would still save a posted form (invariant 7)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class TrackedAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    def save_model(self, request, obj, form, change):
        if change:
            fields = ", ".join(form.changed_data) or "no fields"
            reason = f"Changed in admin: {fields}"
        else:
            reason = "Created in admin"
        save_tracked(obj, user=request.user, reason=reason)

    def delete_model(self, request, obj):
        delete_tracked(obj, user=request.user, reason="Deleted in admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            delete_tracked(obj, user=request.user, reason="Deleted in admin (bulk action)")


class ReadOnlyTrackedAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """Viewable with its history; changed only through the application."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.ModelAdmin.save_on_top = True
