"""Documents with their provenance, and how far their translation has come.

The list is the project dashboard's: the same selector, the same filters
(title search, authenticity, progress), per-language progress for the page
shown. Creating needs CREATE_DOCUMENT, which translators and reviewers have
only when the project allows it; provenance and authenticity are edited by
those who manage documents, each change in the document's history.
"""

from django import forms
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from .. import services
from ..exceptions import InvalidText
from ..models import Authenticity, Document
from ..permissions import Action
from ..selectors import document_progress, documents_for_dashboard
from ..services.documents import PROVENANCE_FIELDS
from ..texts import normalise
from ..views.access import document_in
from ..views.dashboard import PROGRESS_CHOICES
from .base import ProjectScoped
from .filters import StableOrdering


class ReasonField(serializers.CharField):
    """Why a change was made, for the history row; the service's own wording when left out."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("help_text", "Why: recorded in history. Optional.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return normalise(text, field="reason").strip()
        except InvalidText as error:
            raise serializers.ValidationError(error.message) from None


REASON_PARAMETER = OpenApiParameter(
    "reason", str, OpenApiParameter.QUERY, required=False, description="Why: recorded in history. Optional."
)


def reason_from_query(request) -> str:
    try:
        return ReasonField().run_validation(request.query_params.get("reason", ""))
    except serializers.ValidationError as error:
        raise serializers.ValidationError({"reason": error.detail}) from None


class ProgressSerializer(serializers.Serializer):
    language = serializers.CharField()
    published = serializers.IntegerField(help_text="Live segments with a published rendering.")
    submitted = serializers.IntegerField(help_text="Live segments with none published but one awaiting review.")
    none = serializers.IntegerField(help_text="Live segments with neither.")
    total = serializers.IntegerField()
    published_pct = serializers.FloatField()
    submitted_pct = serializers.FloatField()


class DocumentSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    segment_count = serializers.IntegerField(read_only=True, help_text="Live (not deleted) segments.")
    published_count = serializers.IntegerField(read_only=True, help_text="Published renderings, all languages.")
    progress = ProgressSerializer(many=True, read_only=True, help_text="One entry per target language.")

    class Meta:
        model = Document
        fields = ["id", *PROVENANCE_FIELDS, "created_by", "created_at", "updated_at", "segment_count",
                  "published_count", "progress"]
        read_only_fields = fields


class DocumentWriteSerializer(serializers.ModelSerializer):
    reason = ReasonField()

    class Meta:
        model = Document
        fields = [*PROVENANCE_FIELDS, "reason"]


class DocumentFilters(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    authenticity = forms.ChoiceField(required=False, choices=[("", ""), *Authenticity.choices])
    progress = forms.ChoiceField(required=False, choices=PROGRESS_CHOICES)


FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="Part of the title (at most 200 characters)."),
    OpenApiParameter("authenticity", str, enum=Authenticity.values),
    OpenApiParameter("progress", str, enum=[value for value, _ in PROGRESS_CHOICES if value],
                     description="How much of the document is published in all target languages."),
]


def _documents(project, **filters):
    return documents_for_dashboard(project, **filters).select_related("created_by")


@extend_schema(tags=["documents"])
class DocumentListView(ProjectScoped, generics.ListAPIView):
    """The project's documents, by title; POST creates one (managers, or anyone when the project lets translators)."""

    serializer_class = DocumentSerializer
    write_action = Action.CREATE_DOCUMENT
    filter_backends = [StableOrdering]
    ordering = ["title", "id"]
    ordering_fields = ["title", "created_at", "id"]
    queryset = Document.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        filters = DocumentFilters(self.request.query_params)
        if not filters.is_valid():
            raise serializers.ValidationError({name: list(errors) for name, errors in filters.errors.items()})
        data = filters.cleaned_data
        return _documents(self.project, search=data["q"], authenticity=data["authenticity"], progress=data["progress"])

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            document_progress(page, self.project.target_languages)
        return page

    # ``many=True`` tells the schema this is a list: the view's ``action`` (a permission) hides it otherwise.
    @extend_schema(parameters=FILTER_PARAMETERS, responses=DocumentSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=DocumentWriteSerializer, responses={201: DocumentSerializer})
    def post(self, request, *args, **kwargs):
        incoming = DocumentWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        reason = fields.pop("reason") or "Document created"
        document = services.document_create(project=self.project, user=request.user, reason=reason, **fields)
        return Response(DocumentSerializer(_with_progress(self.project, document.pk)).data,
                        status=status.HTTP_201_CREATED)


def _with_progress(project, document_id):
    document = _documents(project).filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document in this project.")
    document_progress([document], project.target_languages)
    return document


@extend_schema(tags=["documents"])
class DocumentDetailView(ProjectScoped, generics.RetrieveAPIView):
    """One document with its provenance; PATCH edits provenance, authenticity or sensitivity notes."""

    serializer_class = DocumentSerializer
    write_action = Action.MANAGE_DOCUMENTS
    queryset = Document.objects.none()

    def get_object(self):
        return _with_progress(self.project, self.kwargs["document_id"])

    @extend_schema(request=DocumentWriteSerializer, responses={200: DocumentSerializer})
    def patch(self, request, *args, **kwargs):
        document = document_in(self.project, self.kwargs["document_id"])
        incoming = DocumentWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        reason = fields.pop("reason", "")
        services.document_update(document=document, user=request.user, reason=reason, **fields)
        return Response(DocumentSerializer(self.get_object()).data)
