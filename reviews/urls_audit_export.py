from django.http import Http404
from django.urls import path


def _pending(request, *args, **kwargs):
    raise Http404("Not built yet.")


urlpatterns = [
    path("audit/export.<str:fmt>", _pending, name="audit_export"),
]
