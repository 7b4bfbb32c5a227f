"""The audit trail over the API: the web trail's filters and keyset pages, and one event in depth.

Who may read, as on the web (``reviews.views.audit``): site admins every
event; auditors and managers the events of their projects
(``auditable_projects``); anyone else is refused 403 on the trail. One
project's trail (``projects/<slug>/audit/``) needs Action.VIEW_AUDIT in it,
through the same ``project_for`` gate as every project page. One event
of a project the caller is not a member of is 404 like one that does not
exist (invariant 9); a member without Action.VIEW_AUDIT gets 403.

Pages are the selector's own (``audit_page``, cut on the event id, no OFFSET)
behind an opaque cursor, so the thousandth page is one indexed read like the
first. A filter value the web would silently drop (a malformed date, an
unknown kind, a NUL byte) is refused here with 400 naming it: a script
should learn that its filter did nothing.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor as CursorPosition
from rest_framework.response import Response

from translations.api.base import ApiMixin, ProjectScoped
from translations.api.history import ActorSerializer
from translations.api.pagination import Cursor
from translations.permissions import Action

from ..audit import KIND_LABELS
from ..models import AuditEvent
from ..selectors.audit import ACTIONS, FILTERS, audit_events, audit_page, clean_filters
from ..views.audit import _require_auditor
from ..views.audit_detail import _event_for, event_rows

CHANGE_TYPES = {symbol: name for name, symbol in ACTIONS.items()}
# audit kinds whose objects have an API history (translations.api.history.TRACKED)
HISTORY_KINDS = {
    "project": "project", "membership": "membership", "document": "document", "image": "image",
    "segment": "segment", "translation": "translation", "review": "review", "comment": "comment",
    "glossary": "glossary-term", "memory": "memory-entry", "check": "check", "quality_policy": "quality-policy",
    "annotation": "annotation", "back_translation": "back-translation",
}
MAX_EVENT_ID = 2**63 - 1
FILTER_HELP = {
    "project": "Project slug.",
    "document": "Document id.",
    "actor": "Username of who acted.",
    "kind": "What kind of object: " + ", ".join(KIND_LABELS) + ".",
    "action": "created, changed or deleted.",
    "since": "From this date (YYYY-MM-DD), inclusive.",
    "until": "Up to this date (YYYY-MM-DD), inclusive.",
    "q": "Text in the reason or the summary.",
}


class AuditCursor(Cursor):
    """``audit_page``'s keyset (``before`` an event id) as an opaque cursor; the
    previous page is the same read the other way (events after an id)."""

    def page(self, request, *, filters, projects) -> list:
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.next_position = self.previous_position = None
        backwards, position = self._position(request)
        if backwards:
            newer = list(
                audit_events(request.user, filters, projects=projects)
                .filter(id__gt=position)
                .order_by("id")
                .select_related("actor", "project")[: self.page_size + 1]
            )
            rows = list(reversed(newer[: self.page_size]))
            if rows:
                self.next_position = rows[-1].id
                if len(newer) > self.page_size:
                    self.previous_position = rows[0].id
            return rows
        rows, self.next_position = audit_page(
            request.user, filters, before=position, size=self.page_size, projects=projects
        )
        if position is not None and rows:
            self.previous_position = rows[0].id
        return rows

    def _position(self, request) -> tuple[bool, int | None]:
        cursor = self.decode_cursor(request)
        if cursor is None:
            return False, None
        try:
            position = int(cursor.position)
        except (TypeError, ValueError):
            raise NotFound("Invalid cursor.") from None
        if not 0 < position <= MAX_EVENT_ID or cursor.offset:
            raise NotFound("Invalid cursor.")
        return cursor.reverse, position

    def get_next_link(self):
        if self.next_position is None:
            return None
        return self.encode_cursor(CursorPosition(offset=0, reverse=False, position=str(self.next_position)))

    def get_previous_link(self):
        if self.previous_position is None:
            return None
        return self.encode_cursor(CursorPosition(offset=0, reverse=True, position=str(self.previous_position)))


def cleaned_filters(query) -> dict:
    """The web's ``clean_filters``, refusing (400) what it would drop."""
    filters = clean_filters(query)
    refused = {
        name: ["Not a valid value for this filter."]
        for name in FILTERS
        if (query.get(name) or "").strip() and name not in filters
    }
    if refused:
        raise serializers.ValidationError(refused)
    return filters


class AuditEventSerializer(serializers.ModelSerializer):
    action = serializers.CharField(read_only=True, help_text="+ created, ~ changed, - deleted")
    kind_label = serializers.SerializerMethodField()
    change = serializers.SerializerMethodField()
    actor = ActorSerializer(allow_null=True)
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    history_url = serializers.SerializerMethodField(help_text="The API history of the object, when it has one.")

    class Meta:
        model = AuditEvent
        fields = [
            "id", "at", "kind", "kind_label", "action", "change", "actor", "reason", "summary", "project",
            "document_id", "object_id", "history_label", "history_id", "history_url",
        ]
        read_only_fields = fields

    def get_kind_label(self, event) -> str:
        return KIND_LABELS.get(event.kind, event.kind)

    def get_change(self, event) -> str:
        return CHANGE_TYPES.get(event.action, event.action)

    def get_history_url(self, event) -> str | None:
        kind = HISTORY_KINDS.get(event.kind)
        if kind is None or event.project is None:
            return None
        return reverse("api:history", kwargs={"slug": event.project.slug, "kind": kind, "object_id": event.object_id})


class AuditFieldValueSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(
        help_text="As the web shows it: relations named, hashes shortened, choices spelled out."
    )
    new = serializers.CharField()
    is_text = serializers.BooleanField()
    changed = serializers.BooleanField()


class AuditEventDetailSerializer(AuditEventSerializer):
    values = serializers.SerializerMethodField(
        help_text="Every field of the history row, with its value in the row before."
    )
    previous_event_id = serializers.SerializerMethodField(help_text="The same object's event before this one.")
    next_event_id = serializers.SerializerMethodField(help_text="The same object's event after this one.")

    class Meta(AuditEventSerializer.Meta):
        fields = [*AuditEventSerializer.Meta.fields, "values", "previous_event_id", "next_event_id"]
        read_only_fields = fields

    @extend_schema_field(AuditFieldValueSerializer(many=True))
    def get_values(self, event):
        return AuditFieldValueSerializer(self.context["values"], many=True).data

    def get_previous_event_id(self, event) -> int | None:
        return self.context["previous_event_id"]

    def get_next_event_id(self, event) -> int | None:
        return self.context["next_event_id"]


@extend_schema(
    tags=["audit"],
    parameters=[OpenApiParameter(name, OpenApiTypes.STR, description=text) for name, text in FILTER_HELP.items()],
    responses=AuditEventSerializer(many=True),
)
class AuditTrailView(ApiMixin, generics.ListAPIView):
    """Every recorded change in the projects you audit, newest first (auditors, managers, site admins)."""

    serializer_class = AuditEventSerializer
    pagination_class = AuditCursor
    filter_backends = []
    queryset = AuditEvent.objects.none()

    def list(self, request, *args, **kwargs):
        projects = _require_auditor(request.user)
        filters = cleaned_filters(request.query_params)
        rows = self.paginator.page(request, filters=filters, projects=projects)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


@extend_schema(
    tags=["audit"],
    parameters=[
        OpenApiParameter(name, OpenApiTypes.STR, description=text)
        for name, text in FILTER_HELP.items()
        if name != "project"
    ],
    responses=AuditEventSerializer(many=True),
)
class ProjectAuditTrailView(ProjectScoped, generics.ListAPIView):
    """Every recorded change in this project, newest first (Action.VIEW_AUDIT: auditors, managers, site admins)."""

    action = Action.VIEW_AUDIT
    serializer_class = AuditEventSerializer
    pagination_class = AuditCursor
    filter_backends = []
    queryset = AuditEvent.objects.none()

    def list(self, request, *args, **kwargs):
        filters = cleaned_filters(request.query_params)
        filters.pop("project", None)  # the address names it
        rows = self.paginator.page(request, filters=filters, projects=[self.project])
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


@extend_schema(tags=["audit"], responses=AuditEventDetailSerializer)
class AuditEventView(ApiMixin, generics.RetrieveAPIView):
    """One event with each field of its history row beside the same object's row before it."""

    serializer_class = AuditEventDetailSerializer
    queryset = AuditEvent.objects.none()

    def retrieve(self, request, *args, **kwargs):
        event_id = self.kwargs["event_id"]
        if not 0 < event_id <= MAX_EVENT_ID:
            raise NotFound("No such event.")
        event = _event_for(request._request, event_id)
        _, _, values = event_rows(event)
        same_object = AuditEvent.objects.filter(history_label=event.history_label, object_id=event.object_id)
        context = {
            **self.get_serializer_context(),
            "values": values,
            "previous_event_id": same_object.filter(history_id__lt=event.history_id)
            .order_by("-history_id").values_list("id", flat=True).first(),
            "next_event_id": same_object.filter(history_id__gt=event.history_id)
            .order_by("history_id").values_list("id", flat=True).first(),
        }
        return Response(AuditEventDetailSerializer(event, context=context).data)
