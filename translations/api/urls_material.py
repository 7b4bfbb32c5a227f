"""API routes for the material: members, documents, page images, segments (see config/urls_api.py).

Ids use the ``<id:...>`` converter of the web addresses: at most 18 digits,
so a guessed huge id is a 404 before it reaches the database.
"""

from django.urls import path

from . import documents, images, members, segments

P = "projects/<slug:slug>"

urlpatterns = [
    path(f"{P}/members/", members.MemberListView.as_view(), name="member-list"),
    path(f"{P}/members/<str:username>/", members.MemberDetailView.as_view(), name="member-detail"),
    path(f"{P}/documents/", documents.DocumentListView.as_view(), name="document-list"),
    path(f"{P}/documents/<id:document_id>/", documents.DocumentDetailView.as_view(), name="document-detail"),
    path(f"{P}/documents/<id:document_id>/images/", images.ImageListView.as_view(), name="image-list"),
    path(f"{P}/images/<id:image_id>/", images.ImageDetailView.as_view(), name="image-detail"),
    path(f"{P}/images/<id:image_id>/display/", images.ImageDisplayView.as_view(), name="image-display"),
    path(f"{P}/images/<id:image_id>/original/", images.ImageOriginalView.as_view(), name="image-original"),
    path(f"{P}/documents/<id:document_id>/segments/", segments.SegmentListView.as_view(), name="segment-list"),
    path(f"{P}/segments/<id:segment_id>/", segments.SegmentDetailView.as_view(), name="segment-detail"),
    path(f"{P}/segments/<id:segment_id>/split/", segments.SegmentSplitView.as_view(), name="segment-split"),
    path(f"{P}/segments/<id:segment_id>/merge/", segments.SegmentMergeView.as_view(), name="segment-merge"),
    path(f"{P}/segments/<id:segment_id>/move/", segments.SegmentMoveView.as_view(), name="segment-move"),
    path(f"{P}/segments/<id:segment_id>/restore/", segments.SegmentRestoreView.as_view(), name="segment-restore"),
]
