"""Page images: metadata, upload, the display copy, and the original.

As on the web, anyone who may transcribe uploads; every member gets the
display copy (re-encoded, metadata stripped); the original bytes go only to
those who may download originals (managers, site admins), served with the
web views' own headers and logged the same way. Uploads are refused with a
reason (duplicate, not an image, too large), never a 500.
"""


from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, parsers, renderers, serializers, status
from rest_framework.response import Response

from ..models import DocumentImage
from ..permissions import Action, can
from ..services import document_image_add
from ..views.access import document_in, image_in
from ..views.images import display_response, original_response
from .base import ProjectScoped, object_in_project


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is larger than the server accepts."
    default_code = "upload_too_large"


class ImageSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="document_id", read_only=True)
    format = serializers.CharField(source="image_format", read_only=True, help_text="JPEG, PNG, WEBP or TIFF.")
    size = serializers.IntegerField(source="byte_size", read_only=True, help_text="Bytes of the original.")
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    display_url = serializers.SerializerMethodField(help_text="The display copy, metadata stripped.")
    original_url = serializers.SerializerMethodField(
        help_text="The original bytes; null unless you may download originals."
    )

    class Meta:
        model = DocumentImage
        fields = ["id", "document", "position", "original_filename", "sha256", "format", "size", "width", "height",
                  "uploaded_by", "created_at", "display_url", "original_url"]
        read_only_fields = fields

    def _url(self, name, image) -> str:
        request = self.context["request"]
        return request.build_absolute_uri(
            reverse(f"api:{name}", kwargs={"slug": self.context["project"].slug, "image_id": image.pk})
        )

    def get_display_url(self, image) -> str:
        return self._url("image-display", image)

    def get_original_url(self, image) -> str | None:
        if not can(self.context["request"].user, Action.DOWNLOAD_ORIGINAL, self.context["project"]):
            return None
        return self._url("image-original", image)


class ImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="One JPEG, PNG, WebP or TIFF image.")


class _ImageScoped(ProjectScoped):
    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["project"] = self.project
        return context


@extend_schema(tags=["images"])
class ImageListView(_ImageScoped, generics.ListAPIView):
    """A document's page images in page order; POST (multipart, field ``file``) uploads one."""

    serializer_class = ImageSerializer
    write_action = Action.TRANSCRIBE  # as the web upload: whoever transcribes adds page photographs
    parser_classes = [parsers.MultiPartParser]
    ordering = ["position", "id"]
    ordering_fields = ["position", "created_at", "id"]
    filterset_fields = {"image_format": ["exact"], "sha256": ["exact"]}
    queryset = DocumentImage.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentImage.objects.none()
        document = document_in(self.project, self.kwargs["document_id"])
        return DocumentImage.objects.filter(document=document).select_related("uploaded_by")

    # ``many=True`` tells the schema this is a list: the view's ``action`` (a permission) hides it otherwise.
    @extend_schema(responses=ImageSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImageUploadSerializer},
        responses={201: ImageSerializer},
    )
    def post(self, request, *args, **kwargs):
        document = document_in(self.project, self.kwargs["document_id"])
        try:
            uploads = request.FILES.getlist("file")
        except RequestDataTooBig:
            raise UploadTooLarge("The upload is larger than the server accepts in one request.") from None
        except TooManyFilesSent:
            raise exceptions.ValidationError({"file": ["Send one file per request."]}) from None
        except (TooManyFieldsSent, MultiPartParserError, BadRequest, UnreadablePostError):
            raise exceptions.ParseError("The upload could not be read (malformed or interrupted).") from None
        if not uploads:
            raise exceptions.ValidationError({"file": ["Send the image as the multipart field “file”."]})
        if len(uploads) > 1:
            raise exceptions.ValidationError({"file": ["Send one file per request."]})
        upload = uploads[0]
        limit = settings.IMAGE_UPLOAD_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise UploadTooLarge(f"The file is larger than the limit of {limit // (1024 * 1024)} MB.")
        image = document_image_add(document=document, user=request.user, upload=upload, filename=upload.name)
        image = DocumentImage.objects.select_related("uploaded_by").get(pk=image.pk)
        return Response(ImageSerializer(image, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["images"])
class ImageDetailView(_ImageScoped, generics.RetrieveAPIView):
    """One page image's metadata, with links to its display copy and (if you may) its original."""

    serializer_class = ImageSerializer
    queryset = DocumentImage.objects.none()

    def get_object(self):
        return object_in_project(DocumentImage.objects.select_related("uploaded_by"), self.project,
                                 pk=self.kwargs["image_id"], path="document__project")


class _BinaryRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file's type in Accept; the file itself is a FileResponse, never rendered."""

    charset = None
    format = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class JpegRenderer(_BinaryRenderer):
    media_type = "image/jpeg"


class PngRenderer(_BinaryRenderer):
    media_type = "image/png"


class OctetStreamRenderer(_BinaryRenderer):
    media_type = "application/octet-stream"


class _FileView(ProjectScoped, generics.GenericAPIView):
    file_renderers: list = []
    queryset = DocumentImage.objects.none()

    def get_renderers(self):
        # The schema documents errors as JSON only; the file types are named on the 200 answer.
        if getattr(self, "swagger_fake_view", False):
            return [renderers.JSONRenderer()]
        return [renderers.JSONRenderer(), *(renderer() for renderer in self.file_renderers)]

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error: always JSON, whatever Accept asked for
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema(tags=["images"])
class ImageDisplayView(_FileView):
    """The display copy: re-encoded, upright, with every metadata block (EXIF GPS included) removed."""

    file_renderers = [JpegRenderer, PngRenderer]

    @extend_schema(responses={
        (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The display copy."),
        (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The display copy (images with transparency)."),
    })
    def get(self, request, *args, **kwargs):
        return display_response(image_in(self.project, self.kwargs["image_id"]))


@extend_schema(tags=["images"])
class ImageOriginalView(_FileView):
    """The uploaded bytes, unaltered; ``X-Content-SHA256`` carries their SHA-256 for checking."""

    action = Action.DOWNLOAD_ORIGINAL
    file_renderers = [OctetStreamRenderer]

    @extend_schema(responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The original bytes."),
    })
    def get(self, request, *args, **kwargs):
        image = image_in(self.project, self.kwargs["image_id"])
        return original_response(image, request.user, through=" through the API")
