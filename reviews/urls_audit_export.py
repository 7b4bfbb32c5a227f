from django.urls import path

from .views.audit_export import audit_export

urlpatterns = [
    path("audit/export.<str:fmt>", audit_export, name="audit_export"),
]
