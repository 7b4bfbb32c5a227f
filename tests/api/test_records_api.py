"""The records over the API: the approved rendering, object histories, a document as it
stood, and the audit trail — with the web's rights, read-only history (invariant 7), only
approved text published (invariant 4), and nothing of another project (invariant 9)."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import AuditEvent
from reviews.services import review_record
from tests.factories import make_document, make_project
from translations import services
from translations.models import Membership, Role


@pytest.fixture
def approved(project, document, people):
    """The first segment's English rendering: v1 approved, then a v2 draft nobody approved."""
    segment = document.segments.order_by("position").first()
    translation = services.translation_create(
        segment=segment, user=people["translator"], language="en", text="First line."
    )
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    services.translation_edit(translation=translation, user=people["translator"], base_version=1, text="A later draft.")
    translation.refresh_from_db()
    return translation


@pytest.fixture
def elsewhere(admin_user, people):
    """Another project, where the auditor also audits but nobody of ours translates."""
    other = make_project(admin_user, slug="elsewhere", members={people["auditor"]: Role.AUDITOR})
    return make_document(other, admin_user, title="Elsewhere")


def rendering_url(project, document, language="en"):
    return reverse("api:rendering", kwargs={"slug": project.slug, "document_id": document.pk, "language": language})


def history_url(project, kind, object_id):
    return reverse("api:history", kwargs={"slug": project.slug, "kind": kind, "object_id": object_id})


def counted(client, url, params=None):
    """(response, number of queries it cost)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response, len(queries)


def all_pages(client, url, params=None):
    results, pages = [], 0
    response = client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        results += response.json()["results"]
        pages += 1
        if not response.json()["next"]:
            return results, pages
        response = client.get(response.json()["next"])


# --- the approved rendering ---------------------------------------------------


def test_the_rendering_shows_the_approved_version_never_a_later_draft(api, project, document, approved, people):
    response = api["auditor"].get(rendering_url(project, document))
    assert response.status_code == 200
    body = response.json()
    assert body["document"]["title"] == "Notebook" and body["document"]["authenticity"] == "unverified"
    assert body["language"] == "en" and body["is_complete"] is False
    assert (body["segment_count"], body["approved_count"]) == (3, 1)
    first, second = body["segments"][:2]
    assert first["published_text"] == "First line." and first["published_version"] == 1
    assert "A later draft." not in response.content.decode()
    assert first["translation_id"] == approved.pk and first["source_version"] == 1
    assert [a["reviewer"]["username"] for a in first["approvals"]] == ["reviewer"]
    assert first["approvals"][0]["version"] == 1 and first["approvals"][0]["approved_at"]
    assert first["source_text"] == "첫째 줄이다." and first["position"] == 1
    assert second["is_approved"] is False and second["published_text"] is None and second["approvals"] == []


def test_the_rendering_of_an_unknown_language_or_another_projects_document_is_404(api, project, document, elsewhere):
    assert api["translator"].get(rendering_url(project, document, "fr")).status_code == 404
    assert api["translator"].get(rendering_url(project, document, "en\x00")).status_code == 404
    foreign = api["translator"].get(rendering_url(project, elsewhere))
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    assert api["outsider"].get(rendering_url(project, document)).status_code == 404


def test_the_rendering_costs_the_same_queries_for_thirty_segments(
    api, project, document, approved, people, django_assert_max_num_queries
):
    client = api["reviewer"]
    client.get(rendering_url(project, document))  # the token's first use writes last_used_at
    small, few = counted(client, rendering_url(project, document))
    services.segments_append_from_text(
        document=document, user=people["manager"], text="\n".join(f"줄 {n}." for n in range(40))
    )
    for segment in document.segments.order_by("position")[1:31]:
        translation = services.translation_create(
            segment=segment, user=people["translator"], language="en", text=f"Line {segment.pk}."
        )
        review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    with django_assert_max_num_queries(10):
        large, many = counted(client, rendering_url(project, document))
    assert len(small.json()["segments"]) == 3 and large.json()["approved_count"] == 31
    assert many == few


# --- histories ------------------------------------------------------------------


def test_a_translations_history_names_each_version_newest_first(api, project, approved, people):
    response = api["auditor"].get(history_url(project, "translation", approved.pk))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows[0]["version"] == 2 and rows[-1]["type"] == "+" and rows[-1]["change"] == "created"
    assert [r["history_id"] for r in rows] == sorted((r["history_id"] for r in rows), reverse=True)
    edit = next(r for r in rows if {"field": "text", "old": "First line.", "new": "A later draft."} in r["changes"])
    assert edit["user"]["username"] == "translator" and edit["reason"] and edit["type"] == "~"
    created = {c["field"]: c["new"] for c in rows[-1]["changes"]}
    assert created["text"] == "First line." and created["author_id"] == people["translator"].pk


@pytest.mark.parametrize(
    "kind", ["document", "segment", "translation", "review", "comment", "membership", "glossary-term"]
)
def test_each_kind_of_object_has_a_history_readable_by_any_member(api, project, document, approved, people, kind):
    from reviews.services import comment_create

    objects = {
        "document": lambda: document,
        "segment": lambda: approved.segment,
        "translation": lambda: approved,
        "review": lambda: approved.reviews.first(),
        "comment": lambda: comment_create(user=people["translator"], body="Is [?줄] right?", translation=approved),
        "membership": lambda: Membership.objects.get(project=project, user=people["translator"]),
        "glossary-term": lambda: services.glossary_term_create(
            project=project, user=people["manager"], language="en", source_term="줄", approved=["line"]
        ),
    }
    target = objects[kind]()
    for role in ("auditor", "translator"):
        response = api[role].get(history_url(project, kind, target.pk))
        assert response.status_code == 200, (role, response.content)
        assert response.json()["results"][-1]["type"] == "+"


def test_a_removed_objects_history_stays_readable_in_its_project(api, project, people):
    services.membership_remove(project=project, user=people["manager"], member=people["translator2"])
    membership_id = (
        Membership.history.model.objects.filter(project_id=project.pk, user_id=people["translator2"].pk)
        .values_list("id", flat=True).first()
    )
    rows = api["auditor"].get(history_url(project, "membership", membership_id)).json()["results"]
    assert [r["type"] for r in rows] == ["-", "+"]


def test_history_is_read_only_every_write_method_is_405(api, project, approved):
    url = history_url(project, "translation", approved.pk)
    before = approved.history.count()
    for role in ("auditor", "manager", "siteadmin"):
        client = api[role]
        for method in (client.post, client.put, client.patch, client.delete):
            response = method(url, {"history_change_reason": "rewritten"}, format="json")
            assert response.status_code == 405, (role, method, response.content)
            assert response.json()["error"]["code"] == "method_not_allowed"
    assert approved.history.count() == before


def test_another_projects_object_or_an_unknown_kind_is_404(api, project, elsewhere, approved):
    foreign_segment = elsewhere.segments.first()
    assert api["auditor"].get(history_url(project, "segment", foreign_segment.pk)).status_code == 404
    assert api["auditor"].get(history_url(project, "document", elsewhere.pk)).status_code == 404
    assert api["auditor"].get(history_url(project, "notification", approved.pk)).status_code == 404
    too_big = history_url(project, "segment", 1).replace("/1/", f"/{2**63}/")
    assert api["auditor"].get(too_big).status_code == 404
    assert api["outsider"].get(history_url(project, "translation", approved.pk)).status_code == 404


def test_a_long_history_is_cursor_paginated_in_constant_queries(
    api, project, document, people, django_assert_max_num_queries
):
    segment = document.segments.order_by("position").first()
    for n in range(35):
        segment.refresh_from_db()
        services.segment_edit(
            segment=segment, user=people["manager"], base_version=segment.version, source_text=f"고친 줄 {n}."
        )
    url = history_url(project, "segment", segment.pk)
    client = api["auditor"]
    client.get(url)
    first, few = counted(client, url, {"page_size": 5})
    with django_assert_max_num_queries(6):
        whole, many = counted(client, url, {"page_size": 50})
    assert many == few
    assert len(first.json()["results"]) == 5 and len(whole.json()["results"]) == 36
    rows, pages = all_pages(client, url, {"page_size": 10})
    assert pages == 4 and len({r["history_id"] for r in rows}) == 36
    # Each page's oldest row is still compared with the row before it, on the next page.
    assert all(r["changes"] for r in rows)
    newest = {c["field"]: (c["old"], c["new"]) for c in rows[0]["changes"]}
    assert newest["source_text"] == ("고친 줄 33.", "고친 줄 34.") and newest["version"] == (35, 36)
    created = {c["field"]: (c["old"], c["new"]) for c in rows[-1]["changes"]}
    assert rows[-1]["type"] == "+" and created["version"] == (None, 1) and created["source_text"][1] == "첫째 줄이다."
    oldest_first = client.get(url, {"ordering": "history_id", "page_size": 3}).json()["results"]
    assert oldest_first[0]["type"] == "+" and oldest_first[1]["changes"]


@pytest.mark.parametrize(
    "cursor", ["garbage", "%00", base64.b64encode(b"p=x&r=0").decode(), base64.b64encode(b"r=1&p=%00").decode()]
)
def test_a_malformed_cursor_is_404_not_500(api, project, approved, cursor):
    response = api["auditor"].get(history_url(project, "translation", approved.pk), {"cursor": cursor})
    assert response.status_code == 404
    audit = api["auditor"].get(reverse("api:audit-list"), {"cursor": cursor})
    assert audit.status_code == 404 and audit.json()["error"]["code"] == "not_found"


def test_a_cursor_beyond_any_id_is_answered_not_500(api, project, approved):
    beyond = base64.b64encode(b"p=" + b"9" * 30).decode()
    response = api["auditor"].get(history_url(project, "translation", approved.pk), {"cursor": beyond})
    assert response.status_code in (200, 404)
    assert api["auditor"].get(reverse("api:audit-list"), {"cursor": beyond}).status_code == 404
    assert api["auditor"].get(reverse("api:audit-list"), {"page_size": "-1"}).status_code == 200
    assert api["auditor"].get(reverse("api:audit-list"), {"page_size": "10" * 20}).status_code == 200


# --- a document as it stood -------------------------------------------------------


def test_a_document_as_it_stood_shows_what_was_published_then(api, project, document, approved, people):
    url = reverse("api:document-as-of", kwargs={"slug": project.slug, "document_id": document.pk})
    then = timezone.now()
    services.document_update(document=document, user=people["manager"], title="Renamed")
    response = api["auditor"].get(url, {"at": then.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["document"]["title"] == "Notebook" and body["languages"] == {"en": 1}
    assert body["segments"][0]["renderings"][0]["published_text"] == "First line."
    assert api["auditor"].get(url, {"at": "yesterday"}).status_code == 400
    assert api["auditor"].get(url).status_code == 400
    assert api["auditor"].get(url, {"at": "1999-01-01T00:00:00Z"}).status_code == 404


# --- the audit trail -------------------------------------------------------------


def test_an_auditor_reads_the_trail_of_their_projects_only(api, project, approved, elsewhere, admin_user):
    hidden = make_project(admin_user, slug="hidden")
    make_document(hidden, admin_user, title="Hidden")
    response = api["auditor"].get(reverse("api:audit-list"), {"page_size": 200})
    assert response.status_code == 200
    projects = {event["project"] for event in response.json()["results"]}
    assert projects == {"recovered-notes", "elsewhere"}
    event = response.json()["results"][0]
    assert set(event) >= {"id", "at", "kind", "action", "change", "actor", "reason", "summary", "history_url"}


def test_a_translator_is_refused_the_audit_trail_as_on_the_web(api, project, approved):
    response = api["translator"].get(reverse("api:audit-list"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert api["outsider"].get(reverse("api:audit-list")).status_code == 403
    assert api["manager"].get(reverse("api:audit-list")).status_code == 200


def test_the_trail_filters_like_the_web_and_refuses_bad_filter_values(api, project, approved, people):
    client = api["auditor"]
    reviews = client.get(reverse("api:audit-list"), {"kind": "review", "project": project.slug}).json()["results"]
    assert reviews and {e["kind"] for e in reviews} == {"review"}
    by_actor = client.get(reverse("api:audit-list"), {"actor": "reviewer", "action": "created"}).json()["results"]
    assert by_actor and {e["actor"]["username"] for e in by_actor} == {"reviewer"}
    today = timezone.localdate().isoformat()
    assert client.get(reverse("api:audit-list"), {"since": today, "until": today}).json()["results"]
    assert client.get(reverse("api:audit-list"), {"q": "draft"}).status_code == 200
    for bad in ({"since": "2026-02-31"}, {"kind": "nonsense"}, {"document": "12ab"}, {"action": "x"}, {"q": "a\x00b"}):
        response = client.get(reverse("api:audit-list"), bad)
        assert response.status_code == 400, bad
        assert list(response.json()["error"]["details"]["fields"]) == list(bad)


def test_the_trail_pages_through_thirty_events_in_constant_queries(
    api, project, document, people, django_assert_max_num_queries
):
    for n in range(35):
        services.document_update(document=document, user=people["manager"], description=f"Note {n}")
    client = api["auditor"]
    url = reverse("api:audit-list")
    client.get(url)
    small, few = counted(client, url, {"page_size": 2})
    with django_assert_max_num_queries(4):
        large, many = counted(client, url, {"page_size": 200, "kind": "document"})
    assert many == few
    assert len(small.json()["results"]) == 2 and len(large.json()["results"]) >= 36
    events, pages = all_pages(client, url, {"page_size": 7, "kind": "document"})
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(large.json()["results"]) and pages > 5
    # Back again from the second page.
    second = client.get(client.get(url, {"page_size": 7, "kind": "document"}).json()["next"])
    previous = client.get(second.json()["previous"]).json()
    assert [e["id"] for e in previous["results"]] == ids[:7] and previous["previous"] is None


def test_one_projects_trail_needs_the_audit_right_in_it(
    api, project, document, approved, elsewhere, people, django_assert_max_num_queries
):
    url = reverse("api:project-audit-list", kwargs={"slug": project.slug})
    response = api["auditor"].get(url, {"page_size": 200})
    assert response.status_code == 200
    assert {event["project"] for event in response.json()["results"]} == {"recovered-notes"}
    assert api["translator"].get(url).status_code == 403
    assert api["outsider"].get(url).status_code == 404
    assert api["manager"].get(url, {"kind": "review"}).json()["results"][0]["kind"] == "review"
    assert api["auditor"].get(url, {"until": "someday"}).status_code == 400
    for n in range(35):
        services.document_update(document=document, user=people["manager"], description=f"Note {n}")
    _, few = counted(api["auditor"], url, {"page_size": 2})
    with django_assert_max_num_queries(5):
        _, many = counted(api["auditor"], url, {"page_size": 200})
    assert many == few


def test_one_event_shows_its_history_row_beside_the_one_before(api, project, document, people):
    services.document_update(document=document, user=people["manager"], title="Diary")
    event = AuditEvent.objects.filter(kind="document", object_id=document.pk).order_by("-id").first()
    response = api["auditor"].get(reverse("api:audit-detail", kwargs={"event_id": event.pk}))
    assert response.status_code == 200
    body = response.json()
    changed = {v["name"]: (v["old"], v["new"]) for v in body["values"] if v["changed"]}
    assert changed["title"] == ("Notebook", "Diary")
    assert body["previous_event_id"] and body["next_event_id"] is None
    assert body["history_url"] == history_url(project, "document", document.pk)


def test_another_projects_event_is_404_and_a_member_without_the_right_gets_403(api, project, document, admin_user):
    hidden = make_project(admin_user, slug="hidden")
    foreign = AuditEvent.objects.filter(project=hidden).first()
    assert api["auditor"].get(reverse("api:audit-detail", kwargs={"event_id": foreign.pk})).status_code == 404
    ours = AuditEvent.objects.filter(project=project).first()
    assert api["translator"].get(reverse("api:audit-detail", kwargs={"event_id": ours.pk})).status_code == 403
    assert api["auditor"].get(reverse("api:audit-detail", kwargs={"event_id": 10**17})).status_code == 404
    assert api["auditor"].get(f"/api/v1/audit/{2**70}/").status_code == 404
    assert api["siteadmin"].get(reverse("api:audit-detail", kwargs={"event_id": foreign.pk})).status_code == 200


def test_the_audit_trail_is_read_only(api, project):
    event = AuditEvent.objects.filter(project=project).first()
    for method in ("post", "put", "patch", "delete"):
        for url in (reverse("api:audit-list"), reverse("api:audit-detail", kwargs={"event_id": event.pk})):
            response = getattr(api["auditor"], method)(url, {}, format="json")
            assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
