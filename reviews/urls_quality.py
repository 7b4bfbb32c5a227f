"""Addresses of this aid (see the module's views); included from config.urls."""

from django.urls import path

from .views import checks, quality, webhooks

urlpatterns = [
    path("p/<slug:slug>/t/<id:translation_id>/quality/", quality.translation_quality, name="translation_quality"),
    path("p/<slug:slug>/t/<id:translation_id>/quality/annotate/", quality.translation_annotate,
         name="translation_annotate"),
    path("p/<slug:slug>/t/<id:translation_id>/quality/remove/", quality.translation_annotation_delete,
         name="translation_annotation_delete"),
    path("p/<slug:slug>/t/<id:translation_id>/back-translation/", quality.back_translation_ask,
         name="back_translation_request"),
    path("p/<slug:slug>/d/<id:document_id>/quality/<str:language>/", quality.document_quality,
         name="document_quality"),
    path("back-translations/", quality.back_translations, name="back_translations"),
    path("p/<slug:slug>/findings/<id:finding_id>/dismiss/", checks.finding_dismiss, name="check_finding_dismiss"),
    # A project's webhooks, for its managers (issue 10): here so config/urls.py needs no new include.
    path("p/<slug:slug>/webhooks/", webhooks.project_webhooks, name="project_webhooks"),
    path("p/<slug:slug>/webhooks/<id:webhook_id>/", webhooks.webhook_change, name="webhook_change"),
]
