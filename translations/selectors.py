"""Reads that pages need, each in a fixed number of queries whatever the data size."""

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q

from .models import Project, Segment, Translation, TranslationState
from .permissions import roles_of, visible_project_ids


HOME_PAGE_SIZE = 12


def projects_for_home(user, page_number=None):
    """One page of the user's projects with document, segment and translation counts (4 queries).

    The counts are taken for the projects on the page only, so someone in every
    project (a lead reviewer, a site admin) costs what someone in twelve does,
    and the translation counts come from one pass over those projects'
    candidates, each count a filtered aggregate."""
    ids = visible_project_ids(user)
    projects = Project.objects.annotate(document_count=Count("documents", distinct=True)).order_by("name", "id")
    if ids is not None:
        projects = projects.filter(pk__in=ids)
    page = Paginator(projects, HOME_PAGE_SIZE).get_page(page_number)
    projects = page.object_list = list(page.object_list)
    project_ids = [p.pk for p in projects]
    segment_counts = dict(
        Segment.objects.filter(document__project__in=project_ids, is_deleted=False)
        .values_list("document__project")
        .annotate(n=Count("id"))
        .values_list("document__project", "n")
    )
    translation_counts = {
        row["segment__document__project"]: row
        for row in Translation.objects.filter(segment__document__project__in=project_ids, segment__is_deleted=False)
        .values("segment__document__project")
        .annotate(
            candidates=Count("id"),
            submitted=Count("id", filter=Q(state=TranslationState.SUBMITTED)),
            changes_requested=Count("id", filter=Q(state=TranslationState.CHANGES_REQUESTED)),
            published=Count("id", filter=Q(is_published=True)),
        )
        .order_by()
    }
    roles = roles_of(user)
    for project in projects:
        counts = translation_counts.get(project.pk, {})
        project.segment_count = segment_counts.get(project.pk, 0)
        project.awaiting_review = counts.get("submitted", 0)
        project.changes_requested = counts.get("changes_requested", 0)
        project.published_count = counts.get("published", 0)
        project.candidate_count = counts.get("candidates", 0)
        project.my_role = roles.get(project.pk)
    return page


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


# What the workspace shows of a candidate; timestamps and fingerprints stay in the database.
WORKSPACE_TRANSLATION_FIELDS = (
    "id", "segment_id", "language", "author_id", "text", "note", "version", "state",
    "is_published", "published_version", "published_text", "published_source_hash",
)
PERSON_FIELDS = ("id", "username", "first_name", "last_name")


def workspace_segments(document, language: str, *, user=None, segment_ids=None) -> list[Segment]:
    """Live segments of a document, each with ``candidates`` in one language (3 queries).

    Authors are prefetched, not joined: a document's few translators become a
    few User objects instead of one per candidate."""
    segments = (
        Segment.objects.filter(document=document, is_deleted=False)
        .only("id", "document_id", "position", "source_text", "source_hash", "version", "is_deleted")
        .order_by("position", "id")
    )
    if segment_ids is not None:
        segments = segments.filter(pk__in=segment_ids)
    segments = list(segments)
    by_segment: dict[int, list[Translation]] = {s.pk: [] for s in segments}
    candidates = Translation.objects.filter(language=language)
    if segment_ids is not None:
        candidates = candidates.filter(segment__in=by_segment.keys())
    else:  # the document's live segments by join, not a list of hundreds of ids
        candidates = candidates.filter(segment__document=document, segment__is_deleted=False)
    for translation in (
        candidates.only(*WORKSPACE_TRANSLATION_FIELDS)
        .prefetch_related(Prefetch("author", get_user_model().objects.only(*PERSON_FIELDS)))
        .order_by("segment_id", "-is_published", "created_at", "id")
    ):
        if translation.segment_id in by_segment:  # not a segment added since the first read
            by_segment[translation.segment_id].append(translation)
    for segment in segments:
        segment.candidates = by_segment[segment.pk]
        segment.published = next((t for t in segment.candidates if t.is_published), None)
        segment.mine = next((t for t in segment.candidates if user is not None and t.author_id == user.pk), None)
        for candidate in segment.candidates:
            candidate.segment = segment  # no query when templates ask for it
    return segments


def glossary_for(project, language: str):
    """The project's glossary in one target language, matcher compiled (1 query)."""
    from .glossary import Glossary
    from .models import GlossaryTerm

    terms = GlossaryTerm.objects.filter(project=project, language=language).only(
        "id", "source_term", "language", "approved", "forbidden", "part_of_speech", "note"
    )
    return Glossary(terms, language=language, source_language=project.source_language)


GLOSSARY_PAGE_SIZE = 50


def glossary_page(project, *, search: str = "", language: str = "", page_number=None):
    """One page of a project's glossary, filtered by a search in terms, renderings and notes (2 queries)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from .models import GlossaryTerm

    terms = GlossaryTerm.objects.filter(project=project).order_by("source_term", "language", "id")
    if language:
        terms = terms.filter(language=language)
    if search:
        terms = terms.annotate(
            approved_text=Cast("approved", TextField()), forbidden_text=Cast("forbidden", TextField())
        ).filter(
            Q(source_term__icontains=search) | Q(approved_text__icontains=search)
            | Q(forbidden_text__icontains=search) | Q(note__icontains=search)
        )
    return Paginator(terms, GLOSSARY_PAGE_SIZE).get_page(page_number)
