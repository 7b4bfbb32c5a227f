from django.contrib import admin

from .admin_base import ReadOnlyTrackedAdmin, TrackedAdmin
from .models import Document, DocumentImage, Membership, Project, Segment, Translation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    readonly_fields = ["user", "role", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(TrackedAdmin):
    list_display = ["name", "slug", "source_language", "required_approvals", "allow_self_approval"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(TrackedAdmin):
    list_display = ["user", "project", "role"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Document)
class DocumentAdmin(TrackedAdmin):
    list_display = ["title", "project", "authenticity", "reference_number", "created_at"]
    list_filter = ["authenticity", "project"]
    search_fields = ["title", "reference_number"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DocumentImage)
class DocumentImageAdmin(ReadOnlyTrackedAdmin):
    list_display = ["document", "position", "original_filename", "sha256", "byte_size"]
    search_fields = ["sha256", "original_filename"]


@admin.register(Segment)
class SegmentAdmin(ReadOnlyTrackedAdmin):
    list_display = ["document", "position", "source_text", "version", "is_deleted"]
    list_filter = ["is_deleted"]
    list_select_related = ["document"]
    search_fields = ["source_text"]


@admin.register(Translation)
class TranslationAdmin(ReadOnlyTrackedAdmin):
    list_display = ["segment", "language", "author", "version", "state", "is_published"]
    list_filter = ["state", "is_published", "language"]
    list_select_related = ["segment", "author"]
    search_fields = ["text"]
