"""Export a document's live segments and approved renderings to an interchange file.

    manage.py export_document 12 en xliff [--output notes.xlf]

Formats: xliff (1.2), po, csv, json, tmx. Targets are approved text only
(invariant 4). Without --output the file goes to standard output.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...exceptions import DomainError
from ...interchange import EXPORT_FORMATS, export_document
from ...models import Document


class Command(BaseCommand):
    help = "Export a document (approved renderings only) as XLIFF, PO, CSV, JSON or TMX."

    def add_arguments(self, parser):
        parser.add_argument("document_id", type=int)
        parser.add_argument("language")
        parser.add_argument("format", choices=list(EXPORT_FORMATS))
        parser.add_argument("--output", type=Path, help="File to write (default: standard output).")

    def handle(self, *args, document_id, language, format, output, **options):
        document = Document.objects.select_related("project").filter(pk=document_id).first()
        if document is None:
            raise CommandError(f"No document with id {document_id}.")
        try:
            content, _, filename = export_document(document, language, format)
        except DomainError as error:
            raise CommandError(error.message) from None
        if output is None:
            self.stdout.write(content.decode("utf-8"), ending="")
            return
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror or error}.") from None
        self.stderr.write(f"Wrote {output} ({len(content):,} bytes; suggested name {filename}).")
