"""Sending the outbox: claim a due delivery, POST it signed, record the answer.

A sender claims one row at a time (``SKIP LOCKED`` on PostgreSQL; SQLite's
IMMEDIATE transactions serialise claims) by moving its ``next_attempt_at``
past the time one send may take, commits, and only then connects: two
senders never send one delivery twice, and no transaction stays open while
a receiver answers. A sender that dies mid-send leaves the row to be retried
when that lease runs out.
"""

import hashlib
import hmac
import http.client
import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from ..models import DeliveryState, WebhookDelivery
from .addresses import WebhookAddressRefused, checked_url, deadline, opener

logger = logging.getLogger(__name__)

BATCH = 100  # deliveries one deliver_due call sends at most


@dataclass
class DeliveryRun:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_in_background(ids: list[int]) -> None:
    """Start sending, off the request that committed the events."""

    def run():
        try:
            deliver_due(ids=ids, limit=len(ids))
        except Exception:
            logger.exception("Webhook delivery failed; manage.py deliver_webhooks retries what is left.")
        finally:
            connections.close_all()

    threading.Thread(target=run, name="webhook-delivery", daemon=True).start()


def _lease() -> timedelta:
    """How long a claimed delivery is left alone: long enough for one send to finish or time out."""
    return timedelta(seconds=30 + 4 * float(settings.WEBHOOK_TIMEOUT_SECONDS))


def _claim(now, ids) -> WebhookDelivery | None:
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        delivery = (
            due.select_for_update(skip_locked=True, of=("self",)).select_related("webhook")
            .order_by("next_attempt_at", "id").first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["next_attempt_at"])
        return delivery


def _send(delivery) -> tuple[int | None, str]:
    """(HTTP status or None, what went wrong)."""
    hook = delivery.webhook
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "Interlinear-Webhooks/1",
        "X-Interlinear-Event": delivery.event,
        "X-Interlinear-Delivery": str(delivery.pk),
        "X-Interlinear-Signature": f"sha256={signature}",
    })
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        checked_url(hook.url, resolve=False)
        # Whole send within 3 × timeout, well inside the lease (30 s + 4 × timeout).
        with deadline(3 * timeout), opener().open(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code} {error.reason}"[:500]
    except WebhookAddressRefused as error:
        return None, error.message
    except urllib.error.URLError as error:
        return None, f"Not delivered: {error.reason}"[:500]
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, f"Not delivered: {error or type(error).__name__}"[:500]


def _record(delivery, status, error, now) -> str:
    """A 2xx delivers; anything else is retried `now` + the backoff, until the attempts run out."""
    delivery.attempts += 1
    delivery.last_status = status
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at, delivery.last_error = DeliveryState.DELIVERED, timezone.now(), ""
    else:
        delivery.last_error = error or f"HTTP {status}"
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.state = DeliveryState.FAILED
        else:
            wait = settings.WEBHOOK_BACKOFF_SECONDS * 4 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=wait)
    delivery.save(update_fields=["attempts", "last_status", "last_error", "state", "delivered_at", "next_attempt_at"])
    return delivery.state


def deliver_due(now=None, ids=None, limit: int = BATCH) -> DeliveryRun:
    """Send pending deliveries due at `now` (only `ids`, if given), one claim at a time."""
    run = DeliveryRun()
    while run.attempted < limit:
        moment = now or timezone.now()
        delivery = _claim(moment, ids)
        if delivery is None:
            break
        if delivery.webhook.is_active:
            status, error = _send(delivery)
            state = _record(delivery, status, error, now or timezone.now())
        else:
            delivery.state, delivery.last_error = DeliveryState.FAILED, "Not sent: the webhook was switched off."
            delivery.save(update_fields=["state", "last_error"])
            state = delivery.state
        if state == DeliveryState.DELIVERED:
            run.delivered += 1
        elif state == DeliveryState.FAILED:
            run.failed += 1
        else:
            run.retrying += 1
    return run
