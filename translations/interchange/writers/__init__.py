"""Writers of the export formats, each a module with ``write(export) -> bytes``,
``EXTENSION`` and ``CONTENT_TYPE``."""

from . import csv, json, po, tmx, xliff

WRITERS = {"xliff": xliff, "po": po, "csv": csv, "json": json, "tmx": tmx}
