"""E-mail notifications: decisions, work awaiting review, settings; sent only
after commit, never raising into the request."""

import logging
import smtplib

import pytest
from django.urls import reverse

from reviews.models import NotificationPreference
from reviews.notifications import notification_preference_for, notification_preference_set, notify_decisions
from reviews.services import review_record, reviews_record_bulk
from tests.factories import UserFactory, make_document
from translations import services
from translations.models import Role


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def submit(segment, user, text="The first line."):
    return services.translation_create(segment=segment, user=user, language="en", text=text)


def settings_of(user, **changes):
    values = {"email_on_decision": True, "email_on_waiting_work": True, "email_on_mention": True, **changes}
    return notification_preference_set(user=user, **values)


@pytest.fixture
def long_document(project, people):
    return make_document(project, people["manager"], title="Long diary", lines=[f"{n}번째 줄." for n in range(1, 61)])


# --- decisions ------------------------------------------------------------------------


def test_a_decision_emails_the_translator_after_commit_with_decision_version_reviewer_and_comment(
    segment, project, people, mailoutbox, django_capture_on_commit_callbacks
):
    translation = submit(segment, people["translator"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review_record(
            translation=translation, reviewer=people["reviewer"], version=1, decision="request_changes",
            comment="Say “notebook”, not “diary”.",
        )
    assert mailoutbox == [], "nothing is sent before the transaction commits"
    for callback in callbacks:
        callback()
    [message] = mailoutbox
    assert message.to == ["translator@example.org"]
    assert "Changes requested" in message.subject and "\n" not in message.subject
    body = message.body
    reviewer = people["reviewer"].get_full_name()
    assert f"Segment 1, version 1: Changes requested by {reviewer}" in body
    assert "Say “notebook”, not “diary”." in body
    assert project.name in body and "Notebook" in body
    workspace = reverse("workspace", args=[project.slug, segment.document_id, "en"])
    assert f"{workspace}#ws-segment-{segment.pk}" in body
    assert reverse("notification_preferences") in body


def test_a_bulk_decision_sends_one_email_per_translator(
    long_document, project, people, mailoutbox, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    segments = list(long_document.segments.order_by("position"))
    mine = [submit(s, people["translator"], f"Line {s.position}.") for s in segments[:50]]
    theirs = [submit(s, people["translator2"], f"Row {s.position}.") for s in segments[50:]]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = reviews_record_bulk(
            reviewer=people["reviewer"], items=[(t.pk, 1) for t in mine + theirs], decision="approve",
            comment="Checked against the photograph.",
        )
    assert outcome.decided_count == 60
    [callback] = callbacks
    with django_assert_max_num_queries(2):  # translations with their places and authors; settings
        callback()
    assert recipients(mailoutbox) == ["translator2@example.org", "translator@example.org"]
    by_recipient = {message.to[0]: message for message in mailoutbox}
    fifty = by_recipient["translator@example.org"]
    assert fifty.subject == f"[Interlinear] 50 decisions on your translations in {project.name}"
    assert fifty.body.count("Approved by") == 50
    assert fifty.body.count("Checked against the photograph.") == 1, "a shared comment is said once"
    assert "Line 50." in fifty.body and "Row 51." not in fifty.body
    assert by_recipient["translator2@example.org"].body.count("Approved by") == 10


def test_nobody_is_emailed_about_their_own_decision(segment, project, people, mailoutbox, django_capture_on_commit_callbacks):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=1, allow_self_approval=True, reason="Small team"
    )
    translation = submit(segment, people["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    assert mailoutbox == []


def test_decision_emails_respect_the_translators_settings_and_missing_addresses(
    long_document, people, mailoutbox, django_capture_on_commit_callbacks
):
    segments = list(long_document.segments.order_by("position"))
    settings_of(people["translator"], email_on_decision=False)
    people["translator2"].email = ""
    people["translator2"].save()
    third = UserFactory(username="translator3")
    services.membership_set(project=long_document.project, user=people["manager"], member=third, role=Role.TRANSLATOR)
    translations = [submit(segments[0], people["translator"]), submit(segments[1], people["translator2"]), submit(segments[2], third)]
    with django_capture_on_commit_callbacks(execute=True):
        reviews_record_bulk(reviewer=people["reviewer"], items=[(t.pk, 1) for t in translations], decision="approve")
    assert recipients(mailoutbox) == ["translator3@example.org"]


def test_a_refused_decision_emails_nobody(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    translation = submit(segment, people["translator"])
    with django_capture_on_commit_callbacks(execute=True):
        outcome = reviews_record_bulk(reviewer=people["reviewer"], items=[(translation.pk, 7)], decision="approve")
    assert outcome.decided_count == 0 and len(outcome.skipped) == 1
    assert mailoutbox == []


def test_notify_decisions_reads_reviewers_it_is_not_given(segment, people, mailoutbox):
    from reviews.models import Review

    translation = submit(segment, people["translator"])
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    assert notify_decisions(list(Review.objects.all())) == 1
    assert people["reviewer"].get_full_name() in mailoutbox[0].body


# --- work awaiting review ----------------------------------------------------------


def test_submitted_work_emails_reviewers_and_managers_but_not_its_author(
    segment, people, mailoutbox, django_capture_on_commit_callbacks
):
    settings_of(people["reviewer2"], email_on_waiting_work=False)
    with django_capture_on_commit_callbacks(execute=True):
        submit(segment, people["translator"], "The first line, rendered.")
    assert recipients(mailoutbox) == ["manager@example.org", "reviewer@example.org"]
    message = mailoutbox[0]
    assert "Awaiting review" in message.subject and "version 1" in message.subject
    assert "The first line, rendered." in message.body and segment.source_text in message.body
    assert "#ws-segment-" in message.body


def test_a_reviewers_own_submission_does_not_email_them(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(segment, people["reviewer"])
    assert recipients(mailoutbox) == ["manager@example.org", "reviewer2@example.org"]


def test_drafts_and_note_changes_email_nobody_but_submitting_and_new_versions_do(
    segment, people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.translation_create(segment=segment, user=people["translator"], language="en", text="Draft.", submit=False)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.translation_submit(translation=draft, user=people["translator"], base_version=1)
    assert len(mailoutbox) == 3
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.translation_edit(translation=draft, user=people["translator"], base_version=1, text="Draft.", note="Unsure.")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.translation_edit(translation=draft, user=people["translator"], base_version=1, text="Final.")
    assert len(mailoutbox) == 3 and "version 2" in mailoutbox[0].subject


def test_bulk_work_can_suppress_notifications(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    from reviews.notifications import notifications_suppressed

    with notifications_suppressed(), django_capture_on_commit_callbacks(execute=True):
        translation = submit(segment, people["translator"])
        review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    assert mailoutbox == []


# --- failures -------------------------------------------------------------------------------


def test_a_mail_server_failure_is_logged_and_swallowed(
    segment, people, mailoutbox, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    translation = submit(segment, people["translator"])

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("reviews.notifications.send_mail", refuse)
    with caplog.at_level(logging.ERROR, logger="reviews.notifications"):
        with django_capture_on_commit_callbacks(execute=True):
            review = review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    assert review.pk is not None, "the decision stands"
    [record] = [r for r in caplog.records if r.name == "reviews.notifications"]
    assert record.levelno == logging.ERROR and "Could not send" in record.getMessage()
    assert isinstance(record.exc_info[1], smtplib.SMTPException)


def test_one_failing_recipient_does_not_stop_the_others(segment, people, mailoutbox, monkeypatch, django_capture_on_commit_callbacks):
    from django.core import mail

    real_send_mail = mail.send_mail

    def flaky(subject, message, from_email, recipient_list, **kwargs):
        if recipient_list == ["manager@example.org"]:
            raise ConnectionRefusedError("no route")
        return real_send_mail(subject, message, from_email, recipient_list, **kwargs)

    monkeypatch.setattr("reviews.notifications.send_mail", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        submit(segment, people["translator"])
    assert recipients(mailoutbox) == ["reviewer2@example.org", "reviewer@example.org"]


# --- settings ------------------------------------------------------------------------------------


def test_settings_default_to_all_on_and_changes_leave_history(people):
    translator = people["translator"]
    assert notification_preference_for(translator).email_on_decision is True
    assert not NotificationPreference.objects.exists()
    preference = settings_of(translator, email_on_mention=False)
    row = preference.history.get()
    assert (row.history_user, row.history_change_reason) == (translator, "Notification settings changed")
    settings_of(translator, email_on_mention=False)
    assert preference.history.count() == 1, "saving unchanged settings writes nothing"
    settings_of(translator)
    assert preference.history.count() == 2
    assert notification_preference_for(translator).email_on_mention is True


def test_the_settings_page_shows_and_saves_ones_own_settings(client, people):
    url = reverse("notification_preferences")
    client.force_login(people["reviewer"])
    html = client.get(url).content.decode()
    assert html.count('type="checkbox"') == 3 and html.count("checked") == 3
    assert "reviewer@example.org" in html
    response = client.post(url, {"email_on_decision": "on", "email_on_mention": "on"})
    assert response.status_code == 302 and response["Location"] == url
    preference = NotificationPreference.objects.get(user=people["reviewer"])
    assert (preference.email_on_decision, preference.email_on_waiting_work, preference.email_on_mention) == (True, False, True)
    assert preference.history.get().history_user == people["reviewer"]
    html = client.get(url).content.decode()
    assert "saved" in html and html.count("checked") == 2


def test_the_settings_page_needs_a_login(client):
    response = client.get(reverse("notification_preferences"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_suppression_inside_an_outer_transaction_still_sends_nothing(project, segment, people, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    from django.db import transaction

    from reviews.notifications import notifications_suppressed
    from translations import services as material

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            with notifications_suppressed():
                material.translation_create(segment=segment, user=people["translator"], language="en", text="Quiet.")
    assert callbacks == [] and mailoutbox == []
