"""Addresses of the project glossary (see translations.views.glossary); included from config.urls."""

from django.urls import path

from .views import glossary

urlpatterns = [
    path("p/<slug:slug>/glossary/", glossary.glossary, name="glossary"),
    path("p/<slug:slug>/glossary/add/", glossary.glossary_term_create, name="glossary_term_create"),
    path("p/<slug:slug>/glossary/<id:term_id>/edit/", glossary.glossary_term_edit, name="glossary_term_edit"),
    path("p/<slug:slug>/glossary/<id:term_id>/delete/", glossary.glossary_term_delete, name="glossary_term_delete"),
    path("p/<slug:slug>/glossary/import/", glossary.glossary_import, name="glossary_import"),
    path("p/<slug:slug>/glossary/export/<str:fmt>/", glossary.glossary_export, name="glossary_export"),
]
