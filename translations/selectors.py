"""Reads that pages need, each in a fixed number of queries whatever the data size."""

from django.db.models import Count, Q

from .models import Project, Segment, Translation, TranslationState
from .permissions import roles_of, visible_project_ids


def projects_for_home(user) -> list[Project]:
    """The user's projects with document, segment and translation-state counts (4 queries)."""
    ids = visible_project_ids(user)
    projects = Project.objects.annotate(document_count=Count("documents", distinct=True)).order_by("name")
    if ids is not None:
        projects = projects.filter(pk__in=ids)
    projects = list(projects)
    project_ids = [p.pk for p in projects]
    segment_counts = dict(
        Segment.objects.filter(document__project__in=project_ids, is_deleted=False)
        .values_list("document__project")
        .annotate(n=Count("id"))
        .values_list("document__project", "n")
    )
    state_counts: dict[int, dict[str, int]] = {}
    for project_id, state, n in (
        Translation.objects.filter(segment__document__project__in=project_ids, segment__is_deleted=False)
        .values_list("segment__document__project", "state")
        .annotate(n=Count("id"))
        .values_list("segment__document__project", "state", "n")
    ):
        state_counts.setdefault(project_id, {})[state] = n
    published_counts = dict(
        Translation.objects.filter(
            Q(is_published=True), segment__document__project__in=project_ids, segment__is_deleted=False
        )
        .values_list("segment__document__project")
        .annotate(n=Count("id"))
        .values_list("segment__document__project", "n")
    )
    roles = roles_of(user)
    for project in projects:
        counts = state_counts.get(project.pk, {})
        project.segment_count = segment_counts.get(project.pk, 0)
        project.awaiting_review = counts.get(TranslationState.SUBMITTED, 0)
        project.changes_requested = counts.get(TranslationState.CHANGES_REQUESTED, 0)
        project.published_count = published_counts.get(project.pk, 0)
        project.candidate_count = sum(counts.values())
        project.my_role = roles.get(project.pk)
    return projects
