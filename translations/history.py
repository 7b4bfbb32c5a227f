"""Writing tracked rows so that every change leaves history (invariant 1).

Every model that users change is registered with django-simple-history. This
module is the only way our code writes them:

* ``save_tracked`` / ``delete_tracked`` for one row, naming the actor and reason;
* ``bulk_create_tracked`` / ``bulk_update_tracked`` for imports and bulk work,
  which write one history row per object in the same transaction.

Two guards make a bypass fail loudly instead of silently losing history:

* ``TrackedQuerySet`` refuses ``update()``, ``bulk_update()`` and ``raw()``
  (``bulk_update_tracked`` lifts the refusal for its own call only);
* a ``pre_create_historical_record`` receiver refuses any history row that
  names no user or no reason, which aborts the surrounding transaction.

History rows themselves are append-only: ``ReadOnlyHistory`` refuses to
update or delete them, through the ORM and therefore through the admin.
"""

import contextvars

from django.dispatch import Signal
from django.utils import timezone

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.dispatch import receiver
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .exceptions import HistoryIncomplete

_bulk_writer_active = contextvars.ContextVar("interlinear_bulk_writer_active", default=False)

# Sent after a bulk write with the history rows it created (simple-history's
# bulk helpers send no per-row signal); the audit trail indexes them.
history_rows_created = Signal()


def _announce_bulk(model, objs, date):
    history = model.history.model
    pks = [obj.pk for obj in objs]
    rows = list(history.objects.filter(history_date=date, **{f"{model._meta.pk.attname}__in": pks}))
    history_rows_created.send(sender=history, rows=rows)


class HistoryBypassForbidden(RuntimeError):
    """Code tried to change tracked rows in a way that leaves no history."""


class TrackedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if not _bulk_writer_active.get():
            raise HistoryBypassForbidden(
                f"QuerySet.update() on {self.model.__name__} would leave no history; "
                "use a service (save_tracked / bulk_update_tracked)."
            )
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if not _bulk_writer_active.get():
            raise HistoryBypassForbidden(
                f"bulk_update() on {self.model.__name__} would leave no history; use bulk_update_tracked()."
            )
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def raw(self, *args, **kwargs):
        raise HistoryBypassForbidden(f"Raw SQL on {self.model.__name__} is forbidden.")


TrackedManager = models.Manager.from_queryset(TrackedQuerySet)


class HistoryIsReadOnly(RuntimeError):
    pass


class ReadOnlyHistoryQuerySet(HistoricalQuerySet):
    def update(self, **kwargs):
        raise HistoryIsReadOnly("History rows cannot be changed.")

    def delete(self):
        raise HistoryIsReadOnly("History rows cannot be deleted.")

    def bulk_update(self, *args, **kwargs):
        raise HistoryIsReadOnly("History rows cannot be changed.")


class ReadOnlyHistory(models.Model):
    """Base of every historical model: rows are inserted once, never changed (invariant 7)."""

    objects = models.Manager.from_queryset(ReadOnlyHistoryQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise HistoryIsReadOnly("History rows cannot be changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsReadOnly("History rows cannot be deleted.")


def tracked_history(**kwargs) -> HistoricalRecords:
    """The HistoricalRecords every Interlinear model uses."""
    return HistoricalRecords(
        bases=[ReadOnlyHistory],
        historical_queryset=ReadOnlyHistoryQuerySet,
        cascade_delete_history=False,
        **kwargs,
    )


@receiver(pre_create_historical_record)
def _refuse_anonymous_history(sender, history_instance, history_user, history_change_reason, **kwargs):
    if history_user is None or not (history_change_reason or "").strip():
        raise HistoryIncomplete(
            f"{sender.__name__} change without "
            + ("an acting user" if history_user is None else "a change reason")
            + "; every change must name who and why."
        )


def _require(user, reason):
    if user is None or getattr(user, "pk", None) is None:
        raise HistoryIncomplete("A tracked change must name the acting user.")
    if not (reason or "").strip():
        raise HistoryIncomplete("A tracked change must give a reason.")


def save_tracked(obj, *, user, reason: str, update_fields=None):
    """Save one tracked row with its history row naming user and reason."""
    _require(user, reason)
    obj._history_user = user
    obj._change_reason = reason
    try:
        obj.save(update_fields=update_fields)
    finally:
        del obj._history_user
        del obj._change_reason
    return obj


def delete_tracked(obj, *, user, reason: str):
    """Delete one tracked row, leaving a deletion history row naming user and reason."""
    _require(user, reason)
    obj._history_user = user
    obj._change_reason = reason
    obj.delete()


def bulk_create_tracked(objs, *, user, reason: str, batch_size: int = 500):
    """Create many rows and one history row each, in one transaction."""
    _require(user, reason)
    objs = list(objs)
    if not objs:
        return []
    model = type(objs[0])
    date = timezone.now()
    with transaction.atomic():
        created = bulk_create_with_history(
            objs, model, batch_size=batch_size, default_user=user, default_change_reason=reason, default_date=date
        )
        _announce_bulk(model, created, date)
        return created


def bulk_update_tracked(objs, fields, *, user, reason: str, batch_size: int = 500) -> int:
    """Update many rows and write one history row each, in one transaction."""
    _require(user, reason)
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    date = timezone.now()
    token = _bulk_writer_active.set(True)
    try:
        with transaction.atomic():
            updated = bulk_update_with_history(
                objs, model, fields, batch_size=batch_size, default_user=user, default_change_reason=reason,
                default_date=date,
            )
            _announce_bulk(model, objs, date)
            return updated
    finally:
        _bulk_writer_active.reset(token)


def system_user():
    """The named account that management commands act as when no --user is given."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=settings.INTERLINEAR_SYSTEM_USERNAME,
        defaults={"is_active": False, "first_name": "Interlinear", "last_name": "system"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
