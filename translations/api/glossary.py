"""The project glossary over the API, as on the glossary page.

Every member reads it (Action.VIEW); managers (Action.MANAGE_POLICY) add,
edit and delete terms through the same services as the page, so each change
is in the term's history with the manager's name and reason, and the
services' own checks (one term per language and source term, lengths,
approved and forbidden apart) answer here as 400s. Import and export of
glossary files stay on the web page: an import there is previewed first.
"""

import django_filters
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from .. import services
from ..glossary_files import MAX_NOTE_LENGTH, MAX_RENDERINGS, MAX_TERM_LENGTH
from ..models import GlossaryTerm, PartOfSpeech
from ..permissions import Action
from .base import ProjectScoped
from .documents import REASON_PARAMETER, ReasonField, reason_from_query

TERM_FIELDS = ["id", "language", "source_term", "approved", "forbidden", "part_of_speech", "note"]


class GlossaryTermSerializer(serializers.ModelSerializer):
    approved = serializers.ListField(child=serializers.CharField(), help_text="Approved renderings, preferred first.")
    forbidden = serializers.ListField(child=serializers.CharField(), help_text="Renderings not to be used.")

    class Meta:
        model = GlossaryTerm
        fields = [*TERM_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


def _renderings(help_text: str):
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_TERM_LENGTH, allow_blank=True),
        max_length=MAX_RENDERINGS, required=False, default=list, help_text=help_text,
    )


class GlossaryTermChangeSerializer(serializers.Serializer):
    """What PATCH may change; the language of a term stays (delete it and add it again)."""

    source_term = serializers.CharField(max_length=MAX_TERM_LENGTH)
    approved = _renderings("Approved renderings, preferred first.")
    forbidden = _renderings("Renderings the team has ruled out.")
    part_of_speech = serializers.ChoiceField(choices=PartOfSpeech.choices, allow_blank=True, required=False, default="")
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, allow_blank=True, required=False, default="")
    reason = ReasonField()


class GlossaryTermCreateSerializer(GlossaryTermChangeSerializer):
    language = serializers.CharField(max_length=16, help_text="One of the project's target languages.")

    def validate_language(self, language):
        if language not in self.context["project"].target_languages:
            raise serializers.ValidationError(f"{language!r} is not a target language of this project.")
        return language


class GlossaryFilter(django_filters.FilterSet):
    language = django_filters.CharFilter(help_text="A target language code.")
    q = django_filters.CharFilter(
        method="search", max_length=200,
        help_text="Part of a source term, a rendering or a note (as the glossary page searches).",
    )

    class Meta:
        model = GlossaryTerm
        fields = ["language", "q"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # The glossary page's search (translations.selectors.glossary_page), on a cursor-paginated list.
        return queryset.annotate(
            approved_text=Cast("approved", TextField()), forbidden_text=Cast("forbidden", TextField())
        ).filter(
            Q(source_term__icontains=value) | Q(approved_text__icontains=value)
            | Q(forbidden_text__icontains=value) | Q(note__icontains=value)
        )


def _change_values(data: dict) -> dict:
    return {name: data[name] for name in ("source_term", "approved", "forbidden", "part_of_speech", "note", "reason")}


@extend_schema(tags=["glossary"])
class GlossaryTermListView(ProjectScoped, generics.ListAPIView):
    """The project's glossary terms; POST adds a term (managers)."""

    serializer_class = GlossaryTermSerializer
    write_action = Action.MANAGE_POLICY
    filterset_class = GlossaryFilter
    ordering = ["source_term", "language", "id"]
    ordering_fields = ["source_term", "language", "created_at", "updated_at", "id"]
    queryset = GlossaryTerm.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GlossaryTerm.objects.none()
        return GlossaryTerm.objects.filter(project=self.project)

    @extend_schema(responses=GlossaryTermSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=GlossaryTermCreateSerializer,
                   responses={201: OpenApiResponse(GlossaryTermSerializer, description="Added.")})
    def post(self, request, *args, **kwargs):
        incoming = GlossaryTermCreateSerializer(data=request.data, context={"project": self.project})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        term = services.glossary_term_create(
            project=self.project, user=request.user, language=data["language"], **_change_values(data)
        )
        return Response(GlossaryTermSerializer(term).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["glossary"])
class GlossaryTermDetailView(ProjectScoped, generics.RetrieveAPIView):
    """One glossary term. PATCH changes it, DELETE removes it (managers); both keep its history."""

    serializer_class = GlossaryTermSerializer
    write_action = Action.MANAGE_POLICY
    queryset = GlossaryTerm.objects.none()

    def get_object(self):
        term = GlossaryTerm.objects.filter(project=self.project, pk=self.kwargs["term_id"]).first()
        if term is None:
            raise Http404("No such term in this project's glossary.")
        return term

    @extend_schema(request=GlossaryTermChangeSerializer, responses={200: GlossaryTermSerializer})
    def patch(self, request, *args, **kwargs):
        term = self.get_object()
        if isinstance(request.data, dict) and request.data.get("language", term.language) != term.language:
            raise serializers.ValidationError(
                {"language": ["A term's language cannot be changed; delete the term and add it again."]}
            )
        incoming = GlossaryTermChangeSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        current = {"source_term": term.source_term, "approved": term.approved, "forbidden": term.forbidden,
                   "part_of_speech": term.part_of_speech, "note": term.note, "reason": ""}
        values = _change_values({**current, **incoming.validated_data})
        services.glossary_term_update(term=term, user=request.user, **values)
        return Response(GlossaryTermSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={204: None}, parameters=[REASON_PARAMETER])
    def delete(self, request, *args, **kwargs):
        term = self.get_object()
        reason = reason_from_query(request)
        services.glossary_term_delete(term=term, user=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)
