"""The history of any tracked object of a project, and a document as it stood at a moment.

What the web history pages (``translations.views.history``) and the audit
trail show, read-only (invariant 7): these views answer GET only, and any
other method 405, for everyone. Any member may read (Action.VIEW), auditors
included; an object of another project is 404 like one that does not exist
(invariant 9). An object that no longer exists (a removed membership or
glossary term) keeps its history readable: it is found in the project
through the audit index, which names the project of every history row.

A page of history costs the same queries whatever its length: the rows with
their users, and the one row before the oldest of them, which the oldest
row is compared with.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models.fields.files import FieldFile
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from reviews.models import AuditEvent, BackTranslation, CheckFinding, Comment, ErrorAnnotation, QualityPolicy, Review
from reviews.views.audit_detail import document_snapshot, parse_moment

from ..models import Document, DocumentImage, GlossaryTerm, Membership, MemoryEntry, Project, Segment, Translation
from ..services.documents import PROVENANCE_FIELDS
from ..views.access import document_in
from .base import ProjectScoped
from .filters import StableOrdering
from .pagination import Cursor

# kind in the address: (model, lookup from the model to its project)
TRACKED = {
    "project": (Project, "id"),
    "membership": (Membership, "project"),
    "document": (Document, "project"),
    "image": (DocumentImage, "document__project"),
    "segment": (Segment, "document__project"),
    "translation": (Translation, "segment__document__project"),
    "review": (Review, "translation__segment__document__project"),
    "comment": (Comment, "project"),
    "glossary-term": (GlossaryTerm, "project"),
    "memory-entry": (MemoryEntry, "project"),
    "check": (CheckFinding, "translation__segment__document__project"),
    "quality-policy": (QualityPolicy, "project"),
    "annotation": (ErrorAnnotation, "translation__segment__document__project"),
    "back-translation": (BackTranslation, "translation__segment__document__project"),
}
CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
READ_ONLY = ["get", "head", "options"]


def plain(value):
    """A history value as JSON carries it: ids for relations, ISO dates, file names, decimals as text."""
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def _empty(value) -> bool:
    return value is None or value == "" or (isinstance(value, FieldFile) and not value.name)


def _same(old, new) -> bool:
    """None and "" are both "empty", as on the web's event page."""
    if _empty(old) and _empty(new):
        return True
    return plain(old) == plain(new)


def row_changes(history_model, row, previous) -> list[dict]:
    """The tracked fields `row` changed since `previous`; for the first row, every field it was made with."""
    changes = []
    for field in history_model.tracked_fields:
        if field.primary_key:
            continue
        new = getattr(row, field.attname)
        old = getattr(previous, field.attname) if previous is not None else None
        if previous is None and _empty(new):
            continue
        if previous is not None and _same(old, new):
            continue
        changes.append({"field": field.attname, "old": plain(old), "new": plain(new)})
    return changes


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class HistoryFieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's column name (``segment_id`` for a relation).")
    old = serializers.JSONField(allow_null=True, help_text="Null in the row that created the object.")
    new = serializers.JSONField(allow_null=True)


class HistoryRowSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    type = serializers.CharField(source="history_type", help_text="+ created, ~ changed, - deleted")
    change = serializers.SerializerMethodField()
    date = serializers.DateTimeField(source="history_date")
    user = ActorSerializer(source="history_user", allow_null=True)
    reason = serializers.CharField(source="history_change_reason", allow_null=True)
    version = serializers.SerializerMethodField(help_text="The object's version in this row, where it has one.")
    changes = serializers.SerializerMethodField()

    def get_change(self, row) -> str:
        return CHANGE_TYPES.get(row.history_type, row.history_type)

    def get_version(self, row) -> int | None:
        return getattr(row, "version", None)

    @extend_schema_field(HistoryFieldChangeSerializer(many=True))
    def get_changes(self, row):
        return self.context["changes"].get(row.history_id, [])


class HistoryCursor(Cursor):
    """A cursor whose position is not a history id (``p=x``) is the caller's 404, like any malformed cursor."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            raise NotFound("Invalid cursor.") from None


def tracked_object(project, kind: str, object_id: int):
    """(model, history rows of the object) when the object is, or was, in the project; 404 otherwise."""
    if kind not in TRACKED:
        raise Http404("No such kind of object.")
    model, path = TRACKED[kind]
    if not 0 < object_id < 2**63:
        raise Http404("Not found in this project.")
    exists = model._default_manager.filter(**{path: project.pk, "pk": object_id}).exists()
    if not exists:
        label = model._meta.label_lower
        exists = AuditEvent.objects.filter(history_label=label, object_id=object_id, project_id=project.pk).exists()
    if not exists:
        raise Http404("Not found in this project.")
    history = model.history.model
    return model, history.objects.filter(**{model._meta.pk.attname: object_id})


@extend_schema(
    tags=["history"],
    parameters=[OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(TRACKED))],
    responses=HistoryRowSerializer(many=True),
)
class HistoryView(ProjectScoped, generics.ListAPIView):
    """Who changed the object, when and why: its history rows, newest first, each
    with the fields it changed (the creating row: the fields it was made with).
    History is read-only: every method but GET answers 405."""

    serializer_class = HistoryRowSerializer
    pagination_class = HistoryCursor
    http_method_names = READ_ONLY
    filter_backends = [StableOrdering]
    ordering = ["-history_id"]
    ordering_fields = ["history_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Segment.history.model.objects.none()
        _, self.history = tracked_object(self.project, self.kwargs["kind"], self.kwargs["object_id"])
        return self.history.select_related("history_user")

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        changes = {}
        if rows:
            chronological = sorted(rows, key=lambda row: row.history_id)
            previous = self.history.filter(history_id__lt=chronological[0].history_id).order_by("-history_id").first()
            for row in chronological:
                changes[row.history_id] = row_changes(self.history.model, row, previous)
                previous = row
        context = {**self.get_serializer_context(), "changes": changes}
        return self.get_paginated_response(HistoryRowSerializer(rows, many=True, context=context).data)


# --- a document as it stood -------------------------------------------------


class AsOfRenderingSerializer(serializers.Serializer):
    language = serializers.CharField()
    translation_id = serializers.IntegerField(source="id")
    published_text = serializers.CharField()
    published_version = serializers.IntegerField()
    published_at = serializers.DateTimeField(allow_null=True)
    author = serializers.CharField(source="author_name")
    source_moved_on = serializers.BooleanField(
        help_text="Approved against another source text than the one standing then."
    )


class AsOfSegmentSerializer(serializers.Serializer):
    segment_id = serializers.IntegerField(source="segment.id")
    position = serializers.IntegerField(source="segment.position")
    source_text = serializers.CharField(source="segment.source_text")
    source_version = serializers.IntegerField(source="segment.version")
    renderings = AsOfRenderingSerializer(many=True, help_text="The published rendering in each language that had one.")


class AsOfDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    obtained_from = serializers.CharField()
    obtained_when = serializers.CharField()
    obtained_where = serializers.CharField()
    obtained_by = serializers.CharField()
    reference_number = serializers.CharField()
    authenticity = serializers.CharField()
    sensitivity_notes = serializers.CharField()


class AsOfSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    document = AsOfDocumentSerializer()
    languages = serializers.DictField(
        child=serializers.IntegerField(), help_text="Segments with a published rendering, per language."
    )
    segments = AsOfSegmentSerializer(many=True)


@extend_schema(
    tags=["history"],
    parameters=[
        OpenApiParameter(
            "at", OpenApiTypes.DATETIME, required=True,
            description="ISO date and time; a naive one is read in the server's time zone.",
        ),
    ],
    responses=AsOfSerializer,
)
class DocumentAsOfView(ProjectScoped, generics.GenericAPIView):
    """The document's provenance, live segments and published renderings as they stood at ``at``,
    from history alone (the web's "as it stood" page)."""

    serializer_class = AsOfSerializer
    queryset = Document.objects.none()
    http_method_names = READ_ONLY

    def get(self, request, slug, document_id):
        document = document_in(self.project, document_id)
        raw = (request.query_params.get("at") or "").strip()
        at = parse_moment(raw) if raw and "\x00" not in raw else None
        if at is None:
            raise serializers.ValidationError({"at": ["Give a date and time, like 2024-05-01T14:30:00Z."]})
        try:
            then = document.history.as_of(at)
        except Document.DoesNotExist:
            raise Http404("This document did not exist yet at that moment.") from None
        snapshot = document_snapshot(self.project, document, at)
        segments = [
            {"segment": row.segment, "renderings": [rendering for rendering in row.renderings if rendering]}
            for row in snapshot["rows"]
        ]
        data = {
            "at": at,
            "document": {name: getattr(then, name) for name in ("id", *PROVENANCE_FIELDS)},
            "languages": dict(snapshot["languages"]),
            "segments": segments,
        }
        return Response(AsOfSerializer(data).data)
