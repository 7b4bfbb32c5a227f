"""Refusals of the interchange: a file that cannot be imported, an export that cannot be made."""

from ..exceptions import DomainError


class ImportRejected(DomainError):
    """The file cannot be imported as it is. Nothing was written.

    The message names where the fault is — a line (text, CSV, PO), a unit id
    (XLIFF, TMX, JSON) or a byte offset (encoding faults) — so the person
    can fix the file and try again (invariant 8)."""


class PreviewOutdated(ImportRejected):
    """The document changed between the preview and the confirmation."""

    status_code = 409


class ExportRefused(DomainError):
    """An export was asked for in a format or language that does not exist."""

    status_code = 404
