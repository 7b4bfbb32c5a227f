"""Check findings and MQM assessment over the API (back-translations: ``back_translations``).

Each view mirrors its web view (``reviews.views.checks``, ``reviews.views.quality``)
and calls the same services and selectors: members read (auditors included);
dismissing a finding needs the right to translate or review (``may_dismiss``);
annotating and asking for a back-translation need Action.REVIEW; an annotation
names the version it judged (409 when that version moved on, nothing written).
Nothing here touches a translation's text or what is published.
"""

from functools import cached_property

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from translations.api.base import ProjectList, ProjectScoped, object_in_project
from translations.api.history import ActorSerializer
from translations.api.translations import MAX_VERSION
from translations.exceptions import NotAllowed
from translations.permissions import Action
from translations.views.access import document_in, language_in, translation_in

from .. import mqm
from ..checks import CHECKS
from ..models import CheckFinding, ErrorAnnotation, MqmSeverity, Severity
from ..selectors.quality import document_quality_report, quality_policy_of, translation_assessment
from ..services.checks import MAX_REASON_LENGTH, check_finding_dismiss, may_dismiss
from ..services.quality import MAX_NOTE_LENGTH, error_annotation_create, error_annotation_delete

# --- check findings ---------------------------------------------------------------------------------


class CheckFindingSerializer(serializers.ModelSerializer):
    translation = serializers.IntegerField(source="translation_id", read_only=True)
    check_label = serializers.SerializerMethodField()
    severity = serializers.CharField(read_only=True, help_text="error, warning or info.")
    dismissed_by = ActorSerializer(allow_null=True, read_only=True)
    is_open = serializers.SerializerMethodField(help_text="Not dismissed.")

    class Meta:
        model = CheckFinding
        fields = [
            "id", "translation", "version", "check_id", "check_label", "severity", "message", "is_open",
            "dismissed_reason", "dismissed_by", "dismissed_at", "created_at",
        ]
        read_only_fields = fields

    def get_check_label(self, finding) -> str:
        check = CHECKS.get(finding.check_id)
        return check.label if check else finding.check_id

    def get_is_open(self, finding) -> bool:
        return finding.dismissed_at is None


class FindingFilter(django_filters.FilterSet):
    version = django_filters.NumberFilter(min_value=1, max_value=MAX_VERSION)
    check_id = django_filters.CharFilter(max_length=40)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    dismissed = django_filters.BooleanFilter(field_name="dismissed_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = CheckFinding
        fields = ["version", "check_id", "severity", "dismissed"]


@extend_schema(tags=["checks"])
class FindingListView(ProjectList):
    """What the automatic checks found in each version of a translation, open and dismissed,
    latest version first (a finding stays with the version it was found in)."""

    action = Action.VIEW
    serializer_class = CheckFindingSerializer
    filterset_class = FindingFilter
    ordering = ["-version", "id"]
    ordering_fields = ["id", "version", "severity", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CheckFinding.objects.none()
        translation = translation_in(self.project, self.kwargs["translation_id"])
        return CheckFinding.objects.filter(translation=translation).select_related("dismissed_by")


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_LENGTH, trim_whitespace=False,
        help_text="Why the finding does not apply; recorded in its history.",
    )


@extend_schema(tags=["checks"])
class FindingDismissView(ProjectScoped, generics.GenericAPIView):
    """Dismiss a finding with a reason: members who translate or review (403 otherwise);
    a finding is dismissed once (400 the second time)."""

    action = write_action = Action.VIEW  # as on the web: membership first, then may_dismiss
    serializer_class = DismissSerializer
    queryset = CheckFinding.objects.none()

    @extend_schema(request=DismissSerializer, responses={200: CheckFindingSerializer})
    def post(self, request, *args, **kwargs):
        finding = object_in_project(
            CheckFinding.objects.all(), self.project, pk=self.kwargs["finding_id"],
            path="translation__segment__document__project",
        )
        if not may_dismiss(request.user, self.project):
            raise NotAllowed("Only members who translate or review may dismiss a check's finding.")
        incoming = DismissSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        finding = check_finding_dismiss(finding=finding, user=request.user, reason=incoming.validated_data["reason"])
        return Response(CheckFindingSerializer(finding).data)


# --- MQM annotations ----------------------------------------------------------------------------


class ScoreSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True,
        help_text="100 × (1 − penalty / evaluated), not floored at 0; null when nothing was evaluated.",
    )
    passed = serializers.BooleanField(
        allow_null=True, help_text="At or above the pass mark and no critical error; null without a score."
    )
    penalty = serializers.IntegerField(help_text="APT: the sum of the severity weights.")
    evaluated = serializers.IntegerField(help_text="EWC: source words (characters for CJK sources).")
    unit = serializers.CharField()
    threshold = serializers.DecimalField(max_digits=5, decimal_places=2)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Errors per severity.")


class AnnotationSerializer(serializers.ModelSerializer):
    translation = serializers.IntegerField(source="translation_id", read_only=True)
    label = serializers.SerializerMethodField()
    span_text = serializers.SerializerMethodField()
    reviewer = ActorSerializer(read_only=True)

    class Meta:
        model = ErrorAnnotation
        fields = [
            "id", "translation", "version", "start", "end", "span_text", "dimension", "subtype", "label",
            "severity", "note", "reviewer", "created_at",
        ]
        read_only_fields = fields

    def get_label(self, annotation) -> str:
        return mqm.category_label(annotation.dimension, annotation.subtype)

    def get_span_text(self, annotation) -> str:
        return annotation.text[annotation.start:annotation.end]


class VersionAssessmentSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    text = serializers.CharField()
    is_current = serializers.BooleanField()
    annotations = AnnotationSerializer(many=True)
    score = ScoreSerializer()


class AssessmentSerializer(serializers.Serializer):
    translation = serializers.IntegerField()
    current_version = serializers.IntegerField()
    versions = VersionAssessmentSerializer(many=True, help_text="Current version first, then each annotated one.")
    weights = serializers.DictField(child=serializers.IntegerField(), help_text="Penalty points per severity.")
    threshold = serializers.DecimalField(max_digits=5, decimal_places=2)
    unit = serializers.CharField()


class AnnotateSerializer(serializers.Serializer):
    """A span by offsets (``start``, ``end``) or by its words (``quote``, ``occurrence``)."""

    version = serializers.IntegerField(
        min_value=1, max_value=MAX_VERSION, help_text="The version you judged; 409 if it is no longer current."
    )
    start = serializers.IntegerField(min_value=0, max_value=10**6, required=False, allow_null=True, default=None)
    end = serializers.IntegerField(min_value=0, max_value=10**6, required=False, allow_null=True, default=None)
    quote = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False, default="")
    occurrence = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True, default=None)
    dimension = serializers.ChoiceField(choices=list(mqm.DIMENSIONS.items()))
    subtype = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=MqmSeverity.choices)
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True, default="")

    def validate(self, data):
        if not mqm.is_valid(data["dimension"], data["subtype"]):
            raise serializers.ValidationError({"subtype": f"“{data['subtype']}” is not a subtype of {data['dimension']}."})
        if (data["start"] is None) != (data["end"] is None):
            raise serializers.ValidationError("Give both the start and the end of the span.")
        if data["start"] is None and not data["quote"]:
            raise serializers.ValidationError("Give the span: start and end, or the words in error and their occurrence.")
        return data


class _OnTranslation(ProjectScoped):
    @cached_property
    def translation(self):
        return translation_in(self.project, self.kwargs["translation_id"])


@extend_schema(tags=["quality"])
class TranslationQualityView(_OnTranslation, generics.GenericAPIView):
    """The MQM assessment of a translation, as its Quality page shows it: each annotated
    version (and the current one) with its annotations, score and verdict under the
    project's weights and pass mark. Three queries whatever the number of annotations.

    POST annotates a span of ``version`` (Action.REVIEW), which must be the current one
    (409 ``edit_conflict`` with the current text otherwise); one's own rendering is
    refused (403) unless the project allows self-approval."""

    action = Action.VIEW
    write_action = Action.REVIEW
    serializer_class = AssessmentSerializer
    queryset = ErrorAnnotation.objects.none()
    pagination_class = None

    @extend_schema(responses={200: AssessmentSerializer})
    def get(self, request, *args, **kwargs):
        translation = self.translation
        project = self.project
        translation.segment.document.project = project
        assessment = translation_assessment(translation, policy=quality_policy_of(project))
        for version in assessment["versions"]:
            version.score = _score(version.score)
        body = {
            "translation": translation.pk,
            "current_version": translation.version,
            "versions": assessment["versions"],
            "weights": {str(k): v for k, v in assessment["weights"].items()},
            "threshold": assessment["threshold"],
            "unit": mqm.count_unit(project.source_language),
        }
        return Response(AssessmentSerializer(body).data)

    @extend_schema(request=AnnotateSerializer, responses={201: AnnotationSerializer})
    def post(self, request, *args, **kwargs):
        translation = self.translation  # another project's translation is 404 whatever the body
        incoming = AnnotateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        annotation = error_annotation_create(
            translation=translation, user=request.user, base_version=data["version"],
            dimension=data["dimension"], subtype=data["subtype"], severity=data["severity"],
            start=data["start"], end=data["end"], quote=data["quote"], occurrence=data["occurrence"],
            note=data["note"],
        )
        annotation.reviewer = request.user
        return Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)


def _score(score: mqm.Score) -> dict:
    return {
        "value": score.value, "passed": score.passed, "penalty": score.penalty, "evaluated": score.evaluated,
        "unit": score.unit, "threshold": score.threshold, "counts": {str(k): v for k, v in score.counts.items()},
    }


@extend_schema(tags=["quality"])
class AnnotationDetailView(_OnTranslation, generics.GenericAPIView):
    """Withdraw an annotation (Action.REVIEW): its reviewer may; a manager may remove
    another's with a ``reason`` (in the body or the query). History keeps it."""

    action = write_action = Action.REVIEW
    queryset = ErrorAnnotation.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, description="Why; required to remove another reviewer's.")],
        request=None, responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        annotation = ErrorAnnotation.objects.filter(pk=self.kwargs["annotation_id"], translation=self.translation).first()
        if annotation is None:
            raise Http404("No such annotation on this translation.")
        reason = request.data.get("reason") if hasattr(request.data, "get") else None
        reason = reason if isinstance(reason, str) else request.query_params.get("reason", "")
        if len(reason) > 500:
            raise serializers.ValidationError({"reason": "Ensure this field has no more than 500 characters."})
        error_annotation_delete(annotation=annotation, user=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the document's report ----------------------------------------------------------------------


class TranslatorRowSerializer(serializers.Serializer):
    author = ActorSerializer()
    candidates = serializers.IntegerField()
    score = ScoreSerializer()


class CandidateRowSerializer(serializers.Serializer):
    translation = serializers.IntegerField(source="translation.pk")
    segment = serializers.IntegerField(source="translation.segment_id")
    position = serializers.IntegerField(source="translation.segment.position")
    version = serializers.IntegerField(help_text="The latest annotated version, the one scored.")
    evaluated = serializers.IntegerField()
    score = ScoreSerializer()


class DimensionRowSerializer(serializers.Serializer):
    slug = serializers.CharField()
    label = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Errors per severity.")
    total = serializers.IntegerField()


class DocumentReportSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    language = serializers.CharField()
    annotation_count = serializers.IntegerField()
    candidate_count = serializers.IntegerField()
    assessed_count = serializers.IntegerField()
    score = ScoreSerializer()
    dimension_rows = DimensionRowSerializer(many=True)
    severity_totals = serializers.DictField(child=serializers.IntegerField())
    translators = TranslatorRowSerializer(many=True)
    candidates = CandidateRowSerializer(many=True)
    weights = serializers.DictField(child=serializers.IntegerField())
    threshold = serializers.DecimalField(max_digits=5, decimal_places=2)
    unit = serializers.CharField()


@extend_schema(tags=["quality"])
class DocumentQualityView(ProjectScoped, generics.GenericAPIView):
    """A document's MQM report in one language: counts by dimension × severity, the
    document's score and verdict, a row per translator and per assessed candidate (each
    candidate's latest annotated version). A fixed number of queries whatever the size."""

    action = Action.VIEW
    serializer_class = DocumentReportSerializer
    queryset = ErrorAnnotation.objects.none()
    pagination_class = None

    def get(self, request, *args, **kwargs):
        project = self.project
        document = document_in(project, self.kwargs["document_id"])
        language = language_in(project, self.kwargs["language"])
        document.project = project
        report = document_quality_report(document, language, policy=quality_policy_of(project))
        by_severity = lambda values: dict(zip(mqm.SEVERITIES, values, strict=True))  # noqa: E731
        body = {
            **report,
            "document": document.pk,
            "language": language,
            "score": _score(report["score"]),
            "dimension_rows": [{**row, "counts": by_severity(row["counts"])} for row in report["dimension_rows"]],
            "severity_totals": by_severity(report["severity_totals"]),
            "translators": [{**row, "score": _score(row["score"])} for row in report["translators"]],
            "candidates": [{**row, "score": _score(row["score"])} for row in report["candidates"]],
            "weights": {str(k): v for k, v in report["weights"].items()},
        }
        return Response(DocumentReportSerializer(body).data)
