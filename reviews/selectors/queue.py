"""The review queue: every version awaiting the current user's decision.

A version awaits a user when it is submitted (or, in projects with a final
edit, reviewed and the user may make final edits), the user may review in
its project, it is not their own work (unless the project allows it), and
they have not already decided on exactly this text against this source.
The page costs the same number of queries at any queue length.
"""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from translations.models import Membership, Role, Translation, TranslationState
from translations.permissions import is_site_admin

from ..checks import run_checks
from ..models import Review

AGES = {"1d": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def reviewable_projects(user) -> tuple[list[int] | None, list[int] | None]:
    """(projects where the user reviews, projects where they make final edits); None means all."""
    if is_site_admin(user):
        return None, None
    rows = Membership.objects.filter(user=user, role__in=[Role.REVIEWER, Role.MANAGER]).values_list(
        "project_id", "role", "is_final_editor"
    )
    review = [p for p, _, _ in rows]
    final = [p for p, role, final in rows if role == Role.MANAGER or final]
    return review, final


def awaiting(user, *, filters: dict | None = None):
    filters = filters or {}
    review_ids, final_ids = reviewable_projects(user)
    in_review = Q(state=TranslationState.SUBMITTED)
    in_final = Q(state=TranslationState.REVIEWED)
    if review_ids is not None:
        in_review &= Q(segment__document__project__in=review_ids)
        in_final &= Q(segment__document__project__in=final_ids)
    decided = Review.objects.filter(
        translation=OuterRef("pk"),
        reviewer=user,
        text_hash=OuterRef("text_hash"),
        source_hash=OuterRef("segment__source_hash"),
    )
    queryset = (
        Translation.objects.filter(in_review | in_final, segment__is_deleted=False)
        .exclude(Q(segment__document__project__allow_self_approval=False) & (Q(author=user) | Q(edited_by=user)))
        .exclude(Exists(decided))
    )
    if filters.get("project"):
        queryset = queryset.filter(segment__document__project__slug=filters["project"])
    if filters.get("document"):
        queryset = queryset.filter(segment__document_id=filters["document"])
    if filters.get("language"):
        queryset = queryset.filter(language=filters["language"])
    if filters.get("translator"):
        queryset = queryset.filter(author__username=filters["translator"])
    if filters.get("state") in (TranslationState.SUBMITTED, TranslationState.REVIEWED):
        queryset = queryset.filter(state=filters["state"])
    if filters.get("age") in AGES:
        queryset = queryset.filter(updated_at__lte=timezone.now() - AGES[filters["age"]])
    return queryset


def facets(queryset) -> dict:
    """Counts per filter value over the current queue (one grouped query each)."""
    def grouped(*fields, limit=50):
        return list(queryset.order_by().values(*fields).annotate(n=Count("id")).order_by("-n", *fields)[:limit])

    projects = grouped("segment__document__project__slug", "segment__document__project__name")
    return {
        "total": sum(row["n"] for row in projects),
        "projects": projects,
        "documents": grouped("segment__document_id", "segment__document__title"),
        "languages": grouped("language"),
        "translators": grouped("author__username", "author__first_name", "author__last_name"),
        "states": grouped("state"),
    }


def queue_page_rows(translations: list[Translation]) -> list[Translation]:
    """Enrich one page of queue items: the published text of each segment and
    language, the previous version's text, and the automatic checks (2 queries)."""
    if not translations:
        return translations
    pairs = Q()
    for t in translations:
        pairs |= Q(segment_id=t.segment_id, language=t.language)
    published = {
        (p.segment_id, p.language): p
        for p in Translation.objects.filter(pairs, is_published=True).only(
            "id", "segment_id", "language", "published_text", "published_version", "author_id"
        )
    }
    previous_q = Q()
    for t in translations:
        if t.version > 1:
            previous_q |= Q(id=t.pk, version=t.version - 1)
    previous = {}
    if previous_q:
        for row in Translation.history.filter(previous_q).order_by("history_id").values("id", "text"):
            previous[row["id"]] = row["text"]  # the last row of that version wins
    # Where the source changed since the approval, the source it was approved against.
    stale_source = [t for t in translations if t.is_published and t.published_source_hash != t.segment.source_hash]
    approved_sources = {}
    if stale_source:
        for review in Review.objects.filter(translation__in=stale_source, decision="approve").order_by("created_at", "id"):
            approved_sources[(review.translation_id, review.source_hash)] = review.source_text
    for t in translations:
        segment = t.segment
        t.approved_source_text = approved_sources.get((t.pk, t.published_source_hash))
        t.published_rendering = published.get((t.segment_id, t.language))
        t.previous_text = previous.get(t.pk)
        rendering = t.published_rendering
        if rendering and not (rendering.pk == t.pk and rendering.published_text == t.text):
            t.compare_label = "Against the published text"
            t.compare_text = t.published_rendering.published_text
        elif t.previous_text is not None:
            t.compare_label = f"Against version {t.version - 1}"
            t.compare_text = t.previous_text
        else:
            t.compare_label, t.compare_text = None, None
        t.checks = run_checks(segment.source_text, t.text, target_language=t.language)
    return translations


def queue_queryset_for_page(queryset):
    return queryset.select_related("segment__document__project", "author").order_by("updated_at", "id")


def dashboard_counts(user) -> dict:
    """Counts for the home page: awaiting my review, my work with changes requested, recently approved."""
    week_ago = timezone.now() - timedelta(days=7)
    mine = Translation.objects.filter(author=user, segment__is_deleted=False)
    return {
        "awaiting_me": awaiting(user).count(),
        "changes_requested": mine.filter(state=TranslationState.CHANGES_REQUESTED).count(),
        "recently_approved": mine.filter(state=TranslationState.APPROVED, published_at__gte=week_ago).count(),
    }

