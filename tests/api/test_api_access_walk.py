"""Every API route, walked for every kind of caller, with tokens only.

The same matrix as the web's access walk (tests/translations/test_access_walk.py,
whose RIGHTS table this reuses), answered in the API's terms: no token → 401;
non-member → 404 (indistinguishable from a missing object); a member whose role
lacks the action → 403; another project's object through one's own project's
address → 404; site admins reach everything. The tables must name every route
of the ``api`` namespace, so a new endpoint cannot escape this test.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from reviews.models import ErrorAnnotation
from tests.api.conftest import token_client
from tests.factories import make_project
from tests.translations.test_access_walk import RIGHTS, material
from translations.history import save_tracked
from translations.models import Role, Translation
from translations.permissions import Action

V, TRANSCRIBE, TRANSLATE, COMMENT, REVIEW = Action.VIEW, Action.TRANSCRIBE, Action.TRANSLATE, Action.COMMENT, Action.REVIEW
MANAGE_DOCS, MEMBERS, POLICY, AUDIT = Action.MANAGE_DOCUMENTS, Action.MANAGE_MEMBERS, Action.MANAGE_POLICY, Action.VIEW_AUDIT

# name: {method: action}. Writes are sent with an empty JSON body: a caller with the
# right gets a validation answer (400) or success, never 403/404/5xx.
TABLE = {
    "project-detail": {"GET": V},
    "member-list": {"GET": V, "POST": MEMBERS},
    "member-detail": {"GET": V, "PATCH": MEMBERS, "DELETE": MEMBERS},
    "document-list": {"GET": V, "POST": Action.CREATE_DOCUMENT},
    "document-detail": {"GET": V, "PATCH": MANAGE_DOCS},
    "image-list": {"GET": V, "POST": TRANSCRIBE},
    "image-detail": {"GET": V},
    "image-display": {"GET": V},
    "image-original": {"GET": Action.DOWNLOAD_ORIGINAL},
    "segment-list": {"GET": V, "POST": TRANSCRIBE},
    "segment-detail": {"GET": V, "PATCH": TRANSCRIBE, "DELETE": TRANSCRIBE},
    "segment-split": {"POST": TRANSCRIBE},
    "segment-merge": {"POST": TRANSCRIBE},
    "segment-move": {"POST": TRANSCRIBE},
    "segment-restore": {"POST": TRANSCRIBE},
    "translation-list": {"GET": V, "POST": TRANSLATE},
    "document-translation-list": {"GET": V},
    "translation-detail": {"GET": V, "PATCH": TRANSLATE},
    "translation-submit": {"POST": TRANSLATE},
    "review-list": {"GET": V, "POST": REVIEW},
    "segment-comment-list": {"GET": V, "POST": COMMENT},
    "translation-comment-list": {"GET": V, "POST": COMMENT},
    "rendering": {"GET": V},
    "document-as-of": {"GET": V},
    "history": {"GET": V},
    "project-audit-list": {"GET": AUDIT},
    "document-export": {"GET": V},
    "project-export": {"GET": V},
    "document-import": {"POST": TRANSCRIBE},
    "webhook-list": {"GET": POLICY, "POST": POLICY},
    "webhook-detail": {"GET": POLICY, "PATCH": POLICY, "DELETE": POLICY},
    "webhook-delivery-list": {"GET": POLICY},
    "glossary-term-list": {"GET": V, "POST": POLICY},
    "glossary-term-detail": {"GET": V, "PATCH": POLICY, "DELETE": POLICY},
    "segment-suggestions": {"GET": V},
    "memory-entry-list": {"GET": V},
    "finding-list": {"GET": V},
    "finding-dismiss": {"POST": TRANSLATE},  # the web's may_dismiss: translate or review
    "translation-quality": {"GET": V, "POST": REVIEW},
    "annotation-detail": {"DELETE": REVIEW},
    "document-quality": {"GET": V},
    "back-translation-list": {"GET": V, "POST": REVIEW},
}
# Not scoped to a project in the address: any caller with a token; what they show is
# limited to the caller's projects (tested in the resources' own tests).
UNSCOPED = {"project-list", "token-list", "token-detail", "review-queue", "review-queue-decide", "audit-list",
            "audit-detail", "schema", "docs", "my-back-translations", "back-translation-answer"}
# Names with no project in the address but an object whose project decides: non-members get 404.
OBJECT_SCOPED = {"audit-detail": "event_id"}
# Left out of the cross-project walk: addresses with no object of the project in them.
PROJECT_WIDE = {"project-detail", "member-list", "member-detail", "document-list", "project-audit-list", "project-export",
                "webhook-list", "glossary-term-list", "memory-entry-list"}


def api_patterns() -> dict[str, dict]:
    found = {}

    def walk(patterns, converters, inside):
        for pattern in patterns:
            merged = {**converters, **pattern.pattern.converters}
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, merged, inside or getattr(pattern, "namespace", None) == "api")
            elif inside and pattern.name:
                found[pattern.name] = merged

    walk(get_resolver().url_patterns, {}, False)
    return found


def api_material(project, owner, webhook_owner):
    ids = material(project, owner)
    ids.update(username="translator" if project.slug != "other" else "outsider",
               kind="translation", object_id=ids["translation_id"], fmt="xliff", pk=0)
    # An annotation by a reviewer who is not the candidate's author: its reviewer may withdraw
    # it, a manager is asked for a reason (400), the rest lack Action.REVIEW.
    reviewer = get_user_model().objects.get(username="reviewer" if project.slug != "other" else "outsider")
    translation = Translation.objects.get(pk=ids["translation_id"])
    annotation = save_tracked(ErrorAnnotation(
        translation=translation, version=translation.version, text=translation.text, text_hash="walk", start=0,
        end=1, dimension="accuracy", severity="minor", reviewer=reviewer), user=reviewer, reason="Access walk")
    ids.update(annotation_id=annotation.pk, back_translation_id=1)
    return ids


def address(name, ids):
    wanted = api_patterns()[name]
    return reverse(f"api:{name}", kwargs={key: ids[key] for key in wanted})


def call(client, name, method, ids):
    path = address(name, ids)
    if method == "GET":
        return client.get(path)
    return getattr(client, method.lower())(path, {}, format="json")


@pytest.fixture
def walk(project, admin_user, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    mine = api_material(project, people["manager"], people["manager"])
    other = make_project(admin_user, slug="other", members={people["outsider"]: Role.MANAGER})
    theirs = api_material(other, people["outsider"], people["outsider"])
    return mine, theirs


def cases():
    return [(name, method) for name, methods in TABLE.items() for method in methods]


def test_the_tables_name_every_api_route():
    assert set(api_patterns()) == set(TABLE) | UNSCOPED


@pytest.mark.parametrize(("name", "method"), cases() + [(n, "GET") for n in sorted(UNSCOPED - {"schema", "docs"})])
def test_callers_without_a_token_get_401(walk, name, method):
    mine, _ = walk
    ids = {**mine, "pk": 1, "event_id": 1}
    response = call(APIClient(), name, method, ids)
    assert response.status_code == 401, response.content[:300]
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(("name", "method"), cases())
def test_non_members_get_404(walk, people, name, method):
    _, theirs = walk
    response = call(token_client(people["translator"]), name, method, theirs)
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize(("name", "method"), [c for c in cases() if c[0] not in PROJECT_WIDE])
def test_another_projects_objects_through_ones_own_address_are_404(walk, people, name, method):
    mine, theirs = walk
    crossed = {**theirs, "slug": mine["slug"], "username": "translator"}
    response = call(token_client(people["manager"]), name, method, crossed)
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize("role", ["translator", "reviewer", "manager", "auditor"])
@pytest.mark.parametrize(("name", "method"), cases())
def test_members_get_403_exactly_where_their_role_lacks_the_right(walk, people, role, name, method):
    mine, _ = walk
    status = call(token_client(people[role]), name, method, mine).status_code
    if TABLE[name][method] in RIGHTS[role]:
        assert status not in (401, 403, 404) and status < 500, status
    else:
        assert status == 403, status


@pytest.mark.parametrize(("name", "method"), cases())
def test_site_admins_reach_every_projects_routes(walk, admin_user, name, method):
    mine, theirs = walk
    client = token_client(admin_user)
    for ids in (mine, theirs):
        status = call(client, name, method, ids).status_code
        assert status not in (401, 403, 404) and status < 500, (ids["slug"], status)


@pytest.mark.parametrize("role", ["translator", "auditor"])
def test_another_projects_audit_event_is_404(walk, people, role):
    _, theirs = walk
    response = token_client(people[role]).get(reverse("api:audit-detail", kwargs={"event_id": theirs["event_id"]}))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["translator", "reviewer", "manager", "auditor", "outsider"])
@pytest.mark.parametrize("name", sorted(UNSCOPED - {"token-detail", "audit-detail", "review-queue-decide",
                                                    "back-translation-answer"}))
def test_unscoped_routes_answer_every_caller_without_error(walk, people, role, name):
    response = token_client(people[role]).get(reverse(f"api:{name}"))
    assert response.status_code < 500 and response.status_code != 404, response.status_code
