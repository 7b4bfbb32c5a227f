from django.core.paginator import Paginator
from django.shortcuts import render

from ..models import Authenticity
from ..permissions import Action, can
from ..selectors import document_progress, documents_for_dashboard
from .access import project_for

PROGRESS_CHOICES = [
    ("", "Any progress"),
    ("not_started", "Nothing published"),
    ("in_progress", "Partly published"),
    ("complete", "Fully published"),
]


def project_dashboard(request, slug):
    project = project_for(request, slug)
    search = request.GET.get("q", "").strip()[:200]
    if "\x00" in search:
        search = ""  # no document holds a NUL, and PostgreSQL refuses one in a query
    authenticity = request.GET.get("authenticity", "")
    if authenticity not in Authenticity.values:
        authenticity = ""
    progress = request.GET.get("progress", "")
    if progress not in dict(PROGRESS_CHOICES):
        progress = ""
    documents = documents_for_dashboard(project, search=search, authenticity=authenticity, progress=progress)
    page = Paginator(documents, 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    document_progress(page.object_list, project.target_languages)
    context = {
        "project": project,
        "page": page,
        "search": search,
        "authenticity": authenticity,
        "progress": progress,
        "authenticity_choices": Authenticity.choices,
        "progress_choices": PROGRESS_CHOICES,
        "filtered": bool(search or authenticity or progress),
        "can_create": can(request.user, Action.CREATE_DOCUMENT, project),
        "can_manage_policy": can(request.user, Action.MANAGE_POLICY, project),
    }
    return render(request, "translations/dashboard.html", context)
