"""Exports and imports over the API: the web's interchange, in one request each.

Exports (``translations.views.interchange``): any member (Action.VIEW); the
file's bytes with the web export's content type and file name, approved text
only (invariant 4). An unknown format or language is 404, as on the web.

Imports: the same right as the web import (Action.TRANSCRIBE; candidates
also need Action.TRANSLATE, checked by the importer), the same reader and
importer. ``dry_run`` answers the plan — the web's preview — and writes
nothing; otherwise the plan is carried out whole or not at all (invariant 8).
The web keeps the file between preview and confirmation (``staging``); here
a client that wants the same guarantee sends back the dry run's
``fingerprint``, and the import is refused with 409 when the document changed
meanwhile. A refused file is 400 with the message naming the line, unit or
byte offset at fault, and nothing is written.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, parsers, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from ..interchange import (
    EXPORT_FORMATS,
    ExportRefused,
    document_import,
    export_document,
    export_project,
    import_plan,
    read_upload,
)
from ..interchange.importing import SAMPLE_SIZE, display_filename
from ..interchange.readers import IMPORT_FORMATS, check_size
from ..interchange.writers import WRITERS
from ..models import Document
from ..permissions import Action
from ..views.access import document_in, language_in
from .base import ProjectScoped

EXPORT_CONTENT_TYPES = sorted({writer.CONTENT_TYPE for writer in WRITERS.values()})


class AnyAccept(DefaultContentNegotiation):
    """A download is asked for with its own media type (``Accept: application/zip``);
    answers that are not the file (errors) are JSON whatever was accepted."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportQuerySerializer(serializers.Serializer):
    language = serializers.CharField(max_length=35, help_text="A target language of the project.")


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ExportView(ProjectScoped, generics.GenericAPIView):
    content_negotiation_class = AnyAccept
    queryset = Document.objects.none()
    serializer_class = ExportQuerySerializer
    http_method_names = ["get", "head", "options"]

    def export_language(self) -> tuple[str, str]:
        query = ExportQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        fmt = self.kwargs["fmt"]
        if fmt not in EXPORT_FORMATS:
            raise ExportRefused(f"Unknown export format {fmt[:40]!r}; use one of {', '.join(EXPORT_FORMATS)}.")
        return language_in(self.project, query.validated_data["language"]), fmt


_EXPORT_PARAMETERS = [
    OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(EXPORT_FORMATS)),
    OpenApiParameter("language", OpenApiTypes.STR, required=True, description="A target language of the project."),
]


@extend_schema(
    tags=["interchange"],
    parameters=_EXPORT_PARAMETERS,
    responses={
        # A JSON export is parsed by clients (and schemathesis) as JSON: an object, not a string.
        (200, content_type): OpenApiResponse(
            OpenApiTypes.OBJECT if content_type == "application/json" else OpenApiTypes.BINARY, description="The file."
        )
        for content_type in EXPORT_CONTENT_TYPES
    },
)
class DocumentExportView(ExportView):
    """The document as an interchange file: every live segment, approved renderings only as targets."""

    def get(self, request, slug, document_id, fmt):
        document = document_in(self.project, document_id)
        language, fmt = self.export_language()
        document.project = self.project
        return _attachment(*export_document(document, language, fmt))


@extend_schema(
    tags=["interchange"],
    parameters=_EXPORT_PARAMETERS,
    responses={
        (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A zip, one file per document.")
    },
)
class ProjectExportView(ExportView):
    """Every document of the project in one zip, one file per document."""

    def get(self, request, slug, fmt):
        language, fmt = self.export_language()
        return _attachment(*export_project(self.project, language, fmt))


# --- imports ------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="XLIFF, PO, CSV, JSON, TMX or plain text, in UTF-8 (or UTF-16 with a BOM).")
    language = serializers.CharField(max_length=35, help_text="The target language of the file's targets.")
    format = serializers.ChoiceField(choices=list(IMPORT_FORMATS), default="auto")
    split = serializers.ChoiceField(choices=["line", "sentence"], default="line", help_text="Plain text only.")
    dry_run = serializers.BooleanField(default=False, help_text="Answer the plan and write nothing.")
    fingerprint = serializers.RegexField(
        r"^[0-9a-f]{64}$", required=False,
        help_text="A dry run's fingerprint: the import is refused (409) unless it would do exactly that.",
    )

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def validate_language(self, language):
        if language not in self.project.target_languages:
            raise serializers.ValidationError(
                f"Not a target language of this project; use one of {', '.join(self.project.target_languages)}."
            )
        return language


class ImportPlannedUnitSerializer(serializers.Serializer):
    where = serializers.CharField(source="unit.where", help_text="Where the unit is in the file.")
    unit_id = serializers.CharField(source="unit.unit_id", allow_null=True)
    action = serializers.CharField()
    segment_id = serializers.IntegerField(source="segment.pk", allow_null=True, default=None)
    translation_id = serializers.IntegerField(source="translation.pk", allow_null=True, default=None)
    position = serializers.IntegerField(allow_null=True, help_text="The new segment's position.")


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    filename = serializers.CharField()
    format = serializers.CharField()
    language = serializers.CharField()
    fingerprint = serializers.CharField(help_text="Send it back to import exactly this plan.")
    segments_created = serializers.IntegerField(source="segments_to_create")
    candidates_created = serializers.IntegerField(source="candidates_to_create")
    candidates_updated = serializers.IntegerField(
        source="candidates_to_update", help_text="New versions of your candidates."
    )
    unchanged = serializers.IntegerField()
    without_target = serializers.IntegerField()
    writes_anything = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())
    units = ImportPlannedUnitSerializer(
        many=True, source="sample", help_text=f"The first {SAMPLE_SIZE} units and what each does."
    )


@extend_schema(tags=["interchange"], request=ImportRequestSerializer, responses=ImportResultSerializer)
class DocumentImportView(ProjectScoped, generics.GenericAPIView):
    """Import a file into the document: the plan with ``dry_run``, otherwise all of it or nothing.

    Counts say what the import does (with ``dry_run``: would do)."""

    write_action = Action.TRANSCRIBE
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    queryset = Document.objects.none()
    serializer_class = ImportRequestSerializer
    http_method_names = ["post", "options"]

    def post(self, request, slug, document_id):
        project = self.project
        document = document_in(project, document_id)
        document.project = project
        incoming = ImportRequestSerializer(data=request.data, project=project)
        incoming.is_valid(raise_exception=True)
        options = incoming.validated_data
        upload = options["file"]
        filename = display_filename(upload.name)
        check_size(upload.size)
        parsed = read_upload(
            upload.read(), filename=filename, format=options["format"], split=options["split"],
            language=options["language"],
        )
        arguments = {"document": document, "user": request.user, "language": options["language"], "parsed": parsed,
                     "filename": filename}
        if options["dry_run"]:
            plan = import_plan(**arguments)
        else:
            plan = document_import(**arguments, expected=options.get("fingerprint"))
        plan.dry_run = options["dry_run"]
        return Response(ImportResultSerializer(plan).data)
