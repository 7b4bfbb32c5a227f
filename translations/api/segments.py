"""The transcription: segments listed, added, edited, split, merged, moved, deleted, restored.

Each write goes through the same service as the web editor, so history,
renumbering and the re-review of translations after a real source change
(invariant 5) happen exactly as in the browser. Edits, splits, merges and
deletions name the version they start from; a stale one is a 409 carrying
the current text and the attempted one (invariant 6). Deleting only flags
a segment: it stays readable (``?include_deleted=true``) and restorable.
"""

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from .. import services
from ..models import Segment
from ..permissions import Action
from ..services.segments import MAX_SOURCE_LENGTH
from ..views.access import document_in, segment_in
from .base import ProjectScoped
from .documents import REASON_PARAMETER, ReasonField, reason_from_query

MAX_PASTE_LENGTH = 500_000  # as the web paste form
MAX_INT = 2**31 - 1
SPLIT_MODES = [("line", "One segment per line"), ("sentence", "One segment per sentence")]


def _version(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_INT, **kwargs)


class SegmentSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="document_id", read_only=True)

    class Meta:
        model = Segment
        fields = ["id", "document", "position", "source_text", "version", "is_deleted", "created_at", "updated_at"]
        read_only_fields = fields


class SegmentListAnswer(serializers.Serializer):
    segments = SegmentSerializer(many=True)


class SegmentCreateSerializer(serializers.Serializer):
    """Either one segment (``source_text``, optionally at ``position``) or pasted
    ``text`` split into segments by ``mode`` and appended, all or nothing."""

    source_text = serializers.CharField(required=False, max_length=MAX_SOURCE_LENGTH, trim_whitespace=False,
                                        help_text="One segment's text.")
    position = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT,
                                        help_text="Insert before the live segment now here; left out: at the end.")
    text = serializers.CharField(required=False, max_length=MAX_PASTE_LENGTH, trim_whitespace=False,
                                 help_text="Text to split into segments and append.")
    mode = serializers.ChoiceField(choices=SPLIT_MODES, required=False, default="line",
                                   help_text="How to split `text`.")
    reason = ReasonField()

    def validate(self, data):
        if ("source_text" in data) == ("text" in data):
            raise serializers.ValidationError("Send either source_text (one segment) or text (to split), not both.")
        if "text" in data and "position" in data:
            raise serializers.ValidationError({"position": ["Split text is always appended at the end."]})
        return data


class SegmentEditSerializer(serializers.Serializer):
    base_version = _version(help_text="The version you started from.")
    source_text = serializers.CharField(max_length=MAX_SOURCE_LENGTH, trim_whitespace=False)
    reason = ReasonField()


class SegmentSplitSerializer(serializers.Serializer):
    base_version = _version()
    at = serializers.IntegerField(min_value=0, max_value=MAX_SOURCE_LENGTH,
                                  help_text="Character offset: the text from here on becomes a new segment.")
    reason = ReasonField()


class SegmentMergeSerializer(serializers.Serializer):
    base_version = _version(help_text="This segment's version.")
    next_base_version = _version(help_text="The version of the live segment after it.")
    reason = ReasonField()


class SegmentMoveSerializer(serializers.Serializer):
    to_position = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    reason = ReasonField()


class SegmentRestoreSerializer(serializers.Serializer):
    reason = ReasonField()


class SegmentDeleteQuery(serializers.Serializer):
    base_version = _version()


class SegmentFilter(django_filters.FilterSet):
    include_deleted = django_filters.BooleanFilter(
        method="_keep", help_text="true: deleted segments too (they keep their last position)."
    )
    q = django_filters.CharFilter(field_name="source_text", lookup_expr="icontains", max_length=200,
                                  help_text="Part of the source text.")

    class Meta:
        model = Segment
        fields = ["include_deleted", "q"]

    def _keep(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_deleted"):
            queryset = queryset.filter(is_deleted=False)
        return queryset


def _answer(*segments, status_code=status.HTTP_200_OK):
    return Response({"segments": SegmentSerializer(segments, many=True).data}, status=status_code)


@extend_schema(tags=["segments"])
class SegmentListView(ProjectScoped, generics.ListAPIView):
    """A document's transcription in order; POST adds one segment, or splits pasted text into segments."""

    serializer_class = SegmentSerializer
    write_action = Action.TRANSCRIBE
    filterset_class = SegmentFilter
    ordering = ["position", "id"]
    ordering_fields = ["position", "updated_at", "id"]
    queryset = Segment.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Segment.objects.none()
        return Segment.objects.filter(document=document_in(self.project, self.kwargs["document_id"]))

    # ``many=True`` tells the schema this is a list: the view's ``action`` (a permission) hides it otherwise.
    @extend_schema(responses=SegmentSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=SegmentCreateSerializer, responses={201: SegmentListAnswer})
    def post(self, request, *args, **kwargs):
        document = document_in(self.project, self.kwargs["document_id"])
        incoming = SegmentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if "text" in data:
            created = services.segments_append_from_text(
                document=document, user=request.user, text=data["text"], mode=data["mode"], reason=data["reason"]
            )
        else:
            created = [services.segment_create(document=document, user=request.user, source_text=data["source_text"],
                                               position=data.get("position"), reason=data["reason"])]
        return _answer(*created, status_code=status.HTTP_201_CREATED)


class _SegmentScoped(ProjectScoped, generics.GenericAPIView):
    serializer_class = SegmentSerializer
    write_action = Action.TRANSCRIBE
    queryset = Segment.objects.none()

    def get_object(self):
        return segment_in(self.project, self.kwargs["segment_id"])

    def incoming(self, serializer_class):
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data


@extend_schema(tags=["segments"])
class SegmentDetailView(_SegmentScoped, generics.RetrieveAPIView):
    """One segment. PATCH corrects its text naming ``base_version`` (409 if stale);
    DELETE flags it deleted, naming ``?base_version=``."""

    @extend_schema(request=SegmentEditSerializer, responses={200: SegmentSerializer})
    def patch(self, request, *args, **kwargs):
        segment = self.get_object()
        data = self.incoming(SegmentEditSerializer)
        segment = services.segment_edit(segment=segment, user=request.user, base_version=data["base_version"],
                                        source_text=data["source_text"], reason=data["reason"])
        return Response(SegmentSerializer(segment).data)

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("base_version", int, required=True, description="The version you are deleting."),
                    REASON_PARAMETER],
        responses={200: SegmentSerializer},
    )
    def delete(self, request, *args, **kwargs):
        """Flag the segment deleted (it stays on record, restorable); answers it."""
        segment = self.get_object()
        query = SegmentDeleteQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        segment = services.segment_delete(segment=segment, user=request.user,
                                          base_version=query.validated_data["base_version"],
                                          reason=reason_from_query(request))
        return Response(SegmentSerializer(segment).data)


@extend_schema(tags=["segments"])
class SegmentSplitView(_SegmentScoped):
    """Split at a character offset: the head keeps the segment (new version), the tail becomes the next segment."""

    @extend_schema(request=SegmentSplitSerializer, responses={200: SegmentListAnswer})
    def post(self, request, *args, **kwargs):
        segment = self.get_object()
        data = self.incoming(SegmentSplitSerializer)
        head, tail = services.segment_split(segment=segment, user=request.user, base_version=data["base_version"],
                                            at=data["at"], reason=data["reason"])
        return _answer(head, tail)


@extend_schema(tags=["segments"])
class SegmentMergeView(_SegmentScoped):
    """Merge with the following live segment, which is flagged deleted; both versions must be current."""

    @extend_schema(request=SegmentMergeSerializer, responses={200: SegmentSerializer})
    def post(self, request, *args, **kwargs):
        segment = self.get_object()
        data = self.incoming(SegmentMergeSerializer)
        segment = services.segment_merge(segment=segment, user=request.user, base_version=data["base_version"],
                                         next_base_version=data["next_base_version"], reason=data["reason"])
        return Response(SegmentSerializer(segment).data)


@extend_schema(tags=["segments"])
class SegmentMoveView(_SegmentScoped):
    """Move to a position among the live segments (clamped to 1..n); the others are renumbered."""

    @extend_schema(request=SegmentMoveSerializer, responses={200: SegmentSerializer})
    def post(self, request, *args, **kwargs):
        segment = self.get_object()
        data = self.incoming(SegmentMoveSerializer)
        segment = services.segment_move(segment=segment, user=request.user, to_position=data["to_position"],
                                        reason=data["reason"])
        return Response(SegmentSerializer(segment).data)


@extend_schema(tags=["segments"])
class SegmentRestoreView(_SegmentScoped):
    """Bring a deleted segment back, at the end of the document."""

    @extend_schema(request=SegmentRestoreSerializer, responses={200: SegmentSerializer})
    def post(self, request, *args, **kwargs):
        segment = self.get_object()
        data = self.incoming(SegmentRestoreSerializer)
        segment = services.segment_restore(segment=segment, user=request.user, reason=data["reason"])
        return Response(SegmentSerializer(segment).data)
