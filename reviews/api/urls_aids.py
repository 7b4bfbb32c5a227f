"""API routes (see config/urls_api.py): check findings, MQM assessment, back-translations."""

from django.urls import path

from . import back_translations, quality

urlpatterns = [
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/findings/",
        quality.FindingListView.as_view(),
        name="finding-list",
    ),
    path(
        "projects/<slug:slug>/findings/<id:finding_id>/dismiss/",
        quality.FindingDismissView.as_view(),
        name="finding-dismiss",
    ),
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/quality/",
        quality.TranslationQualityView.as_view(),
        name="translation-quality",
    ),
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/quality/<id:annotation_id>/",
        quality.AnnotationDetailView.as_view(),
        name="annotation-detail",
    ),
    path(
        "projects/<slug:slug>/documents/<id:document_id>/quality/<str:language>/",
        quality.DocumentQualityView.as_view(),
        name="document-quality",
    ),
    path(
        "projects/<slug:slug>/translations/<id:translation_id>/back-translations/",
        back_translations.BackTranslationListView.as_view(),
        name="back-translation-list",
    ),
    path("back-translations/", back_translations.MyBackTranslationsView.as_view(), name="my-back-translations"),
    path(
        "back-translations/<id:back_translation_id>/",
        back_translations.BackTranslationAnswerView.as_view(),
        name="back-translation-answer",
    ),
]
