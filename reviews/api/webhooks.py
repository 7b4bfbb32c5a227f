"""A project's webhooks and their recent deliveries, for its managers (Action.MANAGE_POLICY).

A hook's secret is in two answers only: the one that makes the hook, and the
one that rotates its secret (PATCH with ``rotate_secret``). Every change goes
through ``reviews.webhooks`` and is in history.
"""

from functools import cached_property

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from translations.api.base import ProjectScoped, object_in_project
from translations.permissions import Action

from ..models import Webhook, WebhookDelivery, WebhookEvent
from ..webhooks import webhook_create, webhook_delete, webhook_secret_rotate, webhook_update
from ..webhooks.addresses import MAX_URL_LENGTH

EVENT_HELP = "Events to send: " + "; ".join(f"{value} ({label.lower()})" for value, label in WebhookEvent.choices)


def _events(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False,
        max_length=len(WebhookEvent.values) * 2, help_text=EVENT_HELP, **kwargs,
    )


class WebhookSerializer(serializers.ModelSerializer):
    events = _events(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "is_active", "created_by", "created_at"]
        read_only_fields = fields


class NewWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, allow_null=True,
        help_text="The signing secret: only in the answer that makes the hook or rotates its secret, null otherwise.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=MAX_URL_LENGTH, help_text="http(s) address that receives the POSTs.")
    events = _events()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="Recorded in history.")


class WebhookUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=MAX_URL_LENGTH, required=False)
    events = _events(required=False)
    is_active = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(
        required=False, default=False, help_text="Make a new secret; the answer carries it, this once."
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="Recorded in history.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    # Plain text here: the schema names the event choices once, after the hooks' ``events``.
    event = serializers.CharField(read_only=True, help_text=" or ".join(WebhookEvent.values))

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event", "state", "attempts", "next_attempt_at", "last_status", "last_error", "created_at",
            "delivered_at", "payload",
        ]
        read_only_fields = fields


class _Managed(ProjectScoped):
    action = Action.MANAGE_POLICY

    @cached_property
    def webhook(self) -> Webhook:
        return object_in_project(
            Webhook.objects.select_related("created_by", "project"), self.project, pk=self.kwargs["webhook_id"],
            path="project",
        )


@extend_schema(tags=["webhooks"])
class WebhookListView(_Managed, generics.ListCreateAPIView):
    """The project's webhooks; POST adds one and answers its secret, this once."""

    serializer_class = WebhookSerializer
    ordering = ["-id"]
    ordering_fields = ["id"]
    filterset_fields = {"is_active": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(project=self.project).select_related("created_by")

    @extend_schema(request=WebhookCreateSerializer, responses={201: NewWebhookSerializer})
    def post(self, request, *args, **kwargs):
        incoming = WebhookCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        hook, secret = webhook_create(
            project=self.project, user=request.user, url=data["url"], events=data["events"],
            reason=data.get("reason", ""),
        )
        hook.secret = secret
        return Response(NewWebhookSerializer(hook).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class WebhookDetailView(_Managed, generics.GenericAPIView):
    """One webhook: read it, change its address, events or switch, rotate its secret, remove it."""

    serializer_class = WebhookSerializer
    queryset = Webhook.objects.none()

    def get(self, request, *args, **kwargs):
        return Response(WebhookSerializer(self.webhook).data)

    @extend_schema(request=WebhookUpdateSerializer, responses={200: NewWebhookSerializer})
    def patch(self, request, *args, **kwargs):
        incoming = WebhookUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        secret = None
        with transaction.atomic():  # a change and a new secret land together or not at all
            hook = webhook_update(
                webhook=self.webhook, user=request.user, url=data.get("url"), events=data.get("events"),
                is_active=data.get("is_active"), reason=data.get("reason", ""),
            )
            if data["rotate_secret"]:
                hook, secret = webhook_secret_rotate(webhook=hook, user=request.user, reason=data.get("reason", ""))
        hook.created_by = self.webhook.created_by
        hook.secret = secret
        return Response(NewWebhookSerializer(hook).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        webhook_delete(webhook=self.webhook, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["webhooks"])
class WebhookDeliveryListView(_Managed, generics.ListAPIView):
    """What was sent to one webhook, newest first: state, attempts, the receiver's last answer."""

    serializer_class = WebhookDeliverySerializer
    ordering = ["-id"]
    ordering_fields = ["id"]
    filterset_fields = {"state": ["exact"], "event": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return WebhookDelivery.objects.filter(webhook=self.webhook)
