"""Translation memory over the API: the workspace aid panel's suggestions, and
the pairs imported into a project's memory.

Any member (Action.VIEW) reads both, as on the web. Suggestions come from
``translations.memory.suggestions``, the very function behind the aid panel,
so only published text is ever offered and another project is read only when
it shares its memory and the caller is a member of it. TMX import, export and
removal stay on the memory page.
"""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from ..memory import suggestions
from ..models import MemoryEntry
from ..selectors import glossary_for
from ..views.access import language_in, segment_in
from .base import ProjectScoped


class SuggestionSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="Similarity of the two sources, 0–100.")
    source_text = serializers.CharField(help_text="The source of the remembered pair.")
    target_text = serializers.CharField(help_text="Its approved rendering (published text or an imported pair).")
    source_diff = serializers.CharField(help_text="HTML: the pair's source against this segment's, changes marked.")
    kind = serializers.ChoiceField(choices=["rendering", "memory"],
                                   help_text="A published translation, or a pair imported into the memory.")
    origin = serializers.CharField(help_text="A document title, or where an imported pair came from.")
    origin_url = serializers.CharField(help_text="The web page where the pair can be seen.")
    project_name = serializers.CharField()
    other_project = serializers.BooleanField(help_text="From another project that shares its memory.")


class FoundTermSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source_term = serializers.CharField()
    language = serializers.CharField()
    approved = serializers.ListField(child=serializers.CharField())
    forbidden = serializers.ListField(child=serializers.CharField())
    part_of_speech = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class SegmentAidsSerializer(serializers.Serializer):
    segment_id = serializers.IntegerField()
    language = serializers.CharField()
    source_text = serializers.CharField(allow_blank=True)
    suggestions = SuggestionSerializer(many=True, help_text="Best first, at most five.")
    glossary = FoundTermSerializer(many=True, help_text="The project's glossary terms found in the source.")


@extend_schema(tags=["memory"])
class SegmentSuggestionsView(ProjectScoped, generics.GenericAPIView):
    """What the workspace aid panel offers for one segment in one target language:
    the closest approved pairs from the translation memory, and the glossary terms in the source."""

    serializer_class = SegmentAidsSerializer

    @extend_schema(responses={200: SegmentAidsSerializer})
    def get(self, request, *args, **kwargs):
        project = self.project
        segment = segment_in(project, self.kwargs["segment_id"])
        language = language_in(project, self.kwargs["language"])
        segment.document.project = project
        found = suggestions(request.user, segment, language)
        terms = glossary_for(project, language).terms_in(segment.source_text)
        answer = {
            "segment_id": segment.pk,
            "language": language,
            "source_text": segment.source_text,
            "suggestions": [vars(suggestion) for suggestion in found],
            "glossary": [vars(term) for term in terms],
        }
        return Response(SegmentAidsSerializer(answer).data)


class MemoryEntrySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = MemoryEntry
        fields = ["id", "language", "source_text", "target_text", "origin", "created_by", "created_at"]
        read_only_fields = fields


class MemoryEntryFilter(django_filters.FilterSet):
    language = django_filters.CharFilter(help_text="A target language code.")
    origin = django_filters.CharFilter(help_text="Where the pairs came from, e.g. a TMX file name (exact).")

    class Meta:
        model = MemoryEntry
        fields = ["language", "origin"]


@extend_schema(tags=["memory"])
class MemoryEntryListView(ProjectScoped, generics.ListAPIView):
    """The pairs imported into the project's translation memory (TMX import and export: the memory page)."""

    serializer_class = MemoryEntrySerializer
    filterset_class = MemoryEntryFilter
    ordering = "-id"
    ordering_fields = ["id", "created_at"]
    queryset = MemoryEntry.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MemoryEntry.objects.none()
        return MemoryEntry.objects.filter(project=self.project).select_related("created_by")

    @extend_schema(responses=MemoryEntrySerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
