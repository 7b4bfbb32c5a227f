"""A project's members and their roles.

Every member may see who else is in the project (as on the policy page);
only those who may manage members add, change or remove them, through the
same ``membership_set`` / ``membership_remove`` services, so each change is
in the membership's history with the manager's name.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from .. import services
from ..models import Membership, Role
from ..permissions import Action
from .base import ProjectScoped
from .documents import REASON_PARAMETER, ReasonField, reason_from_query


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["username", "full_name", "role", "is_final_editor", "created_at"]
        read_only_fields = fields

    def get_full_name(self, membership) -> str:
        return membership.user.get_full_name()


class MemberAddSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="An existing, active user.")
    role = serializers.ChoiceField(choices=Role.choices)
    is_final_editor = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="Left out: unchanged for an existing member, false for a new one.",
    )
    reason = ReasonField()

    def validate_username(self, username):
        member = get_user_model().objects.filter(username=username, is_active=True).first()
        if member is None:
            raise serializers.ValidationError(f"There is no active user named {username!r}.")
        return member


class MemberChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    is_final_editor = serializers.BooleanField(required=False, allow_null=True, default=None)
    reason = ReasonField()


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_final_editor = django_filters.BooleanFilter()
    username = django_filters.CharFilter(field_name="user__username", lookup_expr="icontains",
                                         help_text="Part of the username.")

    class Meta:
        model = Membership
        fields = ["role", "is_final_editor", "username"]


def _memberships(project):
    # ``username`` as an annotation lets the cursor order by it (cursors cannot follow relations).
    return Membership.objects.filter(project=project).select_related("user").annotate(username=F("user__username"))


@extend_schema(tags=["members"])
class MemberListView(ProjectScoped, generics.ListAPIView):
    """Members of the project with their roles; POST adds a member or changes an existing member's role."""

    serializer_class = MemberSerializer
    write_action = Action.MANAGE_MEMBERS
    filterset_class = MemberFilter
    ordering = ["username", "id"]
    ordering_fields = ["username", "role", "created_at", "id"]
    queryset = Membership.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return _memberships(self.project)

    # ``many=True`` tells the schema this is a list: the view's ``action`` (a permission) hides it otherwise.
    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MemberAddSerializer,
        responses={201: OpenApiResponse(MemberSerializer, description="Added."),
                   200: OpenApiResponse(MemberSerializer, description="Already a member: role changed.")},
    )
    def post(self, request, *args, **kwargs):
        incoming = MemberAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        existed = Membership.objects.filter(project=self.project, user=data["username"]).exists()
        membership = services.membership_set(
            project=self.project, user=request.user, member=data["username"], role=data["role"],
            is_final_editor=data["is_final_editor"], reason=data["reason"],
        )
        answer = MemberSerializer(_memberships(self.project).get(pk=membership.pk)).data
        return Response(answer, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


@extend_schema(tags=["members"])
class MemberDetailView(ProjectScoped, generics.RetrieveAPIView):
    """One member. PUT/PATCH change the role or the final-editor mark; DELETE removes the member."""

    serializer_class = MemberSerializer
    write_action = Action.MANAGE_MEMBERS
    queryset = Membership.objects.none()

    def get_object(self):
        username = self.kwargs["username"]
        if "\x00" in username:  # no username holds one, and PostgreSQL refuses it in a query
            raise Http404("No such member of this project.")
        membership = _memberships(self.project).filter(user__username=username).first()
        if membership is None:
            raise Http404("No such member of this project.")
        return membership

    def _change(self, request, *, partial: bool):
        membership = self.get_object()
        incoming = MemberChangeSerializer(data=request.data, partial=partial)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        services.membership_set(
            project=self.project, user=request.user, member=membership.user,
            role=data.get("role", membership.role), is_final_editor=data.get("is_final_editor"),
            reason=data.get("reason", ""),
        )
        return Response(MemberSerializer(self.get_object()).data)

    @extend_schema(request=MemberChangeSerializer, responses={200: MemberSerializer})
    def put(self, request, *args, **kwargs):
        return self._change(request, partial=False)

    @extend_schema(request=MemberChangeSerializer, responses={200: MemberSerializer})
    def patch(self, request, *args, **kwargs):
        return self._change(request, partial=True)

    @extend_schema(request=None, responses={204: None}, parameters=[REASON_PARAMETER])
    def delete(self, request, *args, **kwargs):
        membership = self.get_object()
        reason = reason_from_query(request)
        services.membership_remove(project=self.project, user=request.user, member=membership.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)
