"""Restore a project from an archive written by export_project, all or nothing.

    manage.py import_project recovered-notes.zip [--slug NEWSLUG] [--user USERNAME]

Rows and their full history arrive with the same values, dates, users,
reasons and order; ids are new. Users are matched by username; users this
instance does not have are created without a usable password. A project
address already in use is refused unless --slug gives a new one; the rename
is recorded in the project's history as made by --user (default: the named
system account). Any fault — a damaged or altered archive, a bad line —
refuses the whole import, naming the member and line, and writes nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from ...archive import ImportRejected, import_archive
from ..actors import add_actor_argument


class Command(BaseCommand):
    help = "Restore a project from an export_project archive, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("file", help="An archive written by export_project (.zip).")
        parser.add_argument("--slug", help="Import the project under this address instead of the archived one.")
        add_actor_argument(parser)

    def handle(self, *args, file, slug=None, actor=None, **options):
        try:
            report = import_archive(file, slug=slug, actor_username=actor)
        except ImportRejected as error:
            raise CommandError(f"Import refused; nothing was written. {error.message}") from None
        project = report.project
        for label, rows in report.rows.items():
            self.stdout.write(f"{label}: {rows} rows, {report.history[label]} history rows")
        self.stdout.write(
            f"page image files: {report.media_files} stored, SHA-256 verified; "
            f"audit trail: {report.audit_events} events indexed"
        )
        if report.users_matched:
            self.stdout.write(f"Users matched by username: {', '.join(report.users_matched)}")
        for difference in report.user_differences:
            self.stdout.write(self.style.WARNING(f"  {difference}"))
        if report.users_created:
            self.stdout.write(
                self.style.WARNING(
                    f"Users created: {', '.join(report.users_created)}. They have no password and cannot sign in "
                    "until one is set: each must reset it (an administrator runs "
                    "`manage.py changepassword USERNAME` or sets one in the admin)."
                )
            )
        if report.renamed:
            self.stdout.write(
                f"Address changed from {report.archived_slug!r} to {project.slug!r} (recorded in history)."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Imported project {project.slug!r} (id {project.pk}) in {report.seconds:.2f}s.")
        )
