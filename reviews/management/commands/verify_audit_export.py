"""Recompute the hash chain of an exported audit trail (CSV or JSON Lines).

Exit 0 with "OK: N events, chain intact, last hash H" when every event is
as exported; exit 1 naming the first event that is not (its seq, event id,
line, and what mismatched), or the line at fault in a file that is not an
export at all. Compare the last hash with the one recorded when the file was
made: the chain shows the file is consistent, the last hash that it is whole.
"""

from django.core.management.base import BaseCommand, CommandError

from reviews.exports import ExportMalformed, verify_export


class Command(BaseCommand):
    help = "Verify the hash chain of an audit-trail export (.csv or .jsonl); exit 1 on the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("file", help="An export downloaded from the audit trail (.csv or .jsonl).")

    def handle(self, *args, file, **options):
        try:
            result = verify_export(file)
        except ExportMalformed as error:
            raise CommandError(f"{file} is not a readable audit export: {error.message}") from None
        except IsADirectoryError:
            raise CommandError(f"{file} is a directory, not an export.") from None
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from None
        if result.broken is not None:
            raise CommandError(
                f"FAILED: {result.broken}\n"
                f"{result.events} events before it verified (last good hash {result.last_hash})."
            )
        self.stdout.write(
            self.style.SUCCESS(f"OK: {result.events} events, chain intact, last hash {result.last_hash}")
        )
