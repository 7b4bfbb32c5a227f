"""CSV with a header: id, position, source, target, status, provenance.

``target`` holds only approved text; ``status`` says which units lack an
approved rendering and why (``approved``, ``source-changed``,
``awaiting-review``, ``not-approved``). UTF-8 with a byte-order mark, so
spreadsheet programs read Korean and other non-Latin text correctly; the
import accepts the mark. CSV has no place for file-level notes: provenance
is per row, and the file name names the document.
"""

import csv
import io

from ..exporting import DocumentExport

EXTENSION = ".csv"
CONTENT_TYPE = "text/csv; charset=utf-8"
COLUMNS = ("id", "position", "source", "target", "status", "provenance")


def write(export: DocumentExport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for unit in export.units:
        writer.writerow([unit.unit_id, unit.position, unit.source, unit.target or "", unit.status, unit.provenance])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
