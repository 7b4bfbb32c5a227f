"""Candidate translations: list, add, read, save a new version, submit.

Each write is the workspace's own service call (``translations.views.workspace``):
adding needs Action.TRANSLATE, a save names the version it started from and a
stale one is refused with both texts (409, invariant 6), and what a candidate
publishes stays the approved version's text until a newer one is approved
(invariant 4), which ``published_text`` shows beside the current ``text``.
"""

from functools import cached_property

import django_filters
from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from .. import services
from ..models import Translation, TranslationState
from ..permissions import Action
from ..services.translations import MAX_TEXT_LENGTH
from ..views.access import document_in, segment_in, translation_in
from .base import ProjectListCreate, ProjectScoped
from .schema import AutoSchema

MAX_NOTE_LENGTH = 5_000  # as the workspace form (translations.forms.TranslationForm)
MAX_VERSION = 2**31 - 1


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    check_id = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class TranslationSerializer(serializers.ModelSerializer):
    segment = serializers.IntegerField(source="segment_id", read_only=True)
    document = serializers.IntegerField(source="segment.document_id", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    edited_by = serializers.CharField(source="edited_by.username", read_only=True, help_text="Who wrote the current version.")
    findings = serializers.SerializerMethodField(
        help_text="Open findings of the automatic checks on the current version, most severe first."
    )

    class Meta:
        model = Translation
        fields = [
            "id", "segment", "document", "language", "author", "edited_by", "text", "note", "version", "state",
            "submitted_at", "is_published", "published_version", "published_text", "published_at",
            "created_at", "updated_at", "findings",
        ]
        read_only_fields = fields

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, translation) -> list:
        return FindingSerializer(getattr(translation, "open_findings", []), many=True).data


def with_findings(translations):
    """Give each translation its open check findings (one query for all of them)."""
    from reviews.selectors.checks import open_findings

    translations = list(translations)
    found = open_findings(translations)
    for translation in translations:
        translation.open_findings = found.get(translation.pk, [])
    return translations


class TranslationCreateSerializer(serializers.Serializer):
    language = serializers.CharField(max_length=16, help_text="One of the project's target languages.")
    text = serializers.CharField(max_length=MAX_TEXT_LENGTH, trim_whitespace=False)
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True, trim_whitespace=False, default="")
    submit = serializers.BooleanField(
        required=False, default=True, help_text="Submit for review at once (the default, as in the workspace); false saves a draft."
    )


class TranslationEditSerializer(serializers.Serializer):
    base_version = serializers.IntegerField(
        min_value=1, max_value=MAX_VERSION, help_text="The version your edit started from; a stale one answers 409."
    )
    text = serializers.CharField(max_length=MAX_TEXT_LENGTH, trim_whitespace=False)
    note = serializers.CharField(
        max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True, trim_whitespace=False,
        help_text="Left as it is when absent.",
    )
    submit = serializers.BooleanField(required=False, default=False, help_text="Also submit a draft for review.")


class TranslationSubmitSerializer(serializers.Serializer):
    base_version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)


class TranslationFilter(django_filters.FilterSet):
    language = django_filters.CharFilter(max_length=16)
    state = django_filters.ChoiceFilter(choices=TranslationState.choices)
    author = django_filters.CharFilter(field_name="author__username", max_length=150, help_text="The translator's username.")

    class Meta:
        model = Translation
        fields = ["language", "state", "author"]


class _Candidates:
    """Lists of candidates: authors joined, findings read once per page."""

    serializer_class = TranslationSerializer
    filterset_class = TranslationFilter

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else with_findings(page)


@extend_schema(tags=["translations"])
class SegmentTranslationListView(_Candidates, ProjectListCreate):
    """The candidates of one segment, in every target language (filter with ``?language=``).

    POST adds your candidate (Action.TRANSLATE); you have at most one per
    segment and language: further work on it is a new version (PATCH it)."""

    action = Action.VIEW
    write_action = Action.TRANSLATE
    ordering = ["language", "id"]
    ordering_fields = ["id", "language", "state", "version", "created_at", "updated_at"]

    @cached_property
    def segment(self):
        return segment_in(self.project, self.kwargs["segment_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Translation.objects.none()
        return Translation.objects.filter(segment=self.segment).select_related("segment", "author", "edited_by")

    @extend_schema(request=TranslationCreateSerializer, responses={201: TranslationSerializer})
    def post(self, request, *args, **kwargs):
        segment = self.segment  # another project's segment is 404 whatever the body
        incoming = TranslationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        languages = self.project.target_languages
        if data["language"] not in languages:
            raise serializers.ValidationError({"language": [f"Not a target language of this project ({', '.join(languages)})."]})
        translation = services.translation_create(
            segment=segment, user=request.user, language=data["language"], text=data["text"],
            note=data["note"], submit=data["submit"],
        )
        [translation] = with_findings([translation])
        return Response(TranslationSerializer(translation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["translations"])
class DocumentTranslationListView(_Candidates, ProjectScoped, generics.ListAPIView):
    """Every candidate of a document's live segments, in reading order
    (segment position, language, id); ``?language=`` and ``?state=`` narrow it."""

    ordering = ["segment_position", "language", "id"]
    ordering_fields = ["id", "segment_position", "language", "state", "version", "created_at", "updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Translation.objects.none()
        document = document_in(self.project, self.kwargs["document_id"])
        return (
            Translation.objects.filter(segment__document=document, segment__is_deleted=False)
            .annotate(segment_position=F("segment__position"))
            .select_related("segment", "author", "edited_by")
        )


class WholeBodyPatchSchema(AutoSchema):
    """This PATCH names the version it starts from and the text it saves, both required;
    the default schema of a PATCH (every field optional, as in DRF's partial update) would hide that."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        method, self.method = self.method, "POST"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method


@extend_schema(tags=["translations"])
class TranslationDetailView(ProjectScoped, generics.RetrieveAPIView):
    """One candidate: its current version and the text it publishes.

    PATCH saves a new version of your own candidate (Action.TRANSLATE), naming
    ``base_version``; if it moved on the answer is 409 with ``current_version``,
    ``current_text`` and your ``attempted_text`` in ``error.details``, and
    nothing is saved. Approvals of the old version stay on record but do not
    approve the new one, and ``published_text`` stays the approved text."""

    action = Action.VIEW
    write_action = Action.TRANSLATE
    serializer_class = TranslationSerializer
    queryset = Translation.objects.none()
    schema = WholeBodyPatchSchema()

    def get_object(self):
        [translation] = with_findings([translation_in(self.project, self.kwargs["translation_id"])])
        return translation

    @extend_schema(request=TranslationEditSerializer, responses={200: TranslationSerializer})
    def patch(self, request, *args, **kwargs):
        translation = translation_in(self.project, self.kwargs["translation_id"])  # 404 before the body is read
        incoming = TranslationEditSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        translation = services.translation_edit(
            translation=translation, user=request.user,
            base_version=data["base_version"], text=data["text"], note=data.get("note"), submit=data["submit"],
        )
        return Response(TranslationSerializer(_reloaded(translation)).data)


@extend_schema(tags=["translations"])
class TranslationSubmitView(ProjectScoped, generics.GenericAPIView):
    """Submit your draft for review (Action.TRANSLATE), naming the version you
    submit; a stale one answers 409. Submitting what is already submitted changes nothing."""

    action = Action.TRANSLATE
    serializer_class = TranslationSubmitSerializer
    queryset = Translation.objects.none()

    @extend_schema(request=TranslationSubmitSerializer, responses={200: TranslationSerializer})
    def post(self, request, *args, **kwargs):
        translation = translation_in(self.project, self.kwargs["translation_id"])  # 404 before the body is read
        incoming = TranslationSubmitSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        translation = services.translation_submit(
            translation=translation, user=request.user,
            base_version=incoming.validated_data["base_version"],
        )
        return Response(TranslationSerializer(_reloaded(translation)).data)


def _reloaded(translation):
    """The row as the service left it, with the relations the answer shows (one query)
    and its findings (one more)."""
    [fresh] = with_findings([
        Translation.objects.select_related("segment", "author", "edited_by").get(pk=translation.pk)
    ])
    return fresh
