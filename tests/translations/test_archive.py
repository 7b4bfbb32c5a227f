"""A project moves between instances whole: export_project / import_project.

Invariants 1 and 8: the import restores every row and every history row (same
values, dates, users, reasons, types and order, ids remapped), writes no
history of its own but the rename it is asked for, leaves verify_history
passing, and refuses a damaged or hostile archive without writing anything.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image

from reviews.models import AuditEvent, Comment, Review
from reviews.services import comment_create, review_record
from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.management.commands.verify_history import tracked_models
from translations.models import Document, DocumentImage, Membership, Project, Role, Segment, Translation

ROOT = Path(__file__).resolve().parents[2]
SLUG = "recovered-notes"
COPY = "recovered-notes-copy"


# --- A realistic project, made through the services ------------------------------


def image_bytes(color, image_format="PNG"):
    buffer = io.BytesIO()
    image = Image.new("RGB", (40, 24), color)
    if image_format == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "Field camera"  # maker: metadata the display copy must not carry
        image.save(buffer, format="JPEG", exif=exif)
    else:
        image.save(buffer, format=image_format)
    return buffer.getvalue()


def build_project(slug=SLUG):
    """Members added, changed and removed; documents with provenance and page
    images; transcription corrected, split and deleted; candidates approved,
    edited after approval, rejected, left as drafts; comments."""
    admin = UserFactory(username="siteadmin", is_staff=True, is_superuser=True)
    people = {
        name: UserFactory(username=name)
        for name in ("translator", "translator2", "reviewer", "reviewer2", "manager", "auditor", "outsider")
    }
    project = make_project(
        admin,
        slug=slug,
        members={
            people["translator"]: Role.TRANSLATOR,
            people["translator2"]: Role.TRANSLATOR,
            people["reviewer"]: Role.REVIEWER,
            people["reviewer2"]: Role.REVIEWER,
            people["manager"]: Role.MANAGER,
            people["auditor"]: Role.AUDITOR,
        },
    )
    manager, translator, translator2 = people["manager"], people["translator"], people["translator2"]
    reviewer, reviewer2, outsider = people["reviewer"], people["reviewer2"], people["outsider"]
    project = services.project_policy_update(
        project=project, user=manager, required_approvals=1, allow_self_approval=False,
        translators_may_create_documents=True, reason="Translators may add documents",
    )
    # A membership that exists only in history, then the same person back under a new one.
    services.membership_set(project=project, user=admin, member=outsider, role=Role.TRANSLATOR)
    services.membership_set(project=project, user=admin, member=outsider, role=Role.REVIEWER)
    services.membership_remove(project=project, user=admin, member=outsider, reason="Left the team")
    services.membership_set(project=project, user=admin, member=outsider, role=Role.AUDITOR, reason="Back as auditor")

    notebook = make_document(
        project, manager, title="Notebook",
        lines=("첫째 줄이다.", "둘째 줄은 [illegible] 이다.", "셋째 줄이다.", "넷째 줄이다.", "다섯째 줄이다 여기서."),
    )
    services.document_update(
        document=notebook, user=manager, obtained_from="Field archive", obtained_when="2024-05",
        authenticity="disputed", reason="Provenance recorded",
    )
    make_document(project, translator, title="Letter", lines=("편지 첫 줄이다.", "편지 둘째 줄이다."))
    for name, data in (("page-1.png", image_bytes("white")), ("page-2.jpg", image_bytes("gray", "JPEG"))):
        services.document_image_add(document=notebook, user=manager, upload=io.BytesIO(data), filename=name)

    first, second, third, fourth, fifth = notebook.segments.order_by("position")
    approved = services.translation_create(segment=first, user=translator, language="en", text="This is line one.")
    review_record(translation=approved, reviewer=reviewer, version=1, decision="approve")
    # Edited after approval: version 2 awaits review, version 1 stays published.
    approved = services.translation_edit(
        translation=approved, user=translator, base_version=1, text="This is the first line.", note="Closer."
    )
    review_record(translation=approved, reviewer=reviewer2, version=2, decision="request_changes",
                  comment="Keep the original wording.")
    rival = services.translation_create(segment=first, user=translator2, language="en", text="Line one.")
    review_record(translation=rival, reviewer=reviewer, version=1, decision="reject", comment="Too loose.")
    services.translation_create(segment=second, user=translator, language="en", text="Line two is [illegible].",
                                submit=False)
    invalidated = services.translation_create(segment=third, user=translator2, language="en", text="Line three.")
    review_record(translation=invalidated, reviewer=reviewer, version=1, decision="approve")
    services.segment_edit(segment=third, user=manager, base_version=1, source_text="셋째 줄이다!",
                          reason="Misread the last mark")
    services.translation_create(segment=fourth, user=translator, language="en", text="Line four.")
    services.segment_delete(segment=fourth, user=manager, base_version=1, reason="Duplicate of line three")
    fifth.refresh_from_db()
    services.segment_split(segment=fifth, user=manager, base_version=fifth.version, at=7)
    comment_create(user=reviewer, translation=approved, body="@translator please check the idiom.")
    comment_create(user=translator, segment=second, body="The ink is smudged here.")
    # The aids: a glossary term, an imported memory pair, the quality policy, an MQM
    # annotation and a back-translation (check findings come with every save above).
    from reviews.services.quality import (
        back_translation_complete, back_translation_request, error_annotation_create, quality_policy_update,
    )
    from translations.history import save_tracked
    from translations.models import MemoryEntry
    from translations.services.glossary import glossary_term_create

    glossary_term_create(project=project, user=manager, language="en", source_term="줄", approved=["line"],
                         forbidden=["row"], part_of_speech="noun", note="As written in the notebook.")
    save_tracked(MemoryEntry(project=project, language="en", source_text="첫째 줄.", target_text="Line one.",
                             origin="old.tmx", created_by=manager), user=manager, reason="Imported old.tmx")
    quality_policy_update(project=project, user=manager, weight_neutral=0, weight_minor=1, weight_major=5,
                          weight_critical=25, pass_threshold=90, length_ratio_tolerance=2, shares_memory=False,
                          reason="Pass mark for the pilot")
    error_annotation_create(translation=rival, user=reviewer2, base_version=1, dimension="accuracy",
                            subtype="omission", severity="major", start=0, end=4, note="Drops 'this is'.")
    back = back_translation_request(translation=rival, user=reviewer, assignee=translator, base_version=1)
    back_translation_complete(back_translation=back, user=translator, text="첫 줄.")
    return project


@pytest.fixture
def source(db):
    return build_project()


# --- Everything of a project, comparable across instances --------------------------


def _scoped_ids(project):
    """{model: (live ids, every id that has history)}, found independently of translations.archive."""

    def both(model, current, **history_scope):
        live = set(current.values_list("pk", flat=True))
        return live, live | set(model.history.model.objects.filter(**history_scope).values_list("id", flat=True))

    ids = {Project: both(Project, Project.objects.filter(pk=project.pk), id=project.pk)}
    ids[Membership] = both(Membership, Membership.objects.filter(project=project), project_id=project.pk)
    ids[Document] = both(Document, Document.objects.filter(project=project), project_id=project.pk)
    documents = ids[Document][1]
    ids[DocumentImage] = both(DocumentImage, DocumentImage.objects.filter(document__project=project),
                              document_id__in=documents)
    ids[Segment] = both(Segment, Segment.objects.filter(document__project=project), document_id__in=documents)
    ids[Translation] = both(Translation, Translation.objects.filter(segment__document__project=project),
                            segment_id__in=ids[Segment][1])
    ids[Review] = both(Review, Review.objects.filter(translation__segment__document__project=project),
                       translation_id__in=ids[Translation][1])
    ids[Comment] = both(Comment, Comment.objects.filter(project=project), project_id=project.pk)
    return ids


def project_snapshot(project) -> dict:
    """Every row and history row of a project as plain JSON: a row's own id and
    its references become the referenced row's rank among its model's live (or
    deleted) rows, users their username, image file names the SHA-256 of the
    file's bytes. History rows are listed in history_id order."""
    User = get_user_model()
    scoped = _scoped_ids(project)
    refs = {}
    for model, (live, ever) in scoped.items():
        label = model._meta.label_lower
        refs[model] = {pk: f"{label}#{rank}" for rank, pk in enumerate(sorted(live))}
        refs[model] |= {pk: f"{label}#deleted{rank}" for rank, pk in enumerate(sorted(ever - live))}
    usernames = dict(User.objects.values_list("pk", "username"))
    referenced = set()

    def plain(model, instance, tracked):
        row = {}
        for field in instance._meta.concrete_fields:
            if field.name == "history_id":
                continue
            value = getattr(instance, field.attname)
            if field.is_relation and field.related_model is User:
                value = usernames.get(value)
                referenced.add(value)
            elif field.is_relation:
                value = refs[field.related_model].get(value, value)
            elif field.name == "id":
                value = refs[tracked][value]
            elif field.name in ("original", "display"):
                value = hashlib.sha256(default_storage.open(str(value)).read()).hexdigest() if value else ""
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            row[field.name] = value
        return row

    snapshot = {}
    for model, (live, ever) in scoped.items():
        history = model.history.model
        snapshot[model._meta.label_lower] = {
            "rows": [plain(model, obj, model) for obj in model._base_manager.filter(pk__in=live).order_by("pk")],
            "history": [
                plain(history, row, model) for row in history.objects.filter(id__in=ever).order_by("history_id")
            ],
        }
    snapshot["users"] = {
        user.username: [user.first_name, user.last_name, user.email, user.is_active]
        for user in User.objects.filter(username__in=referenced - {None})
    }
    return snapshot


def database_state():
    """Row counts of every table an import writes, and the media files on disk."""
    counts = {"users": get_user_model().objects.count(), "audit events": AuditEvent.objects.count()}
    for model in tracked_models():
        counts[model._meta.label] = model._base_manager.count()
        counts[f"{model._meta.label} history"] = model.history.model.objects.count()
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return counts, files


def export(tmp_path, slug=SLUG) -> Path:
    path = tmp_path / f"{slug}.zip"
    call_command("export_project", slug, str(path), stdout=io.StringIO())
    return path


def import_(path, *args) -> str:
    out = io.StringIO()
    call_command("import_project", str(path), *args, stdout=out)
    return out.getvalue()


# --- Round trip ------------------------------------------------------------------------


def test_an_imported_project_has_every_row_and_history_row_of_the_exported_one(source, tmp_path):
    before = project_snapshot(source)
    archive = export(tmp_path)
    output = import_(archive, "--slug", COPY, "--user", "manager")

    copy = Project.objects.get(slug=COPY)
    after = project_snapshot(copy)
    for label in before:
        if label != "translations.project":
            assert after[label] == before[label], label
    # The project: the same but for its address, and one history row recording that change.
    project_before, project_after = before["translations.project"], after["translations.project"]
    assert project_after["rows"] == [{**project_before["rows"][0], "slug": COPY}]
    assert project_after["history"][:-1] == project_before["history"]
    rename = project_after["history"][-1]
    assert (rename["history_type"], rename["history_user"], rename["slug"]) == ("~", "manager", COPY)
    assert f"'{COPY}'" in rename["history_change_reason"] and f"'{SLUG}'" in rename["history_change_reason"]
    assert project_snapshot(source) == before  # the source is untouched
    assert "Users matched by username" in output and "Users created" not in output

    call_command("verify_history", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rebuild_audit_index", stdout=out)
    assert "Indexed 0 history rows" in out.getvalue()  # every imported history row is in the audit trail
    assert AuditEvent.objects.filter(project=copy).count() == AuditEvent.objects.filter(project=source).count() + 1


def test_the_import_keeps_what_the_workflow_depends_on(source, tmp_path):
    import_(export(tmp_path), "--slug", COPY)
    copy = Project.objects.get(slug=COPY)
    edited = Translation.objects.get(segment__document__project=copy, text="This is the first line.")
    assert (edited.version, edited.published_version, edited.published_text) == (2, 1, "This is line one.")
    assert edited.state == "changes_requested" and edited.is_published
    assert [r.decision for r in edited.reviews.order_by("created_at", "id")] == ["approve", "request_changes"]
    assert Segment.objects.filter(document__project=copy, is_deleted=True).count() == 1
    invalidated = Translation.objects.get(segment__document__project=copy, text="Line three.")
    assert invalidated.state == "submitted"
    # History keeps its dates and order: each copied row has the date of its original.
    original = Translation.objects.get(segment__document__project__slug=SLUG, text="This is the first line.")
    dates = lambda t: list(t.history.order_by("history_id").values_list("history_date", "history_type", "version"))
    assert dates(edited) == dates(original)


def test_page_images_arrive_byte_for_byte_under_the_new_project(source, tmp_path):
    import_(export(tmp_path), "--slug", COPY)
    copy = Project.objects.get(slug=COPY)
    originals = DocumentImage.objects.filter(document__project=source).order_by("pk")
    copies = DocumentImage.objects.filter(document__project=copy).order_by("pk")
    assert len(copies) == len(originals) == 2
    for original, imported in zip(originals, copies):
        data = imported.original.open("rb").read()
        assert data == original.original.open("rb").read()
        assert hashlib.sha256(data).hexdigest() == imported.sha256 == original.sha256
        assert imported.display.open("rb").read() == original.display.open("rb").read()
        assert imported.original.name.startswith(f"originals/{copy.pk}/{imported.document_id}/")
        assert imported.display.name.startswith(f"display/{copy.pk}/{imported.document_id}/")
        assert imported.history.get().original == imported.original.name


def test_a_row_deleted_in_the_source_gets_an_id_no_later_row_can_take(source, tmp_path):
    import_(export(tmp_path), "--slug", COPY)
    copy = Project.objects.get(slug=COPY)
    removed = Membership.history.filter(project_id=copy.pk, history_type="-").get()
    assert not Membership.objects.filter(pk=removed.id).exists()
    assert [row.history_type for row in Membership.history.filter(id=removed.id).order_by("history_id")] == [
        "+", "~", "-"]
    newcomer = UserFactory(username="newcomer")
    later = services.membership_set(project=copy, user=get_user_model().objects.get(username="siteadmin"),
                                    member=newcomer, role=Role.TRANSLATOR)
    assert later.pk > removed.id
    call_command("verify_history", stdout=io.StringIO())


def test_users_this_instance_lacks_are_created_without_a_usable_password(source, tmp_path):
    archive = export(tmp_path)
    User = get_user_model()
    archived = User.objects.get(username="translator2")
    archived.username = "translator2-elsewhere"
    archived.save()
    output = import_(archive, "--slug", COPY)

    created = User.objects.get(username="translator2")
    assert not created.has_usable_password() and not created.is_staff
    assert (created.first_name, created.last_name, created.email, created.is_active) == (
        archived.first_name, archived.last_name, archived.email, True)
    assert "Users created: translator2" in output and "changepassword" in output
    assert Translation.objects.filter(segment__document__project__slug=COPY, author=created).exists()


def test_the_archive_holds_no_password_hashes_and_lists_every_member(source, tmp_path):
    with zipfile.ZipFile(export(tmp_path)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        users = [json.loads(line) for line in archive.read("users.jsonl").splitlines()]
        assert set(archive.namelist()) == set(manifest["files"]) | {"manifest.json"}
        for name, entry in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"]
    assert all(set(user) == {"username", "first_name", "last_name", "email", "is_active"} for user in users)
    assert "siteadmin" in {user["username"] for user in users}  # named by history, though not a member
    assert manifest["tables"]["translations.membership.history"]["rows"] == Membership.history.filter(
        project_id=source.pk).count()
    assert sum(name.startswith("media/") for name in manifest["files"]) == 4  # two originals, two display copies


def test_an_address_already_in_use_is_refused(source, tmp_path):
    archive = export(tmp_path)
    state = database_state()
    with pytest.raises(CommandError, match="already exists here; give the imported project a new one with --slug"):
        import_(archive)
    make_project(get_user_model().objects.get(username="siteadmin"), slug="taken")
    state = database_state()
    with pytest.raises(CommandError, match="'taken' already exists"):
        import_(archive, "--slug", "taken")
    with pytest.raises(CommandError, match="cannot be a project address"):
        import_(archive, "--slug", "Not a slug!")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        import_(archive, "--slug", COPY, "--user", "nobody")
    assert database_state() == state


def test_exporting_an_unknown_project_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No project with the address 'nowhere'"):
        call_command("export_project", "nowhere", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


# --- Damaged and hostile archives: refused whole, nothing written ------------------


def rewrite(archive: Path, target: Path, *, change=None, drop=(), add=None, reseal=True, manifest=None):
    """Copy an archive, changing members; `reseal` records the changed members'
    hashes in the manifest, as a forger would."""
    with zipfile.ZipFile(archive) as source_zip:
        members = {name: source_zip.read(name) for name in source_zip.namelist()}
    for name, edit in (change or {}).items():
        members[name] = edit(members[name])
    for name in drop:
        del members[name]
    recorded = json.loads(members["manifest.json"])
    if reseal:
        for name, data in members.items():
            if name in recorded["files"]:
                recorded["files"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if manifest:
        manifest(recorded)
    members["manifest.json"] = json.dumps(recorded).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names one case writes on purpose
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in [*members.items(), *(add or [])]:
                out.writestr(name, data)
    return target


def edit_line(number, edit):
    def apply(data):
        lines = data.decode().split("\n")
        lines[number - 1] = edit(lines[number - 1])
        return "\n".join(lines).encode()

    return apply


def edit_field(number, **values):
    return edit_line(number, lambda line: json.dumps({**json.loads(line), **values}))


def flip_a_byte(data):
    return data[:-20] + bytes([data[-20] ^ 0xFF]) + data[-19:]


def first_media(archive, prefix):
    with zipfile.ZipFile(archive) as zipped:
        return next(name for name in sorted(zipped.namelist()) if name.startswith(f"media/{prefix}"))


HOSTILE = {
    "an original image altered, manifest resealed": (
        lambda a, t: rewrite(a, t, change={first_media(a, "originals"): flip_a_byte}),
        r"rows/translations\.documentimage\.jsonl line \d: the original image .* has SHA-256 .* but the row records",
    ),
    "an image altered, manifest not resealed": (
        lambda a, t: rewrite(a, t, change={first_media(a, "display"): flip_a_byte}, reseal=False),
        r"media/display/.* does not match the manifest .* the archive was altered or damaged",
    ),
    "a manifest hash altered": (
        lambda a, t: rewrite(a, t, manifest=lambda m: m["files"]["users.jsonl"].update(sha256="0" * 64)),
        r"users\.jsonl does not match the manifest",
    ),
    "a manifest row count altered": (
        lambda a, t: rewrite(a, t, manifest=lambda m: m["tables"]["translations.segment"].update(rows=99)),
        r"rows/translations\.segment\.jsonl has 8 rows, but the manifest records 99",
    ),
    "a newer format": (
        lambda a, t: rewrite(a, t, manifest=lambda m: m.update(format_version=2)),
        r"format version 2; this instance reads version 1",
    ),
    "a cut-short zip": (
        lambda a, t: t.write_bytes(a.read_bytes()[: a.stat().st_size // 2]) and t,
        r"is not a zip archive, or it is damaged or cut short",
    ),
    "a path climbing out": (
        lambda a, t: rewrite(a, t, add=[("media/../../evil.txt", b"x")]),
        r"a member named 'media/\.\./\.\./evil\.txt', whose path climbs out of the archive",
    ),
    "an absolute path": (
        lambda a, t: rewrite(a, t, add=[("/etc/cron.d/evil", b"x")]),
        r"an absolute or platform-specific path",
    ),
    "a member the manifest does not list": (
        lambda a, t: rewrite(a, t, add=[("media/originals/extra.png", b"x")], reseal=False),
        r"media/originals/extra\.png, which the manifest does not list",
    ),
    "a member missing": (
        lambda a, t: rewrite(a, t, drop=["history/reviews.review.jsonl"]),
        r"The manifest lists history/reviews\.review\.jsonl, which is missing",
    ),
    "a member twice": (
        lambda a, t: rewrite(a, t, add=[("users.jsonl", b"")]),
        r"two members named users\.jsonl",
    ),
    "malformed JSON": (
        lambda a, t: rewrite(a, t, change={"rows/translations.segment.jsonl": edit_line(2, lambda l: l[:-3])}),
        r"rows/translations\.segment\.jsonl line 2: not valid JSON",
    ),
    "a line cut short": (
        lambda a, t: rewrite(a, t, change={"history/reviews.comment.jsonl": lambda d: d.rstrip(b"\n")}),
        r"history/reviews\.comment\.jsonl line 2: cut short",
    ),
    "a value of the wrong type": (
        lambda a, t: rewrite(a, t, change={"rows/translations.translation.jsonl": edit_field(1, version="2")}),
        r"rows/translations\.translation\.jsonl line 1: version: should be a whole number",
    ),
    "a value the database would refuse": (
        lambda a, t: rewrite(a, t, change={"history/translations.segment.jsonl": edit_field(3, history_type="?")}),
        r"history/translations\.segment\.jsonl line 3: history_type: '\?' is not one of the allowed values",
    ),
    "a reference out of the archive": (
        lambda a, t: rewrite(a, t, change={"rows/reviews.comment.jsonl": edit_field(2, segment=987654),
                                           "history/reviews.comment.jsonl": edit_field(2, segment=987654)}),
        r"rows/reviews\.comment\.jsonl line 2: segment: translations\.segment #987654 is not in the archive",
    ),
    "an old history row referring out of the archive": (
        lambda a, t: rewrite(a, t, change={"history/translations.translation.jsonl": edit_field(1, segment=987654)}),
        r"history/translations\.translation\.jsonl line 1: segment: translations\.segment #987654 is not in",
    ),
    "an unknown user": (
        lambda a, t: rewrite(a, t, change={"history/reviews.comment.jsonl": edit_field(2, history_user="mallory")}),
        r"history/reviews\.comment\.jsonl line 2: history_user: the user 'mallory' is not in users\.jsonl",
    ),
    "a row that differs from its history": (
        lambda a, t: rewrite(a, t, change={"rows/translations.segment.jsonl": edit_field(1, source_text="위조.")}),
        r"rows/translations\.segment\.jsonl line 1: translations\.segment #\d+ differs from its latest history row",
    ),
    "a naive date": (
        lambda a, t: rewrite(
            a, t, change={"history/reviews.review.jsonl": edit_field(1, history_date="2024-01-01 10:00")}
        ),
        r"history/reviews\.review\.jsonl line 1: history_date: should be an ISO 8601 date and time with its UTC offset",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_damaged_or_hostile_archive_is_refused_and_nothing_is_written(source, tmp_path, case):
    make, message = HOSTILE[case]
    archive = make(export(tmp_path), tmp_path / "hostile.zip")
    state = database_state()
    with pytest.raises(CommandError, match=message) as refused:
        import_(archive, "--slug", COPY)
    assert str(refused.value).startswith("Import refused; nothing was written.")
    assert database_state() == state
    assert not Project.objects.filter(slug=COPY).exists()


def test_a_zip_bomb_is_refused_unread(source, tmp_path, settings):
    settings.INTERLINEAR_ARCHIVE_MAX_BYTES = 8 * 1024 * 1024
    bomb = rewrite(export(tmp_path), tmp_path / "bomb.zip", add=[("media/originals/bomb.png", bytes(64 * 1024 * 1024))])
    assert bomb.stat().st_size < 1024 * 1024
    state = database_state()
    with pytest.raises(CommandError, match=r"would unpack to 67,[\d,]+ bytes, more than the limit of 8,388,608"):
        import_(bomb, "--slug", COPY)
    assert database_state() == state


def test_a_failure_late_in_the_import_removes_the_image_files_already_stored(source, tmp_path):
    """Images are stored while rows load; a fault in the last member rolls all of it back."""
    archive = rewrite(export(tmp_path), tmp_path / "late.zip",
                      change={"history/translations.translation.jsonl": edit_field(1, text=None)})
    counts, files = database_state()
    with pytest.raises(CommandError, match=r"history/translations\.translation\.jsonl line 1: text: may not be null"):
        import_(archive, "--slug", COPY)
    assert database_state() == (counts, files)


# --- Across databases: SQLite to PostgreSQL and back, in separate processes ------------

SUBPROCESS_SCRIPT = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from tests.translations.test_archive import build_project, project_snapshot
from translations.models import Project
if sys.argv[1] == "build":
    build_project(sys.argv[2])
else:
    print(json.dumps(project_snapshot(Project.objects.get(slug=sys.argv[2])), sort_keys=True))
"""


def _postgres_admin():
    try:
        import psycopg

        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3",
                               autocommit=True)
    except Exception:  # noqa: BLE001 - any failure to connect means: skip
        return None


@pytest.mark.postgres_only
def test_a_project_moves_from_sqlite_to_postgresql_and_back_unchanged(tmp_path):
    admin = _postgres_admin()
    if admin is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    database = f"interlinear_archive_x_{os.getpid()}"

    def environment(url, media):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        return env | {"DEBUG": "1", "DATABASE_URL": url, "DATABASE_POOL": "0", "MEDIA_ROOT": str(tmp_path / media)}

    def run(env, *args):
        result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def manage(env, *args):
        return run(env, "manage.py", *args)

    sqlite_a = environment(f"sqlite:///{tmp_path / 'a.sqlite3'}", "media-a")
    postgres = environment(f"postgres://postgres@127.0.0.1:5432/{database}", "media-b")
    sqlite_c = environment(f"sqlite:///{tmp_path / 'c.sqlite3'}", "media-c")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
        try:
            manage(sqlite_a, "migrate", "--no-input", "--verbosity", "0")
            run(sqlite_a, "-c", SUBPROCESS_SCRIPT, "build", SLUG)
            source = json.loads(run(sqlite_a, "-c", SUBPROCESS_SCRIPT, "snapshot", SLUG))
            manage(sqlite_a, "export_project", SLUG, str(tmp_path / "from-sqlite.zip"))

            manage(postgres, "migrate", "--no-input", "--verbosity", "0")
            imported = manage(postgres, "import_project", str(tmp_path / "from-sqlite.zip"))
            manage(postgres, "verify_history")
            assert json.loads(run(postgres, "-c", SUBPROCESS_SCRIPT, "snapshot", SLUG)) == source
            assert "Users created: " in imported and "changepassword" in imported
            manage(postgres, "export_project", SLUG, str(tmp_path / "from-postgresql.zip"))

            manage(sqlite_c, "migrate", "--no-input", "--verbosity", "0")
            manage(sqlite_c, "import_project", str(tmp_path / "from-postgresql.zip"))
            manage(sqlite_c, "verify_history")
            assert json.loads(run(sqlite_c, "-c", SUBPROCESS_SCRIPT, "snapshot", SLUG)) == source
            assert "Indexed 0 history rows" in manage(sqlite_c, "rebuild_audit_index")
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
