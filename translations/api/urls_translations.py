"""API routes (see config/urls_api.py): candidate translations."""

from django.urls import path

from . import translations

urlpatterns = [
    path(
        "projects/<slug:slug>/segments/<id:segment_id>/translations/",
        translations.SegmentTranslationListView.as_view(),
        name="translation-list",
    ),
    path(
        "projects/<slug:slug>/documents/<id:document_id>/translations/",
        translations.DocumentTranslationListView.as_view(),
        name="document-translation-list",
    ),
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/",
        translations.TranslationDetailView.as_view(),
        name="translation-detail",
    ),
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/submit/",
        translations.TranslationSubmitView.as_view(),
        name="translation-submit",
    ),
]
