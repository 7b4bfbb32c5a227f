"""Every page and htmx endpoint of the material, walked for every kind of visitor.

The table below must name every URL pattern in translations/urls.py, so a new
view cannot escape this test. Expected answers: anonymous → login redirect;
non-member → 404 (indistinguishable from a missing object); member whose
role lacks the action → 403; another project's object reached through one's
own project's address → 404.
"""

import io

import pytest
from django.urls import get_resolver, reverse
from PIL import Image

from tests.factories import make_document, make_project
from translations import services, urls as translation_urls
from translations.models import Role
from translations.permissions import ROLE_ACTIONS, Action

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
}


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return io.BytesIO(buffer.getvalue())


def material(project, user):
    document = make_document(project, user, title=f"Doc of {project.slug}")
    segment = document.segments.first()
    translation = services.translation_create(segment=segment, user=user, language="en", text="Text.")
    image = services.document_image_add(document=document, user=user, upload=png(), filename="p.png")
    return {"slug": project.slug, "document_id": document.pk, "segment_id": segment.pk,
            "translation_id": translation.pk, "image_id": image.pk, "language": "en"}


def address(name, ids):
    pattern = next(p for p in translation_urls.urlpatterns if p.name == name)
    wanted = pattern.pattern.converters.keys()
    return reverse(name, kwargs={key: ids[key] for key in wanted})


@pytest.fixture
def two_projects(project, admin_user, people):
    mine = material(project, people["manager"])
    other = make_project(admin_user, slug="other", members={people["outsider"]: Role.MANAGER})
    theirs = material(other, people["outsider"])
    return mine, theirs


def test_the_table_names_every_url_pattern():
    names = {p.name for p in translation_urls.urlpatterns}
    assert names == set(TABLE)
    assert all(name in get_resolver().reverse_dict for name in names)


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


@pytest.mark.parametrize("name", [n for n in TABLE if n not in ("project_dashboard", "document_create")])
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
    if action in ROLE_ACTIONS[role]:
        assert status != 403 and status != 404 and status < 500, status
    else:
        assert status == 403
