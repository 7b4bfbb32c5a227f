"""Cursor pagination for every list (its own module: DRF's generic views read
the default paginator while they are being imported)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import pagination
from rest_framework.exceptions import NotFound


class Cursor(pagination.CursorPagination):
    """Opaque cursors: stable pages while rows are added, any list size, one query
    per page. ``?page_size=`` up to 200; ``?ordering=`` where a list allows it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except Exception as error:  # noqa: BLE001 - any malformed cursor is the caller's 404, never a 500
            if isinstance(error, NotFound):
                raise
            raise NotFound("Invalid cursor.") from None
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise NotFound("Invalid cursor.")  # PostgreSQL refuses NUL in a query
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            # A well-encoded cursor whose position does not fit the ordering field (forged).
            raise NotFound("Invalid cursor.") from None
