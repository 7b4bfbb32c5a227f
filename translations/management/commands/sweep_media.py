"""Find, and with --delete remove, page image files that no row names.

    manage.py sweep_media [--older-than SECONDS] [--delete]

Page images are written to MEDIA_ROOT before the transaction that records
them commits. A process killed in between (an upload, a project import)
leaves the database whole — nothing was recorded — but the files it wrote
stay on disk, named by no DocumentImage row and no history row; so does a
``.partial-*`` file of a write that was cut short. This lists them and, with
--delete, removes them. Files younger than --older-than (default one hour)
are left alone: they may belong to a write that is still in progress.
Staged imports (``imports/``) are swept on their own schedule and are not
touched here.
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from ...models import DocumentImage

IMAGE_FOLDERS = ("originals", "display")


def named_files() -> set[str]:
    names = set()
    for manager in (DocumentImage.objects, DocumentImage.history):
        for original, display in manager.values_list("original", "display").iterator():
            names.update(name for name in (original, display) if name)
    return names


def unnamed_files(*, older_than: float) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    cutoff = time.time() - older_than
    named = named_files()
    found = []
    for folder in IMAGE_FOLDERS:
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
            if not path.is_file() or path.stat().st_mtime > cutoff:
                continue
            if path.name.startswith(".partial-") or path.relative_to(root).as_posix() not in named:
                found.append(path)
    return found


class Command(BaseCommand):
    help = "List (and with --delete remove) page image files that no row or history row names."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=3600.0, metavar="SECONDS",
                            help="Only files last written this long ago (default 3600).")
        parser.add_argument("--delete", action="store_true", help="Remove the files found.")

    def handle(self, *args, older_than, delete, **options):
        root = Path(settings.MEDIA_ROOT)
        found = unnamed_files(older_than=older_than)
        for path in found:
            if delete:
                path.unlink(missing_ok=True)
            self.stdout.write(f"{'removed' if delete else 'unnamed'}: {path.relative_to(root).as_posix()}")
        verb = "Removed" if delete else "Found"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(found)} file(s) that no row names."))
