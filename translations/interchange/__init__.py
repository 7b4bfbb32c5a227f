"""Interchange: documents out to, and translations in from, the files other tools use.

Formats: XLIFF (1.2 written; 1.x and 2.x read), gettext PO, CSV, JSON, TMX,
and plain text on import. Exports carry only approved text (invariant 4);
imports land whole or not at all, with history for every row (invariants 1
and 8). The modules:

* ``exporting`` — what an export says; ``writers/`` — one module per format;
* ``decoding``, ``xmlsafe``, ``readers/`` — bytes to checked units, refusing
  hostile input with a message naming the line, unit or byte offset;
* ``importing`` — the plan (preview, writes nothing) and the import itself;
* ``staging`` — the uploaded file kept between preview and confirmation.

Inline markup of XLIFF and TMX (``<g>``, ``<x/>``, ``<ph>``…) is stored as
literal text in segments and written back as markup: see ``xmlsafe``.
"""

from .errors import ExportRefused, ImportRejected, PreviewOutdated
from .exporting import document_export_data, export_document, export_project
from .importing import ImportPlan, UnitAction, document_import, import_plan
from .readers import IMPORT_FORMATS, read_upload
from .writers import WRITERS

EXPORT_FORMATS = tuple(WRITERS)

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportRefused",
    "ImportPlan",
    "ImportRejected",
    "PreviewOutdated",
    "UnitAction",
    "document_export_data",
    "document_import",
    "export_document",
    "export_project",
    "import_plan",
    "read_upload",
]
