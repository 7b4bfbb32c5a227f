from django.urls import path

from .views import packets

urlpatterns = [
    path("p/<slug:slug>/d/<id:document_id>/exports/", packets.document_exports, name="document_exports"),
    path(
        "p/<slug:slug>/d/<id:document_id>/packet/<str:language>.docx",
        packets.document_packet_docx,
        name="document_packet_docx",
    ),
    path(
        "p/<slug:slug>/d/<id:document_id>/packet/<str:language>.html",
        packets.document_packet_html,
        name="document_packet_html",
    ),
]
