"""Managing a project's hooks, and the events an approval writes to the outbox."""

import secrets
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from translations.exceptions import DomainError
from translations.history import delete_tracked, save_tracked
from translations.models import Segment, Translation
from translations.permissions import Action, require

from ..models import Webhook, WebhookDelivery, WebhookEvent
from .addresses import checked_url
from .delivery import deliver_in_background

MAX_HOOKS_PER_PROJECT = 20
MAX_REASON_LENGTH = 500
EVENT_SHAPES = {
    WebhookEvent.TRANSLATION_APPROVED: (
        "event, id, occurred_at, project{slug,name}, document{id,title}, segment{id,position}, "
        "translation{id,language,version,text,approved_by}"
    ),
    WebhookEvent.RENDERING_COMPLETE: (
        "event, id, occurred_at, project{slug,name}, document{id,title}, language, segment_count, rendering_path"
    ),
}


def _clean_events(events) -> list[str]:
    if not isinstance(events, (list, tuple)) or not events:
        raise DomainError(f"Choose at least one event: {', '.join(WebhookEvent.values)}.")
    unknown = [e for e in events if not isinstance(e, str) or e not in WebhookEvent.values]
    if unknown:
        raise DomainError(f"Unknown event {str(unknown[0])[:60]!r}; the events are {', '.join(WebhookEvent.values)}.")
    return [e for e in WebhookEvent.values if e in events]


def _clean_reason(reason, default: str) -> str:
    reason = (reason if isinstance(reason, str) else "").replace("\x00", "").strip()
    return reason[:MAX_REASON_LENGTH] or default


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


@transaction.atomic
def webhook_create(*, project, user, url, events, reason: str = "") -> tuple[Webhook, str]:
    """Add a hook; returns it with its secret, which is shown this once."""
    require(user, Action.MANAGE_POLICY, project)
    url, events = checked_url(url), _clean_events(events)
    if Webhook.objects.filter(project=project).count() >= MAX_HOOKS_PER_PROJECT:
        raise DomainError(f"A project has at most {MAX_HOOKS_PER_PROJECT} webhooks; remove one first.")
    secret = secrets.token_urlsafe(32)
    hook = Webhook(project=project, url=url, events=events, secret=secret, created_by=user)
    save_tracked(hook, user=user, reason=_clean_reason(reason, f"Webhook to {_host(url)} added"))
    return hook, secret


def _locked(webhook, user) -> Webhook:
    require(user, Action.MANAGE_POLICY, webhook.project)
    return Webhook.objects.select_for_update().select_related("project").get(pk=webhook.pk)


@transaction.atomic
def webhook_update(*, webhook, user, url=None, events=None, is_active=None, reason: str = "") -> Webhook:
    """Change what is given (None: leave it); an unchanged hook writes nothing."""
    hook = _locked(webhook, user)
    changed = []
    if url is not None and (url := checked_url(url)) != hook.url:
        hook.url = url
        changed.append("address")
    if events is not None and (events := _clean_events(events)) != hook.events:
        hook.events = events
        changed.append("events")
    if is_active is not None and bool(is_active) != hook.is_active:
        hook.is_active = bool(is_active)
        changed.append("switched on" if hook.is_active else "switched off")
    if changed:
        default = f"Webhook to {_host(hook.url)}: {', '.join(changed)}"
        save_tracked(hook, user=user, reason=_clean_reason(reason, default))
    return hook


@transaction.atomic
def webhook_secret_rotate(*, webhook, user, reason: str = "") -> tuple[Webhook, str]:
    """A new secret, shown once (e.g. for a hook imported from an archive, which never carries one)."""
    hook = _locked(webhook, user)
    secret = hook.secret = secrets.token_urlsafe(32)
    save_tracked(hook, user=user, reason=_clean_reason(reason, f"Webhook to {_host(hook.url)}: new secret"))
    return hook, secret


@transaction.atomic
def webhook_delete(*, webhook, user, reason: str = "") -> None:
    """Remove a hook and its undelivered events; its history stays."""
    hook = _locked(webhook, user)
    delete_tracked(hook, user=user, reason=_clean_reason(reason, f"Webhook to {_host(hook.url)} removed"))


# --- Events ----------------------------------------------------------------------------


def _event(name: str, project, document, now) -> dict:
    return {
        "event": name,
        "id": str(uuid.uuid4()),
        "occurred_at": now.isoformat(),
        "project": {"slug": project.slug, "name": project.name},
        "document": {"id": document.pk, "title": document.title},
    }


def events_for_approval(translations, *, approved_by, newly_covered=frozenset()) -> list[WebhookDelivery]:
    """Outbox rows for translations whose approved version has just been published.

    Call inside the approval's transaction, after the publication is written:
    the rows commit or roll back with it. ``newly_covered`` names the
    (segment id, language) pairs that had no published rendering before; a
    document one of them completes (every live segment published in that
    language) sends rendering.complete. Costs one query when the projects
    have no hooks, and a fixed few when they do."""
    translations = list(translations)
    if not translations:
        return []
    projects = {t.segment.document.project_id for t in translations}
    subscribed = defaultdict(list)
    for hook in Webhook.objects.filter(project_id__in=projects, is_active=True).order_by("id"):
        events = hook.events if isinstance(hook.events, list) else []  # an imported archive may hold anything
        for name in set(WebhookEvent.values).intersection(e for e in events if isinstance(e, str)):
            subscribed[(hook.project_id, name)].append(hook)
    if not subscribed:
        return []
    now = timezone.now()
    rows = []

    def enqueue(name, project_id, payload):
        rows.extend(
            WebhookDelivery(webhook=hook, event=name, payload=payload, next_attempt_at=now)
            for hook in subscribed[(project_id, name)]
        )

    approved, complete = WebhookEvent.TRANSLATION_APPROVED, WebhookEvent.RENDERING_COMPLETE
    completing = {}
    for translation in translations:
        segment = translation.segment
        document, project = segment.document, segment.document.project
        if (project.pk, approved) in subscribed:
            payload = _event(approved, project, document, now) | {
                "segment": {"id": segment.pk, "position": segment.position},
                "translation": {
                    "id": translation.pk,
                    "language": translation.language,
                    "version": translation.published_version,
                    "text": translation.published_text,
                    "approved_by": approved_by.get_username(),
                },
            }
            enqueue(approved, project.pk, payload)
        if (project.pk, complete) in subscribed and (segment.pk, translation.language) in newly_covered:
            completing[(document.pk, translation.language)] = document
    for (document_id, language), segment_count in _completed(completing).items():
        document = completing[(document_id, language)]
        project = document.project
        payload = _event(complete, project, document, now) | {
            "language": language,
            "segment_count": segment_count,
            "rendering_path": reverse("api:project-detail", kwargs={"slug": project.slug})
            + f"documents/{document.pk}/rendering/{language}/",
        }
        enqueue(complete, project.pk, payload)
    if rows:
        WebhookDelivery.objects.bulk_create(rows)
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: deliver_in_background(ids))
    return rows


def _completed(candidates) -> dict[tuple[int, str], int]:
    """{(document id, language): live segments} of the candidates whose every live segment is published (2 queries)."""
    if not candidates:
        return {}
    documents = {document_id for document_id, _ in candidates}
    totals = dict(
        Segment.objects.filter(document_id__in=documents, is_deleted=False)
        .values("document_id").annotate(n=Count("id")).values_list("document_id", "n")
    )
    published = {
        (document_id, language): n
        for document_id, language, n in Translation.objects.filter(
            segment__document_id__in=documents, segment__is_deleted=False, is_published=True,
            language__in={language for _, language in candidates},
        ).values("segment__document_id", "language").annotate(n=Count("id")).values_list(
            "segment__document_id", "language", "n"
        )
    }
    return {
        key: totals[key[0]] for key in candidates if totals.get(key[0]) and published.get(key) == totals[key[0]]
    }
