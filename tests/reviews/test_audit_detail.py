"""The audit trail in depth: one event's diff, a document as it stood at a
moment, and restoring an earlier version without rewriting history.

Changes are made through the services, as people make them; pages are read
as the member in question would read them.
"""

import time
from datetime import UTC, datetime

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from reviews.models import AuditEvent, Review
from reviews.notifications import notification_preference_set
from reviews.services import comment_create, review_record
from reviews.views.audit_detail import parse_moment
from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.exceptions import DomainError, EditConflict, NotAllowed
from translations.history import save_tracked
from translations.models import Membership, Role, Segment, Translation, TranslationState


def name(user):
    return escape(user.get_full_name() or user.username)


def event_of(obj, action=None):
    """The latest audit event of one tracked object (of one action, if given)."""
    events = AuditEvent.objects.filter(history_label=obj._meta.label_lower, object_id=obj.pk)
    if action:
        events = events.filter(action=action)
    return events.order_by("-id").first()


def event_url(event):
    return reverse("audit_event", args=[event.pk])


def read(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.status_code
    return response.content.decode()


def pause():
    """Let the clock move, so that a moment noted between two changes falls strictly between them."""
    time.sleep(0.01)


def history_snapshot(model):
    """Every history row of a model, as stored, in order."""
    return list(model.history.model.objects.order_by("history_id").values())


def rows_between(html, start, end):
    return html[html.index(start): html.index(end, html.index(start))]


# --- one event -------------------------------------------------------------


def test_an_event_shows_the_text_it_changed_as_a_diff_with_reason_and_actor(client, project, segment, people):
    manager, auditor = people["manager"], people["auditor"]
    services.segment_edit(
        segment=segment, user=manager, base_version=1, source_text="첫째 줄였다.", reason="Misread the ending"
    )
    html = read(client, auditor, event_url(event_of(segment)))
    assert "Misread the ending" in html
    assert name(manager) in html
    source_row = rows_between(html, 'data-field="source_text"', "</tr>")
    assert '<del class="il-del">이</del>' in source_row and '<ins class="il-ins">였</ins>' in source_row
    version_row = rows_between(html, 'data-field="version"', "</tr>")
    assert '<del class="il-del">1</del>' in version_row and '<ins class="il-ins">2</ins>' in version_row
    # Hashes are shortened, never shown whole.
    segment.refresh_from_db()
    assert segment.source_hash[:12] + "…" in html
    assert segment.source_hash not in html
    # Unchanged fields are not listed as changes.
    assert 'data-field="position"' not in html


def test_foreign_keys_are_shown_by_name(client, project, segment, people):
    translator, manager = people["translator"], people["manager"]
    translation = services.translation_create(segment=segment, user=translator, language="en", text="Line one.")
    created = read(client, manager, event_url(event_of(translation)))
    assert "§1" in created and name(translator) in created
    translation = services.translation_edit(translation=translation, user=translator, base_version=1, text="Line 1.")
    services.translation_version_restore(translation=translation, user=manager, version=1, base_version=2)
    restored = read(client, manager, event_url(event_of(translation)))
    edited_by = rows_between(restored, 'data-field="edited_by"', "</tr>")
    assert f'<del class="il-del">{name(translator)}</del>' in edited_by
    assert f'<ins class="il-ins">{name(manager)}</ins>' in edited_by
    comment = comment_create(user=translator, body="Is it 'line' or 'row'?", translation=translation)
    on_comment = read(client, manager, event_url(event_of(comment)))
    assert f"en v3 by {name(translator)}" in on_comment and project.name in on_comment
    assert reverse("translation_history", args=[project.slug, translation.pk]) in on_comment


def test_a_referent_deleted_since_is_shown_as_deleted_with_its_id(client, project, admin_user, people):
    passer_by = UserFactory(username="passer-by")
    services.membership_set(project=project, user=admin_user, member=passer_by, role=Role.TRANSLATOR)
    membership = Membership.objects.get(project=project, user=passer_by)
    services.membership_remove(project=project, user=admin_user, member=passer_by, reason="Left the team")
    user_id = passer_by.pk
    passer_by.delete()

    added = read(client, people["auditor"], event_url(event_of(membership, "+")))
    assert f"(deleted #{user_id})" in added
    assert project.name in added and "Translator" in added
    removed = read(client, people["auditor"], event_url(event_of(membership, "-")))
    assert "Left the team" in removed and f"(deleted #{user_id})" in removed
    assert "no longer exists" in removed


@pytest.mark.parametrize(
    "who, status",
    [("auditor", 200), ("manager", 200), ("siteadmin", 200), ("translator", 403), ("reviewer", 403), ("outsider", 404)],
)
def test_who_may_open_an_event(client, project, segment, people, admin_user, who, status):
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="첫째 줄였다.")
    user = admin_user if who == "siteadmin" else people[who]
    read(client, user, event_url(event_of(segment)), status=status)


def test_auditors_of_one_project_cannot_open_another_projects_events(client, project, people, admin_user):
    other = make_project(admin_user, slug="elsewhere")
    document = make_document(other, admin_user)
    read(client, people["auditor"], event_url(event_of(document)), status=404)
    read(client, people["manager"], event_url(event_of(document)), status=404)
    read(client, admin_user, event_url(event_of(document)))


def test_events_of_no_project_are_for_site_admins_only(client, project, people, admin_user):
    notification_preference_set(
        user=people["auditor"], email_on_decision=False, email_on_waiting_work=True, email_on_mention=True
    )
    event = AuditEvent.objects.get(kind="preference")
    assert event.project_id is None
    read(client, people["auditor"], event_url(event), status=404)
    read(client, people["manager"], event_url(event), status=404)
    html = read(client, admin_user, event_url(event))
    assert "Email on decision" in html


def test_an_unknown_event_is_404(client, project, admin_user):
    read(client, admin_user, reverse("audit_event", args=[999_999]), status=404)


def test_an_event_links_to_the_objects_history_its_neighbours_and_the_document_then(client, project, segment, people):
    manager = people["manager"]
    first = event_of(segment)
    services.segment_edit(segment=segment, user=manager, base_version=1, source_text="첫째 줄였다.")
    middle = event_of(segment)
    services.segment_edit(segment=segment, user=manager, base_version=2, source_text="첫째 줄이었다.")
    last = event_of(segment)

    html = read(client, people["auditor"], event_url(middle))
    assert reverse("segment_history", args=[project.slug, segment.pk]) in html
    assert f'href="{event_url(first)}"' in html and f'href="{event_url(last)}"' in html
    as_of = reverse("document_as_of", args=[project.slug, segment.document_id])
    assert f'href="{as_of}?at=' in html

    opening = read(client, people["auditor"], event_url(first))
    assert "No earlier event of this segment" in opening
    assert "What it was created with" in opening and "첫째 줄이다." in opening


def test_the_event_page_costs_the_same_however_long_the_history(client, project, segment, people,
                                                               django_assert_max_num_queries):
    manager = people["manager"]
    for version in range(1, 30):
        services.segment_edit(segment=segment, user=manager, base_version=version, source_text=f"첫째 줄 {version}.")
    client.force_login(people["auditor"])
    with django_assert_max_num_queries(12):
        assert client.get(event_url(event_of(segment))).status_code == 200
    client.force_login(manager)  # who also gets the restore offer
    with django_assert_max_num_queries(13):
        assert client.get(event_url(event_of(segment, "+"))).status_code == 200


# --- a document at a moment ------------------------------------------------


@pytest.fixture
def two_moments(project, document, people):
    """A document read at `before` (a first approval) and changed afterwards:
    source corrected, translation revised and approved again, a segment
    deleted, the title and authenticity changed."""
    translator, reviewer, manager = people["translator"], people["reviewer"], people["manager"]
    first, second, third = document.segments.order_by("position")
    translation = services.translation_create(
        segment=first, user=translator, language="en", text="This is the first line."
    )
    review_record(translation=translation, reviewer=reviewer, version=1, decision="approve")
    pause()
    before = timezone.now()
    pause()
    services.segment_edit(segment=first, user=manager, base_version=1, source_text="첫째 줄였다.")
    translation = services.translation_edit(
        translation=translation, user=translator, base_version=1, text="That was the first line."
    )
    review_record(translation=translation, reviewer=reviewer, version=2, decision="approve")
    services.segment_delete(segment=third, user=manager, base_version=1)
    services.document_update(document=document, user=manager, title="Notebook of Kim", authenticity="disputed")
    return {"before": before, "document": document, "translation": translation}


def as_of(project, document, at):
    url = reverse("document_as_of", args=[project.slug, document.pk])
    return url if at is None else f"{url}?at={at}"


def test_the_document_as_it_stood_before_later_edits_and_approvals(client, project, people, two_moments):
    document, before = two_moments["document"], two_moments["before"]
    html = read(client, people["auditor"], as_of(project, document, before.isoformat().replace("+", "%2B")))
    assert "첫째 줄이다." in html and "첫째 줄였다." not in html
    assert "This is the first line." in html and "That was the first line." not in html
    assert "셋째 줄이다." in html  # deleted only later
    assert "(now “Notebook of Kim”)" in html  # the title then, with the title now beside it
    assert "Unverified" in html and "(now disputed)" in html
    assert "version 1 by" in html


def test_the_document_as_it_stands_now(client, project, people, two_moments):
    document = two_moments["document"]
    html = read(client, people["translator"], as_of(project, document, timezone.now().isoformat().replace("+", "%2B")))
    assert "첫째 줄였다." in html and "That was the first line." in html
    assert "This is the first line." not in html
    assert "셋째 줄이다." not in html
    assert "Disputed" in html


def test_a_datetime_local_value_is_read_in_the_current_time_zone(client, project, people, two_moments):
    document = two_moments["document"]
    later = timezone.localtime(timezone.now() + timezone.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    html = read(client, people["auditor"], as_of(project, document, later))
    assert "That was the first line." in html
    assert "still to come" in html


@pytest.mark.parametrize("at", [None, "", "yesterday", "2024-13-01T10:00", "0001-01-01T00:00", "<script>"])
def test_a_missing_or_bad_moment_asks_for_one(client, project, document, people, at):
    html = read(client, people["auditor"], as_of(project, document, at))
    assert 'type="datetime-local"' in html
    assert "Choose a date and time" in html or "is not a date and time" in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01T14:30", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("2024-05-01T14:30:15.250000+02:00", datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)),
        ("2024-05-01T14:30:00 02:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),  # "+" lost in a typed address
        ("2024-05-01T14:30:00Z", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("2024-05-01T14:30:00+99:00", None),
        ("2024-02-30T10:00", None),
        ("0001-01-01T00:00", None),
        ("soon", None),
    ],
)
def test_moments_are_read_in_the_current_time_zone_or_refused(settings, value, expected):
    settings.TIME_ZONE = "UTC"
    assert parse_moment(value) == expected


def test_two_rows_of_one_segment_at_the_same_instant_show_the_later_once(client, project, segment, people):
    manager = people["manager"]
    instant = timezone.now()
    for text in ("첫째 줄였다.", "첫째 줄이었다."):
        segment.source_text, segment.version = text, segment.version + 1
        segment._history_date = instant
        save_tracked(segment, user=manager, reason="Two corrections in one instant")
    html = read(client, people["auditor"], as_of(project, segment.document, instant.isoformat().replace("+", "%2B")))
    assert "첫째 줄이었다." in html and "첫째 줄였다." not in html
    assert html.count('title="History of this segment">1<') == 1


def test_before_the_document_existed(client, project, document, people):
    html = read(client, people["auditor"], as_of(project, document, "2001-01-01T00:00"))
    assert "this document did not exist yet" in html.lower()
    assert "첫째 줄이다." not in html


def test_the_point_in_time_view_costs_the_same_at_any_size(client, project, people, django_assert_max_num_queries):
    translator, reviewer = people["translator"], people["reviewer"]

    def build(title, lines):
        document = make_document(project, people["manager"], title=title, lines=[f"{n}번째 줄." for n in range(lines)])
        for segment in document.segments.all():
            translation = services.translation_create(segment=segment, user=translator, language="en", text="A line.")
            review_record(translation=translation, reviewer=reviewer, version=1, decision="approve")
        return document

    small, large = build("Small", 2), build("Large", 25)
    client.force_login(people["auditor"])
    at = timezone.now().isoformat().replace("+", "%2B")
    counts = []
    for document in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(as_of(project, document, at))
        assert response.status_code == 200 and response.content.decode().count("A line.") >= 2
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(10):
        client.get(as_of(project, large, at))


# --- restoring an earlier version ------------------------------------------


def restore_segment(client, user, project, segment, **data):
    client.force_login(user)
    return client.post(reverse("segment_restore_version", args=[project.slug, segment.pk]), data)


def restore_translation(client, user, project, translation, **data):
    client.force_login(user)
    return client.post(reverse("translation_restore_version", args=[project.slug, translation.pk]), data)


def test_restoring_a_segment_writes_a_new_version_and_leaves_history_as_it_was(client, project, segment, people):
    manager, translator, reviewer = people["manager"], people["translator"], people["reviewer"]
    services.segment_edit(segment=segment, user=translator, base_version=1, source_text="첫째 줄였다.")
    translation = services.translation_create(segment=segment, user=translator, language="en", text="It was line one.")
    review_record(translation=translation, reviewer=reviewer, version=1, decision="approve")
    segments_before, translations_before = history_snapshot(Segment), history_snapshot(Translation)

    response = restore_segment(client, manager, project, segment, version=1, base_version=2)
    assert response.status_code == 303
    assert response["Location"] == reverse("segment_history", args=[project.slug, segment.pk])

    segment.refresh_from_db()
    assert (segment.version, segment.source_text) == (3, "첫째 줄이다.")
    latest = segment.history.first()
    assert latest.history_change_reason == "Restored version 1" and latest.history_user == manager
    segments_after = history_snapshot(Segment)
    assert segments_after[: len(segments_before)] == segments_before
    assert len(segments_after) == len(segments_before) + 1
    assert history_snapshot(Translation)[: len(translations_before)] == translations_before
    # The source really changed: the approval of the translation no longer counts.
    translation.refresh_from_db()
    assert translation.state == TranslationState.SUBMITTED
    assert translation.is_published and translation.published_text == "It was line one."
    page = client.get(response["Location"]).content.decode()
    assert "Version 1 is restored as version 3" in page


def test_restoring_a_spacing_only_difference_keeps_approvals(project, segment, people):
    manager, translator, reviewer = people["manager"], people["translator"], people["reviewer"]
    services.segment_edit(segment=segment, user=translator, base_version=1, source_text="첫째  줄이다.")
    translation = services.translation_create(segment=segment, user=translator, language="en", text="Line one.")
    review_record(translation=translation, reviewer=reviewer, version=1, decision="approve")
    translations_before = history_snapshot(Translation)

    segment = services.segment_version_restore(segment=segment, user=manager, version=1, base_version=2)
    assert (segment.version, segment.source_text) == (3, "첫째 줄이다.")
    translation.refresh_from_db()
    assert translation.state == TranslationState.APPROVED
    assert history_snapshot(Translation) == translations_before


def test_restoring_the_text_a_segment_already_has_writes_nothing(client, project, segment, people):
    manager = people["manager"]
    services.segment_edit(segment=segment, user=manager, base_version=1, source_text="첫째 줄였다.")
    services.segment_edit(segment=segment, user=manager, base_version=2, source_text="첫째 줄이다.")
    before = history_snapshot(Segment)
    response = restore_segment(client, manager, project, segment, version=1, base_version=3)
    assert response.status_code == 303
    assert history_snapshot(Segment) == before
    assert "nothing changed" in client.get(response["Location"]).content.decode()


def test_a_stale_or_unknown_segment_restore_is_refused_and_writes_nothing(project, segment, people):
    manager = people["manager"]
    services.segment_edit(segment=segment, user=manager, base_version=1, source_text="첫째 줄였다.")
    before = history_snapshot(Segment)
    with pytest.raises(EditConflict) as conflict:
        services.segment_version_restore(segment=segment, user=manager, version=1, base_version=1)
    assert conflict.value.current_version == 2 and conflict.value.attempted_text == "첫째 줄이다."
    with pytest.raises(DomainError, match="There is no version 9"):
        services.segment_version_restore(segment=segment, user=manager, version=9, base_version=2)
    assert history_snapshot(Segment) == before


def test_a_deleted_segment_is_restored_with_segment_restore_not_a_version_restore(project, segment, people):
    manager = people["manager"]
    services.segment_edit(segment=segment, user=manager, base_version=1, source_text="첫째 줄였다.")
    services.segment_delete(segment=segment, user=manager, base_version=2)
    with pytest.raises(DomainError, match="deleted"):
        services.segment_version_restore(segment=segment, user=manager, version=1, base_version=2)


def test_translators_and_reviewers_may_not_restore(client, project, segment, people):
    translator = people["translator"]
    services.segment_edit(segment=segment, user=translator, base_version=1, source_text="첫째 줄였다.")
    translation = services.translation_create(segment=segment, user=translator, language="en", text="One.")
    translation = services.translation_edit(translation=translation, user=translator, base_version=1, text="Uno.")
    segments, translations = history_snapshot(Segment), history_snapshot(Translation)
    for who in ("translator", "reviewer", "auditor"):
        assert restore_segment(client, people[who], project, segment, version=1, base_version=2).status_code == 403
        response = restore_translation(client, people[who], project, translation, version=1, base_version=2)
        assert response.status_code == 403
    with pytest.raises(NotAllowed):
        services.translation_version_restore(translation=translation, user=translator, version=1, base_version=2)
    assert history_snapshot(Segment) == segments and history_snapshot(Translation) == translations


def test_restore_needs_a_post(client, project, segment, people):
    client.force_login(people["manager"])
    response = client.get(reverse("segment_restore_version", args=[project.slug, segment.pk]))
    assert response.status_code == 405


def test_restoring_a_translation_makes_a_new_version_by_the_manager(client, project, segment, people):
    translator, reviewer, manager = people["translator"], people["reviewer"], people["manager"]
    translation = services.translation_create(segment=segment, user=translator, language="en", text="First try.")
    translation = services.translation_edit(translation=translation, user=translator, base_version=1, text="Second.")
    review_record(translation=translation, reviewer=reviewer, version=2, decision="approve")
    before = history_snapshot(Translation)

    response = restore_translation(client, manager, project, translation, version=1, base_version=2)
    assert response.status_code == 303
    assert response["Location"] == reverse("translation_history", args=[project.slug, translation.pk])
    translation.refresh_from_db()
    assert (translation.version, translation.text, translation.edited_by) == (3, "First try.", manager)
    assert translation.author == translator
    # A different text: the approval of version 2 does not approve version 3,
    # and what is published stays what was approved.
    assert translation.state == TranslationState.SUBMITTED
    assert (translation.published_version, translation.published_text) == (2, "Second.")
    latest = translation.history.first()
    assert latest.history_change_reason == "Restored version 1" and latest.history_user == manager
    after = history_snapshot(Translation)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert Review.objects.filter(translation=translation).count() == 1


def test_restoring_a_translation_to_its_current_text_changes_nothing(project, segment, people):
    translator, reviewer, manager = people["translator"], people["reviewer"], people["manager"]
    translation = services.translation_create(segment=segment, user=translator, language="en", text="Same.")
    translation = services.translation_edit(translation=translation, user=translator, base_version=1, text="Other.")
    translation = services.translation_edit(translation=translation, user=translator, base_version=2, text="Same.")
    review_record(translation=translation, reviewer=reviewer, version=3, decision="approve")
    before = history_snapshot(Translation)
    restored = services.translation_version_restore(translation=translation, user=manager, version=1, base_version=3)
    assert restored.version == 3 and restored.state == TranslationState.APPROVED
    assert history_snapshot(Translation) == before


def test_a_stale_or_unknown_translation_restore_is_refused(client, project, segment, people):
    translator, manager = people["translator"], people["manager"]
    translation = services.translation_create(segment=segment, user=translator, language="en", text="One.")
    translation = services.translation_edit(translation=translation, user=translator, base_version=1, text="Two.")
    before = history_snapshot(Translation)
    with pytest.raises(EditConflict):
        services.translation_version_restore(translation=translation, user=manager, version=1, base_version=1)
    with pytest.raises(DomainError, match="There is no version 7"):
        services.translation_version_restore(translation=translation, user=manager, version=7, base_version=2)

    history_page = reverse("translation_history", args=[project.slug, translation.pk])
    client.force_login(manager)
    response = client.post(
        reverse("translation_restore_version", args=[project.slug, translation.pk]),
        {"version": 1, "base_version": 1}, HTTP_REFERER=f"http://testserver{history_page}",
    )
    assert response.status_code == 303 and response["Location"].endswith(history_page)
    assert "it is now at version 2" in client.get(history_page).content.decode()
    assert history_snapshot(Translation) == before


def test_a_site_admin_may_restore(project, segment, people, admin_user):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="A.")
    translation = services.translation_edit(translation=translation, user=people["translator"], base_version=1, text="B.")
    restored = services.translation_version_restore(translation=translation, user=admin_user, version=1, base_version=2)
    assert (restored.version, restored.text) == (3, "A.")


def test_the_event_page_offers_a_restore_to_managers_only(client, project, segment, people):
    translator = people["translator"]
    translation = services.translation_create(segment=segment, user=translator, language="en", text="First.")
    first = event_of(translation)
    services.translation_edit(translation=translation, user=translator, base_version=1, text="Second.")
    restore_url = reverse("translation_restore_version", args=[project.slug, translation.pk])
    assert restore_url in read(client, people["manager"], event_url(first))
    assert restore_url not in read(client, people["auditor"], event_url(first))
    assert restore_url not in read(client, people["manager"], event_url(event_of(translation)))


@pytest.fixture
def history_pages_know_who_manages(monkeypatch):
    """The history views pass ``can_manage_documents`` to their templates;
    until they do (translations/views/history.py), this test supplies it the
    same way."""
    from translations.permissions import Action, can
    from translations.views import history

    original = history.render

    def render(request, template, context):
        context.setdefault("can_manage_documents", can(request.user, Action.MANAGE_DOCUMENTS, context["project"]))
        return original(request, template, context)

    monkeypatch.setattr(history, "render", render)


def test_history_pages_offer_restore_buttons_to_managers_only(
    client, project, segment, people, history_pages_know_who_manages
):
    translator = people["translator"]
    services.segment_edit(segment=segment, user=translator, base_version=1, source_text="첫째 줄였다.")
    translation = services.translation_create(segment=segment, user=translator, language="en", text="First.")
    services.translation_edit(translation=translation, user=translator, base_version=1, text="Second.")
    segment_page = reverse("segment_history", args=[project.slug, segment.pk])
    translation_page = reverse("translation_history", args=[project.slug, translation.pk])

    as_manager = read(client, people["manager"], segment_page)
    assert as_manager.count("Restore this version") == 1
    assert 'name="version" value="1"' in as_manager and 'name="base_version" value="2"' in as_manager
    assert read(client, people["manager"], translation_page).count("Restore this version") == 1
    assert "Restore this version" not in read(client, translator, segment_page)
    assert "Restore this version" not in read(client, people["auditor"], translation_page)

    services.segment_delete(segment=segment, user=translator, base_version=2)
    deleted = read(client, people["manager"], segment_page)
    assert "Restore this version" not in deleted
    assert reverse("segment_restore", args=[project.slug, segment.pk]) in deleted
