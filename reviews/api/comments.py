"""Discussion of a segment and of its translations.

As in the web thread (``reviews.views.comments``): members read, auditors
included; posting needs Action.COMMENT; ``comment_create`` resolves the
@mentions to members of the project and tells them after commit. A name that
matches no member is reported back in ``unknown_mentions``, never whether such
a user exists elsewhere.
"""

from functools import cached_property

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from translations.api.base import ProjectListCreate
from translations.permissions import Action
from translations.views.access import segment_in, translation_in

from ..models import Comment
from ..services import comment_create
from ..services.comments import mentions_resolve, project_members_by_username
from ..services.decisions import MAX_COMMENT_LENGTH


class CommentSerializer(serializers.ModelSerializer):
    segment = serializers.SerializerMethodField(help_text="The segment discussed (a translation's own segment for a comment on it).")
    translation = serializers.IntegerField(
        source="translation_id", read_only=True, allow_null=True, help_text="The translation discussed; null for the segment itself."
    )
    author = serializers.CharField(source="author.username", read_only=True)
    mentions = serializers.SerializerMethodField(help_text="Usernames of the project members the body @mentions.")

    class Meta:
        model = Comment
        fields = ["id", "segment", "translation", "author", "body", "mentions", "created_at"]
        read_only_fields = fields

    def get_segment(self, comment) -> int:
        return comment.segment_id if comment.segment_id else comment.translation.segment_id

    def get_mentions(self, comment) -> list[str]:
        return [member.get_username() for member in comment.mentions.members]


class NewCommentSerializer(CommentSerializer):
    unknown_mentions = serializers.SerializerMethodField(
        help_text="@names that match no member of this project: nobody was told about them."
    )

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "unknown_mentions"]
        read_only_fields = fields

    def get_unknown_mentions(self, comment) -> list[str]:
        return list(comment.mentions.unknown)


class CommentBodySerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MAX_COMMENT_LENGTH, trim_whitespace=False, help_text="Plain text; @username mentions a member of the project."
    )


class CommentFilter(django_filters.FilterSet):
    author = django_filters.CharFilter(field_name="author__username", max_length=150, help_text="The author's username.")
    subject = django_filters.ChoiceFilter(
        choices=[("segment", "segment"), ("translation", "translation")], method="filter_subject",
        help_text="Only the comments on the segment itself, or only those on its translations.",
    )

    class Meta:
        model = Comment
        fields = ["author", "subject"]

    def filter_subject(self, queryset, name, value):
        return queryset.filter(translation__isnull=value == "segment")


class _Thread(ProjectListCreate):
    action = Action.VIEW
    write_action = Action.COMMENT
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    ordering = ["id"]
    ordering_fields = ["id", "created_at"]

    def comments(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return self.comments().select_related("author", "translation")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page:
            members = project_members_by_username(self.project)  # one query for the page's mentions
            for comment in page:
                comment.mentions = mentions_resolve(comment.body, self.project, members_by_username=members)
        return page

    def _post(self, request, **subject):
        incoming = CommentBodySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        comment = comment_create(user=request.user, body=incoming.validated_data["body"], **subject)
        comment.author = request.user
        return Response(NewCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["comments"])
class SegmentCommentListView(_Thread):
    """The discussion of a segment, oldest first: comments on the segment and on
    its translations, as in the web thread. POST comments on the segment itself
    (Action.COMMENT)."""

    @cached_property
    def segment(self):
        return segment_in(self.project, self.kwargs["segment_id"])

    def comments(self):
        return Comment.objects.filter(Q(segment=self.segment) | Q(translation__segment=self.segment))

    @extend_schema(request=CommentBodySerializer, responses={201: NewCommentSerializer})
    def post(self, request, *args, **kwargs):
        return self._post(request, segment=self.segment)


@extend_schema(tags=["comments"])
class TranslationCommentListView(_Thread):
    """The comments on one translation, oldest first. POST adds one (Action.COMMENT)."""

    @cached_property
    def translation(self):
        return translation_in(self.project, self.kwargs["translation_id"])

    def comments(self):
        return Comment.objects.filter(translation=self.translation)

    @extend_schema(request=CommentBodySerializer, responses={201: NewCommentSerializer})
    def post(self, request, *args, **kwargs):
        return self._post(request, translation=self.translation)
