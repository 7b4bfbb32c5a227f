"""The audit trail in depth: one event with what it changed, a document as it
stood at a past moment, and restoring an earlier version.

* ``audit_event`` — one AuditEvent opened: who, when, why, and each field of
  its history row compared with the same object's history row before it.
  Site admins read every event; auditors and managers the events of their
  projects; other members get 403; anybody else gets 404, as for an event
  that does not exist (invariant 9). Events tied to no project (notification
  settings) are for site admins only.
* ``document_as_of`` — the title, authenticity, live segments and published
  renderings of a document at a moment, from history alone: one ``as_of``
  read per history table, whatever the document's size.
* ``segment_restore_version`` / ``translation_restore_version`` — POST only,
  for managers and site admins; the old text comes back as a new version and
  history is never rewritten (``translations.services.restore``).
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.views.decorators.http import require_POST, require_safe
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from translations import security_log, services
from translations.exceptions import DomainError, NotAllowed
from translations.models import Document, Project, Segment, Translation
from translations.permissions import Action, can, is_member, is_site_admin
from translations.templatetags.interlinear import person
from translations.views.access import document_in, project_for, segment_in, translation_in

from ..audit import KIND_LABELS
from ..models import AuditEvent

HASH_SHOWN = 12
# Kinds whose events change what the point-in-time view of a document shows.
AS_OF_KINDS = {"document", "segment", "translation"}


# --- one event -------------------------------------------------------------


def _event_for(request, event_id: int) -> AuditEvent:
    user = request.user
    event = get_object_or_404(AuditEvent.objects.select_related("actor", "project", "document"), pk=event_id)
    if is_site_admin(user):
        return event
    if event.project_id is None or not is_member(user, event.project_id):
        if event.project_id is not None:
            security_log.access_refused(request, status=404, reason="not a member", project_slug=event.project.slug)
        raise Http404("No such event.")
    if not can(user, Action.VIEW_AUDIT, event.project_id):
        raise NotAllowed("Recorded events are for auditors, managers and site administrators.")
    return event


@dataclass
class FieldValue:
    """One field of a history row, shown next to its value in the row before."""

    name: str
    label: str
    old: str
    new: str
    is_text: bool  # free text, shown as a word or character diff
    changed: bool


def _is_hash(field) -> bool:
    return field.name.endswith("_hash") or field.name == "sha256"


def _is_text(field) -> bool:
    return isinstance(field, (models.TextField, models.CharField)) and not field.choices and not _is_hash(field)


def _labels(model, ids: set[int]) -> dict[int, str]:
    """How each referenced object is named on the page, one query per model."""
    if not ids:
        return {}
    if model is get_user_model():
        return {user.pk: person(user) for user in model.objects.filter(pk__in=ids)}
    if model is Document:
        return dict(Document.objects.filter(pk__in=ids).values_list("id", "title"))
    if model is Segment:
        return {
            pk: f"§{position}" + (" (deleted)" if deleted else "")
            for pk, position, deleted in Segment.objects.filter(pk__in=ids).values_list("id", "position", "is_deleted")
        }
    if model is Translation:
        return {
            t.pk: f"{t.language} v{t.version} by {person(t.author)}"
            for t in Translation.objects.filter(pk__in=ids).select_related("author")
        }
    if model is Project:
        return dict(Project.objects.filter(pk__in=ids).values_list("id", "name"))
    return {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)}


def _referents(fields, rows) -> dict[tuple, str]:
    wanted: dict = {}
    for field in fields:
        if isinstance(field, models.ForeignKey):
            for row in rows:
                value = getattr(row, field.attname)
                if value is not None:
                    wanted.setdefault(field.related_model, set()).add(value)
    return {(model, pk): label for model, ids in wanted.items() for pk, label in _labels(model, ids).items()}


def _shown(field, value, referents, *, precise=False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(field, models.ForeignKey):
        return referents.get((field.related_model, value), f"(deleted #{value})")
    if _is_hash(field):
        return value[:HASH_SHOWN] + "…" if len(value) > HASH_SHOWN else value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return dateformat.format(moment, "Y-m-d H:i:s.u T" if precise else "Y-m-d H:i:s T")
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def field_values(history_model, row, previous) -> list[FieldValue]:
    """Every tracked field of `row` (bar the primary key) with its value in `previous`.

    Foreign keys are named (a referent removed since is "(deleted #id)"),
    hashes shortened, choices spelled out."""
    fields = [f for f in history_model.tracked_fields if not f.primary_key]
    referents = _referents(fields, [r for r in (row, previous) if r is not None])
    values = []
    for field in fields:
        new = getattr(row, field.attname)
        old = getattr(previous, field.attname) if previous is not None else None
        changed = previous is not None and _comparable(old) != _comparable(new)
        shown_old, shown_new = _shown(field, old, referents), _shown(field, new, referents)
        if changed and shown_old == shown_new:
            # Two moments within one second: show the fractions that tell them apart.
            shown_old, shown_new = (_shown(field, v, referents, precise=True) for v in (old, new))
        values.append(
            FieldValue(
                name=field.name,
                label=capfirst(str(field.verbose_name)),
                old=shown_old,
                new=shown_new,
                is_text=_is_text(field),
                changed=changed,
            )
        )
    return values


def _comparable(value):
    """None and "" are both "empty"; files compare by their stored name."""
    if value is None:
        return ""
    return value if isinstance(value, (int, float, datetime, dict, list)) else str(value)


# kind: (history page, model of the object it is about, field of the history row naming it, link text)
HISTORY_PAGES = {
    "segment": ("segment_history", Segment, "id", "Full history of this segment"),
    "translation": ("translation_history", Translation, "id", "Full history of this translation"),
    "document": ("document_history", Document, "id", "Full history of this document"),
    "image": ("document_history", Document, "document_id", "History of its document"),
    "review": ("translation_history", Translation, "translation_id", "History of the reviewed translation"),
    "comment on a translation": (
        "translation_history", Translation, "translation_id", "History of the translation discussed"
    ),
    "comment on a segment": ("segment_history", Segment, "segment_id", "History of the segment discussed"),
}
PROJECT_OF = {Segment: "document__project", Translation: "segment__document__project", Document: "project"}


def _history_link(event, row) -> tuple[str, str] | None:
    """The history page that tells this object's story, if the object it is about still exists."""
    if event.project is None or row is None:
        return None
    kind = event.kind
    if kind == "comment":
        kind = "comment on a translation" if row.translation_id else "comment on a segment"
    if kind not in HISTORY_PAGES:
        return None
    name, model, attribute, text = HISTORY_PAGES[kind]
    object_id = getattr(row, attribute)
    if not model.objects.filter(pk=object_id, **{PROJECT_OF[model]: event.project_id}).exists():
        return None
    return reverse(name, args=[event.project.slug, object_id]), text


def as_of_url(project, document_id: int, at: datetime) -> str:
    return reverse("document_as_of", args=[project.slug, document_id]) + "?" + urlencode({"at": at.isoformat()})


def _restore_offer(user, event, row) -> dict | None:
    """A restore button for managers, on a segment or translation version that differs from the current text."""
    if event.kind not in ("segment", "translation") or row is None or row.history_type == "-" or event.project is None:
        return None
    if not can(user, Action.MANAGE_DOCUMENTS, event.project):
        return None
    if event.kind == "segment":
        current = Segment.objects.filter(pk=row.id, document__project=event.project, is_deleted=False).first()
        same = current is not None and current.source_text == row.source_text
        url_name = "segment_restore_version"
    else:
        current = Translation.objects.filter(
            pk=row.id, segment__document__project=event.project, segment__is_deleted=False
        ).first()
        same = current is not None and current.text == row.text
        url_name = "translation_restore_version"
    if current is None or same or current.version == row.version:
        return None
    return {
        "url": reverse(url_name, args=[event.project.slug, row.id]),
        "version": row.version,
        "base_version": current.version,
    }


def _tracked_model(label: str):
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return model if hasattr(model, "history") else None


def event_rows(event) -> tuple[object, object, list]:
    """The event's history row, the same object's row before it, and each field side by side
    (the event page and the API's event answer)."""
    row = previous = None
    values = []
    model = _tracked_model(event.history_label)
    if model is not None:
        history_model = model.history.model
        row = history_model.objects.filter(history_id=event.history_id).first()
    if row is not None:
        pk_name = model._meta.pk.attname
        previous = (
            history_model.objects.filter(**{pk_name: event.object_id}, history_id__lt=row.history_id)
            .order_by("-history_id")
            .first()
        )
        values = field_values(history_model, row, previous)
    return row, previous, values


@require_safe
def audit_event(request, event_id):
    event = _event_for(request, event_id)
    row, previous, values = event_rows(event)
    same_object = AuditEvent.objects.filter(history_label=event.history_label, object_id=event.object_id)
    context = {
        "event": event,
        "kind_label": KIND_LABELS.get(event.kind, event.kind),
        "row": row,
        "previous": previous,
        "changes": [v for v in values if v.changed],
        "values": values,
        "previous_event": same_object.filter(history_id__lt=event.history_id).order_by("-history_id").first(),
        "next_event": same_object.filter(history_id__gt=event.history_id).order_by("history_id").first(),
        "history_link": _history_link(event, row),
        "as_of_url": as_of_url(event.project, event.document_id, event.at)
        if event.kind in AS_OF_KINDS and event.project is not None and event.document is not None
        else None,
        "restore": _restore_offer(request.user, event, row),
    }
    return render(request, "reviews/audit/event.html", context)


# --- a document at a moment ------------------------------------------------


def parse_moment(value: str) -> datetime | None:
    """An aware datetime from an ISO date-time or a datetime-local value, or None.

    A naive value is read in the current time zone. A "+" of a UTC offset
    that a hand-typed address turned into a space is put back."""
    value = (value or "").strip()[:64]
    candidates = [value]
    if " " in value:
        candidates.append(re.sub(r" (\d{2}(?::?\d{2})?)$", r"+\1", value))
    for candidate in candidates:
        try:
            moment = parse_datetime(candidate)
        except ValueError:
            moment = None
        if moment is None or not 1000 <= moment.year <= 9998:
            continue
        try:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        except (ValueError, OverflowError):
            continue
    return None


def _standing(instances) -> list:
    """One instance per object: ``as_of`` keeps every row that shares an
    object's latest history_date, and the later of them is the one that stood."""
    best = {}
    for instance in instances:
        history_id = getattr(instance, SIMPLE_HISTORY_REVERSE_ATTR_NAME).history_id
        if instance.pk not in best or best[instance.pk][0] < history_id:
            best[instance.pk] = (history_id, instance)
    return [instance for _, instance in best.values()]


@dataclass
class AsOfRow:
    segment: Segment
    renderings: list  # per language: the published Translation as it stood, or None


def document_snapshot(project, document, at: datetime) -> dict:
    """The live segments of `document` and their published renderings at `at`.

    Three history reads, whatever the number of segments: segments, then the
    translations of those segments, then their authors."""
    segments = [
        s for s in _standing(Segment.history.as_of(at).filter(document_id=document.pk)) if not s.is_deleted
    ]
    segments.sort(key=lambda s: (s.position, s.pk))
    published = []
    if segments:
        published = [
            t
            for t in _standing(Translation.history.as_of(at).filter(segment_id__in=[s.pk for s in segments]))
            if t.is_published
        ]
    authors = {u.pk: u for u in get_user_model().objects.filter(pk__in={t.author_id for t in published})}
    by_cell = {}
    for translation in published:
        translation.author_name = person(authors.get(translation.author_id))
        by_cell[(translation.segment_id, translation.language)] = translation
    languages = list(project.target_languages)
    languages += sorted({t.language for t in published} - set(languages))
    rows = []
    for segment in segments:
        renderings = [by_cell.get((segment.pk, language)) for language in languages]
        for rendering in renderings:
            if rendering is not None:
                rendering.source_moved_on = rendering.published_source_hash != segment.source_hash
        rows.append(AsOfRow(segment=segment, renderings=renderings))
    counts = [sum(1 for row in rows if row.renderings[i] is not None) for i in range(len(languages))]
    return {"rows": rows, "languages": list(zip(languages, counts))}


@require_safe
def document_as_of(request, slug, document_id):
    project = project_for(request, slug, Action.VIEW)
    document = document_in(project, document_id)
    raw = (request.GET.get("at") or "").strip()
    at = parse_moment(raw) if raw else None
    context = {
        "project": project,
        "document": document,
        "crumb": "As it stood",
        "raw_at": raw[:64],
        "at": at,
        "picker_value": timezone.localtime(at or timezone.now()).strftime("%Y-%m-%dT%H:%M:%S"),
        "timezone_name": timezone.get_current_timezone_name(),
    }
    if not raw:
        context["problem"] = "Choose a date and time to see this document as it stood at that moment."
    elif at is None:
        context["problem"] = (
            f"“{raw[:64]}” is not a date and time. Pick one below, or write it like 2024-05-01T14:30."
        )
    else:
        try:
            then = document.history.as_of(at)
        except Document.DoesNotExist:
            first = document.history.order_by("history_date", "history_id").first()
            context["problem"] = "This document did not exist yet at that moment."
            context["created_at"] = first.history_date if first else document.created_at
            context["created_url"] = as_of_url(project, document.pk, context["created_at"])
        else:
            context.update(then=then, in_future=at > timezone.now(), **document_snapshot(project, document, at))
    return render(request, "reviews/audit/as_of.html", context)


# --- restoring an earlier version ------------------------------------------


def _versions(data) -> tuple[int, int]:
    try:
        version, base_version = int(data.get("version", "")), int(data.get("base_version", ""))
    except (TypeError, ValueError):
        raise DomainError("Say which version to restore and which version you were looking at.") from None
    if version < 1 or base_version < 1:
        raise DomainError(f"There is no version {version}.")
    return version, base_version


def _restored(request, url: str, *, version: int, before: int, after: int):
    if after == before:
        messages.info(request, f"Version {version} has the same text as the current version; nothing changed.")
    else:
        messages.success(request, f"Version {version} is restored as version {after}. Earlier versions stay on record.")
    return HttpResponseRedirect(url, status=303)


@require_POST
def segment_restore_version(request, slug, segment_id):
    project = project_for(request, slug, Action.MANAGE_DOCUMENTS)
    segment = segment_in(project, segment_id)
    version, base_version = _versions(request.POST)
    restored = services.segment_version_restore(
        segment=segment, user=request.user, version=version, base_version=base_version
    )
    return _restored(
        request, reverse("segment_history", args=[project.slug, segment.pk]),
        version=version, before=base_version, after=restored.version,
    )


@require_POST
def translation_restore_version(request, slug, translation_id):
    project = project_for(request, slug, Action.MANAGE_DOCUMENTS)
    translation = translation_in(project, translation_id)
    version, base_version = _versions(request.POST)
    restored = services.translation_version_restore(
        translation=translation, user=request.user, version=version, base_version=base_version
    )
    return _restored(
        request, reverse("translation_history", args=[project.slug, translation.pk]),
        version=version, before=base_version, after=restored.version,
    )
