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


def _count_subquery(queryset, group_field: str):
    from django.db.models import IntegerField, Subquery
    from django.db.models.functions import Coalesce

    return Coalesce(
        Subquery(queryset.values(group_field).annotate(c=Count("id")).values("c")[:1], output_field=IntegerField()),
        0,
    )


def documents_for_dashboard(project, *, search: str = "", authenticity: str = "", progress: str = ""):
    """Documents of a project with segment and published counts annotated in SQL,
    so filtering by progress works at any size. Per-language progress for the
    page being shown comes from ``document_progress``."""
    from django.db.models import F, OuterRef

    from .models import Document

    documents = Document.objects.filter(project=project).annotate(
        segment_count=_count_subquery(
            Segment.objects.filter(document=OuterRef("pk"), is_deleted=False), "document"
        ),
        published_count=_count_subquery(
            Translation.objects.filter(segment__document=OuterRef("pk"), segment__is_deleted=False, is_published=True),
            "segment__document",
        ),
    )
    if search:
        documents = documents.filter(title__icontains=search)
    if authenticity:
        documents = documents.filter(authenticity=authenticity)
    languages = max(len(project.target_languages), 1)
    if progress == "not_started":
        documents = documents.filter(published_count=0)
    elif progress == "in_progress":
        documents = documents.filter(published_count__gt=0, published_count__lt=F("segment_count") * languages)
    elif progress == "complete":
        documents = documents.filter(segment_count__gt=0, published_count__gte=F("segment_count") * languages)
    return documents.order_by("title", "id")


def document_progress(documents, languages: list[str]) -> None:
    """Attach ``progress`` = [{language, published, submitted, none, total}] to each document (2 queries)."""
    from django.db.models import Exists, OuterRef

    ids = [d.pk for d in documents]
    published = {
        (doc, lang): n
        for doc, lang, n in Translation.objects.filter(
            segment__document__in=ids, segment__is_deleted=False, is_published=True
        )
        .values_list("segment__document", "language")
        .annotate(n=Count("id"))
        .values_list("segment__document", "language", "n")
    }
    has_published = Translation.objects.filter(
        segment=OuterRef("segment"), language=OuterRef("language"), is_published=True
    )
    submitted = {
        (doc, lang): n
        for doc, lang, n in Translation.objects.filter(
            segment__document__in=ids, segment__is_deleted=False, state=TranslationState.SUBMITTED
        )
        .filter(~Exists(has_published))
        .values_list("segment__document", "language")
        .annotate(n=Count("segment", distinct=True))
        .values_list("segment__document", "language", "n")
    }
    for document in documents:
        rows = []
        for language in languages:
            done = published.get((document.pk, language), 0)
            waiting = submitted.get((document.pk, language), 0)
            total = document.segment_count
            rows.append(
                {
                    "language": language,
                    "published": done,
                    "submitted": waiting,
                    "none": max(total - done - waiting, 0),
                    "total": total,
                    "published_pct": round(100 * done / total, 1) if total else 0,
                    "submitted_pct": round(100 * waiting / total, 1) if total else 0,
                }
            )
        document.progress = rows


def workspace_segments(document, language: str, *, user=None, segment_ids=None) -> list[Segment]:
    """Live segments of a document, each with ``candidates`` in one language (2 queries)."""
    segments = Segment.objects.filter(document=document, is_deleted=False).order_by("position", "id")
    if segment_ids is not None:
        segments = segments.filter(pk__in=segment_ids)
    segments = list(segments)
    by_segment: dict[int, list[Translation]] = {s.pk: [] for s in segments}
    for translation in (
        Translation.objects.filter(segment__in=by_segment.keys(), language=language)
        .select_related("author", "edited_by")
        .order_by("segment_id", "-is_published", "created_at", "id")
    ):
        by_segment[translation.segment_id].append(translation)
    for segment in segments:
        segment.candidates = by_segment[segment.pk]
        segment.published = next((t for t in segment.candidates if t.is_published), None)
        segment.mine = next((t for t in segment.candidates if user is not None and t.author_id == user.pk), None)
        for candidate in segment.candidates:
            candidate.segment = segment  # no query when templates ask for it
    return segments
