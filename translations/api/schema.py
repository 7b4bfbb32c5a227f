"""The OpenAPI schema documents the error shape on every operation.

Clients (and schemathesis in CI) can then rely on it: whatever goes wrong,
the body is ``{"error": {"code", "message", "details"}}``.
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from drf_spectacular.plumbing import is_list_serializer
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin

from ..permissions import Action

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Stable machine name: not_found, validation_error, edit_conflict …"),
                "message": serializers.CharField(help_text="What went wrong, for a person to read."),
                "details": serializers.DictField(help_text="Fields at fault, or both texts of a conflict."),
            },
        )
    },
)

_ERRORS = {
    "400": "The request is not valid; nothing was changed.",
    "401": "No valid API token or session.",
    "403": "Your role in this project does not allow this.",
    "404": "No such object in a project you belong to.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "The object changed since the version you named; nothing was changed.",
    "413": "The upload is too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests for this token; retry after the given seconds.",
    "503": "The database is unavailable; retry later.",
    "507": "The server's storage is full; nothing was stored.",
}


class AutoSchema(openapi.AutoSchema):
    def _is_list_view(self, serializer=None):
        # Our views' ``action`` is the permission they need (translations.api.base.ProjectScoped),
        # not a viewset action: decide list-ness as for a plain generic view.
        if isinstance(getattr(self.view, "action", None), Action):
            if is_list_serializer(serializer if serializer is not None else self.get_response_serializers()):
                return True
            return self.method == "GET" and isinstance(self.view, ListModelMixin)
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in _ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code, direction=direction
                )
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "translations.api.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <secret>` — make one on your API tokens page.",
        }
