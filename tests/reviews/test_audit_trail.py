"""The audit trail: every history row indexed, scoped, filterable, keyset-paginated;
and no path through the UI or admin changes a history row."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from reviews.models import AuditEvent
from reviews.selectors.audit import audit_page
from reviews.services import comment_create, review_record
from tests.factories import make_document, make_project
from translations import services
from translations.history import bulk_create_tracked
from translations.management.commands.verify_history import tracked_models
from translations.models import Role, Segment


@pytest.fixture
def activity(project, document, segment, people):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    services.translation_edit(translation=t, user=people["translator"], base_version=1, text="One!")
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="고친 줄.")
    comment_create(user=people["reviewer"], segment=segment, body="Checked against the photo.")
    services.membership_remove(project=project, user=people["manager"], member=people["translator2"])
    return t


def test_every_history_row_has_exactly_one_event_with_the_same_actor_reason_and_action(activity):
    rows = 0
    for model in tracked_models():
        history = model.history.model
        label = model._meta.label_lower
        for row in history.objects.all():
            event = AuditEvent.objects.get(history_label=label, history_id=row.history_id)
            assert (event.actor_id, event.reason, event.action, event.object_id) == (
                row.history_user_id, row.history_change_reason, row.history_type, row.id)
            rows += 1
    assert AuditEvent.objects.count() == rows


def test_events_carry_their_project_and_document(activity, project, document):
    for kind in ("segment", "translation", "review", "comment"):
        events = AuditEvent.objects.filter(kind=kind)
        assert events.exists()
        assert set(events.values_list("project_id", "document_id")) == {(project.pk, document.pk)}
    assert AuditEvent.objects.filter(kind="membership", action="-", project=project).count() == 1


def test_the_trail_page_lists_changes_with_actor_reason_and_filters(client, activity, people, project, document):
    client.force_login(people["auditor"])
    page = client.get(reverse("audit_trail")).content.decode()
    assert "Corrected transcription" in page and "Approve version 1" in page
    response = client.get(reverse("audit_trail"), {"project": project.slug, "actor": "translator"})
    assert {e.actor.username for e in response.context["events"]} == {"translator"}
    response = client.get(reverse("audit_trail"), {"kind": "review"})
    assert [e.kind for e in response.context["events"]] == ["review"]
    response = client.get(reverse("audit_trail"), {"action": "deleted"})
    assert [e.kind for e in response.context["events"]] == ["membership"]
    response = client.get(reverse("audit_trail"), {"q": "photo"})
    assert [e.kind for e in response.context["events"]] == ["comment"]
    response = client.get(reverse("audit_trail"), {"document": document.pk, "since": "2000-01-01", "until": "2999-01-01"})
    assert response.context["events"] and all(e.document_id == document.pk for e in response.context["events"])
    response = client.get(reverse("audit_trail"), {"since": "not-a-date", "before": "x", "kind": "<script>"})
    assert response.status_code == 200


def test_auditors_see_only_their_projects_and_others_are_refused(client, activity, admin_user, people):
    other = make_project(admin_user, slug="other", members={people["outsider"]: Role.MANAGER})
    make_document(other, people["outsider"], title="Elsewhere")
    client.force_login(people["auditor"])
    events = client.get(reverse("audit_trail")).context["events"]
    assert events and all(e.project_id != other.pk for e in events)
    client.force_login(people["translator"])
    assert client.get(reverse("audit_trail")).status_code == 403
    client.force_login(admin_user)
    assert any(e.project_id == other.pk for e in client.get(reverse("audit_trail")).context["events"])
    client.logout()
    assert client.get(reverse("audit_trail")).status_code == 302


def test_keyset_pages_follow_each_other_and_page_40_costs_what_page_1_costs(
    client, project, document, people, django_assert_max_num_queries
):
    bulk_create_tracked(
        [Segment(document=document, position=10 + n, source_text=f"{n}", source_hash=f"{n}") for n in range(2000)],
        user=people["manager"], reason="Bulk transcription",
    )
    first, cursor = audit_page(people["auditor"], {})
    second, _ = audit_page(people["auditor"], {}, before=cursor)
    assert first[-1].id > second[0].id and not {e.id for e in first} & {e.id for e in second}
    for _ in range(38):
        _, cursor = audit_page(people["auditor"], {}, before=cursor)
    client.force_login(people["auditor"])
    client.get(reverse("audit_trail"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page_one:
        client.get(reverse("audit_trail"))
    with django_assert_max_num_queries(len(page_one.captured_queries)):
        response = client.get(reverse("audit_trail"), {"before": cursor})
    assert len(response.context["events"]) == 50


def test_site_admins_verify_history_from_the_page_and_see_the_result(client, activity, admin_user, people):
    client.force_login(people["manager"])
    assert client.post(reverse("audit_verify")).status_code == 403
    client.force_login(admin_user)
    response = client.post(reverse("audit_verify"), follow=True)
    page = response.content.decode()
    assert "match their latest history" in page and "no drift" in page


def test_no_admin_path_changes_or_deletes_a_history_row(client, activity, admin_user):
    client.force_login(admin_user)
    counts = {model: model.history.count() for model in tracked_models()}
    for model in tracked_models():
        if model not in admin.site._registry:
            continue
        history = model.history.model
        assert history not in admin.site._registry  # historical rows have no admin of their own
        row = history.objects.first()
        if row is None:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_history", args=[row.id])).status_code == 200
        url = reverse(f"{name}_simple_history", args=[row.id, row.history_id])
        assert client.post(url, {"_change_history": "1"}).status_code == 403
    assert counts == {model: model.history.count() for model in tracked_models()}
    assert not any(apps.get_model(m._meta.label).__name__.startswith("Historical") for m in admin.site._registry)
