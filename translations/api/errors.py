"""Every API error in one shape: ``{"error": {"code", "message", "details"}}``.

``code`` is a stable machine name (``not_found``, ``validation_error``,
``edit_conflict``, ``stale_version`` ...), ``message`` is the sentence a person
should read, ``details`` carries what a client needs to act: the fields at
fault, or both texts of a conflict. Domain errors raised by the services keep
their own status codes (409 for conflicts, 403 for self-review, ...).
"""

import logging
import re

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .. import security_log
from ..exceptions import DomainError, EditConflict, StaleVersion

logger = logging.getLogger(__name__)

_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def _domain_details(error: DomainError) -> dict:
    if isinstance(error, EditConflict):
        return {
            "base_version": error.base_version,
            "current_version": error.current_version,
            "current_text": error.current_text,
            "attempted_text": error.attempted_text,
        }
    if isinstance(error, StaleVersion):
        return {
            "decided_version": error.decided_version,
            "current_version": error.current_version,
            "current_text": error.current_text,
        }
    return {}


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _first_message(value)
            if text:
                return text if key == "non_field_errors" else f"{key}: {text}"
    if isinstance(detail, list):
        for value in detail:
            text = _first_message(value)
            if text:
                return text
    return str(detail) if detail else ""


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DomainError):
        set_rollback()
        code = _snake(type(exc).__name__)
        return Response(error_body(code, exc.message, _domain_details(exc)), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        if request is not None:
            security_log.access_refused(request._request, status=403, reason=str(exc))
        exc = exceptions.PermissionDenied(getattr(exc, "message", None) or str(exc) or "You may not do that.")
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handling and logging
    set_rollback()
    code = next((name for kind, name in _CODES.items() if isinstance(exc, kind)), _snake(type(exc).__name__))
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(details) or "The request is not valid."
        body = error_body(code, message, {"fields": details})
    else:
        body = error_body(code, str(exc.detail))
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)) and request is not None:
        # DRF answers 403 when no authenticator offers a WWW-Authenticate header; ours always does.
        headers.setdefault("WWW-Authenticate", "Token")
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    return Response(body, status=exc.status_code, headers=headers)
