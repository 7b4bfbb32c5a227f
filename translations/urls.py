from django.urls import path

from .views import dashboard, documents, history, images, tokens, transcription, workspace

urlpatterns = [
    path("p/<slug:slug>/", dashboard.project_dashboard, name="project_dashboard"),
    path("p/<slug:slug>/documents/new/", documents.document_create, name="document_create"),
    path("p/<slug:slug>/d/<id:document_id>/", documents.document_detail, name="document_detail"),
    path("p/<slug:slug>/d/<id:document_id>/edit/", documents.document_edit, name="document_edit"),
    path("p/<slug:slug>/d/<id:document_id>/images/", images.image_upload, name="image_upload"),
    path("p/<slug:slug>/images/<id:image_id>/display/", images.image_display, name="image_display"),
    path("p/<slug:slug>/images/<id:image_id>/original/", images.image_original, name="image_original"),
    path("p/<slug:slug>/d/<id:document_id>/transcription/", transcription.transcription, name="transcription"),
    path("p/<slug:slug>/d/<id:document_id>/transcription/paste/", transcription.segments_paste, name="segments_paste"),
    path("p/<slug:slug>/s/<id:segment_id>/save/", transcription.segment_save, name="segment_save"),
    path("p/<slug:slug>/s/<id:segment_id>/split/", transcription.segment_split, name="segment_split"),
    path("p/<slug:slug>/s/<id:segment_id>/merge/", transcription.segment_merge, name="segment_merge"),
    path("p/<slug:slug>/s/<id:segment_id>/move/", transcription.segment_move, name="segment_move"),
    path("p/<slug:slug>/s/<id:segment_id>/delete/", transcription.segment_delete, name="segment_delete"),
    path("p/<slug:slug>/s/<id:segment_id>/restore/", transcription.segment_restore, name="segment_restore"),
    path("p/<slug:slug>/d/<id:document_id>/translate/<str:language>/", workspace.workspace, name="workspace"),
    path("p/<slug:slug>/s/<id:segment_id>/translate/<str:language>/", workspace.translation_create, name="translation_create"),
    path("p/<slug:slug>/t/<id:translation_id>/save/", workspace.translation_save, name="translation_save"),
    path("p/<slug:slug>/s/<id:segment_id>/history/", history.segment_history, name="segment_history"),
    path("p/<slug:slug>/t/<id:translation_id>/history/", history.translation_history, name="translation_history"),
    path("p/<slug:slug>/d/<id:document_id>/history/", history.document_history, name="document_history"),
    # The user's own API tokens (issue 10).
    path("account/api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("account/api-tokens/<id:token_id>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
]
