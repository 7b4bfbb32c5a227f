"""Webhooks: a project's subscriptions, the events they are sent, and sending them.

Managers (``Action.MANAGE_POLICY``) add, change and remove a project's hooks;
every change is a tracked write naming the manager and a reason. A hook's
secret is made here, answered once, and kept only to sign: history leaves it
out, and so do project archives.

Events are written to an outbox (``WebhookDelivery``) in the same transaction
as the approval they report, so an event exists exactly when its change
committed. After commit a daemon thread sends them, never the request itself;
what it cannot deliver is retried by ``manage.py deliver_webhooks --loop``
with growing delays (``WEBHOOK_BACKOFF_SECONDS * 4**(attempts - 1)``) until
``WEBHOOK_MAX_ATTEMPTS``; two senders never send one delivery twice
(``delivery``).

Each event is a POST of JSON (``services.EVENT_SHAPES``) with the headers
``X-Interlinear-Event``, ``X-Interlinear-Delivery`` (the delivery's id, the
same on every retry) and ``X-Interlinear-Signature: sha256=<hex>``, the
HMAC-SHA256 of the exact body under the hook's secret. Redirects are not
followed; addresses must be public (``addresses``).
"""

from .addresses import WebhookAddressRefused, checked_url
from .delivery import DeliveryRun, deliver_due
from .services import (
    EVENT_SHAPES, MAX_HOOKS_PER_PROJECT, events_for_approval, webhook_create, webhook_delete, webhook_secret_rotate,
    webhook_update,
)

__all__ = [
    "EVENT_SHAPES",
    "MAX_HOOKS_PER_PROJECT",
    "DeliveryRun",
    "WebhookAddressRefused",
    "checked_url",
    "deliver_due",
    "events_for_approval",
    "webhook_create",
    "webhook_delete",
    "webhook_secret_rotate",
    "webhook_update",
]
