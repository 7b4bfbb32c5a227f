"""Write a project to a zip archive that import_project restores on any instance.

    manage.py export_project recovered-notes recovered-notes.zip

The archive holds the project, its members and the users its rows name
(usernames, names, e-mail, is_active; never password hashes), documents,
page images (originals and display copies, byte for byte), segments,
translations, reviews and comments, the full history of all of them, and a
manifest with the SHA-256 of every member. See ``translations.archive``.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...archive import ExportFailed, export_archive
from ...models import Project


class Command(BaseCommand):
    help = "Write a project, its full history and its page images to a zip archive."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The project's address (slug).")
        parser.add_argument("file", help="The archive to write (.zip); an existing file is replaced.")

    def handle(self, *args, slug, file, **options):
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"No project with the address {slug!r}.")
        path = Path(file)
        if path.is_dir():
            raise CommandError(f"{file} is a directory; name the archive file to write.")
        try:
            summary = export_archive(project, path)
        except ExportFailed as error:
            raise CommandError(f"Export failed, no archive written: {error.message}") from None
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror or error}.") from None
        for label, rows in summary.rows.items():
            self.stdout.write(f"{label}: {rows} rows, {summary.history[label]} history rows")
        self.stdout.write(f"users: {summary.users}; page image files: {summary.media_files}")
        if summary.unknown_users:
            self.stdout.write(
                self.style.WARNING(
                    f"{summary.unknown_users} user(s) named by old history rows no longer exist; "
                    "those references are archived as empty."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {project.slug!r} to {summary.path} ({summary.bytes:,} bytes) in {summary.seconds:.2f}s."
            )
        )
