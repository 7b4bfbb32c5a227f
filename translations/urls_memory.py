"""Addresses of this aid (see the module's views); included from config.urls."""

from django.urls import path  # noqa: F401

urlpatterns = []
