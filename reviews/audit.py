"""Indexing history rows into the audit trail (reviews.AuditEvent).

Every history row becomes one AuditEvent in the same transaction: single
saves through simple-history's ``post_create_historical_record`` signal,
bulk writes through ``translations.history.history_rows_created``. The
project and document of each row are resolved in batches (a few queries per
batch, not per row).
"""

from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from translations.history import history_rows_created, instance_from_values

KINDS = {
    "translations.project": "project",
    "translations.membership": "membership",
    "translations.document": "document",
    "translations.documentimage": "image",
    "translations.segment": "segment",
    "translations.translation": "translation",
    "reviews.review": "review",
    "reviews.comment": "comment",
    "reviews.notificationpreference": "preference",
    "translations.glossaryterm": "glossary",
    "translations.memoryentry": "memory",
    "reviews.checkfinding": "check",
    "reviews.qualitypolicy": "quality_policy",
    "reviews.errorannotation": "annotation",
    "reviews.backtranslation": "back_translation",
    "reviews.webhook": "webhook",  # issue 10: its history leaves the secret out
}
KIND_LABELS = {
    "project": "Project / policy",
    "membership": "Membership",
    "document": "Document",
    "image": "Page image",
    "segment": "Segment",
    "translation": "Translation",
    "review": "Review",
    "comment": "Comment",
    "preference": "Notification settings",
    "glossary": "Glossary term",
    "memory": "Translation memory",
    "check": "Quality check",
    "quality_policy": "Quality policy",
    "annotation": "MQM annotation",
    "back_translation": "Back-translation",
    "webhook": "Webhook",
}


def tracked_label(history_model) -> str:
    return history_model.instance_type._meta.label_lower


_SUMMARIES = {
    "project": lambda row: row.name,
    "membership": lambda row: f"user #{row.user_id} as {row.role}",
    "document": lambda row: row.title,
    "image": lambda row: f"page {row.position}: {row.original_filename}",
    "segment": lambda row: f"§{row.position} v{row.version}: {row.source_text}",
    "translation": lambda row: f"{row.language} v{row.version} [{row.state}]: {row.text}",
    "review": lambda row: f"{row.decision} v{row.version}: {row.text}",
    "comment": lambda row: row.body,
    "preference": lambda row: "notification settings",
    "glossary": lambda row: f"{row.source_term} ({row.language}) → {', '.join(row.approved or [])}",
    "memory": lambda row: f"{row.source_text} → {row.target_text}",
    "check": lambda row: f"{row.check_id} on v{row.version}" + (f" dismissed: {row.dismissed_reason}"
                                                                  if row.dismissed_at else ""),
    "quality_policy": lambda row: f"weights {row.weight_neutral}/{row.weight_minor}/{row.weight_major}/"
                                  f"{row.weight_critical}, pass {row.pass_threshold}",
    "annotation": lambda row: f"{row.dimension}/{row.subtype} {row.severity} on v{row.version}: "
                              f"{row.text[row.start:row.end]}",
    "back_translation": lambda row: f"v{row.version} [{row.state}]: {row.text or row.request_note}",
    "webhook": lambda row: f"{row.url} ({', '.join(map(str, row.events if isinstance(row.events, list) else []))})"
                           + ("" if row.is_active else " off"),
}


def _summary(kind, row) -> str:
    summarise = _SUMMARIES.get(kind)
    text = " ".join(str(summarise(row) if summarise else "").split())
    return text[:197] + "…" if len(text) > 198 else text


def _scopes(kind, rows) -> list[tuple[int | None, int | None]]:
    """(project_id, document_id) for each history row, with one query per batch at most."""
    from translations.models import Document, Segment, Translation

    if kind == "project":
        return [(r.id, None) for r in rows]
    if kind in ("membership", "glossary", "memory", "quality_policy", "webhook"):
        return [(r.project_id, None) for r in rows]
    if kind == "document":
        return [(r.project_id, r.id) for r in rows]
    if kind == "preference":
        return [(None, None) for _ in rows]
    if kind in ("image", "segment"):
        projects = dict(Document.objects.filter(pk__in={r.document_id for r in rows}).values_list("id", "project_id"))
        return [(projects.get(r.document_id), r.document_id) for r in rows]
    if kind == "translation":
        docs = {
            sid: (pid, did)
            for sid, did, pid in Segment.objects.filter(pk__in={r.segment_id for r in rows}).values_list(
                "id", "document_id", "document__project_id"
            )
        }
        return [docs.get(r.segment_id, (None, None)) for r in rows]
    if kind in ("review", "check", "annotation", "back_translation"):
        docs = {
            tid: (pid, did)
            for tid, did, pid in Translation.objects.filter(pk__in={r.translation_id for r in rows}).values_list(
                "id", "segment__document_id", "segment__document__project_id"
            )
        }
        return [docs.get(r.translation_id, (None, None)) for r in rows]
    if kind == "comment":
        segment_docs = dict(
            Segment.objects.filter(pk__in={r.segment_id for r in rows if r.segment_id}).values_list("id", "document_id")
        )
        translation_docs = dict(
            Translation.objects.filter(pk__in={r.translation_id for r in rows if r.translation_id}).values_list(
                "id", "segment__document_id"
            )
        )
        return [
            (r.project_id, segment_docs.get(r.segment_id) if r.segment_id else translation_docs.get(r.translation_id))
            for r in rows
        ]
    return [(None, None) for _ in rows]


def events_for(history_model, rows):
    from .models import AuditEvent

    label = tracked_label(history_model)
    kind = KINDS.get(label, label.split(".")[-1])
    scopes = _scopes(kind, rows)
    # Built positionally: a bulk write indexes one event per history row.
    return [
        instance_from_values(AuditEvent, {
            "id": None,
            "history_label": label,
            "history_id": row.history_id,
            "object_id": row.id,
            "kind": kind,
            "action": row.history_type,
            "at": row.history_date,
            "actor_id": row.history_user_id,
            "reason": row.history_change_reason or "",
            "project_id": project_id,
            "document_id": document_id,
            "summary": _summary(kind, row),
        })
        for row, (project_id, document_id) in zip(rows, scopes)
    ]


def index_rows(history_model, rows) -> int:
    from .models import AuditEvent

    rows = list(rows)
    if not rows:
        return 0
    AuditEvent.objects.bulk_create(events_for(history_model, rows), batch_size=1000)
    return len(rows)


@receiver(post_create_historical_record)
def _index_one(sender, history_instance, **kwargs):
    index_rows(sender, [history_instance])


@receiver(history_rows_created)
def _index_bulk(sender, rows, **kwargs):
    index_rows(sender, rows)
