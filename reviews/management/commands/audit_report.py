"""What each person did in one project over a period, in plain text.

Per actor: events on the audit trail; translation versions written (new
candidates and changes of text, not state or publication updates); source
versions written (segments created or re-transcribed); the distinct
segments either touched; decisions by type; comments; and overrides — a
decision that goes against another reviewer's standing decision on the same
text and source (an approval after someone else's rejection or request for
changes, or the reverse). A reviewer's standing decision is their latest on
that text and source: reviews are never edited, a change of mind is a new one.

Every figure is read from history (the audit events, the history rows, the
reviews), in a few aggregate queries whatever the size of the project.
"""

from collections import Counter, defaultdict
from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date

from reviews.models import AuditEvent, Decision, Review
from translations.models import Project, Segment, Translation

COLUMNS = ("events", "versions", "source", "segments", "approve", "changes", "reject", "comments", "overrides")
LEGEND = """\
events     entries on the audit trail
versions   translation versions written (new candidates and changes of text)
source     source versions written (segments created or their source text changed)
segments   distinct segments whose translation or source they wrote
approve / changes / reject   decisions recorded (changes = request changes)
comments   comments written
overrides  decisions against another reviewer's standing decision on the same text and source"""


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(f"{option} must be a date written YYYY-MM-DD, such as 2025-03-31; got {value!r}.")
    return parsed


def _version_writes(model, project, start, end, *, project_path: str, segment_field: str):
    """(actor id, segment id) for each history row in the period that made a new
    version: a creation, or a change whose version differs from the row before."""
    history = model.history.model
    previous = (
        history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("version")[:1]
    )
    rows = (
        history.objects.filter(**{project_path: project}, history_date__gte=start, history_date__lte=end)
        .annotate(previous_version=Subquery(previous))
        .values_list("history_user_id", segment_field, "history_type", "version", "previous_version")
    )
    for actor_id, segment_id, kind, version, previous_version in rows.iterator(chunk_size=2000):
        if kind == "+" or (kind == "~" and previous_version is not None and version != previous_version):
            yield actor_id, segment_id


def _overrides(project, start, end):
    """Each decision in the period that went against another reviewer's standing
    decision on the same translation text and source, with whom it overrode."""
    decided = Review.objects.filter(
        translation__segment__document__project=project, created_at__gte=start, created_at__lte=end
    ).values("translation_id")
    reviews = (
        Review.objects.filter(translation_id__in=Subquery(decided), created_at__lte=end)
        .order_by("created_at", "id")
        .values_list("id", "translation_id", "version", "text_hash", "source_hash", "reviewer_id", "decision", "created_at")
    )
    standing: dict[tuple, dict[int, tuple[str, datetime]]] = defaultdict(dict)
    found = []
    for _id, translation_id, version, text_hash, source_hash, reviewer_id, decision, created_at in reviews.iterator(
        chunk_size=2000
    ):
        others = standing[(translation_id, text_hash, source_hash)]
        approving = decision == Decision.APPROVE
        if created_at >= start:
            against = [
                (other, other_decision, at)
                for other, (other_decision, at) in others.items()
                if other != reviewer_id and (other_decision == Decision.APPROVE) != approving
            ]
            if against:
                found.append((created_at, reviewer_id, decision, translation_id, version, against))
        others[reviewer_id] = (decision, created_at)
    return found


def build_report(project, start, end) -> tuple[dict[int, Counter], list]:
    figures: dict[int, Counter] = defaultdict(Counter)
    for actor_id, n in (
        AuditEvent.objects.filter(project=project, at__gte=start, at__lte=end)
        .values_list("actor_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures[actor_id]["events"] += n
    for actor_id, n in (
        AuditEvent.objects.filter(project=project, kind="comment", action=AuditEvent.Action.CREATED, at__gte=start, at__lte=end)
        .values_list("actor_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures[actor_id]["comments"] += n
    touched: dict[int, set[int]] = defaultdict(set)
    for actor_id, segment_id in _version_writes(
        Translation, project, start, end, project_path="segment__document__project", segment_field="segment_id"
    ):
        figures[actor_id]["versions"] += 1
        touched[actor_id].add(segment_id)
    for actor_id, segment_id in _version_writes(
        Segment, project, start, end, project_path="document__project", segment_field="id"
    ):
        figures[actor_id]["source"] += 1
        touched[actor_id].add(segment_id)
    for actor_id, segments in touched.items():
        figures[actor_id]["segments"] = len(segments)
    column = {Decision.APPROVE: "approve", Decision.REQUEST_CHANGES: "changes", Decision.REJECT: "reject"}
    for reviewer_id, decision, n in (
        Review.objects.filter(translation__segment__document__project=project, created_at__gte=start, created_at__lte=end)
        .values_list("reviewer_id", "decision")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures[reviewer_id][column[decision]] += n
    overrides = _overrides(project, start, end)
    for _at, reviewer_id, *_rest in overrides:
        figures[reviewer_id]["overrides"] += 1
    return figures, overrides


class Command(BaseCommand):
    help = "Summarise, per person, what was done in one project over a period (dates inclusive)."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--since", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--until", help="Last day, YYYY-MM-DD (default: today).")

    def handle(self, *args, project, since, until, **options):
        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project has the slug {project!r}.")
        tz = timezone.get_current_timezone()
        first = _date(since, "--since")
        last = _date(until, "--until") or timezone.localdate()
        if last < first:
            raise CommandError(f"--until ({last}) is before --since ({first}).")
        start, end = datetime.combine(first, time.min, tzinfo=tz), datetime.combine(last, time.max, tzinfo=tz)
        figures, overrides = build_report(found, start, end)
        self.stdout.write(self.render(found, first, last, tz, figures, overrides))

    def render(self, project, first, last, tz, figures, overrides) -> str:
        people = set(figures)
        for _at, reviewer_id, _decision, _translation, _version, against in overrides:
            people |= {reviewer_id, *(other for other, *_ in against)}
        users = get_user_model().objects.in_bulk([pk for pk in people if pk is not None])

        def username(pk):
            return users[pk].get_username() if pk in users else "(no user)"

        lines = [
            f"Audit report: {project.name} ({project.slug})",
            f"Period: {first} to {last} inclusive ({tz})",
            "",
        ]
        if not figures:
            lines.append("Nobody did anything recorded in this project in this period.")
            return "\n".join(lines)
        rows = sorted(figures.items(), key=lambda item: username(item[0]))
        names = [username(pk) for pk, _ in rows]
        width = max(len("actor"), len("total"), *(len(name) for name in names))
        widths = [max(len(c), 6) for c in COLUMNS]
        header = "actor".ljust(width) + "".join(f"  {c:>{w}}" for c, w in zip(COLUMNS, widths)) + "  name"
        lines.append(header)
        lines.append("-" * len(header))
        totals = Counter()
        for (pk, counts), name in zip(rows, names):
            totals.update(counts)
            full_name = users[pk].get_full_name() if pk in users else ""
            lines.append(
                name.ljust(width) + "".join(f"  {counts[c]:>{w}}" for c, w in zip(COLUMNS, widths)) + f"  {full_name}".rstrip()
            )
        lines.append("-" * len(header))
        totals["segments"] = 0  # distinct per person; a sum would count shared segments twice
        lines.append(
            "total".ljust(width)
            + "".join(f"  {(totals[c] if c != 'segments' else '-'):>{w}}" for c, w in zip(COLUMNS, widths))
        )
        if overrides:
            lines += ["", "Overrides:"]
            for at, reviewer_id, decision, translation_id, version, against in overrides:
                previous = ", ".join(
                    f"{Decision(d).label.lower()} by {username(other)} ({timezone.localtime(when, tz):%Y-%m-%d %H:%M})"
                    for other, d, when in against
                )
                lines.append(
                    f"  {timezone.localtime(at, tz):%Y-%m-%d %H:%M:%S}  {username(reviewer_id)}: "
                    f"{Decision(decision).label.lower()} of translation #{translation_id} v{version}, against {previous}"
                )
        lines += ["", LEGEND]
        return "\n".join(lines)
