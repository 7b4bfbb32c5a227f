"""The review queue: every version awaiting the caller's decision, across their
projects, and one decision on many of them.

The same selector as the web queue (``reviews.selectors.queue``): ``awaiting``
decides what the caller may review, pages are cut on the queue's own keyset
(``updated_at``, ``id``) through the partial index of waiting versions, so a
page costs the same few queries however long the queue is. Bulk decisions go
through ``reviews_record_bulk`` as the web's ``review_bulk`` does, checked per
row; the answer says what happened to each row. A row of a project the caller
does not belong to is reported ``not_found``, like one that does not exist
(invariant 9).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from translations.api.base import ApiMixin
from translations.api.pagination import Cursor
from translations.api.translations import MAX_VERSION, FindingSerializer
from translations.models import Translation, TranslationState
from translations.permissions import visible_project_ids

from ..checks import CHECKS
from ..models import Decision
from ..selectors.queue import AGES, ORDER, WAITING_STATES, awaiting, parse_cursor, queue_page
from ..services import reviews_record_bulk
from ..services.decisions import MAX_BULK, MAX_COMMENT_LENGTH

MAX_ID = 10**18 - 1  # as the web's id converter: fits any primary key, reaches no database otherwise


@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(WAITING_STATES)})$"})
class WaitingStateField(serializers.ChoiceField):
    """A pattern, not an enum: a second enum of translation states, with two of them,
    would collide with the full one in the schema's component names."""


class QueueFilterSerializer(serializers.Serializer):
    """The web queue's filters (``reviews.views.queue.FILTERS``)."""

    project = serializers.SlugField(required=False, allow_blank=True, max_length=100, help_text="A project's slug.")
    document = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="A document's id.")
    language = serializers.CharField(required=False, allow_blank=True, max_length=16, help_text="A target language code.")
    translator = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="The translator's username.")
    state = WaitingStateField(
        required=False, allow_blank=True, choices=[(state.value, state.label) for state in WAITING_STATES],
        help_text="submitted (awaiting review) or reviewed (awaiting final edit).",
    )
    age = serializers.ChoiceField(required=False, allow_blank=True, choices=list(AGES), help_text="Waiting at least this long.")
    check = serializers.ChoiceField(
        required=False, allow_blank=True, choices=[(check.id, check.label) for check in CHECKS.values()],
        help_text="Only versions with an open finding of this automatic check.",
    )


def _filters(data) -> dict:
    return {name: str(value) for name, value in data.items() if value not in (None, "")}


class QueueItemSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="segment.document.project.slug", read_only=True)
    document = serializers.IntegerField(source="segment.document_id", read_only=True)
    document_title = serializers.CharField(source="segment.document.title", read_only=True)
    segment = serializers.IntegerField(source="segment_id", read_only=True)
    segment_position = serializers.IntegerField(source="segment.position", read_only=True)
    source_text = serializers.CharField(source="segment.source_text", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    previous_text = serializers.CharField(
        read_only=True, allow_null=True, help_text="The text of the version before this one, if any."
    )
    published_text = serializers.SerializerMethodField(
        help_text="The approved rendering of this segment and language now published (any candidate's), if any."
    )
    published_version = serializers.SerializerMethodField()
    findings = FindingSerializer(source="open_findings", many=True, read_only=True)

    class Meta:
        model = Translation
        fields = [
            "id", "project", "document", "document_title", "segment", "segment_position", "source_text", "language",
            "author", "text", "note", "version", "state", "submitted_at", "updated_at", "previous_text",
            "published_text", "published_version", "findings",
        ]
        read_only_fields = fields

    def get_published_text(self, translation) -> str | None:
        rendering = translation.published_rendering
        return rendering.published_text if rendering else None

    def get_published_version(self, translation) -> int | None:
        rendering = translation.published_rendering
        return rendering.published_version if rendering else None


class QueuePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueItemSerializer(many=True)


@extend_schema(tags=["review queue"])
class ReviewQueueView(ApiMixin, generics.GenericAPIView):
    """Versions awaiting your decision in every project where you review, oldest first.

    Your own work is left out (unless a project allows self-approval), and so
    is a version you already decided on. Follow ``next`` and ``previous``; the
    cursor is opaque."""

    serializer_class = QueueItemSerializer
    queryset = Translation.objects.none()
    pagination_class = None
    filter_backends = []

    @extend_schema(
        parameters=[
            QueueFilterSerializer,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From a `next` or `previous` link."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1 to {Cursor.max_page_size}; default {Cursor.page_size}."),
        ],
        responses={200: QueuePageSerializer},
    )
    def get(self, request, *args, **kwargs):
        incoming = QueueFilterSerializer(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        after, before = _cursor(request.query_params.get("cursor"))
        page = queue_page(
            awaiting(request.user, filters=_filters(incoming.validated_data)), after=after, before=before,
            size=Cursor().get_page_size(request),
        )
        url = request.build_absolute_uri()
        return Response({
            "next": replace_query_param(url, "cursor", f"n{page.next_cursor}") if page.next_cursor else None,
            "previous": _previous_link(url, page),
            "results": QueueItemSerializer(page.rows, many=True).data,
        })


def _cursor(value: str | None) -> tuple[str | None, str | None]:
    """(after, before) for ``queue_page`` from our cursor: ``n`` (next) or ``p``
    (previous) and a place in the queue order. A malformed one is 404, as in every list."""
    if value is None:
        return None, None
    direction, place = value[:1], value[1:]
    if direction not in ("n", "p") or parse_cursor(place) is None:
        raise NotFound("Invalid cursor.")
    return (place, None) if direction == "n" else (None, place)


def _previous_link(url: str, page) -> str | None:
    if not page.has_previous:
        return None
    if page.previous_cursor is None:
        return remove_query_param(url, "cursor")
    return replace_query_param(url, "cursor", f"p{page.previous_cursor}")


class BulkItemSerializer(serializers.Serializer):
    translation = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION, help_text="The version you judged.")


class BulkDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        max_length=MAX_COMMENT_LENGTH, required=False, allow_blank=True, trim_whitespace=False, default="",
        help_text="Required to reject or request changes; the same for every row.",
    )
    items = BulkItemSerializer(many=True, required=False, max_length=MAX_BULK, help_text="The versions to decide on.")
    matching = QueueFilterSerializer(
        required=False,
        help_text=f"Instead of items: every version in your queue matching these filters (the oldest {MAX_BULK}), "
        "each at its current version.",
    )

    def validate(self, data):
        items = data.get("items") or []
        if bool(items) == ("matching" in data):
            raise serializers.ValidationError("Name the versions in items, or give the filters in matching (not both).")
        translation_ids = [item["translation"] for item in items]
        if len(set(translation_ids)) != len(translation_ids):
            raise serializers.ValidationError({"items": ["Each translation may appear once."]})
        return data


class BulkItemOutcomeSerializer(serializers.Serializer):
    translation = serializers.IntegerField()
    version = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["decided", "skipped", "not_found"])
    reason = serializers.CharField(allow_null=True, help_text="Why a row was skipped (stale version, own work ...).")
    review = serializers.IntegerField(allow_null=True, help_text="The decision recorded.")
    state = serializers.ChoiceField(choices=TranslationState.choices, allow_null=True, help_text="The translation's state after it.")


class BulkOutcomeSerializer(serializers.Serializer):
    decided = serializers.IntegerField()
    skipped = serializers.IntegerField()
    results = BulkItemOutcomeSerializer(many=True)


@extend_schema(tags=["review queue"])
class ReviewQueueDecideView(ApiMixin, generics.GenericAPIView):
    """One decision on many versions, as the queue's bulk decision does.

    Each row is checked as a single decision would be (your role, the version
    still current, not your own work, the final-edit stage); rows that fail
    are skipped and reported, the others are recorded together. Rows of
    translations that do not exist, or are in projects you do not belong to,
    are ``not_found``."""

    serializer_class = BulkDecisionSerializer
    queryset = Translation.objects.none()
    pagination_class = None
    filter_backends = []

    @extend_schema(request=BulkDecisionSerializer, responses={200: BulkOutcomeSerializer})
    def post(self, request, *args, **kwargs):
        incoming = BulkDecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if "matching" in data:
            queue = awaiting(request.user, filters=_filters(data["matching"]))
            items = list(queue.order_by(*ORDER).values_list("id", "version")[:MAX_BULK])
            visible = {translation_id for translation_id, _ in items}
        else:
            items = [(item["translation"], item["version"]) for item in data["items"]]
            visible = _visible(request.user, [translation_id for translation_id, _ in items])
        outcome = reviews_record_bulk(
            reviewer=request.user, items=[item for item in items if item[0] in visible], decision=data["decision"],
            comment=data["comment"],
        )
        decided = {review.translation_id: review for review in outcome.reviews}
        skipped = {translation.pk: reason for translation, reason in outcome.skipped}
        results = []
        for translation_id, version in items:
            row = {"translation": translation_id, "version": version, "outcome": "not_found", "reason": None,
                   "review": None, "state": None}
            if translation_id in decided:
                review = decided[translation_id]
                row |= {"outcome": "decided", "review": review.pk, "state": review.translation.state}
            elif translation_id in skipped:
                row |= {"outcome": "skipped", "reason": skipped[translation_id]}
            results.append(row)
        return Response(BulkOutcomeSerializer({"decided": len(decided), "skipped": len(skipped), "results": results}).data)


def _visible(user, translation_ids: list[int]) -> set[int]:
    """The ids among these of translations in projects the user belongs to (one query)."""
    translations = Translation.objects.filter(pk__in=translation_ids)
    project_ids = visible_project_ids(user)
    if project_ids is not None:
        translations = translations.filter(segment__document__project__in=project_ids)
    return set(translations.values_list("pk", flat=True))
