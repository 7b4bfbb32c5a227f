"""Invariant 1 (every change leaves history) and invariant 7 (history is read-only)."""

import ast
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from PIL import Image

from reviews.services import comment_create, review_record
from tests.factories import UserFactory
from translations import services
from translations.exceptions import HistoryIncomplete
from translations.history import HistoryBypassForbidden, HistoryIsReadOnly, bulk_update_tracked, save_tracked
from translations.management.commands.verify_history import tracked_models
from translations.models import Project, Segment, Translation

ROOT = Path(__file__).resolve().parents[2]


def history_marks():
    return {model: (model.history.model.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0)
            for model in tracked_models()}


def history_since(marks):
    rows = []
    for model, mark in marks.items():
        rows.extend(model.history.model.objects.filter(history_id__gt=mark).select_related("history_user"))
    return rows


@pytest.fixture
def world(project, document, segment, people):
    approved = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    review_record(translation=approved, reviewer=people["reviewer"], version=1, decision="approve")
    second_segment = document.segments.get(position=2)
    pending = services.translation_create(segment=segment, user=people["translator2"], language="en", text="Uno.")
    return {"project": project, "document": document, "segment": segment, "second": second_segment,
            "approved": approved, "pending": pending, **people}


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def fresh(obj):
    obj.refresh_from_db()
    return obj


SCENARIOS = {
    "policy update": lambda w: (w["manager"], services.project_policy_update(
        project=w["project"], user=w["manager"], required_approvals=2, allow_self_approval=True, reason="Policy")),
    "membership set": lambda w: (w["manager"], services.membership_set(
        project=w["project"], user=w["manager"], member=w["translator"], role="reviewer")),
    "membership remove": lambda w: (w["manager"], services.membership_remove(
        project=w["project"], user=w["manager"], member=w["auditor"])),
    "document create": lambda w: (w["manager"], services.document_create(
        project=w["project"], user=w["manager"], title="Letter")),
    "document update": lambda w: (w["manager"], services.document_update(
        document=w["document"], user=w["manager"], authenticity="disputed", reason="Expert doubts the paper")),
    "image add": lambda w: (w["translator"], services.document_image_add(
        document=w["document"], user=w["translator"], upload=io.BytesIO(png_bytes()), filename="p1.png")),
    "segment create": lambda w: (w["translator"], services.segment_create(
        document=w["document"], user=w["translator"], source_text="새 줄이다.", position=1)),
    "paste and split": lambda w: (w["translator"], services.segments_append_from_text(
        document=w["document"], user=w["translator"], text="하나다. 둘이다!", mode="sentence")),
    "segment edit invalidating": lambda w: (w["manager"], services.segment_edit(
        segment=w["segment"], user=w["manager"], base_version=1, source_text="바뀐 줄이다.")),
    "segment split": lambda w: (w["translator"], services.segment_split(
        segment=w["segment"], user=w["translator"], base_version=1, at=3)),
    "segment merge": lambda w: (w["translator"], services.segment_merge(
        segment=w["segment"], user=w["translator"], base_version=1, next_base_version=1)),
    "segment move": lambda w: (w["translator"], services.segment_move(
        segment=w["second"], user=w["translator"], to_position=3)),
    "segment delete": lambda w: (w["translator"], services.segment_delete(
        segment=w["second"], user=w["translator"], base_version=1)),
    "translation create": lambda w: (w["reviewer"], services.translation_create(
        segment=w["second"], user=w["reviewer"], language="en", text="Two.")),
    "translation edit": lambda w: (w["translator"], services.translation_edit(
        translation=w["approved"], user=w["translator"], base_version=1, text="One!")),
    "review approve": lambda w: (w["reviewer2"], review_record(
        translation=w["approved"], reviewer=w["reviewer2"], version=1, decision="approve")),
    "review moves publication": lambda w: (w["reviewer"], review_record(
        translation=w["pending"], reviewer=w["reviewer"], version=1, decision="approve")),
    "review reject": lambda w: (w["reviewer"], review_record(
        translation=w["pending"], reviewer=w["reviewer"], version=1, decision="reject", comment="No.")),
    "comment": lambda w: (w["reviewer"], comment_create(user=w["reviewer"], segment=w["segment"], body="Hm?")),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_service_leaves_exactly_one_history_row_per_changed_object_with_user_and_reason(world, name, capsys):
    marks = history_marks()
    actor, _ = SCENARIOS[name](world)
    rows = history_since(marks)
    assert rows, "the service changed something, so history must show it"
    per_object = Counter((type(row).__name__, row.id) for row in rows)
    assert set(per_object.values()) == {1}, per_object
    for row in rows:
        assert row.history_user_id == actor.pk
        assert row.history_change_reason and row.history_change_reason.strip()
    call_command("verify_history")  # every changed row matches its latest history row


def test_a_service_that_changes_nothing_writes_no_history(world):
    marks = history_marks()
    services.translation_edit(translation=world["approved"], user=world["translator"], base_version=1, text="One.")
    services.segment_edit(segment=world["segment"], user=world["manager"], base_version=1,
                          source_text=world["segment"].source_text)
    assert history_since(marks) == []


def test_a_change_without_user_or_reason_is_refused_and_nothing_is_stored(people):
    project = Project(name="X", slug="x", source_language="ko", target_languages=["en"])
    with pytest.raises(HistoryIncomplete), transaction.atomic():
        project.save()
    project._history_user = people["manager"]
    with pytest.raises(HistoryIncomplete), transaction.atomic():
        project.save()
    assert not Project.objects.filter(slug="x").exists()


def test_queryset_update_bulk_update_and_raw_on_tracked_models_are_refused(world):
    with pytest.raises(HistoryBypassForbidden):
        Translation.objects.filter(pk=world["approved"].pk).update(text="sneaky")
    with pytest.raises(HistoryBypassForbidden):
        Segment.objects.bulk_update([world["segment"]], ["source_text"])
    with pytest.raises(HistoryBypassForbidden):
        Translation.objects.raw("SELECT * FROM translations_translation")
    assert fresh(world["approved"]).text == "One."


def test_bulk_update_tracked_writes_one_history_row_per_object(world):
    segments = list(world["document"].segments.all())
    for segment in segments:
        segment.position += 10
    marks = history_marks()
    bulk_update_tracked(segments, ["position"], user=world["manager"], reason="Renumbered")
    rows = history_since(marks)
    assert len(rows) == len(segments)
    assert {row.history_change_reason for row in rows} == {"Renumbered"}


def test_bulk_update_tracked_writes_each_rows_own_values_and_announces_its_history(world):
    """Distinct values per row, one shared value, a foreign key and a NULL, in
    batches smaller than the rows: the rows, their history and their audit
    events all say the same."""
    from reviews.models import AuditEvent

    translations = [fresh(world["approved"]), fresh(world["pending"])]
    for index, translation in enumerate(translations):
        translation.text = f"Row {index}."
        translation.note = "Shared note."
        translation.edited_by = world["reviewer"]
        translation.submitted_at = None
        translation._change_reason = f"Row {index} edited"
    marks = history_marks()
    assert bulk_update_tracked(translations, ["text", "note", "edited_by", "submitted_at"], user=world["manager"],
                               reason="Bulk edit", batch_size=1) == 2
    for index, translation in enumerate(translations):
        stored = Translation.objects.get(pk=translation.pk)
        assert (stored.text, stored.note, stored.edited_by_id, stored.submitted_at) == (
            f"Row {index}.", "Shared note.", world["reviewer"].pk, None)
    rows = history_since(marks)
    assert sorted(row.history_change_reason for row in rows) == ["Row 0 edited", "Row 1 edited"]
    assert AuditEvent.objects.filter(history_id__in=[row.history_id for row in rows],
                                     history_label="translations.translation").count() == 2
    call_command("verify_history")


_FORBIDDEN_CALLS = {"update", "bulk_update", "raw", "extra", "_update"}
_RAW_SQL = {"cursor", "execute", "executemany", "RawSQL"}
# The health check's SELECT 1 (a read), the load generator's ANALYZE (planner
# statistics; no row changes), the benchmark's EXPLAIN of the SELECTs it
# captured (reads), translation memory's set_config of pg_trgm's similarity
# threshold (a session setting), and the guard itself, which forwards to Django
# only inside bulk_update_tracked.
_ALLOWED = {
    ("translations/memory.py", "cursor"),
    ("translations/memory.py", "execute"),
    ("translations/views/home.py", "cursor"),
    ("translations/views/home.py", "execute"),
    ("translations/loadgen.py", "cursor"),
    ("translations/loadgen.py", "execute"),
    ("translations/benchmarking/diagnosis.py", "cursor"),
    ("translations/benchmarking/diagnosis.py", "execute"),
    ("translations/history.py", "update"),
    ("translations/history.py", "bulk_update"),
}


def test_no_application_code_calls_update_bulk_update_or_raw_sql():
    """Static companion of the runtime guard: application code (not tests or
    migrations) never calls .update(), .bulk_update(), .raw(), .extra() or SQL
    cursors, except the allow-listed health check. A dict.update on a local
    is told apart by its receiver name."""
    offences = []
    for path in sorted((ROOT / "translations").rglob("*.py")) + sorted((ROOT / "reviews").rglob("*.py")) + sorted(
        (ROOT / "config").rglob("*.py")
    ):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                if (rel, name) in _ALLOWED:
                    continue
                if name in _FORBIDDEN_CALLS or name in _RAW_SQL:
                    receiver = ast.unparse(node.func.value)
                    if name == "update" and not any(k in receiver for k in ("objects", "filter", "exclude", "all()", "_set")):
                        continue  # dict.update / set.update on plain values
                    offences.append(f"{rel}:{node.lineno} {receiver}.{name}(...)")
            if isinstance(node, ast.Name) and node.id == "RawSQL":
                offences.append(f"{rel}:{node.lineno} RawSQL")
    assert offences == []


def test_history_rows_cannot_be_changed_or_deleted(world):
    row = world["approved"].history.first()
    row.history_change_reason = "rewritten"
    with pytest.raises(HistoryIsReadOnly):
        row.save()
    with pytest.raises(HistoryIsReadOnly):
        row.delete()
    with pytest.raises(HistoryIsReadOnly):
        world["approved"].history.all().delete()
    with pytest.raises(HistoryIsReadOnly):
        world["approved"].history.update(history_change_reason="rewritten")
    with pytest.raises(HistoryIsReadOnly):
        type(row).objects.filter(pk=row.pk).update(history_change_reason="rewritten")
    assert world["approved"].history.filter(history_change_reason="rewritten").count() == 0


def test_verify_history_passes_on_the_demo_data_and_fails_after_a_raw_sql_change(db, capsys):
    call_command("seed_demo")
    call_command("verify_history")
    assert "0 drifted" in capsys.readouterr().out
    target = Translation.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE translations_translation SET text = %s WHERE id = %s", ["tampered", target.pk])
    with pytest.raises(CommandError, match="1 drifted"):
        call_command("verify_history")
    assert f"Translation #{target.pk}: text" in capsys.readouterr().out


def test_verify_history_reports_rows_deleted_without_a_deletion_record(world, capsys):
    comment = comment_create(user=world["reviewer"], segment=world["segment"], body="Gone soon.")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reviews_comment WHERE id = %s", [comment.pk])
    with pytest.raises(CommandError):
        call_command("verify_history")
    assert "history records no deletion" in capsys.readouterr().out


def test_management_commands_act_as_the_named_system_user(db):
    from translations.history import system_user

    user = system_user()
    assert user.username == "interlinear-system" and not user.has_usable_password() and not user.is_active
    assert system_user().pk == user.pk


def test_demo_history_is_attributed_to_demo_users(db):
    call_command("seed_demo")
    for model in tracked_models():
        names = set(model.history.values_list("history_user__username", flat=True))
        assert None not in names
        assert names <= {"translator", "translator2", "reviewer", "reviewer2", "manager", "auditor", "admin"}


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo")
    counts = {model: model.objects.count() for model in tracked_models()}
    call_command("seed_demo")
    assert counts == {model: model.objects.count() for model in tracked_models()}


def test_save_tracked_requires_a_real_user(people):
    project = Project(name="Y", slug="y", source_language="ko", target_languages=["en"])
    with pytest.raises(HistoryIncomplete):
        save_tracked(project, user=None, reason="x")
    with pytest.raises(HistoryIncomplete):
        save_tracked(project, user=UserFactory.build(), reason="x")
