"""Decisions on translation versions: the record of a translation's reviews, and a new one.

A decision names the version it judges (invariant 2): one on a version that
is no longer current is refused with 409 and the current text, nothing
recorded. The rest is ``review_record``'s, as in the queue's inline decision
(``reviews.views.queue.review_decide``): four eyes (403 on one's own work
unless the project allows it), the final-edit stage where the project
requires one, and publication of exactly the approved text (invariant 4).
"""

from functools import cached_property

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from translations.api.base import ProjectListCreate
from translations.api.translations import MAX_VERSION
from translations.permissions import Action
from translations.views.access import translation_in

from ..models import Decision, Review, Stage
from ..services import review_record
from ..services.decisions import MAX_COMMENT_LENGTH


class ReviewSerializer(serializers.ModelSerializer):
    translation = serializers.IntegerField(source="translation_id", read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    counts = serializers.SerializerMethodField(
        help_text="Whether this decision is about the translation's current text against the segment's current "
        "source; decisions on older versions stay on record but no longer count."
    )

    class Meta:
        model = Review
        fields = [
            "id", "translation", "version", "decision", "stage", "comment", "reviewer", "text", "source_text",
            "created_at", "counts",
        ]
        read_only_fields = fields

    def get_counts(self, review) -> bool:
        translation = self.context["translation"]
        return review.text_hash == translation.text_hash and review.source_hash == translation.segment.source_hash


class DecidedSerializer(ReviewSerializer):
    """A decision just recorded, with what it did to the translation."""

    translation_state = serializers.CharField(source="translation.state", read_only=True)
    is_published = serializers.BooleanField(source="translation.is_published", read_only=True)
    published_version = serializers.IntegerField(source="translation.published_version", read_only=True, allow_null=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "translation_state", "is_published", "published_version"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_VERSION, help_text="The version you judged; if it is no longer current the answer is 409."
    )
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        max_length=MAX_COMMENT_LENGTH, required=False, allow_blank=True, trim_whitespace=False, default="",
        help_text="Required to reject or request changes.",
    )


class ReviewFilter(django_filters.FilterSet):
    decision = django_filters.ChoiceFilter(choices=Decision.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    version = django_filters.NumberFilter(min_value=1, max_value=MAX_VERSION)
    reviewer = django_filters.CharFilter(field_name="reviewer__username", max_length=150, help_text="The reviewer's username.")

    class Meta:
        model = Review
        fields = ["decision", "stage", "version", "reviewer"]


@extend_schema(tags=["reviews"])
class ReviewListView(ProjectListCreate):
    """Every decision on a translation, oldest first, each naming the version and the text it judged.

    POST records your decision (Action.REVIEW) on ``version``, which must be the
    current one (409 otherwise, with ``current_version`` and ``current_text``);
    your own work is refused with 403 unless the project allows self-approval;
    where the project has a final-edit stage, a reviewed version's decision is
    that stage's and needs a manager or designated final editor."""

    action = Action.VIEW
    write_action = Action.REVIEW
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering = ["id"]
    ordering_fields = ["id", "created_at", "version"]

    @cached_property
    def translation(self):
        return translation_in(self.project, self.kwargs["translation_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return Review.objects.filter(translation=self.translation).select_related("reviewer")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["translation"] = self.translation
        return context

    @extend_schema(request=DecisionSerializer, responses={201: DecidedSerializer})
    def post(self, request, *args, **kwargs):
        translation = self.translation  # another project's translation is 404 whatever the body
        incoming = DecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        review = review_record(
            translation=translation, reviewer=request.user, version=data["version"], decision=data["decision"],
            comment=data["comment"],
        )
        # The service's own locked instance: state and publication as just written, no reload.
        review.reviewer = request.user
        context = {"translation": review.translation}
        return Response(DecidedSerializer(review, context=context).data, status=status.HTTP_201_CREATED)
