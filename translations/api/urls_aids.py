"""API routes (see config/urls_api.py): the glossary and the translation memory."""

from django.urls import path

from . import glossary, memory

urlpatterns = [
    path("projects/<slug:slug>/glossary/", glossary.GlossaryTermListView.as_view(), name="glossary-term-list"),
    path("projects/<slug:slug>/glossary/<id:term_id>/", glossary.GlossaryTermDetailView.as_view(),
         name="glossary-term-detail"),
    path("projects/<slug:slug>/segments/<id:segment_id>/suggestions/<str:language>/",
         memory.SegmentSuggestionsView.as_view(), name="segment-suggestions"),
    path("projects/<slug:slug>/memory/", memory.MemoryEntryListView.as_view(), name="memory-entry-list"),
]
