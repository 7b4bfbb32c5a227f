"""The audit trail of someone who audits several projects, beside busier projects they cannot see."""

from django.urls import reverse

from reviews.models import AuditEvent
from reviews.selectors.audit import audit_events, audit_page
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role


def test_several_audited_projects_page_exactly_as_one_timeline(client, admin_user, people):
    """On PostgreSQL each project is read through its own index range (a UNION); the
    pages must be the plain newest-first timeline of those projects, nothing else."""
    audited = [make_project(admin_user, slug=f"audited-{n}", members={people["auditor"]: Role.AUDITOR}) for n in range(3)]
    busy = make_project(admin_user, slug="busy")
    for n in range(4):
        for project in (*audited, busy, busy):
            make_document(project, admin_user, title=f"Doc {n}", lines=[f"{k}번째 줄이다." for k in range(10)])
    services.document_create(project=busy, user=admin_user, title="The newest, unseen")
    expected = list(
        AuditEvent.objects.filter(project__in=audited).order_by("-id").values_list("id", flat=True)
    )
    assert len(expected) > 120 and AuditEvent.objects.filter(project=busy).count() > 0

    seen, before = [], None
    while True:
        rows, before = audit_page(people["auditor"], {}, before=before, size=50)
        seen += [row.id for row in rows]
        if before is None:
            break
    assert seen == expected
    kind_only = [row.id for row in audit_page(people["auditor"], {"kind": "segment"}, size=50)[0]]
    assert kind_only == list(audit_events(people["auditor"], {"kind": "segment"}).values_list("id", flat=True)[:50])
    client.force_login(people["auditor"])
    page = client.get(reverse("audit_trail")).content.decode()
    assert "The newest, unseen" not in page and "Older →" in page


def test_the_text_filter_finds_rare_and_common_words(client, project, people):
    document = make_document(project, people["manager"])
    segment = document.segments.first()
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="고친 줄.",
                          reason="Corrected a misread zzyzx character")
    client.force_login(people["auditor"])
    rare = client.get(reverse("audit_trail"), {"q": "ZZYZX"}).context["events"]
    assert [e.reason for e in rare] == ["Corrected a misread zzyzx character"]
    common = client.get(reverse("audit_trail"), {"q": "E"}).context["events"]
    matching = [e for e in AuditEvent.objects.order_by("-id") if "e" in (e.reason + e.summary).lower()]
    assert [e.pk for e in common] == [e.pk for e in matching[:50]]


def test_a_filter_that_matches_nobody_shows_an_empty_trail_across_projects(client, admin_user, people):
    """A person filter naming no user (actor 0) over several audited projects: an empty
    page, not an error (the per-project union must not be built from nothing)."""
    for n in range(2):
        project = make_project(admin_user, slug=f"audited-{n}", members={people["auditor"]: Role.AUDITOR})
        make_document(project, admin_user, title=f"Doc {n}")
    client.force_login(people["auditor"])
    newest = AuditEvent.objects.order_by("-id").first()
    response = client.get(reverse("audit_trail"), {"actor": "0", "kind": "project", "before": newest.pk})
    assert response.status_code == 200
    assert list(response.context["events"]) == []
