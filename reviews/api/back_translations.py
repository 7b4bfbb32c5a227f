"""Back-translations over the API: asked by a reviewer of a named version, answered only
by the member asked (anyone else gets 404, as on the web page), never published.

Mirrors ``reviews.views.quality``'s back-translation views and calls the same services.
"""

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from translations.api.base import ApiView, ProjectListCreate
from translations.api.history import ActorSerializer
from translations.api.translations import MAX_VERSION
from translations.permissions import Action

from ..models import BackTranslation, BackTranslationState
from ..selectors.quality import back_translations_for
from ..services.quality import (
    MAX_BACK_TRANSLATION_LENGTH,
    MAX_NOTE_LENGTH,
    back_translation_complete,
    back_translation_decline,
    back_translation_request,
)
from .quality import _OnTranslation


class BackTranslationSerializer(serializers.ModelSerializer):
    translation = serializers.IntegerField(source="translation_id", read_only=True)
    project = serializers.CharField(source="translation.segment.document.project.slug", read_only=True)
    document = serializers.IntegerField(source="translation.segment.document_id", read_only=True)
    position = serializers.IntegerField(source="translation.segment.position", read_only=True)
    language = serializers.CharField(source="translation.language", read_only=True)
    source_text = serializers.CharField(source="translation.segment.source_text", read_only=True)
    requested_by = ActorSerializer(read_only=True)
    assignee = ActorSerializer(read_only=True)
    text = serializers.SerializerMethodField(help_text="The back-translation, once done; null otherwise.")
    decline_reason = serializers.SerializerMethodField(help_text="Why the assignee declined; null otherwise.")

    class Meta:
        model = BackTranslation
        fields = [
            "id", "project", "document", "translation", "position", "language", "version", "source_text",
            "rendering", "requested_by", "assignee", "request_note", "state", "text", "decline_reason",
            "requested_at", "completed_at",
        ]
        read_only_fields = fields

    def get_text(self, back) -> str | None:
        return back.text if back.state == BackTranslationState.DONE else None

    def get_decline_reason(self, back) -> str | None:
        return back.text if back.state == BackTranslationState.DECLINED else None


class BackTranslationRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_VERSION, help_text="The version to back-translate; 409 if it is no longer current."
    )
    assignee = serializers.CharField(max_length=150, help_text="Username of a member who translates and did not write it.")
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True, default="")


_BACK_RELATED = ("translation__segment__document__project", "requested_by", "assignee")


@extend_schema(tags=["quality"])
class BackTranslationListView(_OnTranslation, ProjectListCreate):
    """Back-translations asked for a translation, latest first. POST (Action.REVIEW) asks a
    member who translates, and wrote neither the rendering nor its current version, to
    translate ``version`` back into the source language. Never published."""

    action = Action.VIEW
    write_action = Action.REVIEW
    serializer_class = BackTranslationSerializer
    filterset_fields = ["state", "version"]
    ordering = ["-id"]
    ordering_fields = ["id", "version", "requested_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BackTranslation.objects.none()
        return BackTranslation.objects.filter(translation=self.translation).select_related(*_BACK_RELATED)

    @extend_schema(request=BackTranslationRequestSerializer, responses={201: BackTranslationSerializer})
    def post(self, request, *args, **kwargs):
        translation = self.translation
        incoming = BackTranslationRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        assignee = get_user_model().objects.filter(username=data["assignee"]).first()  # None: the service refuses
        back = back_translation_request(
            translation=translation, user=request.user, assignee=assignee, base_version=data["version"],
            note=data["note"],
        )
        back = BackTranslation.objects.select_related(*_BACK_RELATED).get(pk=back.pk)
        return Response(BackTranslationSerializer(back).data, status=status.HTTP_201_CREATED)


class MyBackTranslationsSerializer(serializers.Serializer):
    open = BackTranslationSerializer(many=True, help_text="Waiting for you, oldest first (up to 200).")
    closed = BackTranslationSerializer(many=True, help_text="Done or declined, latest first (up to 50).")


@extend_schema(tags=["quality"])
class MyBackTranslationsView(ApiView):
    """The back-translations asked of you, across the projects you belong to: what the
    "My back-translations" page shows. A fixed number of queries."""

    @extend_schema(responses={200: MyBackTranslationsSerializer})
    def get(self, request, *args, **kwargs):
        mine = back_translations_for(request.user)
        for back in (*mine["open"], *mine["closed"]):
            back.assignee = request.user  # asked of the caller, by the selector's filter: no query per row
        return Response(MyBackTranslationsSerializer(mine).data)


class BackTranslationAnswerSerializer(serializers.Serializer):
    """Exactly one of ``text`` (complete) or ``decline_reason`` (decline)."""

    text = serializers.CharField(max_length=MAX_BACK_TRANSLATION_LENGTH, required=False, trim_whitespace=False)
    decline_reason = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False)

    def validate(self, data):
        if ("text" in data) == ("decline_reason" in data):
            raise serializers.ValidationError("Give either the back-translation (text) or why you decline (decline_reason).")
        return data


@extend_schema(tags=["quality"])
class BackTranslationAnswerView(ApiView):
    """Write the back-translation asked of you, or decline it with a reason. Only the
    member it was asked of: for anyone else the request does not exist (404)."""

    @extend_schema(request=BackTranslationAnswerSerializer, responses={200: BackTranslationSerializer})
    def post(self, request, *args, **kwargs):
        back = BackTranslation.objects.filter(pk=self.kwargs["back_translation_id"], assignee=request.user).first()
        if back is None:
            raise Http404("No such request of yours.")
        incoming = BackTranslationAnswerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if "text" in data:
            back_translation_complete(back_translation=back, user=request.user, text=data["text"])
        else:
            back_translation_decline(back_translation=back, user=request.user, reason=data["decline_reason"])
        back = BackTranslation.objects.select_related(*_BACK_RELATED).get(pk=back.pk)
        return Response(BackTranslationSerializer(back).data)
