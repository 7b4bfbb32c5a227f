"""API routes (see config/urls_api.py)."""

urlpatterns = []
