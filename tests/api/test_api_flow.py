"""The whole review flow over HTTP with API tokens only, as a newsroom's script would
drive it: a manager creates a document and its segments, two translators submit
candidates, a reviewer approves one version, a stale decision and a stale edit hit
409, and an auditor reads the approved rendering and the audit trail."""

from django.urls import reverse

from reviews.models import Review
from translations.models import Translation


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


def test_the_review_flow_end_to_end_with_tokens_only(api, project):
    slug = project.slug
    manager, translator, translator2 = api["manager"], api["translator"], api["translator2"]
    reviewer, auditor = api["reviewer"], api["auditor"]

    # A manager creates the document, with its provenance, and its segments.
    created = manager.post(url("document-list", slug=slug), {
        "title": "Notebook found near Kursk", "obtained_from": "Ukrainian SOF", "authenticity": "unverified",
    }, format="json")
    assert created.status_code == 201, created.content
    document_id = created.json()["id"]
    segments = manager.post(url("segment-list", slug=slug, document_id=document_id),
                            {"text": "어머니, 걱정하지 마십시오.\n살아서 돌아가겠다.", "mode": "line"}, format="json")
    assert segments.status_code == 201, segments.content
    first, second = segments.json()["segments"]
    assert (first["position"], second["position"]) == (1, 2)

    # Two translators submit candidates for the first segment; one for the second.
    candidate = translator.post(url("translation-list", slug=slug, segment_id=first["id"]),
                                {"language": "en", "text": "Mother, do not worry."}, format="json")
    assert candidate.status_code == 201, candidate.content
    candidate = candidate.json()
    assert (candidate["state"], candidate["version"]) == ("submitted", 1)
    rival = translator2.post(url("translation-list", slug=slug, segment_id=first["id"]),
                             {"language": "en", "text": "Mom, don't worry."}, format="json")
    assert rival.status_code == 201
    other = translator.post(url("translation-list", slug=slug, segment_id=second["id"]),
                            {"language": "en", "text": "I will come back alive."}, format="json").json()

    # The reviewer sees them in the queue and approves version 1 of the first.
    queue = reviewer.get(url("review-queue")).json()
    assert {item["id"] for item in queue["results"]} >= {candidate["id"], rival.json()["id"], other["id"]}
    approved = reviewer.post(url("review-list", slug=slug, translation_id=candidate["id"]),
                             {"version": 1, "decision": "approve", "comment": "Faithful."}, format="json")
    assert approved.status_code == 201, approved.content

    # The translator edits it (version 2); an edit naming version 1 again is a conflict.
    edited = translator.patch(url("translation-detail", slug=slug, translation_id=candidate["id"]),
                              {"base_version": 1, "text": "Mother, please do not worry."}, format="json")
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale_edit = translator.patch(url("translation-detail", slug=slug, translation_id=candidate["id"]),
                                  {"base_version": 1, "text": "Mum, no worries."}, format="json")
    assert stale_edit.status_code == 409
    conflict = stale_edit.json()["error"]
    assert conflict["code"] == "edit_conflict"
    assert conflict["details"]["current_text"] == "Mother, please do not worry."
    assert conflict["details"]["attempted_text"] == "Mum, no worries."

    # A decision on version 1, which is no longer current, is refused with 409 and records nothing.
    reviews_before = Review.objects.count()
    stale = api["reviewer2"].post(url("review-list", slug=slug, translation_id=candidate["id"]),
                                  {"version": 1, "decision": "approve"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["error"]["details"]["current_version"] == 2
    assert Review.objects.count() == reviews_before

    # Approve the second segment too; the published text of the first is still version 1's.
    assert reviewer.post(url("review-list", slug=slug, translation_id=other["id"]),
                         {"version": 1, "decision": "approve"}, format="json").status_code == 201

    # The auditor reads the approved rendering: only approved versions' text.
    rendering = auditor.get(url("rendering", slug=slug, document_id=document_id, language="en"))
    assert rendering.status_code == 200, rendering.content
    assert [row["published_text"] for row in rendering.json()["segments"]] == [
        "Mother, do not worry.", "I will come back alive."]
    assert rendering.json()["is_complete"] is True
    assert "Mother, please do not worry." not in rendering.content.decode()

    # ... and the audit trail names who did what, newest first.
    trail = auditor.get(url("audit-list"), {"project": slug})
    assert trail.status_code == 200, trail.content
    events = trail.json()["results"]
    assert events, "the audit trail is empty"
    actors = {event["actor"]["username"] for event in events if event["actor"]}
    assert {"manager", "translator", "translator2", "reviewer"} <= actors
    assert any(event["kind"] == "review" and event["actor"]["username"] == "reviewer" for event in events)

    # The auditor changes nothing.
    refused = auditor.post(url("review-list", slug=slug, translation_id=other["id"]),
                           {"version": 1, "decision": "reject", "comment": "no"}, format="json")
    assert refused.status_code == 403
    assert Translation.objects.get(pk=candidate["id"]).published_version == 1
