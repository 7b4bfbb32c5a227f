"""Back-translation: a reviewer asks another member to translate a rendering back
into the source language; the assignee writes it (or declines, saying why); it is
shown beside the source for comparison and never published."""

import io
import zipfile

import pytest
from django.urls import reverse

from reviews.models import BackTranslation, BackTranslationState
from reviews.services import (
    back_translation_complete,
    back_translation_decline,
    back_translation_request,
    review_record,
)
from tests.factories import make_document, make_project
from translations import services
from translations.exceptions import DomainError, EditConflict, NotAllowed
from translations.interchange import EXPORT_FORMATS
from translations.models import Role

MARKER = "되돌린 번역 표지"  # text that appears only in the back-translation


@pytest.fixture
def rendering(segment, people):
    return services.translation_create(segment=segment, user=people["translator"], language="en", text="The first line.")


def ask(rendering, people, assignee="translator2", **kwargs):
    rendering.refresh_from_db()
    return back_translation_request(
        translation=rendering, user=people["reviewer"], assignee=people[assignee] if isinstance(assignee, str) else assignee,
        base_version=rendering.version, **kwargs,
    )


def test_a_reviewer_asks_another_member_who_writes_it_and_it_shows_beside_the_source(client, rendering, people, project):
    client.force_login(people["reviewer"])
    response = client.post(reverse("back_translation_request", args=[project.slug, rendering.pk]),
                           {"version": 1, "assignee": people["translator2"].pk, "note": "Mind the honorific"})
    assert response.status_code == 302
    back = BackTranslation.objects.get()
    assert (back.version, back.rendering, back.assignee, back.state) == (1, "The first line.", people["translator2"], "requested")
    assert back.history.get().history_user == people["reviewer"]

    client.force_login(people["translator2"])
    mine = client.get(reverse("back_translations")).content.decode()
    assert "Mind the honorific" in mine and "The first line." in mine and "Waiting for you <span class=\"badge text-bg-secondary\">1" in mine
    response = client.post(reverse("back_translations"),
                           {"back_translation": back.pk, "action": "complete", "text": f"첫째 줄. {MARKER}"})
    assert response.status_code == 302
    back.refresh_from_db()
    assert back.state == BackTranslationState.DONE and back.completed_at and back.text.endswith(MARKER)

    client.force_login(people["reviewer2"])
    page = client.get(reverse("translation_quality", args=[project.slug, rendering.pk])).content.decode()
    assert MARKER in page and "for comparison — never published" in page
    assert "Back-translation of <strong class=\"text-body\">version 1</strong>" in page
    assert f'<p class="il-source-text mb-1" lang="ko">첫째 줄. {MARKER}</p>' in page


def test_the_back_translations_page_lists_only_ones_own_requests(client, rendering, people):
    ask(rendering, people, note="for translator2")
    ask(rendering, people, assignee="manager", note="for the manager")
    client.force_login(people["translator2"])
    page = client.get(reverse("back_translations")).content.decode()
    assert "for translator2" in page and "for the manager" not in page
    client.force_login(people["outsider"])
    page = client.get(reverse("back_translations")).content.decode()
    assert "Nobody is waiting for a back-translation from you." in page and "The first line." not in page


@pytest.mark.parametrize("assignee, error", [
    ("translator", DomainError),  # the rendering's author
    ("reviewer", DomainError),  # the reviewer who asks
    ("auditor", DomainError),  # does not translate
    ("outsider", DomainError),  # not a member
])
def test_back_translations_are_asked_of_another_translating_member(rendering, people, assignee, error):
    with pytest.raises(error):
        ask(rendering, people, assignee=assignee)
    assert not BackTranslation.objects.exists()


def test_translators_cannot_ask_and_a_stale_version_is_refused(rendering, people, client, project):
    with pytest.raises(NotAllowed):
        back_translation_request(translation=rendering, user=people["translator2"], assignee=people["reviewer2"],
                                 base_version=1)
    client.force_login(people["translator2"])
    assert client.post(reverse("back_translation_request", args=[project.slug, rendering.pk]),
                       {"version": 1, "assignee": people["reviewer2"].pk}).status_code == 403
    services.translation_edit(translation=rendering, user=people["translator"], base_version=1, text="Changed.")
    with pytest.raises(EditConflict):
        back_translation_request(translation=rendering, user=people["reviewer"], assignee=people["translator2"],
                                 base_version=1)
    assert not BackTranslation.objects.exists()


def test_the_same_open_request_is_not_made_twice(rendering, people):
    ask(rendering, people)
    with pytest.raises(DomainError):
        ask(rendering, people)


def test_hostile_requests_get_a_clear_answer(client, rendering, people, project):
    client.force_login(people["reviewer"])
    address = reverse("back_translation_request", args=[project.slug, rendering.pk])
    for data in ({}, {"version": 1, "assignee": "x"}, {"version": 1, "assignee": people["outsider"].pk},
                 {"version": 1, "assignee": people["translator2"].pk, "note": "a\x00b"}):
        response = client.post(address, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 400, (data, response.status_code)
    assert not BackTranslation.objects.exists()


def test_only_the_assignee_answers_and_only_once(client, rendering, people):
    back = ask(rendering, people)
    with pytest.raises(NotAllowed):
        back_translation_complete(back_translation=back, user=people["translator"], text="Mine.")
    client.force_login(people["translator"])
    response = client.post(reverse("back_translations"), {"back_translation": back.pk, "action": "complete", "text": "x"})
    assert response.status_code == 404
    response = client.post(reverse("back_translations"), {"back_translation": "abc", "action": "complete"})
    assert response.status_code == 400
    with pytest.raises(DomainError):
        back_translation_complete(back_translation=back, user=people["translator2"], text="   ")
    back_translation_complete(back_translation=back, user=people["translator2"], text="첫째 줄.")
    with pytest.raises(DomainError):
        back_translation_decline(back_translation=back, user=people["translator2"], reason="changed my mind")


def test_declining_needs_a_reason_that_the_reviewer_sees(client, rendering, people, project):
    back = ask(rendering, people)
    client.force_login(people["translator2"])
    response = client.post(reverse("back_translations"), {"back_translation": back.pk, "action": "decline", "reason": ""})
    assert response.status_code == 400 and "Say why you decline" in response.content.decode()
    back_translation_decline(back_translation=back, user=people["translator2"], reason="I read the source already")
    back.refresh_from_db()
    assert back.state == BackTranslationState.DECLINED
    client.force_login(people["reviewer"])
    page = client.get(reverse("translation_quality", args=[project.slug, rendering.pk])).content.decode()
    assert "Declined: I read the source already" in page


def test_a_back_translation_of_an_older_version_says_so(client, rendering, people, project):
    back = ask(rendering, people)
    back_translation_complete(back_translation=back, user=people["translator2"], text=MARKER)
    services.translation_edit(translation=rendering, user=people["translator"], base_version=1, text="The 1st line.")
    client.force_login(people["reviewer"])
    page = client.get(reverse("translation_quality", args=[project.slug, rendering.pk])).content.decode()
    assert "Made from version 1; the rendering is now at version 2" in page and "The first line." in page


def test_a_member_who_left_the_project_no_longer_sees_its_requests(client, rendering, people, project, admin_user):
    back = ask(rendering, people)
    services.membership_remove(project=project, user=admin_user, member=people["translator2"])
    client.force_login(people["translator2"])
    page = client.get(reverse("back_translations")).content.decode()
    assert "The first line." not in page
    with pytest.raises(NotAllowed):
        back_translation_complete(back_translation=back, user=people["translator2"], text="x")


def test_a_back_translation_is_never_published_exported_or_packed(client, rendering, people, project, document):
    back = ask(rendering, people)
    back_translation_complete(back_translation=back, user=people["translator2"], text=f"첫째 줄. {MARKER}")
    review_record(translation=rendering, reviewer=people["reviewer"], version=1, decision="approve")
    rendering.refresh_from_db()
    assert rendering.is_published and rendering.published_text == "The first line." and rendering.text == "The first line."

    client.force_login(people["manager"])
    pages = [
        reverse("approved_rendering", args=[project.slug, document.pk, "en"]),
        reverse("document_packet_html", args=[project.slug, document.pk, "en"]),
        *(reverse("document_export", args=[project.slug, document.pk, "en", fmt]) for fmt in EXPORT_FORMATS),
        *(reverse("project_export", args=[project.slug, "en", fmt]) for fmt in EXPORT_FORMATS),
    ]
    for address in pages:
        response = client.get(address)
        assert response.status_code == 200, address
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if body[:2] == b"PK":  # a zip of files: read every member
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                body = b"".join(archive.read(name) for name in archive.namelist())
        assert MARKER.encode() not in body, address
        assert b"The first line." in body, address  # the approved text is there; its back-translation is not
    docx = client.get(reverse("document_packet_docx", args=[project.slug, document.pk, "en"]))
    with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
        for name in archive.namelist():
            assert MARKER.encode() not in archive.read(name), name


def test_the_list_page_costs_the_same_queries_whatever_the_requests(client, admin_user, people, django_assert_max_num_queries):
    projects = []
    for n in range(3):
        project = make_project(admin_user, slug=f"p{n}", members={
            people["translator"]: Role.TRANSLATOR, people["translator2"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER,
        })
        document = make_document(project, admin_user, lines=[f"줄 {i}" for i in range(8)])
        for segment in document.segments.all():
            rendering = services.translation_create(segment=segment, user=people["translator"], language="en", text="L.")
            ask(rendering, people)
        projects.append(project)
    client.force_login(people["translator2"])
    with django_assert_max_num_queries(5):
        page = client.get(reverse("back_translations")).content.decode()
    assert page.count('class="card shadow-sm mb-3 il-back"') == 24
