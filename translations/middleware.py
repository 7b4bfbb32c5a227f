"""Turn refused changes into clear answers instead of 500s.

A DomainError that escapes a view becomes its status code (400, 409, ...)
with the message: as a small alert fragment for htmx requests, as a flash
message and a redirect back for ordinary form posts. A database that cannot
be reached becomes a 503 page that itself needs no database.
"""

import logging

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from . import security_log
from .exceptions import DomainError

logger = logging.getLogger(__name__)

# Django wraps the driver's errors, psycopg_pool's PoolTimeout included (it is
# a psycopg OperationalError), so these two cover "the database is not there".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable_response(request, error) -> HttpResponse:
    """The 503 answer, rendered without the request: context processors would
    read the session and the user, that is, the database that just failed."""
    logger.error("Database unavailable, answered 503 to %s %s: %s", request.method, request.path, error)
    # On the way out, middleware that asks who the user is (PrivatePagesMiddleware)
    # would wait for the database all over again (a pool timeout each time).
    request.user = AnonymousUser()
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "healthz":
        # Failed around the view (a session cookie was sent): still the probe's own answer.
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    htmx = request.headers.get("HX-Request") == "true"
    html = render_to_string("503.html#message" if htmx else "503.html", {"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    if htmx:
        response["HX-Retarget"] = "#il-errors"
        response["HX-Reswap"] = "innerHTML"
    return response


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 with a page saying so, not a
    traceback. Failures before the view (loading the session) reach
    ``translations.views.errors.server_error`` instead, which does the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable_response(request, exception)
        return None


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        if getattr(request, "htmx", False):
            html = render_to_string("translations/_error.html", {"message": exception.message}, request=request)
            response = HttpResponse(html, status=exception.status_code)
            # Shown in the page's error region (base.html), leaving the form as typed.
            response["HX-Retarget"] = "#il-errors"
            response["HX-Reswap"] = "innerHTML"
            return response
        messages.error(request, exception.message)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            back = "/"
        return HttpResponseRedirect(back, status=303)


class PrivatePagesMiddleware:
    """Pages show sensitive, unpublished material: never let a shared cache or
    the browser's back-forward cache keep them after logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


class SecurityRefusalLogMiddleware:
    """Log every 403 a view raises (NotAllowed and other PermissionDenied) with
    who was refused what; Django's own "Forbidden" log line names neither."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            security_log.access_refused(request, status=403, reason=str(exception))
        return None
