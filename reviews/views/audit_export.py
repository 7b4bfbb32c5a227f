"""The audit trail as a download: the events the trail page shows for the same
filters, oldest first, hash-chained (see reviews/exports.py)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone

from .. import exports
from ..selectors.audit import audit_events, auditable_projects, clean_filters


def audit_export(request, fmt):
    """Stream the export: rows are read in chunks as the response is sent, so a
    trail of any length costs a handful of queries and flat memory."""
    if fmt not in exports.FORMATS:
        raise Http404("Exports are CSV or JSON Lines.")
    projects = auditable_projects(request.user)
    if projects is not None and not projects:
        raise PermissionDenied("The audit trail is for auditors, managers and site administrators.")
    filters = clean_filters(request.GET)
    header = exports.ExportHeader(
        generated_at=timezone.now(),
        generated_by=request.user.get_username(),
        filters=filters,
        projects=None if projects is None else [project.slug for project in projects],
    )
    chunks = _Started(exports.export_chunks(fmt, header, audit_events(request.user, filters)))
    response = StreamingHttpResponse(chunks, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{header.filename(fmt)}"'
    return response


class _Started:
    """Chunks whose first is made at once, so the query runs inside the view: a
    database error becomes an error response, not a download cut short after a
    200. close() reaches the generator, so a download abandoned midway (or never
    read) releases its cursor before the connection goes back to the pool."""

    def __init__(self, chunks):
        self._chunks = chunks
        self._first = next(chunks, b"")

    def __iter__(self):
        first, self._first = self._first, b""
        yield first
        yield from self._chunks

    def close(self):
        self._chunks.close()
