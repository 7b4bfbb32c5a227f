"""Invariant 9: nobody sees or changes another project's material; roles limit what members do."""

import pytest
from django.urls import reverse

from reviews.services import comment_create, review_record
from tests.factories import make_document, make_project
from translations import services
from translations.exceptions import NotAllowed
from translations.models import Role, Segment
from translations.permissions import Action, can


@pytest.fixture
def other(admin_user, people):
    """Project B, where only translator2 works; plus its material."""
    project_b = make_project(admin_user, slug="project-b", members={people["translator2"]: Role.MANAGER})
    document_b = make_document(project_b, people["translator2"], title="Secret letter")
    segment_b = document_b.segments.first()
    translation_b = services.translation_create(segment=segment_b, user=people["translator2"], language="en", text="Secret.")
    return {"project": project_b, "document": document_b, "segment": segment_b, "translation": translation_b}


ATTEMPTS = {
    "create document": lambda u, o: services.document_create(project=o["project"], user=u, title="Mine now"),
    "edit provenance": lambda u, o: services.document_update(document=o["document"], user=u, obtained_from="Me"),
    "add segment": lambda u, o: services.segment_create(document=o["document"], user=u, source_text="끼어든 줄."),
    "paste text": lambda u, o: services.segments_append_from_text(document=o["document"], user=u, text="가.\n나."),
    "edit segment": lambda u, o: services.segment_edit(segment=o["segment"], user=u, base_version=1, source_text="바꿈."),
    "delete segment": lambda u, o: services.segment_delete(segment=o["segment"], user=u, base_version=1),
    "translate": lambda u, o: services.translation_create(segment=o["segment"], user=u, language="en", text="Mine."),
    "edit translation": lambda u, o: services.translation_edit(translation=o["translation"], user=u, base_version=1, text="X"),
    "review": lambda u, o: review_record(translation=o["translation"], reviewer=u, version=1, decision="approve"),
    "comment": lambda u, o: comment_create(user=u, segment=o["segment"], body="Hello."),
    "add member": lambda u, o: services.membership_set(project=o["project"], user=u, member=u, role="manager"),
    "change policy": lambda u, o: services.project_policy_update(
        project=o["project"], user=u, required_approvals=1, allow_self_approval=True, reason="x"),
}


@pytest.mark.parametrize("attempt", ATTEMPTS)
@pytest.mark.parametrize("who", ["manager", "reviewer", "translator", "auditor", "outsider"])
def test_a_user_of_project_a_cannot_change_anything_of_project_b(project, other, people, who, attempt):
    before = Segment.history.count(), Segment.objects.count()
    with pytest.raises(NotAllowed):
        ATTEMPTS[attempt](people[who], other)
    assert (Segment.history.count(), Segment.objects.count()) == before


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_an_auditor_reads_but_changes_nothing(project, document, people, attempt):
    segment = document.segments.first()
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="T.")
    own = {"project": project, "document": document, "segment": segment, "translation": translation}
    with pytest.raises(NotAllowed):
        ATTEMPTS[attempt](people["auditor"], own)
    assert can(people["auditor"], Action.VIEW, project) and can(people["auditor"], Action.VIEW_AUDIT, project)


def test_translators_cannot_review_or_manage(project, people):
    translator = people["translator"]
    assert can(translator, Action.TRANSLATE, project)
    for action in (Action.REVIEW, Action.MANAGE_MEMBERS, Action.MANAGE_POLICY, Action.DOWNLOAD_ORIGINAL,
                   Action.VIEW_AUDIT, Action.CREATE_DOCUMENT):
        assert not can(translator, action, project), action


def test_home_lists_only_the_users_projects(client, project, other, people):
    client.force_login(people["translator"])
    page = client.get(reverse("home")).content.decode()
    assert "Recovered Notes" in page
    assert "Project B" not in page
    client.force_login(people["outsider"])
    page = client.get(reverse("home")).content.decode()
    assert "Recovered Notes" not in page and "not a member of any project" in page


def test_the_admin_is_for_staff_only(client, people):
    client.force_login(people["manager"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_material_cannot_be_edited_through_the_admin_even_by_site_admins(client, admin_user, other):
    client.force_login(admin_user)
    translation = other["translation"]
    change_url = reverse("admin:translations_translation_change", args=[translation.pk])
    response = client.post(change_url, {"text": "rewritten in admin"})
    assert response.status_code == 403
    translation.refresh_from_db()
    assert translation.text == "Secret."
    assert client.get(reverse("admin:translations_translation_history", args=[translation.pk])).status_code == 200
