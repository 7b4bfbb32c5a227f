"""What the benchmark runs against.

Most cases read what the data already holds, chosen the same way on every
run: the biggest project and one of its managers, the reviewer in the most
projects (``load-reviewer-1`` in generated load: the longest queue), and for
the audit trail the first site administrator, else the auditor (or manager)
who may read the most projects' trails. What generated data lacks — a
document of ~300 segments and a project of ~10 000 — is the *benchmark
project*, made once through the tracked bulk helpers and the review services
(every row with its history row and audit event, acting as the system user
like the load generator) and kept, so later runs reuse it: ``bench-<segments>-<per
document>``, with its own members (``bench-manager``, ``bench-translator-1``
and ``-2``, ``bench-reviewer``) so that no load member's queue grows. Each
segment has two English candidates; about 80 % of the first are approved,
about 30 % of the second sent back, the rest wait for review, and one
segment in ten has a comment. Its texts come from the load generator's
phrasebook.
"""

import math
import random
from dataclasses import dataclass, replace
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from reviews.models import AuditEvent, Comment, Decision
from reviews.notifications import notifications_suppressed
from reviews.selectors.audit import audit_events
from reviews.selectors.queue import awaiting
from reviews.services import reviews_record_bulk

from ..history import bulk_create_tracked, save_tracked, system_user
from ..models import Document, Membership, Project, Role, Segment, Translation, TranslationState
from ..permissions import forget_roles
from ..services.segments import clean_source_text
from ..services.translations import state_for
from ..texts import source_fingerprint, text_fingerprint

try:  # the load generator's phrasebook, wherever it lives (a module of the loadgen package, or loadgen itself)
    from ..loadgen.phrasebook import SEGMENT_COMMENTS, compose_passage, render
except ImportError:
    from ..loadgen import SEGMENT_COMMENTS, compose_passage, render

BENCH_PREFIX = "bench-"
BENCH_MEMBERS = {
    "bench-manager": Role.MANAGER,
    "bench-translator-1": Role.TRANSLATOR,
    "bench-translator-2": Role.TRANSLATOR,
    "bench-reviewer": Role.REVIEWER,
}
SEED = 20_240_901
WRITE_BATCH = 1_000
DECISION_CHUNK = 2_000
FULL_SIZE = 10_000  # segments of the export project and of the import, as the targets are stated
AUDIT_PAGE_SIZE = 50  # reviews.selectors.audit.audit_page's default
QUEUE_PAGE_SIZE = 25  # reviews.views.queue.PAGE_SIZE


class DatasetError(RuntimeError):
    """The data lacks something a case needs (a site administrator, a reviewer...)."""


@dataclass(frozen=True)
class Sizes:
    """What the cases are sized for; the targets are stated for the defaults. A project or
    import size left as None is 10 000, or the data's own segment count when that is smaller
    (rounded down to hundreds, at least 100), so that small data is measured quickly."""

    document_segments: int = 300
    project_segments: int | None = None
    import_segments: int | None = None
    bulk: int = 500
    queue_page: int = 100
    audit_page: int = 1_000

    def fitted(self, segments_in_data: int) -> "Sizes":
        fit = min(FULL_SIZE, max(100, segments_in_data // 100 * 100))
        return replace(self, project_segments=self.project_segments or fit, import_segments=self.import_segments or fit)


@dataclass
class BenchProject:
    project: Project
    documents: list[Document]
    manager: object
    translator: object
    reviewer: object


def passages(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` (source, English rendering) pairs from the load generator's phrasebook."""
    pairs = []
    for _ in range(count):
        passage = compose_passage(rng)
        pairs.append((clean_source_text(passage.source()), render(rng, passage, "en")[0]))
    return pairs


class Dataset:
    def __init__(self, sizes: Sizes, *, log=lambda message: None):
        self.log = log
        self.notes: dict[str, str] = {}  # case name -> what differs from the case's title on this data
        self.segments_in_data = Segment.objects.exclude(document__project__slug__startswith=BENCH_PREFIX).count()
        self.sizes = sizes.fitted(self.segments_in_data)

    # -- found in the data --

    @cached_property
    def audit_user(self):
        """The first active site administrator (the whole trail), else the auditor (failing
        that, the manager) who may read the most projects' trails."""
        User = get_user_model()
        admins = User.objects.filter(Q(is_superuser=True) | Q(is_staff=True), is_active=True)
        admin = admins.order_by("id").first()
        if admin is not None:
            return admin
        for role in (Role.AUDITOR, Role.MANAGER):
            row = (
                Membership.objects.filter(role=role, user__is_active=True)
                .values("user")
                .annotate(n=Count("id"))
                .order_by("-n", "user")
                .first()
            )
            if row is not None:
                return User.objects.get(pk=row["user"])
        raise DatasetError("Nobody may read the audit trail: no site administrator, auditor or manager.")

    @cached_property
    def biggest_project(self) -> Project:
        project = (
            Project.objects.exclude(slug__startswith=BENCH_PREFIX)
            .annotate(segment_count=Count("documents__segments"))
            .order_by("-segment_count", "id")
            .first()
        )
        if project is None:
            raise DatasetError("No project: generate data first (manage.py generate_load --scale 1).")
        return project

    @cached_property
    def dashboard_user(self):
        members = Membership.objects.filter(project=self.biggest_project, user__is_active=True).select_related("user")
        membership = members.filter(role=Role.MANAGER).order_by("id").first() or members.order_by("id").first()
        if membership is None:
            raise DatasetError(f"{self.biggest_project.slug} has no active member to open its dashboard.")
        return membership.user

    @cached_property
    def queue_reviewer(self):
        """The reviewer (or manager) in the most projects: in generated load, load-reviewer-1,
        who reviews in every project and so has the longest queue."""
        row = (
            Membership.objects.filter(role__in=[Role.REVIEWER, Role.MANAGER], user__is_active=True)
            .exclude(project__slug__startswith=BENCH_PREFIX)
            .values("user")
            .annotate(n=Count("id"))
            .order_by("-n", "user")
            .first()
        )
        if row is None:
            raise DatasetError("No reviewer or manager in any project: nobody has a review queue.")
        return get_user_model().objects.get(pk=row["user"])

    @cached_property
    def queue_length(self) -> int:
        return awaiting(self.queue_reviewer).count()

    def queue_items(self, count: int) -> list[tuple[int, int]]:
        """The first `count` (id, version) pairs of the reviewer's queue, oldest first, as the page orders them."""
        queue = awaiting(self.queue_reviewer).order_by("updated_at", "id")
        return list(queue.values_list("id", "version")[:count])

    def queue_page_url(self, wanted: int, case: str) -> str:
        """The address of page `wanted` of the reviewer's queue as the 'Next' link of the page before
        carries it: a cursor (the last row of that page) when the selector pages by keyset, else
        the page number (offset); the last page when there are fewer."""
        from reviews.selectors import queue as queue_selectors

        pages = max(1, math.ceil(self.queue_length / QUEUE_PAGE_SIZE))
        if pages < wanted:
            self.notes[case] = f"the queue has {pages} page(s); measured the last"
        page = min(wanted, pages)
        cursor_for = getattr(queue_selectors, "cursor_for", None)
        if page == 1 or cursor_for is None:
            return f"{reverse('review_queue')}?page={page}"
        last_of_previous = awaiting(self.queue_reviewer).order_by("updated_at", "id")[QUEUE_PAGE_SIZE * (page - 1) - 1]
        return f"{reverse('review_queue')}?after={cursor_for(last_of_previous)}&page={page}"

    def audit_cursor(self, page: int, case: str) -> int | None:
        """The ``before`` id that addresses page `page` (1 = newest) of the audit user's trail,
        as following its 'older' links would reach it; the last page when there are fewer."""
        if page <= 1:
            return None
        events = audit_events(self.audit_user, {})
        total = events.count()
        last = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
        if last < page:
            self.notes[case] = f"the trail has {last} page(s); measured the last"
            page = last
        if page <= 1:
            return None
        return events.values_list("id", flat=True)[AUDIT_PAGE_SIZE * (page - 1) - 1]

    @cached_property
    def workspace_document(self) -> tuple[Document, object]:
        """A document of about `document_segments` live segments and a member who translates in it."""
        wanted = self.sizes.document_segments
        row = (
            Segment.objects.filter(is_deleted=False)
            .values("document")
            .annotate(n=Count("id"))
            .filter(n__gte=wanted * 0.9, n__lte=wanted * 1.2)
            .order_by("document")
            .first()
        )
        if row:
            document = Document.objects.select_related("project").get(pk=row["document"])
            members = Membership.objects.filter(project=document.project, user__is_active=True).select_related("user")
            membership = (members.filter(role=Role.TRANSLATOR).order_by("id").first()
                          or members.filter(role=Role.REVIEWER).order_by("id").first())
            if membership:
                return document, membership.user
        bench = self.bench
        return bench.documents[0], bench.translator

    # -- made once when missing --

    @cached_property
    def bench(self) -> BenchProject:
        sizes = self.sizes
        slug = f"{BENCH_PREFIX}{sizes.project_segments}-{sizes.document_segments}"
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            self.log(f"Creating the benchmark project {slug} ({sizes.project_segments:,} segments), kept for reuse.")
            started = timezone.now()
            project = self._create_bench(slug)
            self.log(f"  done in {(timezone.now() - started).total_seconds():.1f} s.")
        users = {u.username: u for u in get_user_model().objects.filter(username__in=BENCH_MEMBERS)}
        return BenchProject(
            project=project,
            documents=list(Document.objects.filter(project=project).select_related("project").order_by("id")),
            manager=users["bench-manager"],
            translator=users["bench-translator-1"],
            reviewer=users["bench-reviewer"],
        )

    def _create_bench(self, slug: str) -> Project:
        sizes = self.sizes
        rng = random.Random(SEED)
        User = get_user_model()
        with transaction.atomic(), notifications_suppressed():
            users = {}
            for username in BENCH_MEMBERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": "Bench", "last_name": username.split("-", 1)[1].title(),
                              "email": f"{username}@example.org"},
                )
                if created:
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                users[username] = user
            # As the load generator does: the command acts as the system user, no site admin needed.
            actor = system_user()
            project = save_tracked(
                Project(name=f"Benchmark: {sizes.project_segments:,} segments", slug=slug, source_language="ko",
                        target_languages=["en"], required_approvals=1,
                        description="Made by manage.py benchmark: a project and documents of the sizes it measures."),
                user=actor, reason="Project created",
            )
            memberships = []
            for username, role in BENCH_MEMBERS.items():
                membership = Membership(project=project, user=users[username], role=role)
                membership._change_reason = f"Added {username} as {role.value}"
                memberships.append(membership)
            bulk_create_tracked(memberships, user=actor, reason="Members added")
            for user in users.values():
                forget_roles(user)
            manager, reviewer = users["bench-manager"], users["bench-reviewer"]
            translators = [users["bench-translator-1"], users["bench-translator-2"]]
            per_document = max(1, sizes.document_segments)
            counts = [per_document] * (sizes.project_segments // per_document)
            if sizes.project_segments % per_document or not counts:
                counts.append(sizes.project_segments % per_document or per_document)
            documents = bulk_create_tracked(
                [
                    Document(project=project, created_by=manager, title=f"Benchmark document {k} ({count} segments)",
                             reference_number=f"BENCH-{k:03d}", obtained_from="manage.py benchmark",
                             description="Synthetic: sentences from the load generator's phrasebook.")
                    for k, count in enumerate(counts, 1)
                ],
                user=manager, reason="Document created",
            )
            texts, segments = passages(rng, sum(counts)), []
            for document, count in zip(documents, counts):
                for position in range(1, count + 1):
                    source = texts[len(segments)][0]
                    segments.append(Segment(document=document, position=position, source_text=source,
                                            source_hash=source_fingerprint(source)))
            segments = bulk_create_tracked(segments, user=translators[0], reason="Transcribed", batch_size=WRITE_BATCH)
            now = timezone.now()
            candidates = []
            for segment, (_, first) in zip(segments, texts):
                for author, text in zip(translators, (first, passages(rng, 1)[0][1])):
                    candidate = Translation(segment=segment, language="en", author=author, edited_by=author, text=text,
                                            text_hash=text_fingerprint(text), version=1, submitted_at=now)
                    candidate.state = state_for(candidate, segment=segment, project=project, reviews=[])
                    candidate._history_user = author
                    candidates.append(candidate)
            candidates = bulk_create_tracked(candidates, user=manager, reason="Submitted candidate",
                                             batch_size=WRITE_BATCH)
            approve = [(t.pk, 1) for t in candidates[0::2] if rng.random() < 0.8]
            send_back = [(t.pk, 1) for t in candidates[1::2] if rng.random() < 0.3]
            for items, decision, comment in ((approve, Decision.APPROVE, ""),
                                             (send_back, Decision.REQUEST_CHANGES, "Too loose; stay closer.")):
                for start in range(0, len(items), DECISION_CHUNK):
                    outcome = reviews_record_bulk(reviewer=reviewer, items=items[start : start + DECISION_CHUNK],
                                                  decision=decision, comment=comment)
                    if outcome.skipped:
                        raise DatasetError(f"The benchmark project's decisions were refused: {outcome.skipped[0][1]}")
            members = [manager, reviewer, *translators]
            comments = [
                Comment(project=project, segment=segment, author=rng.choice(members), body=rng.choice(SEGMENT_COMMENTS))
                for segment in segments
                if rng.random() < 0.1
            ]
            for comment in comments:
                comment._history_user = comment.author
            bulk_create_tracked(comments, user=manager, reason="Commented", batch_size=WRITE_BATCH)
        return project

    # -- what the run was measured on --

    def row_counts(self) -> dict[str, int]:
        from ..management.commands.verify_history import tracked_models

        counts = {"auth.User": get_user_model().objects.count()}
        history = 0
        for model in tracked_models():
            counts[model._meta.label] = model._default_manager.count()
            history += model.history.model.objects.count()
        counts["history rows (all tracked models)"] = history
        counts[AuditEvent._meta.label] = AuditEvent.objects.count()
        counts["waiting translations"] = Translation.objects.filter(
            state__in=[TranslationState.SUBMITTED, TranslationState.REVIEWED]
        ).count()
        return counts
