"""The approved rendering of a document over the API: what may be quoted, and why.

The same selector as the web page (``reviews.selectors.rendering``), which
reads only the ``published_*`` fields of a translation: a later draft never
reaches this answer until it is itself approved (invariant 4). Any member may
read it (Action.VIEW); a language the project does not translate into is 404,
as on the web. Six queries whatever the document's length: the selector's
five and the segments' versions.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from translations.api.base import ProjectScoped
from translations.api.history import ActorSerializer
from translations.models import Document, Segment
from translations.services.documents import PROVENANCE_FIELDS
from translations.views.access import document_in, language_in

from ..selectors.rendering import approved_rendering


class RenderedDocumentSerializer(serializers.ModelSerializer):
    authenticity_label = serializers.CharField(source="get_authenticity_display")

    class Meta:
        model = Document
        fields = ["id", *PROVENANCE_FIELDS, "authenticity_label"]
        read_only_fields = fields


class RenderingApprovalSerializer(serializers.Serializer):
    reviewer = ActorSerializer(allow_null=True)
    version = serializers.IntegerField()
    stage = serializers.CharField(help_text="review, or final for a final edit")
    approved_at = serializers.DateTimeField()


class RenderedSegmentSerializer(serializers.Serializer):
    segment_id = serializers.IntegerField(source="segment.pk")
    position = serializers.IntegerField(source="segment.position")
    source_text = serializers.CharField(source="segment.source_text")
    source_version = serializers.IntegerField()
    is_approved = serializers.BooleanField()
    translation_id = serializers.IntegerField(allow_null=True)
    published_text = serializers.SerializerMethodField(
        help_text="The approved version's text; null when none is approved."
    )
    published_version = serializers.IntegerField(source="version", allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    author = ActorSerializer(allow_null=True, help_text="The candidate's translator.")
    written_by = ActorSerializer(allow_null=True, help_text="Who wrote the published version.")
    written_at = serializers.DateTimeField(allow_null=True)
    approvals = RenderingApprovalSerializer(many=True)
    source_changed = serializers.BooleanField(help_text="The source changed since the approval: it needs re-review.")
    approved_source_text = serializers.CharField(help_text="The source the rendering was approved against.")

    def get_published_text(self, rendered) -> str | None:
        return rendered.text if rendered.is_approved else None


class RenderingSerializer(serializers.Serializer):
    document = RenderedDocumentSerializer()
    language = serializers.CharField()
    language_name = serializers.CharField()
    source_language = serializers.CharField()
    segment_count = serializers.IntegerField()
    approved_count = serializers.IntegerField()
    source_changed_count = serializers.IntegerField()
    is_complete = serializers.BooleanField(help_text="Every live segment has an approved rendering.")
    generated_at = serializers.DateTimeField()
    segments = RenderedSegmentSerializer(many=True)


@extend_schema(tags=["rendering"])
class RenderingView(ProjectScoped, generics.RetrieveAPIView):
    """The document's live segments in order, each with the text approved for it in ``language``,
    who wrote that version and who approved it when."""

    serializer_class = RenderingSerializer
    queryset = Document.objects.none()

    def get_object(self):
        project = self.project
        document = document_in(project, self.kwargs["document_id"])
        language = language_in(project, self.kwargs["language"])
        document.project = project  # the selector reads it without another query
        rendering = approved_rendering(document, language)
        versions = dict(
            Segment.objects.filter(document=document, is_deleted=False).values_list("id", "version")
        )
        for item in rendering.segments:
            item.source_version = versions.get(item.segment.pk, 1)
        return rendering
