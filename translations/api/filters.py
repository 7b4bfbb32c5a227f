"""The list filters every API view starts from (their own module: DRF's generic views
read the default filter backends while they are being imported, as they do the paginator)."""

from rest_framework import filters


class StableOrdering(filters.OrderingFilter):
    """``?ordering=`` on any allowed field, ties broken by id, so that cursor pages
    neither repeat nor skip rows that share a value."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and ordering[-1].lstrip("-") not in ("id", "pk"):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering
