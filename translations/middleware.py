"""Turn refused changes into clear answers instead of 500s.

A DomainError that escapes a view becomes its status code (400, 409, ...)
with the message: as a small alert fragment for htmx requests, as a flash
message and a redirect back for ordinary form posts.
"""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from .exceptions import DomainError


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
