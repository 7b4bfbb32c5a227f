"""Operations (issue "Hardening", item 6): scripts/backup.sh and scripts/restore.sh.

Material is made through the services in the test database, copied into the
scratch database ``interlinear_fault_src``, backed up with backup.sh and
restored with restore.sh into ``interlinear_fault_dst`` and a fresh media
folder. The restored instance must hold the same rows, history and audit
trail, the page image byte for byte, and pass verify_history; a backup that
was altered after it was written is refused before anything is written.
The archive of a single project (export_project / import_project) has its
own round-trip tests in tests/translations/test_archive.py.
"""

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection, connections
from PIL import Image

from reviews.models import Decision
from reviews.services import comment_create, review_record
from tests.factories import make_document, make_project
from translations import services
from translations.management.commands.verify_history import tracked_models
from translations.models import Role

from .processes import PROJECT_ROOT, database_url, manage_env, pg_admin

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="backs up and restores PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

SOURCE, TARGET, TAMPERED = "interlinear_fault_src", "interlinear_fault_dst", "interlinear_fault_tampered"
# Every tracked table and its history (so a new tracked model is counted too), users and the audit trail.
COUNTED_TABLES = [
    "auth_user",
    *(table for model in tracked_models() for table in (model._meta.db_table, model.history.model._meta.db_table)),
    "reviews_auditevent",
]


def drop(*names):
    with pg_admin("postgres") as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch_databases():
    drop(SOURCE, TARGET, TAMPERED)
    yield
    drop(SOURCE, TARGET, TAMPERED)


def page_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_material(admin_user, people):
    project = make_project(
        admin_user, slug="recovered-notes",
        members={people["translator"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER,
                 people["manager"]: Role.MANAGER},
    )
    document = make_document(project, people["manager"])
    services.document_image_add(document=document, user=people["manager"], upload=io.BytesIO(page_image()),
                                filename="page-1.png")
    for number, segment in enumerate(document.segments.order_by("position"), start=1):
        translation = services.translation_create(segment=segment, user=people["translator"], language="en",
                                                  text=f"Line {number}.")
        review_record(translation=translation, reviewer=people["reviewer"], version=1, decision=Decision.APPROVE)
    comment_create(user=people["reviewer"], body="Check the second line against the photograph.",
                   segment=document.segments.order_by("position").last())


def counts(dbname) -> dict:
    with pg_admin(dbname) as db:
        return {table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in COUNTED_TABLES}


def script(name, *args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / name), *map(str, args)],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )


def copy_test_database_to(name):
    """A scratch database holding what the test made, copied with pg_dump: a
    template copy would need every other session off the test database, and the
    browser tests' live server (session-scoped) keeps one open."""
    test_database = connection.settings_dict["NAME"]
    with pg_admin("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "-h", "127.0.0.1", "-U", "postgres", test_database],
        capture_output=True, check=True, timeout=120,
    )
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", name],
        input=dump.stdout, capture_output=True, check=True, timeout=120,
    )


def test_a_backup_restores_into_an_empty_database_whole_and_a_tampered_one_is_refused(
    scratch_databases, admin_user, people, settings, tmp_path
):
    make_material(admin_user, people)
    copy_test_database_to(SOURCE)
    source_media = Path(settings.MEDIA_ROOT)
    backups = tmp_path / "backups"

    backup = script("backup.sh", "--projects", backups,
                    env=manage_env(DATABASE_URL=database_url(name=SOURCE), MEDIA_ROOT=source_media))
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert folder.parent == backups and folder.name.startswith("interlinear-")
    listed = sorted(line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert listed == ["./database.dump", "./media.tar", "./projects/recovered-notes.zip"]
    assert not list(backups.glob(".*.partial"))

    with pg_admin("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{TARGET}"')
    target_media = tmp_path / "restored-media"
    env = manage_env()
    restore = script("restore.sh", folder, database_url(name=TARGET), target_media, env=env)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "Manifest verified: 3 file(s)" in restore.stderr
    assert "0 drifted" in restore.stdout and "Restore complete and verified" in restore.stderr

    source_counts = counts(SOURCE)
    assert source_counts["translations_documentimage"] == 1 and source_counts["reviews_review"] == 3
    history_rows = sum(count for table, count in source_counts.items() if "_historical" in table)
    assert source_counts["reviews_auditevent"] == history_rows > 15  # one audit event per history row
    assert counts(TARGET) == source_counts
    with pg_admin(TARGET) as db:
        name, sha256 = db.execute('SELECT original, sha256 FROM "translations_documentimage"').fetchone()
    restored_bytes = (target_media / name).read_bytes()
    assert hashlib.sha256(restored_bytes).hexdigest() == sha256 == hashlib.sha256(page_image()).hexdigest()
    assert sorted(p.relative_to(target_media) for p in target_media.rglob("*") if p.is_file()) == sorted(
        p.relative_to(source_media) for p in source_media.rglob("*") if p.is_file()
    )

    # Restoring over what is now there is refused.
    again = script("restore.sh", folder, database_url(name=TARGET), tmp_path / "other-media", env=env)
    assert again.returncode == 2 and "the target database is not empty" in again.stderr

    # A backup altered after it was written is refused before anything is written.
    with pg_admin("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{TAMPERED}"')
    for damage in ("flip a byte of the dump", "drop the media"):
        altered = tmp_path / "altered" / damage.replace(" ", "-")
        shutil.copytree(folder, altered)
        if damage == "flip a byte of the dump":
            dump = bytearray((altered / "database.dump").read_bytes())
            dump[len(dump) // 2] ^= 0x01
            (altered / "database.dump").write_bytes(bytes(dump))
        else:
            (altered / "media.tar").unlink()
        refused = script("restore.sh", altered, database_url(name=TAMPERED), tmp_path / "tampered-media", env=env)
        assert refused.returncode == 2, (damage, refused.stderr)
        assert "does not match its SHA256SUMS" in refused.stderr, refused.stderr
        assert not (tmp_path / "tampered-media").exists()
        with pg_admin(TAMPERED) as db:
            assert db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
