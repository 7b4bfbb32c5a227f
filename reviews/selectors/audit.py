"""Reads of the audit trail: filtered, newest first, keyset-paginated.

Pages are cut on ``AuditEvent.id`` (events are written in time order), so the
thousandth page is one indexed range read like the first: no OFFSET.

Someone who audits several projects reads them through the (project, -id)
index, one short range per project, so busy projects the reader cannot see
are never walked through. The text filter (``q``) is served on PostgreSQL by
trigram indexes (migration 0004).
"""

import re
from datetime import datetime, time

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date

from translations.models import Membership, Project, Role
from translations.permissions import is_site_admin

from ..audit import KIND_LABELS
from ..models import AuditEvent

ACTIONS = {"created": "+", "changed": "~", "deleted": "-"}
FILTERS = ("project", "document", "actor", "kind", "action", "since", "until", "q")
MAX_UNION_PROJECTS = 200  # beyond this many audited projects, one plain read


def auditable_projects(user) -> list[Project] | None:
    """Projects whose trail the user may read; None means all (site admins)."""
    if is_site_admin(user):
        return None
    ids = Membership.objects.filter(user=user, role__in=[Role.AUDITOR, Role.MANAGER]).values_list("project_id", flat=True)
    return list(Project.objects.filter(pk__in=ids).order_by("name"))


def clean_filters(data) -> dict:
    filters = {}
    for name in FILTERS:
        value = (data.get(name) or "").strip()[:200]
        if value and "\x00" not in value:  # no row holds a NUL, and PostgreSQL refuses one in a query
            filters[name] = value
    if "document" in filters and not re.fullmatch(r"[0-9]{1,18}", filters["document"]):
        del filters["document"]  # an id the database can hold, ASCII digits only
    if filters.get("kind") not in KIND_LABELS:
        filters.pop("kind", None)
    if filters.get("action") not in ACTIONS:
        filters.pop("action", None)
    for name in ("since", "until"):
        if name in filters and _date(filters[name]) is None:
            del filters[name]
    return filters


def _date(value):
    """A date from YYYY-MM-DD, or None for anything else (including 2026-02-31)."""
    try:
        return parse_date(value)
    except ValueError:
        return None


def audit_events(user, filters: dict, *, projects: list[Project] | None | bool = False):
    """The events the user may see, matching the filters, newest first.
    ``projects``: the user's auditable projects when already known."""
    if projects is False:
        projects = auditable_projects(user)
    events = AuditEvent.objects.all()
    if projects is not None:
        events = events.filter(project__in=[p.pk for p in projects])
    # Resolve names to ids first so the (project, -id) and (actor, -id) indexes serve the read.
    if filters.get("project"):
        project_id = Project.objects.filter(slug=filters["project"]).values_list("id", flat=True).first()
        events = events.filter(project_id=project_id) if project_id else events.none()
    if filters.get("document"):
        events = events.filter(document_id=int(filters["document"]))
    if filters.get("actor"):
        from django.contrib.auth import get_user_model

        actor_id = get_user_model().objects.filter(username=filters["actor"]).values_list("id", flat=True).first()
        events = events.filter(actor_id=actor_id) if actor_id else events.none()
    if filters.get("kind"):
        events = events.filter(kind=filters["kind"])
    if filters.get("action"):
        events = events.filter(action=ACTIONS[filters["action"]])
    tz = timezone.get_current_timezone()
    if filters.get("since"):
        events = events.filter(at__gte=datetime.combine(parse_date(filters["since"]), time.min, tzinfo=tz))
    if filters.get("until"):
        events = events.filter(at__lte=datetime.combine(parse_date(filters["until"]), time.max, tzinfo=tz))
    if filters.get("q"):
        events = events.filter(Q(reason__icontains=filters["q"]) | Q(summary__icontains=filters["q"]))
    return events.order_by("-id")


def audit_page(user, filters: dict, *, before: int | None = None, size: int = 50, projects: list | None | bool = False):
    """One page of events strictly older than event id `before` (keyset)."""
    if projects is False:
        projects = auditable_projects(user)
    events = audit_events(user, filters, projects=projects)
    if before:
        events = events.filter(id__lt=before)
    if projects and len(projects) > 1 and not (filters.get("project") or filters.get("document") or filters.get("q")):
        events = _newest_of_each_project(events, [p.pk for p in projects], size + 1)
    rows = list(events.select_related("actor", "project")[: size + 1])
    has_more = len(rows) > size
    return rows[:size], (rows[size - 1].id if has_more else None)


def _newest_of_each_project(events, project_ids: list[int], wanted: int):
    """The same events, limited to the ids of the newest `wanted` among them, found
    as a UNION ALL of one short (project, -id) index read per project.

    Without it PostgreSQL walks back from the newest event of the whole trail,
    past every event of the projects the reader cannot see (a busy project
    they do not audit makes their first page slow). Databases that cannot
    order and limit the parts of a UNION (SQLite) keep the plain read."""
    if (
        not connection.features.supports_slicing_ordering_in_compound
        or len(project_ids) > MAX_UNION_PROJECTS
        or events.query.is_empty()  # a filter that matches nothing (Django's union of none() is not a union)
    ):
        return events
    parts = [events.filter(project_id=pk).order_by("-id").values_list("id", flat=True)[:wanted] for pk in project_ids]
    ids = list(parts[0].union(*parts[1:], all=True).order_by("-id")[:wanted])
    return events.filter(id__in=ids)
