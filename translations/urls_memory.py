"""Addresses of the translation memory (see translations.views.memory); included from config.urls."""

from django.urls import path

from .views import memory

urlpatterns = [
    path("p/<slug:slug>/memory/", memory.memory, name="memory"),
    path("p/<slug:slug>/memory/import/", memory.memory_import, name="memory_import"),
    path("p/<slug:slug>/memory/remove/", memory.memory_origin_remove, name="memory_origin_remove"),
    path("p/<slug:slug>/memory/export.tmx", memory.memory_export, name="memory_export"),
    path("p/<slug:slug>/s/<id:segment_id>/aids/<str:language>/", memory.segment_aids, name="segment_aids"),
]
