"""Webhooks: signed events written with the approval, sent after commit off the
request, retried with backoff, claimed once; the API that manages them."""

import hashlib
import hmac
import io
import json
import threading
import time
import zipfile
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from reviews.models import AuditEvent, DeliveryState, Webhook, WebhookDelivery
from reviews.services import review_record, reviews_record_bulk
from reviews.webhooks import deliver_due, webhook_create, webhook_update
from tests.factories import make_document, make_project
from translations import services

APPROVED, COMPLETE = "translation.approved", "rendering.complete"


# --- A real receiver on 127.0.0.1 --------------------------------------------------------


class Receiver:
    """An HTTP server in a thread that records what it is sent and answers `status` after `delay` seconds."""

    def __init__(self):
        self.requests = []
        self.status, self.delay, self.headers = 200, 0.0, {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    found = Receiver()
    yield found
    found.close()


def candidate(segment, people, text="A rendering.", who="translator"):
    return services.translation_create(segment=segment, user=people[who], language="en", text=text)


def approve(translation, people, who="reviewer"):
    return review_record(translation=translation, reviewer=people[who], version=translation.version, decision="approve")


def hook(project, people, url, events=(APPROVED,)):
    made, secret = webhook_create(project=project, user=people["manager"], url=url, events=list(events))
    return made, secret


# --- Signing, enqueueing, rollback -----------------------------------------------------------


def test_a_delivery_is_signed_with_the_hooks_secret(api, project, document, people, receiver):
    made = api["manager"].post(reverse("api:webhook-list", kwargs={"slug": project.slug}),
                               {"url": receiver.url, "events": [APPROVED]}, format="json")
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    translation = candidate(document.segments.order_by("position").first(), people, "The first line.")
    approve(translation, people)

    assert deliver_due().delivered == 1
    [sent] = receiver.requests
    expected = "sha256=" + hmac.new(secret.encode(), sent["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, sent["headers"]["X-Interlinear-Signature"])
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["X-Interlinear-Event"] == APPROVED
    delivery = WebhookDelivery.objects.get()
    assert sent["headers"]["X-Interlinear-Delivery"] == str(delivery.pk)
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1 and delivery.last_status == 200
    payload = json.loads(sent["body"])
    assert payload["event"] == APPROVED and payload["id"] and payload["occurred_at"]
    assert payload["project"]["slug"] == project.slug
    assert payload["document"] == {"id": document.pk, "title": document.title}
    assert payload["segment"]["id"] == translation.segment_id and payload["segment"]["position"] == 1
    assert payload["translation"] == {"id": translation.pk, "language": "en", "version": 1,
                                      "text": "The first line.", "approved_by": "reviewer"}
    # A forged body fails the check.
    forged = "sha256=" + hmac.new(b"guess", sent["body"], hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(forged, sent["headers"]["X-Interlinear-Signature"])


def test_an_approval_enqueues_one_delivery_per_subscribed_active_hook(project, document, people, admin_user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    wanted, _ = hook(project, people, "https://a.example.org/hook")
    hook(project, people, "https://b.example.org/hook", events=[COMPLETE])
    off, _ = hook(project, people, "https://c.example.org/hook")
    webhook_update(webhook=off, user=people["manager"], is_active=False)
    elsewhere = make_project(admin_user, slug="elsewhere", members={people["manager"]: "manager"})
    hook(elsewhere, people, "https://d.example.org/hook")

    first, second, third = document.segments.order_by("position")
    approve(candidate(first, people), people)
    assert [(d.webhook_id, d.event) for d in WebhookDelivery.objects.all()] == [(wanted.pk, APPROVED)]

    # In bulk: one per translation, each with its own event id.
    items = [(candidate(s, people).pk, 1) for s in (second, third)]
    outcome = reviews_record_bulk(reviewer=people["reviewer"], items=items, decision="approve")
    assert outcome.decided_count == 2
    approved = WebhookDelivery.objects.filter(event=APPROVED)
    assert approved.count() == 3 and {d.webhook_id for d in approved} == {wanted.pk}
    assert len({d.payload["id"] for d in approved}) == 3
    # A rejection or a change request sends nothing.
    rejected = candidate(first, people, "Another.", who="translator2")
    review_record(translation=rejected, reviewer=people["reviewer"], version=1, decision="reject", comment="No.")
    assert WebhookDelivery.objects.filter(event=APPROVED).count() == 3


def test_an_approval_that_rolls_back_enqueues_nothing(project, document, people, settings,
                                                      django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    hook(project, people, "https://a.example.org/hook")
    translation = candidate(document.segments.first(), people)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            approve(translation, people)
            assert WebhookDelivery.objects.count() == 1  # written with the approval ...
            raise RuntimeError("the request failed after the approval")
    assert WebhookDelivery.objects.count() == 0  # ... and gone with it
    assert callbacks == []  # nothing is sent for it either


def test_no_hooks_costs_the_approval_one_query(project, document, people, django_assert_max_num_queries):
    translation = candidate(document.segments.first(), people)
    with django_assert_max_num_queries(40) as without_hooks:
        approve(translation, people)
    assert WebhookDelivery.objects.count() == 0
    assert sum("reviews_webhook" in q["sql"] for q in without_hooks.captured_queries) == 1


# --- Retries -------------------------------------------------------------------------------


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(project, document, people, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS, settings.WEBHOOK_BACKOFF_SECONDS = 3, 30
    receiver.status = 500
    hook(project, people, receiver.url)
    approve(candidate(document.segments.first(), people), people)
    start = timezone.now()

    assert deliver_due(now=start).retrying == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status, delivery.state) == (1, 500, DeliveryState.PENDING)
    assert "500" in delivery.last_error
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    assert deliver_due(now=start + timedelta(seconds=29)).attempted == 0  # not due yet

    second = start + timedelta(seconds=30)
    assert deliver_due(now=second).retrying == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == second + timedelta(seconds=120)

    third = second + timedelta(seconds=120)
    assert deliver_due(now=third).failed == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3
    assert deliver_due(now=third + timedelta(days=1)).attempted == 0
    assert len(receiver.requests) == 3
    assert {r["headers"]["X-Interlinear-Delivery"] for r in receiver.requests} == {str(delivery.pk)}


def test_a_redirect_is_not_followed(project, document, people, receiver):
    receiver.status, receiver.headers = 302, {"Location": receiver.url + "/elsewhere"}
    hook(project, people, receiver.url)
    approve(candidate(document.segments.first(), people), people)
    assert deliver_due().retrying == 1
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    assert WebhookDelivery.objects.get().last_status == 302


def test_a_receiver_that_answers_a_byte_at_a_time_is_cut_off(project, document, people, settings):
    """A per-read timeout alone would let such a receiver hold the sender for ever."""
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection_, _ = listener.accept()
        with connection_:
            connection_.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                if stop.wait(0.2):
                    return
                try:
                    connection_.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    try:
        hook(project, people, f"http://127.0.0.1:{listener.getsockname()[1]}/hook")
        approve(candidate(document.segments.first(), people), people)
        started = time.monotonic()
        assert deliver_due().retrying == 1
        assert time.monotonic() - started < 3  # cut at 3 × 0.5 s, not after the ~9 s the drip would take
        assert WebhookDelivery.objects.get().last_error.startswith("Not delivered")
    finally:
        stop.set()
        listener.close()


def test_an_unreachable_receiver_is_recorded_and_retried(project, document, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    closed = Receiver()
    url = closed.url
    closed.close()
    hook(project, people, url)
    approve(candidate(document.segments.first(), people), people)
    assert deliver_due().retrying == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status is None and delivery.last_error.startswith("Not delivered")


def test_the_command_sends_what_is_due(project, document, people, receiver):
    hook(project, people, receiver.url)
    approve(candidate(document.segments.first(), people), people)
    out = io.StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert "1 delivered" in out.getvalue() and len(receiver.requests) == 1


def test_a_switched_off_hook_sends_nothing(project, document, people, receiver):
    made, _ = hook(project, people, receiver.url)
    approve(candidate(document.segments.first(), people), people)
    webhook_update(webhook=made, user=people["manager"], is_active=False)
    assert deliver_due().failed == 1 and receiver.requests == []


# --- Off the request ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_does_not_slow_the_approval(project, document, people, receiver):
    receiver.delay = 2.0
    hook(project, people, receiver.url)
    translation = candidate(document.segments.first(), people)
    started = time.monotonic()
    approve(translation, people)  # commits: the delivery thread starts now
    assert time.monotonic() - started < 1.0
    for thread in [t for t in threading.enumerate() if t.name == "webhook-delivery"]:
        thread.join(10)
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_senders_never_send_one_delivery_twice(project, people, receiver):
    receiver.delay = 0.02
    hooks = [hook(project, people, receiver.url + suffix)[0] for suffix in ("", "2")]
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(  # as an approval writes them, without its after-commit sender
        WebhookDelivery(webhook=hooks[n % 2], event=APPROVED, payload={"n": n}, next_attempt_at=now) for n in range(30)
    )
    barrier = threading.Barrier(3)

    def sender():
        try:
            barrier.wait()
            deliver_due()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sent = [r["headers"]["X-Interlinear-Delivery"] for r in receiver.requests]
    assert len(sent) == len(set(sent)) == 30
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


# --- rendering.complete ---------------------------------------------------------------------


def test_rendering_complete_fires_exactly_when_the_last_segment_is_approved(project, document, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    hook(project, people, "https://cms.example.org/hook", events=[COMPLETE])
    first, second, third = document.segments.order_by("position")
    approve(candidate(first, people), people)
    approve(candidate(second, people), people)
    assert not WebhookDelivery.objects.exists()
    approve(candidate(third, people), people)
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == COMPLETE
    assert delivery.payload["language"] == "en" and delivery.payload["segment_count"] == 3
    assert delivery.payload["document"]["id"] == document.pk
    rendering = reverse("api:rendering", kwargs={"slug": project.slug, "document_id": document.pk, "language": "en"})
    assert delivery.payload["rendering_path"] == rendering == (
        f"/api/v1/projects/{project.slug}/documents/{document.pk}/rendering/en/"
    )
    # A newer approved rendering of a segment of a complete document is no new completion.
    approve(candidate(third, people, "A better rendering.", who="translator2"), people)
    assert WebhookDelivery.objects.count() == 1
    # Another document completed in one bulk decision: one event.
    other = make_document(project, people["manager"], title="Letter", lines=("하나.", "둘."))
    items = [(candidate(s, people).pk, 1) for s in other.segments.all()]
    reviews_record_bulk(reviewer=people["reviewer"], items=items, decision="approve")
    assert WebhookDelivery.objects.filter(event=COMPLETE).count() == 2


# --- Addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data/", "http://192.168.0.1/", "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/", "http://[::7f00:1]/", "http://[64:ff9b::a01:203]/",
])
def test_private_addresses_are_refused(api, project, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = api["manager"].post(reverse("api:webhook-list", kwargs={"slug": project.slug}),
                                   {"url": url, "events": [APPROVED]}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("webhook_address_refused", "validation_error")
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "http://user:pw@example.org/hook", "javascript:alert(1)",
                                 "http://exa mple.org/", "https://example.org/\x00", "https://" + "a" * 600 + ".org/"])
def test_addresses_that_are_not_plain_http_are_refused(api, project, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    response = api["manager"].post(reverse("api:webhook-list", kwargs={"slug": project.slug}),
                                   {"url": url, "events": [APPROVED]}, format="json")
    assert response.status_code == 400, response.content
    assert not Webhook.objects.exists()


def test_a_private_address_is_refused_again_when_sending(project, document, people, receiver, settings):
    hook(project, people, receiver.url)  # allowed when made ...
    approve(candidate(document.segments.first(), people), people)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # ... but not any more
    assert deliver_due().retrying == 1
    assert receiver.requests == []
    assert "private" in WebhookDelivery.objects.get().last_error


# --- The API --------------------------------------------------------------------------------


def urls(project, webhook_id=None):
    slug = {"slug": project.slug}
    if webhook_id is None:
        return reverse("api:webhook-list", kwargs=slug)
    return (reverse("api:webhook-detail", kwargs={**slug, "webhook_id": webhook_id}),
            reverse("api:webhook-delivery-list", kwargs={**slug, "webhook_id": webhook_id}))


def test_only_managers_reach_the_webhook_api_and_non_members_get_404(api, project, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made, _ = hook(project, people, "https://cms.example.org/hook")
    detail, deliveries = urls(project, made.pk)
    for who in ("translator", "reviewer", "auditor"):
        assert api[who].get(urls(project)).status_code == 403
        assert api[who].post(urls(project), {"url": "https://x.example.org/", "events": [APPROVED]},
                             format="json").status_code == 403
        assert api[who].get(detail).status_code == 403
        assert api[who].patch(detail, {"is_active": False}, format="json").status_code == 403
        assert api[who].delete(detail).status_code == 403
        assert api[who].get(deliveries).status_code == 403
    for path in (urls(project), detail, deliveries):
        response = api["outsider"].get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api["manager"].get(detail).status_code == 200
    assert api["siteadmin"].get(deliveries).status_code == 200
    made.refresh_from_db()
    assert made.is_active


def test_the_secret_is_answered_once_and_never_read_back(api, project, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made = api["manager"].post(urls(project), {"url": "https://cms.example.org/hook",
                                               "events": [COMPLETE, APPROVED, APPROVED]}, format="json").json()
    secret = made["secret"]
    assert len(secret) >= 40 and made["events"] == [APPROVED, COMPLETE] and made["created_by"] == "manager"
    detail, _ = urls(project, made["id"])
    listed = api["manager"].get(urls(project)).json()["results"]
    assert [h["id"] for h in listed] == [made["id"]] and "secret" not in listed[0]
    assert "secret" not in api["manager"].get(detail).json()
    assert secret not in api["manager"].get(detail).content.decode()

    changed = api["manager"].patch(detail, {"url": "https://cms.example.org/v2", "is_active": False,
                                            "events": [COMPLETE]}, format="json").json()
    assert changed["secret"] is None and changed["url"].endswith("/v2") and not changed["is_active"]
    rotated = api["manager"].patch(detail, {"rotate_secret": True}, format="json").json()
    assert rotated["secret"] and rotated["secret"] != secret
    assert Webhook.objects.get().secret == rotated["secret"]

    assert api["manager"].delete(detail).status_code == 204
    assert not Webhook.objects.exists() and api["manager"].get(detail).status_code == 404


def test_webhook_changes_leave_history_without_the_secret_and_reach_the_audit_trail(api, project, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made = api["manager"].post(urls(project), {"url": "https://cms.example.org/hook", "events": [APPROVED],
                                               "reason": "CMS integration"}, format="json").json()
    detail, _ = urls(project, made["id"])
    api["manager"].patch(detail, {"is_active": False}, format="json")
    api["manager"].delete(detail)
    rows = Webhook.history.model.objects.filter(id=made["id"]).order_by("history_id")
    assert [(r.history_type, r.history_user.username) for r in rows] == [
        ("+", "manager"), ("~", "manager"), ("-", "manager")
    ]
    assert rows[0].history_change_reason == "CMS integration"
    assert "off" in rows[1].history_change_reason and "removed" in rows[2].history_change_reason
    assert "secret" not in {f.name for f in Webhook.history.model._meta.get_fields()}
    events = AuditEvent.objects.filter(kind="webhook", project=project)
    assert events.count() == 3 and "cms.example.org" in events.first().summary
    call_command("verify_history", stdout=io.StringIO())


@pytest.mark.parametrize("body", [
    {}, {"url": "https://cms.example.org/"}, {"events": [APPROVED]},
    {"url": "https://cms.example.org/", "events": []}, {"url": "https://cms.example.org/", "events": ["nope"]},
    {"url": "https://cms.example.org/", "events": [1, None]}, {"url": "https://cms.example.org/", "events": "x"},
    {"url": 7, "events": [APPROVED]}, {"url": ["https://a.org"], "events": [APPROVED]},
    {"url": "https://cms.example.org/", "events": [APPROVED], "reason": "\x00"},
    {"url": "https://cms.example.org/" + "x" * 100_000, "events": [APPROVED]},
])
def test_bad_input_is_a_400_never_a_500(api, project, settings, body):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    response = api["manager"].post(urls(project), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_unknown_ids_other_projects_hooks_bad_patches_and_cursors(api, project, people, admin_user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    mine, _ = hook(project, people, "https://cms.example.org/hook")
    other = make_project(admin_user, slug="other", members={people["outsider"]: "manager"})
    theirs, _ = webhook_create(project=other, user=people["outsider"], url="https://x.example.org/", events=[APPROVED])
    client = api["manager"]
    for webhook_id in (theirs.pk, 999_999, 10**17):
        for path in urls(project, webhook_id):
            assert client.get(path).status_code == 404
    assert client.get(f"/api/v1/projects/{project.slug}/webhooks/{'9' * 30}/").status_code == 404
    detail, deliveries = urls(project, mine.pk)
    for body in ({"is_active": "maybe"}, {"events": []}, {"url": "ftp://x.org/"}, {"rotate_secret": [1]}):
        assert client.patch(detail, body, format="json").status_code == 400
    assert client.patch(detail, "not json", content_type="application/json").status_code == 400
    assert client.get(deliveries, {"cursor": "garbage"}).status_code == 404
    assert client.get(deliveries, {"state": "nope"}).status_code == 400
    assert client.put(detail, {}, format="json").status_code == 405


def test_the_delivery_list_costs_the_same_queries_at_any_size(api, project, document, people, settings,
                                                              django_assert_max_num_queries):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made, _ = hook(project, people, "https://cms.example.org/hook")
    _, deliveries = urls(project, made.pk)

    def add(count):
        now = timezone.now()
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=made, event=APPROVED, payload={"n": n}, next_attempt_at=now) for n in range(count)
        )

    add(2)
    api["manager"]  # noqa: B018 - its token is made outside the measurement
    with django_assert_max_num_queries(50) as small:
        assert len(api["manager"].get(deliveries).json()["results"]) == 2
    queries = len(small)
    add(60)
    with django_assert_max_num_queries(queries):
        page = api["manager"].get(deliveries, {"page_size": 50}).json()
    assert len(page["results"]) == 50 and page["next"]
    following = api["manager"].get(page["next"]).json()
    assert len(following["results"]) == 12
    assert set(page["results"][0]) >= {"state", "attempts", "last_status", "last_error", "created_at", "delivered_at"}
    print(f"webhook delivery list: {queries} queries for 2 rows and for 50 of 62")


def test_the_webhook_list_costs_the_same_queries_at_any_size(api, project, people, admin_user, settings,
                                                             django_assert_max_num_queries):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    hook(project, people, "https://cms.example.org/hook")
    api["manager"]  # noqa: B018 - its token is made outside the measurement
    with django_assert_max_num_queries(50) as small:
        assert len(api["manager"].get(urls(project)).json()["results"]) == 1
    queries = len(small)
    # Hooks made by several people (each names its maker), up to the limit.
    from tests.factories import UserFactory
    from translations.models import Role

    for n in range(19):
        maker = UserFactory(username=f"manager{n}")
        services.membership_set(project=project, user=admin_user, member=maker, role=Role.MANAGER)
        webhook_create(project=project, user=maker, url=f"https://cms{n}.example.org/hook", events=[APPROVED])
    with django_assert_max_num_queries(queries):
        listed = api["manager"].get(urls(project)).json()["results"]
    assert len(listed) == 20 and {h["created_by"] for h in listed} >= {"manager", "manager18"}
    print(f"webhook list: {queries} queries for 1 hook and for 20")


# --- Archives ----------------------------------------------------------------------------------


def test_a_project_archive_carries_its_webhooks_but_never_their_secrets(project, people, settings, tmp_path):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made, secret = hook(project, people, "https://cms.example.org/hook", events=[APPROVED, COMPLETE])
    path = tmp_path / "project.zip"
    call_command("export_project", project.slug, str(path), stdout=io.StringIO())
    with zipfile.ZipFile(path) as archive:
        assert "rows/reviews.webhook.jsonl" in archive.namelist()
        assert all(secret.encode() not in archive.read(name) for name in archive.namelist())
        assert b"cms.example.org" in archive.read("rows/reviews.webhook.jsonl")
    call_command("import_project", str(path), "--slug", "copy", "--user", "manager", stdout=io.StringIO())
    copied = Webhook.objects.get(project__slug="copy")
    assert (copied.url, copied.events, copied.created_by) == (made.url, made.events, people["manager"])
    assert copied.secret and copied.secret != secret
    assert copied.history.count() == 1
    call_command("verify_history", stdout=io.StringIO())


# --- The managers' web page ------------------------------------------------------------------


def test_the_webhook_page_adds_a_hook_and_shows_its_secret_once(client, project, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    client.force_login(people["manager"])
    page = reverse("project_webhooks", kwargs={"slug": project.slug})
    empty = client.get(page)
    assert empty.status_code == 200 and "No webhooks yet." in empty.content.decode()
    response = client.post(page, {"url": "https://cms.example.org/hook", "events": [APPROVED, COMPLETE]})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    made = Webhook.objects.get()
    html = response.content.decode()
    assert made.secret in html and "shown only this once" in html and "autofocus" not in html
    assert made.events == [APPROVED, COMPLETE] and made.created_by == people["manager"]
    assert made.secret not in client.get(page).content.decode()

    change = reverse("webhook_change", kwargs={"slug": project.slug, "webhook_id": made.pk})
    rotated = client.post(change, {"do": "rotate"})
    made.refresh_from_db()
    assert rotated.status_code == 200 and made.secret in rotated.content.decode()
    assert client.post(change, {"do": "off"}).status_code == 302
    made.refresh_from_db()
    assert not made.is_active
    assert client.post(change, {"do": "nonsense"}).status_code == 302
    assert client.post(change, {"do": "delete"}).status_code == 302
    assert not Webhook.objects.exists()
    assert client.post(change, {"do": "on"}).status_code == 404


def test_the_webhook_page_refuses_bad_addresses_with_a_message(client, project, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(people["manager"])
    page = reverse("project_webhooks", kwargs={"slug": project.slug})
    for body in ({"url": "http://127.0.0.1/", "events": [APPROVED]}, {"url": "https://cms.example.org/"},
                 {"url": "ftp://x.org/", "events": [APPROVED]}, {"url": "x" * 600, "events": ["nope"]}):
        response = client.post(page, body)
        assert response.status_code == 400 and "is-invalid" in response.content.decode()
    assert not Webhook.objects.exists()


def test_other_members_and_other_projects_hooks_stay_out_of_reach(client, project, people, admin_user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    other = make_project(admin_user, slug="other", members={people["outsider"]: "manager"})
    theirs, _ = webhook_create(project=other, user=people["outsider"], url="https://x.example.org/", events=[APPROVED])
    client.force_login(people["reviewer"])
    assert client.get(reverse("project_webhooks", kwargs={"slug": project.slug})).status_code == 403
    client.force_login(people["manager"])
    crossed = reverse("webhook_change", kwargs={"slug": project.slug, "webhook_id": theirs.pk})
    assert client.post(crossed, {"do": "delete"}).status_code == 404
    assert client.get(reverse("project_webhooks", kwargs={"slug": other.slug})).status_code == 404
    assert Webhook.objects.filter(pk=theirs.pk).exists()
