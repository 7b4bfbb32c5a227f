"""What every API view shares: login handled by DRF, project scoping through the
same ``project_for`` as the web views, cursor pagination.

Permission answers match the web exactly because they come from the same
functions: an unknown project and a project the caller is not a member of are
both 404 (invariant 9); a member whose role lacks the action gets 403; objects
are looked up inside the project, never by id alone.
"""

from functools import cached_property

from django.http import Http404
from rest_framework import generics
from rest_framework.views import APIView

from ..permissions import Action
from ..views.access import project_for


class ApiMixin:
    """DRF authenticates (token or session); Django's LoginRequiredMiddleware,
    which only knows sessions, must let API requests through to it."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False
        return view


class ApiView(ApiMixin, APIView):
    pass


class ProjectScoped(ApiMixin):
    """A view about one project, named by ``slug`` in the address.

    ``action`` is the right needed to read; ``write_action`` (for POST, PUT,
    PATCH, DELETE) defaults to it. Both are checked by
    ``translations.views.access.project_for``, the web views' own gate.
    """

    action: Action = Action.VIEW
    write_action: Action | None = None

    def required_action(self) -> Action:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.action
        return self.write_action or self.action

    @cached_property
    def project(self):
        return project_for(self.request, self.kwargs["slug"], self.required_action())

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        self.project  # noqa: B018 - checks membership and role before anything else runs


class ProjectList(ProjectScoped, generics.ListAPIView):
    pass


class ProjectListCreate(ProjectScoped, generics.ListCreateAPIView):
    pass


class ProjectDetail(ProjectScoped, generics.RetrieveAPIView):
    pass


def object_in_project(queryset, project, *, pk, path: str):
    """``queryset.get(pk=pk)`` restricted to the project through ``path``
    (``document__project``, ``segment__document__project`` ...); 404 otherwise."""
    found = queryset.filter(**{path: project, "pk": pk}).first()
    if found is None:
        raise Http404("Not found in this project.")
    return found


class NoSuchAddress(ApiView):
    """Any address under /api/v1/ that no route matches: the API's own 404 in the
    error shape (Django's HTML page would break clients parsing JSON)."""

    schema = None
    permission_classes = []
    authentication_classes = []
    throttle_classes = []

    def _refuse(self, request, *args, **kwargs):
        raise Http404("No such address in the API.")

    get = post = put = patch = delete = head = options = _refuse
