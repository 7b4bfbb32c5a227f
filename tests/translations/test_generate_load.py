"""generate_load: synthetic load written through the tracked helpers and the
review services, so it keeps every invariant and verify_history passes."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q

from reviews.models import AuditEvent, Comment, Decision, Review
from translations.loadgen import table_counts
from translations.management.commands.verify_history import tracked_models
from translations.models import Document, Membership, Project, Segment, Translation, TranslationState

SCALE = "0.002"


def generate(seed="1", **options):
    """In this process, so with one writer: forking here would copy the connections other
    tests' threads (live servers) left open; worker processes are tested in a fresh process."""
    out, err = io.StringIO(), io.StringIO()
    before = table_counts()
    options.setdefault("jobs", 1)
    call_command("generate_load", "--scale", SCALE, "--seed", seed, stdout=out, stderr=err, **options)
    after = table_counts()
    return {label: after[label] - before[label] for label in after}, out.getvalue(), err.getvalue()


@pytest.fixture
def load(db):
    created, out, err = generate()
    return {"created": created, "out": out, "err": err}


def test_it_creates_projects_people_documents_segments_candidates_versions_reviews_and_comments(load):
    created = load["created"]
    for model in (Project, Membership, Document, Segment, Translation, Review, Comment):
        assert created[model._meta.label] > 0, model
    assert Document.objects.exclude(authenticity="unverified").exists()
    assert Document.objects.exclude(obtained_from="").count() == Document.objects.count()
    assert Segment.objects.filter(Q(source_text__contains="[illegible]") | Q(source_text__contains="[?")).exists()
    assert Segment.objects.filter(version__gt=1).exists(), "some transcriptions were corrected"
    assert set(Translation.objects.values_list("language", flat=True)) == {"en", "uk"}
    per_segment = Translation.objects.filter(language="en").values("segment").annotate(n=Count("id"))
    assert {row["n"] for row in per_segment} <= {2, 3, 4}
    assert Translation.objects.filter(version__gte=3).exists(), "some candidates reached a third version"
    drafting = Translation.history.filter(history_change_reason__endswith="; submitted for review")
    assert drafting.exists(), "some drafts were reworked and submitted with a last edit"
    threads = Comment.objects.values("segment", "translation").annotate(n=Count("id")).filter(n__gte=2)
    assert threads.exists(), "some discussions have replies"
    assert set(Review.objects.values_list("decision", flat=True)) == set(Decision.values)
    assert not Review.objects.exclude(decision=Decision.APPROVE).filter(comment="").exists()
    states = set(Translation.objects.values_list("state", flat=True))
    assert {TranslationState.DRAFT, TranslationState.SUBMITTED, TranslationState.APPROVED,
            TranslationState.CHANGES_REQUESTED, TranslationState.REJECTED} <= states
    for role in ("translator", "reviewer", "manager", "auditor"):
        assert Membership.objects.filter(role=role, user__username__startswith=f"load-{role}-").exists(), role
    members = get_user_model().objects.filter(memberships__isnull=False).distinct()
    assert not any(user.has_usable_password() for user in members)
    assert "documents" in load["err"], "progress goes to stderr"
    assert "history rows" in load["out"] and "translations.Translation" in load["out"]


def test_verify_history_passes_and_every_history_row_names_a_user_a_reason_and_has_an_audit_event(load):
    call_command("verify_history", stdout=io.StringIO())
    history_rows = 0
    for model in tracked_models():
        rows = model.history.model.objects
        history_rows += rows.count()
        assert not rows.filter(Q(history_user__isnull=True) | Q(history_change_reason__isnull=True)
                               | Q(history_change_reason="")).exists(), model
    assert AuditEvent.objects.count() == history_rows
    assert load["created"]["reviews.AuditEvent"] == history_rows


def test_history_names_the_member_who_acted(load):
    HistoricalTranslation = Translation.history.model
    created = HistoricalTranslation.objects.filter(history_type="+")
    assert created.count() == Translation.objects.count()
    assert not created.exclude(history_user=F("author")).exists(), "a candidate is created by its author"
    edits = HistoricalTranslation.objects.filter(history_change_reason__startswith="Edited text")
    assert edits.exists() and not edits.exclude(history_user=F("author")).exists()
    assert not Review.history.exclude(history_user=F("reviewer")).exists()
    assert not Comment.history.exclude(history_user=F("author")).exists()


def test_at_most_one_published_rendering_per_segment_and_language_and_it_is_the_approved_text(load):
    published = Translation.objects.filter(is_published=True)
    assert published.exists()
    assert not published.values("segment", "language").annotate(n=Count("id")).filter(n__gt=1).exists()
    for translation in published:
        assert Review.objects.filter(
            translation=translation, decision=Decision.APPROVE, text_hash=translation.published_text_hash,
            text=translation.published_text, version=translation.published_version,
        ).exclude(reviewer=translation.author).exists()
    assert published.exclude(text_hash=F("published_text_hash")).exists(), "some were improved after approval"


def test_nobody_reviews_their_own_translation(load):
    assert Review.objects.exists()
    own = Q(reviewer=F("translation__author")) | Q(reviewer=F("translation__edited_by"))
    assert not Review.objects.filter(own).exists()
    approvals = Review.objects.filter(decision=Decision.APPROVE)
    assert approvals.values("translation", "version").annotate(n=Count("reviewer", distinct=True)).filter(n=2).exists()


def test_the_same_seed_creates_the_same_rows_again(load):
    again, _, _ = generate()
    first = dict(load["created"])
    assert first.pop("auth.User") > 0 and again.pop("auth.User") == 0, "the load users are reused"
    assert again == first
    def texts(run):
        return list(Translation.objects.filter(segment__document__project__slug__startswith=f"load-1-{run}-")
                    .order_by("id").values_list("version", "state", "text"))

    assert texts(2) == texts(1), "the same candidates, versions and states"


def test_scale_must_be_positive(db):
    with pytest.raises(CommandError, match="scale"):
        call_command("generate_load", "--scale", "0", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_batches_commit_and_nobody_is_mailed(mailoutbox):
    """Real commits (one per batch of documents), inside notifications_suppressed: no e-mail."""
    generate(batch_documents=1)
    assert Review.objects.exists()
    assert mailoutbox == []


def test_worker_processes_need_postgresql_outside_a_transaction(db):
    with pytest.raises(CommandError, match="--jobs"):
        call_command("generate_load", "--scale", SCALE, "--jobs", "2", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_load_as_one_process():
    """Each batch is planned from its own random stream: two processes writing
    batches in whatever order give the rows one process gives. Run as
    `manage.py generate_load` in a fresh process, as people run it."""
    from tests.hardening.test_concurrency_gunicorn import scratch_database_url

    url = scratch_database_url(connection.settings_dict["NAME"])

    def command(jobs):
        before = table_counts()
        result = subprocess.run(
            [sys.executable, "manage.py", "generate_load", "--scale", SCALE, "--seed", "1", "--batch-documents", "1",
             "--jobs", str(jobs)],
            cwd=settings.BASE_DIR, env={**os.environ, "DATABASE_URL": url, "DEBUG": "1"},
            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        after = table_counts()
        return {label: after[label] - before[label] for label in after}, result.stdout

    one, _ = command(1)
    two, out = command(2)
    assert "2 processes" in out
    one.pop("auth.User"), two.pop("auth.User")
    assert two == one

    def content(run):
        rows = Translation.objects.filter(segment__document__project__slug__startswith=f"load-1-{run}-").values_list(
            "segment__document__reference_number", "segment__position", "language", "author__username", "version",
            "state", "is_published", "text",
        )
        return sorted((reference.rsplit("-", 1)[-1], *rest) for reference, *rest in rows)

    assert content(2) == content(1)
    call_command("verify_history", stdout=io.StringIO())
