"""CSV (or TSV): ``source[,target[,note]]`` without a header, or named columns with one.

A first row is a header when it names a ``source`` column and nothing but
known columns; the export's own columns (``id``, ``position``, ``source``,
``target``, ``status``, ``provenance``) are known, so an exported file comes
back as it went out. ``provenance`` and ``position`` are information for
people and are not imported. Rows are numbered by the line they start on,
since a quoted cell may span lines.
"""

import csv
import io

from ..errors import ImportRejected
from ..units import FileUnit, ParsedFile

COLUMNS = {
    "id": "id",
    "unit id": "id",
    "key": "id",
    "position": None,
    "source": "source",
    "target": "target",
    "translation": "target",
    "note": "note",
    "notes": "note",
    "comment": "note",
    "status": "status",
    "provenance": None,
    "": None,
}
POSITIONAL = ("source", "target", "note")


def _delimiter(text: str, filename: str) -> str:
    if filename.lower().endswith(".tsv"):
        return "\t"
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    for candidate in ("\t", ";"):
        if candidate in first_line and "," not in first_line:
            return candidate
    return ","


def _header(row: list[str]) -> list[str | None] | None:
    names = [cell.strip().lower() for cell in row]
    if "source" in names and all(name in COLUMNS for name in names):
        return [COLUMNS[name] for name in names]
    return None


def read(text: str, *, filename: str = "", **context) -> ParsedFile:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, filename), strict=True)
    units, columns = [], None
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if columns is None and not units:
                columns = _header(row)
                if columns is not None:
                    continue
            if columns is None and len(row) > len(POSITIONAL):
                raise ImportRejected(
                    f"Line {start} has {len(row)} columns. Without a header row a CSV file has the columns "
                    "source, target (optional) and note (optional); add a header naming the columns."
                )
            names = columns or POSITIONAL
            if len(row) > len(names):
                raise ImportRejected(f"Line {start} has {len(row)} columns but the header names {len(names)}.")
            cells = {name: value for name, value in zip(names, row) if name}
            unit_id = cells.get("id", "").strip() or None
            units.append(
                FileUnit(
                    where=f"line {start}" + (f" (id “{unit_id}”)" if unit_id else ""),
                    source=cells.get("source", ""),
                    target=cells.get("target") or None,
                    unit_id=unit_id,
                    note=cells.get("note", ""),
                    approved=cells.get("status", "").strip().lower() == "approved",
                )
            )
    except csv.Error as error:
        raise ImportRejected(
            f"Line {line}: the CSV is malformed ({error}); check the quotes of the row that starts there."
        ) from None
    return ParsedFile(format="csv", units=units)
