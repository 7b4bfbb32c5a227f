"""The app's URLs plus one trivial view: the floor that benchmarks compare against.

`manage.py benchmark` and `scripts/loadtest.py` serve this URL conf (ROOT_URLCONF=
config.urls_floor) so that "what Django itself can serve on this machine" is measured
through the same middleware stack, session and login as every real page.
"""

from django.http import HttpResponse
from django.urls import path

from .urls import handler500, urlpatterns as app_urlpatterns  # noqa: F401 — handler500 re-exported


def trivial(request):
    """A signed-in user's cheapest possible page: no template, no query of its own."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__floor__/", trivial, name="benchmark_floor"), *app_urlpatterns]
