"""API routes (see config/urls_api.py): a project's webhooks, for its managers.

Ids use the ``<id:...>`` converter: a guessed huge id is a 404 before it reaches the database.
"""

from django.urls import path

from . import webhooks

urlpatterns = [
    path("projects/<slug:slug>/webhooks/", webhooks.WebhookListView.as_view(), name="webhook-list"),
    path("projects/<slug:slug>/webhooks/<id:webhook_id>/", webhooks.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        "projects/<slug:slug>/webhooks/<id:webhook_id>/deliveries/",
        webhooks.WebhookDeliveryListView.as_view(),
        name="webhook-delivery-list",
    ),
]
