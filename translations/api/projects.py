"""Projects the caller belongs to (all, for site admins), with their role."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from ..models import Project
from ..permissions import role_in, visible_project_ids
from .base import ApiMixin, ProjectScoped


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in the project (null for a site admin who is no member).")

    class Meta:
        model = Project
        fields = [
            "slug", "name", "description", "source_language", "target_languages", "required_approvals",
            "allow_self_approval", "final_stage_required", "translators_may_create_documents", "shares_memory",
            "created_at", "role",
        ]
        read_only_fields = fields

    def get_role(self, project) -> str | None:
        return role_in(self.context["request"].user, project)


@extend_schema(tags=["projects"])
class ProjectListView(ApiMixin, generics.ListAPIView):
    """Projects you are a member of (site admins: every project)."""

    serializer_class = ProjectSerializer
    ordering_fields = ["name", "slug", "created_at"]
    ordering = ["slug"]
    filterset_fields = {"source_language": ["exact"], "slug": ["exact"], "name": ["icontains"]}

    def get_queryset(self):
        ids = visible_project_ids(self.request.user)
        projects = Project.objects.all()
        return projects if ids is None else projects.filter(Q(pk__in=ids))


@extend_schema(tags=["projects"])
class ProjectDetailView(ProjectScoped, generics.RetrieveAPIView):
    serializer_class = ProjectSerializer

    def get_object(self):
        return self.project
