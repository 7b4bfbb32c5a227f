"""Index history rows that have no audit event yet (e.g. history written before
the audit trail existed, or restored from an archive). Idempotent; streams in
chunks of history ids, so memory stays flat."""

from django.core.management.base import BaseCommand
from django.db import transaction

from reviews.audit import index_rows, tracked_label
from reviews.models import AuditEvent
from translations.management.commands.verify_history import tracked_models

CHUNK = 5000


class Command(BaseCommand):
    help = "Create audit-trail events for history rows that have none."

    def handle(self, *args, **options):
        total = 0
        for model in tracked_models():
            history = model.history.model
            label = tracked_label(history)
            last, added = 0, 0
            while True:
                rows = list(history.objects.filter(history_id__gt=last).order_by("history_id")[:CHUNK])
                if not rows:
                    break
                last = rows[-1].history_id
                indexed = set(
                    AuditEvent.objects.filter(
                        history_label=label, history_id__in=[r.history_id for r in rows]
                    ).values_list("history_id", flat=True)
                )
                with transaction.atomic():
                    added += index_rows(history, [r for r in rows if r.history_id not in indexed])
            total += added
            self.stdout.write(f"{label}: {added} added")
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} history rows into the audit trail."))
