"""The review queue: every version awaiting the current user's decision.

A version awaits a user when it is submitted (or, in projects with a final
edit, reviewed and the user may make final edits), the user may review in
its project, it is not their own work (unless the project allows it), and
they have not already decided on exactly this text against this source.

The page costs the same number of queries, and about the same time, at any
queue length:

* pages are cut on the queue's order (``updated_at``, ``id``) with keyset
  cursors, read through a partial index of the waiting versions; numbered
  pages (``?page=N``) still work, as an offset;
* the count and the facet counts are taken over at most ``COUNT_CAP + 1``
  versions, the oldest first: a longer queue reads "1000+", and its facet
  counts are lower bounds, shown with a "+" as well.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from translations.models import Document, Project, Translation, TranslationState
from translations.permissions import is_site_admin, reviewing_project_ids

from ..checks import CHECKS
from ..models import CheckFinding, Review
from .checks import open_findings

AGES = {"1d": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7), "30d": timedelta(days=30)}
WAITING_STATES = (TranslationState.SUBMITTED, TranslationState.REVIEWED)
# Counting stops here: a longer queue shows "1000+". Each counted version costs a
# few index probes (its segment, the reviewer's own decisions), so the cap is
# what keeps the page's time flat; about 10 ms on PostgreSQL at this size.
COUNT_CAP = 1_000
FACET_LIMIT = 50
PAGE_SIZE = 25
ORDER = ("updated_at", "id")


@dataclass(frozen=True)
class QueueScope:
    """Where the user reviews: project ids (None: every project, for site admins),
    and the projects in scope by id, with the policy and names the queue needs."""

    review_ids: list[int] | None
    final_ids: list[int] | None
    projects: dict[int, Project]

    @property
    def self_approval_ids(self) -> list[int]:
        return [pk for pk, project in self.projects.items() if project.allow_self_approval]


def queue_scope(user) -> QueueScope:
    """The user's reviewing projects (from the roles already cached on the user) and,
    in one small query, those projects' names and self-approval policy."""
    projects = Project.objects.only("id", "slug", "name", "allow_self_approval").order_by("name", "id")
    if is_site_admin(user):
        return QueueScope(None, None, {p.pk: p for p in projects})
    review, final = reviewing_project_ids(user)
    return QueueScope(review, final, {p.pk: p for p in projects.filter(pk__in=review)} if review else {})


def awaiting(user, *, filters: dict | None = None, scope: QueueScope | None = None):
    """The versions awaiting the user's decision, as an unordered queryset.

    Written for the partial index of waiting versions, which PostgreSQL reads
    in queue order; project policy is resolved here rather than joined per row."""
    filters = filters or {}
    scope = scope or queue_scope(user)
    if scope.review_ids is None:
        waiting = Q(state__in=WAITING_STATES)
    elif not scope.review_ids:
        return Translation.objects.none()
    else:
        # Each arm names its state, which implies the partial index's predicate; a
        # redundant `state IN (...)` beside it would make PostgreSQL count the state
        # twice, underestimate the queue and sort all of it instead of reading in order.
        waiting = Q(state=TranslationState.SUBMITTED, segment__document__project__in=scope.review_ids)
        if scope.final_ids:
            waiting |= Q(state=TranslationState.REVIEWED, segment__document__project__in=scope.final_ids)
    own = Q(author=user) | Q(edited_by=user)
    if scope.self_approval_ids:
        own &= ~Q(segment__document__project__in=scope.self_approval_ids)
    decided = Review.objects.filter(
        translation=OuterRef("pk"),
        reviewer=user,
        text_hash=OuterRef("text_hash"),
        source_hash=OuterRef("segment__source_hash"),
    )
    queryset = Translation.objects.filter(waiting, segment__is_deleted=False).exclude(own).exclude(Exists(decided))
    if filters.get("project"):
        project = next((p for p in scope.projects.values() if p.slug == filters["project"]), None)
        if project is None:
            return Translation.objects.none()
        queryset = queryset.filter(segment__document__project=project.pk)
    if filters.get("document"):
        queryset = queryset.filter(segment__document_id=filters["document"])
    if filters.get("language"):
        queryset = queryset.filter(language=filters["language"])
    if filters.get("translator"):
        queryset = queryset.filter(author__in=get_user_model().objects.filter(username=filters["translator"]).values("pk"))
    if filters.get("state") in WAITING_STATES:
        queryset = queryset.filter(state=filters["state"])
    if filters.get("age") in AGES:
        queryset = queryset.filter(updated_at__lte=timezone.now() - AGES[filters["age"]])
    if filters.get("check") in CHECKS:
        # Open findings of the version waiting, read through the partial index of open findings.
        queryset = queryset.filter(Exists(CheckFinding.objects.filter(
            check_id=filters["check"], translation=OuterRef("pk"), version=OuterRef("version"),
            dismissed_at__isnull=True,
        )))
    return queryset


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """(count, whether there are more): counts at most ``cap + 1`` rows (default
    ``COUNT_CAP``), in a LIMIT subquery."""
    cap = COUNT_CAP if cap is None else cap
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


# --- Counts and facets -------------------------------------------------------------------------


def facets(queryset, scope: QueueScope | None = None) -> dict:
    """The queue's length and counts per filter value, over its oldest ``COUNT_CAP + 1``
    versions: one bounded read of five short columns, tallied here, then the names of
    the values shown (2 small queries). ``capped`` says the queue is longer, and that
    every count is a lower bound.

    Grouping the whole queue in SQL, once per facet, read every waiting version
    and the reviewer's own decisions five times over (2.6 s for 51 000 waiting)."""
    rows = list(
        queryset.order_by(*ORDER).values_list(
            "segment__document__project_id", "segment__document_id", "language", "author_id", "state", "id", "version"
        )[: COUNT_CAP + 1]
    )
    capped = len(rows) > COUNT_CAP
    rows = rows[:COUNT_CAP]
    columns = list(zip(*rows)) or [()] * 7
    by_project, by_document, by_language, by_author, by_state = (Counter(column) for column in columns[:5])
    by_check = _check_counts(dict(zip(columns[5], columns[6])))

    def top(counter, key=lambda value: value):
        return sorted(counter.items(), key=lambda item: (-item[1], key(item[0])))[:FACET_LIMIT]

    projects = scope.projects if scope is not None else {}
    missing = [pk for pk in by_project if pk not in projects]
    if missing:
        projects = {**projects, **Project.objects.only("id", "slug", "name").in_bulk(missing)}
    documents = top(by_document)
    titles = dict(Document.objects.filter(pk__in=[pk for pk, _ in documents]).values_list("id", "title")) if documents else {}
    authors = top(by_author)
    people = (
        {u["id"]: u for u in get_user_model().objects.filter(pk__in=[pk for pk, _ in authors]).values(
            "id", "username", "first_name", "last_name")}
        if authors
        else {}
    )
    project_rows = [
        {"slug": projects[pk].slug, "name": projects[pk].name, "n": n}
        for pk, n in sorted(by_project.items(), key=lambda item: (-item[1], projects[item[0]].slug))[:FACET_LIMIT]
    ]
    if capped:
        # Projects whose versions all wait behind the counted ones can still be chosen.
        listed = set(by_project)
        project_rows += [
            {"slug": p.slug, "name": p.name, "n": None} for pk, p in projects.items() if pk not in listed
        ][: max(FACET_LIMIT - len(project_rows), 0)]
    return {
        "total": len(rows),
        "capped": capped,
        "cap": COUNT_CAP,
        "projects": project_rows,
        "documents": [{"id": pk, "title": titles.get(pk, ""), "n": n} for pk, n in documents],
        "languages": [{"language": code, "n": n} for code, n in top(by_language)],
        "translators": [
            {"username": people[pk]["username"], "first_name": people[pk]["first_name"],
             "last_name": people[pk]["last_name"], "n": n}
            for pk, n in sorted(authors, key=lambda item: (-item[1], people[item[0]]["username"]))
            if pk in people
        ],
        "states": [{"state": state, "n": n} for state, n in top(by_state)],
        "checks": [{"id": check.id, "label": check.label, "n": by_check.get(check.id, 0)} for check in CHECKS.values()],
    }


def _check_counts(versions: dict[int, int]) -> Counter:
    """Open findings per check among the counted versions (1 query, none for an empty queue)."""
    if not versions:
        return Counter()
    found = CheckFinding.objects.filter(translation_id__in=list(versions), dismissed_at__isnull=True).values_list(
        "translation_id", "version", "check_id"
    )
    return Counter(check_id for translation_id, version, check_id in found if versions.get(translation_id) == version)


# --- Pages ---------------------------------------------------------------------------------------

_CURSOR = re.compile(r"([0-9]{1,19})_([0-9]{1,18})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_for(translation: Translation) -> str:
    """A page boundary: the version's place in the queue order, exact to the microsecond."""
    delta = translation.updated_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}_{translation.pk}"


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    """(updated_at, id) from a cursor; None for anything that is not one."""
    match = _CURSOR.fullmatch(value or "")
    if not match:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(match[1])), int(match[2])
    except OverflowError:
        return None


@dataclass
class QueuePage:
    rows: list[Translation]
    number: int | None  # 1 for the first page; None when reached by a cursor from an unknown place
    has_previous: bool
    has_next: bool
    previous_cursor: str | None = None
    next_cursor: str | None = None
    num_pages: int | None = None
    num_pages_capped: bool = False  # the queue was counted only to COUNT_CAP: num_pages is a lower bound

    @property
    def position(self) -> str:
        """'Page 3 of 12', 'Page 3 of 40+', or 'Page 100' past what was counted."""
        if self.number is None:
            return ""
        if self.num_pages is None or (self.num_pages_capped and self.number > self.num_pages):
            return f"Page {self.number}"
        return f"Page {self.number} of {self.num_pages}{'+' if self.num_pages_capped else ''}"

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def queue_page(queryset, *, after: str | None = None, before: str | None = None, number: int | None = None,
               size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue, oldest first (1-2 queries for the rows, 1-3 to enrich them).

    After a cursor (the "Next" link) or before one ("Previous"), a page is one
    range read of the index, however deep; a page that a reviewer's decisions
    emptied in the meantime falls back to the first. A bare page number is an
    offset, kept for links and bookmarks that carry one: it reads the versions
    before it, so it costs more the deeper it is."""
    ordered = queue_queryset_for_page(queryset)
    position = parse_cursor(after)
    if position is not None:
        at, pk = position
        rows = list(ordered.filter(Q(updated_at__gt=at) | Q(updated_at=at, id__gt=pk), updated_at__gte=at)[: size + 1])
        page = QueuePage(rows[:size], number, True, len(rows) > size)
    elif (position := parse_cursor(before)) is not None:
        at, pk = position
        rows = list(
            ordered.filter(Q(updated_at__lt=at) | Q(updated_at=at, id__lt=pk), updated_at__lte=at)
            .order_by("-updated_at", "-id")[: size + 1]
        )
        if len(rows) <= size:
            return queue_page(queryset, size=size)
        page = QueuePage(rows[:size][::-1], number, True, True)
    else:
        number = number or 1
        start = (number - 1) * size
        if start:
            # Skip the first pages reading ids only, then load the page's rows by id.
            ids = list(queryset.order_by(*ORDER).values_list("id", flat=True)[start : start + size + 1])
            rows = list(ordered.filter(id__in=ids))
        else:
            rows = list(ordered[: size + 1])
        page = QueuePage(rows[:size], number, number > 1, len(rows) > size)
    if page.rows:
        page.previous_cursor = cursor_for(page.rows[0]) if page.has_previous else None
        page.next_cursor = cursor_for(page.rows[-1]) if page.has_next else None
    page.rows = queue_page_rows(page.rows)
    return page


def queue_page_rows(translations: list[Translation]) -> list[Translation]:
    """Enrich one page of queue items: the published text of each segment and
    language, the previous version's text, the stored findings of the automatic
    checks and the glossary of each project and language on the page (4 queries)."""
    if not translations:
        return translations
    findings = open_findings(translations)
    glossaries = _glossaries({(t.segment.document.project, t.language) for t in translations})
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
        t.open_findings = findings.get(t.pk, [])
        t.glossary = glossaries.get((segment.document.project_id, t.language))
    return translations


def _glossaries(pairs) -> dict:
    """A compiled Glossary per (project id, language) on a queue page (1 query)."""
    from translations.glossary import Glossary
    from translations.models import GlossaryTerm

    if not pairs:
        return {}
    wanted = Q()
    for project, language in pairs:
        wanted |= Q(project_id=project.pk, language=language)
    terms = {}
    for term in GlossaryTerm.objects.filter(wanted).only(
        "id", "project_id", "source_term", "language", "approved", "forbidden", "part_of_speech", "note"
    ):
        terms.setdefault((term.project_id, term.language), []).append(term)
    return {
        (project.pk, language): Glossary(terms.get((project.pk, language), []), language=language,
                                         source_language=project.source_language)
        for project, language in pairs
    }


def queue_queryset_for_page(queryset):
    return queryset.select_related("segment__document__project", "author").order_by(*ORDER)


def dashboard_counts(user) -> dict:
    """Counts for the home page: awaiting my review (capped like the queue's), my work
    with changes requested, recently approved."""
    week_ago = timezone.now() - timedelta(days=7)
    mine = Translation.objects.filter(author=user, segment__is_deleted=False)
    awaiting_me, capped = capped_count(awaiting(user))
    return {
        "awaiting_me": awaiting_me,
        "awaiting_me_capped": capped,
        "changes_requested": mine.filter(state=TranslationState.CHANGES_REQUESTED).count(),
        "recently_approved": mine.filter(state=TranslationState.APPROVED, published_at__gte=week_ago).count(),
    }
