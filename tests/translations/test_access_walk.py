"""Every page and htmx endpoint, walked for every kind of visitor.

The tables below must name every URL pattern the root resolver knows (admin
aside, tested in tests/hardening), so a new view cannot escape this test.
Expected answers: anonymous → login redirect; non-member → 404
(indistinguishable from a missing object); member whose role lacks the action
→ 403; another project's object reached through one's own project's address
→ 404; site admins reach everything.

RIGHTS is written out here rather than imported from translations.permissions,
so that widening a role in the code fails this test until the table agrees.
"""

import io

import pytest
from django.urls import get_resolver, reverse
from PIL import Image

from tests.factories import make_document, make_project
from translations import services
from translations.models import Role
from translations.permissions import Action

TABLE = {
    # name: (method, action)
    "project_dashboard": ("GET", Action.VIEW),
    "document_create": ("GET", Action.CREATE_DOCUMENT),
    "document_detail": ("GET", Action.VIEW),
    "document_edit": ("GET", Action.MANAGE_DOCUMENTS),
    "document_history": ("GET", Action.VIEW),
    "image_upload": ("POST", Action.TRANSCRIBE),
    "image_display": ("GET", Action.VIEW),
    "image_original": ("GET", Action.DOWNLOAD_ORIGINAL),
    "transcription": ("GET", Action.VIEW),
    "segments_paste": ("POST", Action.TRANSCRIBE),
    "segment_save": ("POST", Action.TRANSCRIBE),
    "segment_split": ("POST", Action.TRANSCRIBE),
    "segment_merge": ("POST", Action.TRANSCRIBE),
    "segment_move": ("POST", Action.TRANSCRIBE),
    "segment_delete": ("POST", Action.TRANSCRIBE),
    "segment_restore": ("POST", Action.TRANSCRIBE),
    "segment_history": ("GET", Action.VIEW),
    "workspace": ("GET", Action.VIEW),
    "translation_create": ("POST", Action.TRANSLATE),
    "translation_save": ("POST", Action.TRANSLATE),
    "translation_history": ("GET", Action.VIEW),
    "segment_comments": ("GET", Action.VIEW),
    "approved_rendering": ("GET", Action.VIEW),
    "project_policy": ("GET", Action.MANAGE_POLICY),
    "document_as_of": ("GET", Action.VIEW),
    "document_exports": ("GET", Action.VIEW),
    "document_export": ("GET", Action.VIEW),
    "project_export": ("GET", Action.VIEW),
    "document_import": ("GET", Action.TRANSCRIBE),
    "document_packet_docx": ("GET", Action.VIEW),
    "document_packet_html": ("GET", Action.VIEW),
    "segment_restore_version": ("POST", Action.MANAGE_DOCUMENTS),
    "translation_restore_version": ("POST", Action.MANAGE_DOCUMENTS),
    "glossary": ("GET", Action.VIEW),
    "glossary_term_create": ("POST", Action.MANAGE_POLICY),
    "glossary_term_edit": ("GET", Action.MANAGE_POLICY),
    "glossary_term_delete": ("POST", Action.MANAGE_POLICY),
    "glossary_import": ("GET", Action.MANAGE_POLICY),
    "glossary_export": ("GET", Action.VIEW),
    "check_finding_dismiss": ("POST", Action.TRANSLATE),
    "translation_quality": ("GET", Action.VIEW),
    "translation_annotate": ("POST", Action.REVIEW),
    "translation_annotation_delete": ("POST", Action.REVIEW),
    "back_translation_request": ("POST", Action.REVIEW),
    "document_quality": ("GET", Action.VIEW),
    "memory": ("GET", Action.VIEW),
    "memory_export": ("GET", Action.VIEW),
    "memory_import": ("POST", Action.MANAGE_POLICY),
    "memory_origin_remove": ("POST", Action.MANAGE_POLICY),
    "segment_aids": ("GET", Action.VIEW),
    "project_webhooks": ("GET", Action.MANAGE_POLICY),
    "webhook_change": ("POST", Action.MANAGE_POLICY),
}
_TRANSLATOR = {Action.VIEW, Action.TRANSCRIBE, Action.TRANSLATE, Action.COMMENT}
RIGHTS = {
    "translator": _TRANSLATOR,
    "reviewer": _TRANSLATOR | {Action.REVIEW, Action.VERIFY_TRANSCRIPTION},
    "manager": _TRANSLATOR | {Action.REVIEW, Action.VERIFY_TRANSCRIPTION, Action.FINAL_EDIT, Action.CREATE_DOCUMENT,
                              Action.MANAGE_DOCUMENTS, Action.MANAGE_MEMBERS, Action.MANAGE_POLICY,
                              Action.DOWNLOAD_ORIGINAL, Action.VIEW_AUDIT},
    "auditor": {Action.VIEW, Action.VIEW_AUDIT},
}
# Not scoped to one project in the address: any signed-in user reaches them;
# what they show or change is limited by the services (tested in tests/reviews).
UNSCOPED = {"home", "review_queue", "review_bulk", "notification_preferences", "audit_trail", "audit_verify", "audit_export",
            "password_change", "password_change_done", "back_translations", "api_tokens", "api_token_revoke"}
# Scoped by the object in the address: a non-member gets 404.
OBJECT_SCOPED = {"review_decide": ("POST", "translation_id"), "audit_event": ("GET", "event_id")}
PUBLIC = {"healthz", "login", "logout"}


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return io.BytesIO(buffer.getvalue())


def material(project, user):
    document = make_document(project, user, title=f"Doc of {project.slug}")
    segment = document.segments.first()
    translation = services.translation_create(segment=segment, user=user, language="en", text="Text.")
    image = services.document_image_add(document=document, user=user, upload=png(), filename="p.png")
    from reviews.models import AuditEvent

    term = services.glossary_term_create(project=project, user=user, language="en", source_term="줄", approved=["line"])
    from reviews.models import CheckFinding
    from translations.history import save_tracked

    finding = save_tracked(CheckFinding(translation=translation, version=translation.version, check_id="walk",
                                        severity="info", message="Walk."), user=user, reason="Access walk")
    from reviews.models import Webhook
    from translations.services.tokens import api_token_create

    hook = save_tracked(Webhook(project=project, url="https://hooks.example.org/walk", secret="walk",
                                events=["translation.approved"], created_by=user), user=user, reason="Access walk")
    token, _ = api_token_create(user=user, name="Access walk")
    event = AuditEvent.objects.filter(project=project).order_by("-id").first()
    return {"slug": project.slug, "document_id": document.pk, "segment_id": segment.pk,
            "translation_id": translation.pk, "image_id": image.pk, "language": "en", "event_id": event.pk,
            "fmt": "csv", "format": "csv", "term_id": term.pk, "finding_id": finding.pk, "webhook_id": hook.pk,
            "token_id": token.pk}


def app_patterns():
    """Every named URL pattern outside the admin, with its converters."""
    found = {}

    def walk(patterns, prefix_converters):
        for pattern in patterns:
            converters = {**prefix_converters, **pattern.pattern.converters}
            if hasattr(pattern, "url_patterns"):
                if getattr(pattern, "namespace", None) in ("admin", "api"):
                    continue  # the admin: tests/hardening; the API: tests/api/test_api_access_walk.py
                walk(pattern.url_patterns, converters)
            elif pattern.name:
                found[pattern.name] = converters

    walk(get_resolver().url_patterns, {})
    return found


def address(name, ids):
    wanted = app_patterns()[name].keys()
    return reverse(name, kwargs={key: ids[key] for key in wanted})


@pytest.fixture
def two_projects(project, admin_user, people):
    mine = material(project, people["manager"])
    other = make_project(admin_user, slug="other", members={people["outsider"]: Role.MANAGER})
    theirs = material(other, people["outsider"])
    return mine, theirs


def test_the_tables_name_every_url_pattern():
    assert set(app_patterns()) == set(TABLE) | UNSCOPED | set(OBJECT_SCOPED) | PUBLIC


@pytest.mark.parametrize("name", sorted(UNSCOPED | set(OBJECT_SCOPED)))
def test_unscoped_pages_need_a_login(client, two_projects, name):
    mine, _ = two_projects
    method = OBJECT_SCOPED.get(name, ("GET",))[0]
    path = address(name, mine)
    response = client.get(path) if method == "GET" else client.post(path)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_deciding_on_another_projects_translation_is_404(client, two_projects, people):
    _, theirs = two_projects
    client.force_login(people["reviewer"])
    response = client.post(address("review_decide", theirs), {"version": 1, "decision": "approve"})
    assert response.status_code == 404


def request(client, name, ids):
    method, _ = TABLE[name]
    path = address(name, ids)
    return client.get(path) if method == "GET" else client.post(path, {}, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("name", TABLE)
def test_anonymous_visitors_are_sent_to_log_in(client, two_projects, name):
    mine, _ = two_projects
    response = request(client, name, mine)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", TABLE)
def test_non_members_get_404(client, two_projects, people, name):
    _, theirs = two_projects
    client.force_login(people["translator"])
    assert request(client, name, theirs).status_code == 404


@pytest.mark.parametrize("name", [n for n in TABLE if n not in ("project_dashboard", "document_create", "project_policy", "project_export", "glossary", "glossary_term_create", "glossary_import", "glossary_export", "memory", "memory_export", "memory_import", "memory_origin_remove", "project_webhooks")])
def test_another_projects_objects_through_ones_own_address_are_404(client, two_projects, people, name):
    mine, theirs = two_projects
    client.force_login(people["manager"])
    crossed = {**theirs, "slug": mine["slug"]}
    assert request(client, name, crossed).status_code == 404


@pytest.mark.parametrize("role", ["translator", "reviewer", "manager", "auditor"])
@pytest.mark.parametrize("name", TABLE)
def test_members_get_403_exactly_where_their_role_lacks_the_right(client, two_projects, people, role, name):
    mine, _ = two_projects
    client.force_login(people[role])
    _, action = TABLE[name]
    status = request(client, name, mine).status_code
    if action in RIGHTS[role]:
        assert status != 403 and status != 404 and status < 500, status
    else:
        assert status == 403


@pytest.mark.parametrize("name", TABLE)
def test_site_admins_reach_every_projects_pages(client, two_projects, admin_user, name):
    mine, theirs = two_projects
    client.force_login(admin_user)
    for ids in (mine, theirs):
        status = request(client, name, ids).status_code
        assert status not in (403, 404) and status < 500, (ids["slug"], status)


@pytest.mark.parametrize("role", ["translator", "reviewer", "manager", "auditor", "outsider", "siteadmin"])
@pytest.mark.parametrize("name", sorted(UNSCOPED))
def test_unscoped_pages_answer_every_signed_in_user_without_error(client, two_projects, people, admin_user, role, name):
    mine, _ = two_projects
    client.force_login(admin_user if role == "siteadmin" else people[role])
    response = client.get(address(name, mine))
    assert response.status_code < 500 and response.status_code != 404, response.status_code


@pytest.mark.parametrize("role", ["manager", "auditor", "translator"])
def test_another_projects_audit_event_is_404(client, two_projects, people, role):
    _, theirs = two_projects
    client.force_login(people[role])
    assert client.get(address("audit_event", theirs)).status_code == 404
