"""Reading an uploaded file into checked units, whatever its format.

``read_upload`` is the one entry: it refuses files over the size limit,
decodes the bytes (``decoding``), picks the format from the name or, failing
that, the content, lets the format's reader translate syntax into units and
checks the units (``units.checked``). Every refusal is an ImportRejected
naming the line, unit or byte offset at fault; no other exception escapes
for any input.
"""

import logging
import re

from django.conf import settings

from ..decoding import decode
from ..errors import ImportRejected
from ..units import ParsedFile, checked
from . import csv, json, po, text, tmx, xliff

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
READERS = {"text": text, "csv": csv, "po": po, "xliff": xliff, "json": json, "tmx": tmx}
IMPORT_FORMATS = {
    "auto": "Recognise automatically",
    "text": "Plain text (one segment per line or sentence)",
    "csv": "CSV / TSV (source, target, note — or named columns)",
    "po": "Gettext PO",
    "xliff": "XLIFF 1.2 or 2.x",
    "json": "JSON (as exported)",
    "tmx": "TMX",
}
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
    ".tsv": "csv",
    ".po": "po",
    ".pot": "po",
    ".xlf": "xliff",
    ".xliff": "xliff",
    ".xlf2": "xliff",
    ".sdlxliff": "xliff",
    ".mxliff": "xliff",
    ".json": "json",
    ".tmx": "tmx",
}
_XML_ROOT = re.compile(r"<(?:[\w.-]+:)?(xliff|tmx)\b")
_PO_START = re.compile(r"^\s*(?:msgctxt|msgid)\s+\"", re.MULTILINE)


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportRejected(
            f"The file is {size:,} bytes; files over {limit:,} bytes are refused. Split it into smaller files."
        )


def detect_format(filename: str, content: str) -> str:
    """The format named by the file's extension, or recognised from its first characters."""
    lowered = filename.lower()
    for extension, name in EXTENSIONS.items():
        if lowered.endswith(extension):
            return name
    head = content.lstrip("\ufeff \t\r\n")[:4096]
    if head.startswith("<"):
        match = _XML_ROOT.search(head)
        if match:
            return match.group(1)
        raise ImportRejected("The file looks like XML but is neither XLIFF nor TMX; choose its format.")
    if head.startswith(("{", "[")):
        return "json"
    if _PO_START.search(head):
        return "po"
    return "text"


def read_upload(
    data: bytes, *, filename: str, format: str = "auto", split: str = "line", language: str = ""
) -> ParsedFile:
    """The checked units of an uploaded file, or ImportRejected saying what is wrong and where."""
    check_size(len(data))
    content = decode(data)
    if format == "auto":
        format = detect_format(filename, content)
    reader = READERS.get(format)
    if reader is None:
        raise ImportRejected(f"Unknown format {format!r}; choose one of {', '.join(READERS)}.")
    if split not in ("line", "sentence"):
        raise ImportRejected(f"Unknown split mode {split!r}; use line or sentence.")
    try:
        parsed = reader.read(content, filename=filename, split=split, language=language)
    except ImportRejected:
        raise
    except (ValueError, TypeError, RecursionError, MemoryError) as error:
        # A reader bug or an input nobody foresaw must still not become a 500.
        logger.warning("Import of %s (%s) failed unexpectedly", filename, format, exc_info=True)
        raise ImportRejected(f"The file could not be read as {format}: {error}") from None
    return checked(parsed)
