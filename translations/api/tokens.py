"""The caller's own API tokens: list, make (the secret is in this one answer), revoke."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from ..models import ApiToken
from ..services.tokens import api_token_create, api_token_revoke
from .base import ApiMixin


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only in this answer; it is not stored.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "secret"]


@extend_schema(tags=["tokens"])
class ApiTokenListView(ApiMixin, generics.ListCreateAPIView):
    """Your API tokens, newest first; POST (signed-in session only, not a token) makes one and
    answers its secret once."""

    serializer_class = ApiTokenSerializer
    ordering = ["-id"]
    filterset_fields = {"revoked_at": ["isnull"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def post(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiToken):
            # Otherwise a leaked token could mint others that outlive its revocation.
            raise exceptions.PermissionDenied(
                "A token cannot make another; make tokens on your API tokens page, signed in."
            )
        incoming = ApiTokenSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        token, secret = api_token_create(user=request.user, name=incoming.validated_data["name"])
        token.secret = secret
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tokens"])
class ApiTokenDetailView(ApiMixin, generics.RetrieveDestroyAPIView):
    """One of your tokens; DELETE revokes it (it stays listed, unusable)."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(responses={200: ApiTokenSerializer})
    def delete(self, request, *args, **kwargs):
        token = api_token_revoke(token=self.get_object(), user=request.user)
        return Response(ApiTokenSerializer(token).data)
