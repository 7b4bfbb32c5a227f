"""Import a file into a document, as a named member of its project.

    manage.py import_document 12 notes.xlf --user alice [--format xliff] [--split sentence]
        [--language en] [--dry-run]

Prints the preview (what would be created, updated, left unchanged, and any
warnings); unless --dry-run, then imports the file whole — or nothing, with
the message naming the line, unit or byte offset at fault. The import acts
as --user: its rows are attributed to that user in history, and the user's
role must allow transcribing (and translating, for targets).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...exceptions import DomainError, NotAllowed
from ...interchange import IMPORT_FORMATS, document_import, import_plan, read_upload
from ...interchange.importing import display_filename
from ...interchange.readers import check_size
from ...models import Document
from ...permissions import Action, can
from ..actors import add_actor_argument, resolve_actor


def _clip(text, width=50):
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def preview_lines(plan) -> list[str]:
    document = plan.document
    lines = [
        f"Import of {plan.filename} ({plan.format}) into “{document.title}” (document {document.pk}), "
        f"targets in {plan.language}:",
        f"  new segments:                    {plan.segments_to_create}",
        f"  new candidates:                  {plan.candidates_to_create}",
        f"  new versions of your candidates: {plan.candidates_to_update}",
        f"  unchanged:                       {plan.unchanged}",
        f"  existing segments without target: {plan.without_target}",
    ]
    if plan.warnings:
        lines.append("Warnings:")
        lines += [f"  - {warning}" for warning in plan.warnings]
    lines.append(f"First {len(plan.sample)} of {len(plan.units)} units:")
    for planned in plan.sample:
        target = _clip(planned.unit.target) if planned.unit.target else "—"
        lines.append(f"  {planned.unit.where}: {_clip(planned.unit.source)} → {target} [{planned.action}]")
    return lines


class Command(BaseCommand):
    help = "Import an XLIFF, PO, CSV, JSON, TMX or text file into a document (preview, then all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("document_id", type=int)
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", default="auto", choices=list(IMPORT_FORMATS))
        parser.add_argument("--split", default="line", choices=["line", "sentence"], help="For plain text files.")
        parser.add_argument("--language", help="Target language of the file's targets (default: the project's first).")
        parser.add_argument("--dry-run", action="store_true", help="Print the preview and import nothing.")
        add_actor_argument(parser)

    def handle(self, *args, document_id, file, format, split, language, dry_run, **options):
        if not options.get("actor"):
            raise CommandError("Name the member the import acts as with --user USERNAME.")
        user = resolve_actor(options)
        document = Document.objects.select_related("project").filter(pk=document_id).first()
        if document is None:
            raise CommandError(f"No document with id {document_id}.")
        language = language or (document.project.target_languages or [""])[0]
        if not can(user, Action.TRANSCRIBE, document.project):
            raise CommandError(f"{user.get_username()} may not transcribe in {document.project.name}.")
        try:
            check_size(file.stat().st_size)
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from None
        except DomainError as error:
            raise CommandError(error.message) from None
        filename = display_filename(file.name)
        try:
            parsed = read_upload(data, filename=filename, format=format, split=split, language=language)
            plan = import_plan(document=document, user=user, language=language, parsed=parsed, filename=filename)
            self.stdout.write("\n".join(preview_lines(plan)))
            if dry_run:
                self.stdout.write("Dry run: nothing was imported.")
                return
            plan = document_import(document=document, user=user, language=language, parsed=parsed,
                                   filename=filename, expected=plan.fingerprint)
        except (DomainError, NotAllowed) as error:
            raise CommandError(error.message) from None
        if plan.writes_anything:
            self.stdout.write(self.style.SUCCESS(f"Imported {filename} as {user.get_username()}."))
        else:
            self.stdout.write("Nothing new to import.")
