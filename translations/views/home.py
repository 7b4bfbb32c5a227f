from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..selectors import projects_for_home


def home(request):
    from reviews.selectors.queue import dashboard_counts

    page = projects_for_home(request.user, request.GET.get("page"))
    context = {"projects": page.object_list, "page": page, "counts": dashboard_counts(request.user)}
    return render(request, "translations/home.html", context)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for load balancers (no authentication, no data)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 — any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
