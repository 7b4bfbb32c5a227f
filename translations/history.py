"""Writing tracked rows so that every change leaves history (invariant 1).

Every model that users change is registered with django-simple-history. This
module is the only way our code writes them:

* ``save_tracked`` / ``delete_tracked`` for one row, naming the actor and reason;
* ``bulk_create_tracked`` / ``bulk_update_tracked`` for imports and bulk work,
  which write one history row per object in the same transaction (through
  simple-history's ``bulk_history_create``, as its ``bulk_*_with_history``
  helpers do, keeping the rows it returns so the audit trail indexes them
  without reading them back).

Two guards make a bypass fail loudly instead of silently losing history:

* ``TrackedQuerySet`` refuses ``update()``, ``bulk_update()`` and ``raw()``
  (``bulk_update_tracked`` lifts the refusal for its own call only);
* a ``pre_create_historical_record`` receiver refuses any history row that
  names no user or no reason, which aborts the surrounding transaction.

History rows themselves are append-only: ``ReadOnlyHistory`` refuses to
update or delete them, through the ORM and therefore through the admin.
"""

import contextvars
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models, transaction
from django.db.models.expressions import Expression, F
from django.db.models.functions import Cast
from django.dispatch import Signal, receiver
from django.utils import timezone
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import (
    bulk_create_with_history,
    get_history_manager_for_model,
    get_history_model_for_model,
)

from .exceptions import HistoryIncomplete

_bulk_writer_active = contextvars.ContextVar("interlinear_bulk_writer_active", default=False)

# Sent after a bulk write with the history rows it created (simple-history's
# bulk helpers send no per-row signal); the audit trail indexes them.
history_rows_created = Signal()


@cache
def _layout(model) -> tuple[tuple[str, object], ...]:
    return tuple((field.attname, field) for field in model._meta.concrete_fields)


def instance_from_values(model, values: dict):
    """``model(**values)`` built positionally, about twice as fast for wide rows
    written in bulk (history rows, audit events); unnamed fields get their defaults."""
    return model(*[values[name] if name in values else field.get_default() for name, field in _layout(model)])


def _write_history_rows(model, objs, *, history_type, user, reason, date, batch_size):
    """One history row per object, as simple-history's ``bulk_history_create``
    makes them (``_history_user``, ``_change_reason`` and ``_history_date`` on
    an object win over the defaults), built positionally; returned with ids."""
    manager = get_history_manager_for_model(model)
    history = manager.model
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return []
    if hasattr(history, "history_relation"):
        return manager.bulk_history_create(
            objs, batch_size=batch_size, update=history_type == "~", default_user=user,
            default_change_reason=reason, default_date=date,
        )
    tracked = [field.attname for field in history.tracked_fields]
    rows = []
    for obj in objs:
        values = {name: getattr(obj, name) for name in tracked}
        values["history_id"] = None
        values["history_date"] = getattr(obj, "_history_date", date)
        values["history_change_reason"] = getattr(obj, "_change_reason", None) or reason
        values["history_type"] = history_type
        row = instance_from_values(history, values)
        row.history_user = getattr(obj, "_history_user", user)
        rows.append(row)
    return history.objects.bulk_create(rows, batch_size=batch_size)


def _announce_bulk(model, objs, date, rows=None):
    """Send history_rows_created with the history rows just written (read back
    only on a database that does not return ids from a bulk insert)."""
    history = get_history_model_for_model(model)
    if rows is None or any(row.pk is None for row in rows):
        pks = [obj.pk for obj in objs]
        rows = list(history.objects.filter(history_date=date, **{f"{model._meta.pk.attname}__in": pks}))
    history_rows_created.send(sender=history, rows=rows)


class _ValuePerRow(Expression):
    """``CASE pk WHEN 1 THEN %s … END``: each row's own value of one field.

    What ``QuerySet.bulk_update`` writes, compiled directly: Django builds and
    resolves a ``When(pk=…)`` per row and field, which cost more than the rest
    of a bulk write together. Integer keys are written inline (half the
    parameters to bind); a field with one value in the whole batch is written
    as that value."""

    def __init__(self, field, pairs):
        super().__init__(output_field=field)
        self.pairs = pairs  # [(pk, value)], values not yet prepared for the database
        self.pk_column = None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.pk_column = F("pk").resolve_expression(query, allow_joins, reuse, summarize)
        return resolved

    def as_sql(self, compiler, connection):
        field = self.output_field
        custom = getattr(field, "get_placeholder", None)

        def value_sql(value):
            value = field.get_db_prep_save(value, connection)
            if custom is not None:
                return custom(value, compiler, connection), [value]
            return ("NULL", []) if value is None else ("%s", [value])

        values = [value for _, value in self.pairs]
        if all(value == values[0] for value in values):
            return value_sql(values[0])
        pk_sql, pk_params = compiler.compile(self.pk_column)
        params = list(pk_params)
        sql = [f"CASE {pk_sql}"]
        for pk, value in self.pairs:
            then_sql, then_params = value_sql(value)
            if type(pk) is int:
                sql.append(f"WHEN {pk:d} THEN {then_sql}")
            else:
                sql.append(f"WHEN %s THEN {then_sql}")
                params.append(pk)
            params.extend(then_params)
        sql.append("END")
        return " ".join(sql), params


def _bulk_update(queryset, objs, fields, batch_size):
    """QuerySet.bulk_update's checks and result, one ``_ValuePerRow`` per field and batch."""
    if batch_size is not None and batch_size <= 0:
        raise ValueError("Batch size must be a positive integer.")
    if not fields:
        raise ValueError("Field names must be given to bulk_update().")
    objs = tuple(objs)
    if not all(obj._is_pk_set() for obj in objs):
        raise ValueError("All bulk_update() objects must have a primary key set.")
    opts = queryset.model._meta
    fields = [opts.get_field(name) for name in fields]
    if any(not f.concrete or f.primary_key for f in fields) or opts.parents or opts.pk_fields != [opts.pk]:
        return None  # what only Django's own bulk_update handles
    if not objs:
        return 0
    # Only related fields are checked (an empty list would check them all).
    if relations := [field for field in fields if field.is_relation]:
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_update", fields=relations)
    values = {field: [getattr(obj, field.attname) for obj in objs] for field in fields}
    if any(hasattr(value, "resolve_expression") for column in values.values() for value in column):
        return None
    connection = connections[queryset.db]
    # Each row costs one parameter in the filter and two (pk, value) per field.
    limit = connection.ops.bulk_batch_size([opts.pk] * (1 + 2 * len(fields)), objs)
    batch_size = min(batch_size, limit) if batch_size else limit
    casting = connection.features.requires_casted_case_in_updates
    updated = 0
    with transaction.atomic(using=queryset.db, savepoint=False):
        for start in range(0, len(objs), batch_size):
            pks = [obj.pk for obj in objs[start : start + batch_size]]
            assignments = {}
            for field, column in values.items():
                expression = _ValuePerRow(field, list(zip(pks, column[start : start + batch_size])))
                assignments[field.attname] = Cast(expression, output_field=field) if casting else expression
            updated += queryset.filter(pk__in=pks).update(**assignments)
    return updated


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
        updated = _bulk_update(self, objs, fields, batch_size)
        if updated is None:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        return updated

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
    # No savepoint, as in Django's bulk_create: a failure rolls back (or dooms) the
    # caller's transaction, and a load of many bulk writes saves two statements each.
    with transaction.atomic(savepoint=False):
        if not connections[model._default_manager.db].features.can_return_rows_from_bulk_insert:
            created = bulk_create_with_history(
                objs, model, batch_size=batch_size, default_user=user, default_change_reason=reason, default_date=date
            )
            _announce_bulk(model, created, date)
            return created
        created = model._default_manager.bulk_create(objs, batch_size=batch_size)
        rows = _write_history_rows(
            model, created, history_type="+", user=user, reason=reason, date=date, batch_size=batch_size
        )
        _announce_bulk(model, created, date, rows)
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
        with transaction.atomic(savepoint=False):
            # No fields: history rows only, as bulk_update_with_history allows.
            updated = model._default_manager.bulk_update(objs, fields, batch_size=batch_size) if fields else 0
            rows = _write_history_rows(
                model, objs, history_type="~", user=user, reason=reason, date=date, batch_size=batch_size
            )
            _announce_bulk(model, objs, date, rows)
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
