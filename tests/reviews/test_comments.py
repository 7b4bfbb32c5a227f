"""Comments with @mentions: who gets told, and the htmx thread of a segment."""

import re

import pytest
from django.db import transaction
from django.urls import reverse

from reviews.models import Comment
from reviews.services import comment_create
from reviews.services.comments import mentioned_names
from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.exceptions import InvalidText
from translations.models import Role

HTMX = {"HTTP_HX_REQUEST": "true"}


def thread_url(project, segment):
    return reverse("segment_comments", args=[project.slug, segment.pk])


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


# --- parsing and resolving mentions ---------------------------------------------


def test_mentions_are_names_after_the_start_or_whitespace():
    body = "@ana see this, @bob.smith-jr and @carol. Mail x@example.org or (@dave) — @ana again\n@erin"
    assert mentioned_names(body) == ["ana", "bob.smith-jr", "carol.", "erin"]


def test_only_members_mentioned_are_emailed_and_unknown_names_are_reported(
    segment, people, mailoutbox, django_capture_on_commit_callbacks
):
    body = "@reviewer please look. @outsider @nobody, and thanks @manager."
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(user=people["translator"], segment=segment, body=body)
    assert Comment.objects.get(pk=comment.pk).body == body, "stored as typed"
    assert [m.username for m in comment.mentions.members] == ["reviewer", "manager"]
    assert comment.mentions.unknown == ["outsider", "nobody"]  # a non-member is "unknown", like a missing user
    assert recipients(mailoutbox) == ["manager@example.org", "reviewer@example.org"]
    message = mailoutbox[0]
    assert "mentioned you" in message.subject
    assert "@reviewer please look." in message.body
    assert reverse("segment_comments", args=[segment.document.project.slug, segment.pk]) in message.body


def test_members_of_another_project_cannot_be_mentioned(segment, people, admin_user, mailoutbox, django_capture_on_commit_callbacks):
    stranger = UserFactory(username="stranger")
    make_project(admin_user, slug="elsewhere", members={stranger: Role.REVIEWER, people["translator"]: Role.TRANSLATOR})
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(user=people["translator"], segment=segment, body="@stranger?")
    assert comment.mentions.unknown == ["stranger"]
    assert mailoutbox == []


def test_mentions_match_case_insensitively_and_once_per_member(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(user=people["translator"], segment=segment, body="@Reviewer and again @reviewer")
    assert [m.username for m in comment.mentions.members] == ["reviewer"]
    assert recipients(mailoutbox) == ["reviewer@example.org"]


def test_the_author_is_not_emailed_about_their_own_mention(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment = comment_create(user=people["reviewer"], segment=segment, body="Note to self, @reviewer.")
    assert [m.username for m in comment.mentions.members] == ["reviewer"]
    assert callbacks == [] and mailoutbox == []


def test_mention_emails_go_out_only_after_commit(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment_create(user=people["translator"], segment=segment, body="@reviewer ?")
    assert mailoutbox == [], "nothing is sent before the transaction commits"
    assert len(callbacks) == 1
    callbacks[0]()
    assert recipients(mailoutbox) == ["reviewer@example.org"]


def test_a_comment_that_rolls_back_emails_nobody(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            comment_create(user=people["translator"], segment=segment, body="@reviewer ?")
            raise RuntimeError("something later in the same transaction failed")
    assert mailoutbox == []
    assert not Comment.objects.exists()


def test_a_member_who_turned_mention_emails_off_is_not_emailed(segment, people, mailoutbox, django_capture_on_commit_callbacks):
    from reviews.notifications import notification_preference_set

    notification_preference_set(user=people["reviewer"], email_on_decision=True, email_on_waiting_work=True, email_on_mention=False)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(user=people["translator"], segment=segment, body="@reviewer @manager")
    assert recipients(mailoutbox) == ["manager@example.org"]


def test_a_mention_on_a_translation_links_to_its_workspace(segment, people, project, mailoutbox, django_capture_on_commit_callbacks):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(user=people["reviewer"], translation=translation, body="@translator why 'One'?")
    [message] = mailoutbox
    workspace = reverse("workspace", args=[project.slug, segment.document_id, "en"])
    assert f"{workspace}#ws-segment-{segment.pk}" in message.body
    assert project.name in message.body and segment.document.title in message.body
    assert "on your EN rendering of segment 1" in message.body


def test_an_empty_comment_is_refused(segment, people):
    with pytest.raises(InvalidText):
        comment_create(user=people["translator"], segment=segment, body="   \n ")


# --- the thread -------------------------------------------------------------------------


def test_members_read_the_thread_with_comments_on_the_segment_and_its_translations_oldest_first(client, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    comment_create(user=people["reviewer"], segment=segment, body="First, on the segment.")
    comment_create(user=people["manager"], translation=translation, body="Second, on the rendering.")
    other = segment.document.segments.get(position=2)
    comment_create(user=people["manager"], segment=other, body="Elsewhere.")
    client.force_login(people["translator"])
    html = client.get(thread_url(project, segment), **HTMX).content.decode()
    assert html.index("First, on the segment.") < html.index("Second, on the rendering.")
    assert "Elsewhere." not in html
    assert "rendering" in html and 'name="body"' in html
    assert f'value="{translation.pk}"' in html, "the form offers the segment's translations"
    assert "<html" not in html, "an htmx request gets the fragment"


def test_without_htmx_the_thread_is_a_page_of_its_own(client, project, segment, people):
    client.force_login(people["translator"])
    response = client.get(thread_url(project, segment))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "Discussion of segment 1" in html
    assert reverse("workspace", args=[project.slug, segment.document_id, "en"]) in html


def test_posting_adds_a_comment_and_answers_with_the_refreshed_thread(
    client, project, segment, people, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(people["translator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(thread_url(project, segment), {"body": "Is this @reviewer's call? cc @ghost"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert (comment.segment, comment.translation, comment.author) == (segment, None, people["translator"])
    assert comment.history.get().history_change_reason == "Commented"
    assert '<span class="il-mention">@reviewer</span>' in html
    assert "No member of this project is called @ghost" in html
    assert recipients(mailoutbox) == ["reviewer@example.org"]


def test_posting_on_a_translation_of_the_segment(client, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    client.force_login(people["reviewer"])
    response = client.post(thread_url(project, segment), {"body": "Fine.", "translation_id": translation.pk}, **HTMX)
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert (comment.segment, comment.translation) == (None, translation)
    assert "rendering" in response.content.decode()


@pytest.mark.parametrize("translation_id", ["other-segment", "other-project", "999999", "nonsense"])
def test_a_translation_that_is_not_of_this_segment_is_404(client, project, segment, people, admin_user, translation_id):
    other_segment = segment.document.segments.get(position=2)
    elsewhere = make_project(admin_user, slug="elsewhere", members={people["translator"]: Role.TRANSLATOR})
    foreign_segment = make_document(elsewhere, admin_user).segments.first()
    ids = {
        "other-segment": services.translation_create(segment=other_segment, user=people["translator"], language="en", text="Two.").pk,
        "other-project": services.translation_create(segment=foreign_segment, user=people["translator"], language="en", text="X.").pk,
        "999999": 999999,
        "nonsense": "nonsense",
    }
    client.force_login(people["reviewer"])
    response = client.post(thread_url(project, segment), {"body": "Hm.", "translation_id": ids[translation_id]}, **HTMX)
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_an_empty_post_answers_400_with_the_thread_and_stores_nothing(client, project, segment, people):
    client.force_login(people["translator"])
    response = client.post(thread_url(project, segment), {"body": "  "}, **HTMX)
    assert response.status_code == 400
    assert "The comment is empty." in response.content.decode()
    response = client.post(thread_url(project, segment), {}, **HTMX)
    assert response.status_code == 400 and "Write a comment before posting." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_plain_post_redirects_to_the_thread_page(client, project, segment, people):
    client.force_login(people["translator"])
    response = client.post(thread_url(project, segment), {"body": "No JavaScript here."})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{thread_url(project, segment)}#comment-{comment.pk}"


def test_hostile_html_in_a_comment_is_escaped(client, project, segment, people):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> @reviewer"><b>x</b> @<i>manager</i>'
    comment_create(user=people["translator"], segment=segment, body=hostile)
    client.force_login(people["manager"])
    html = client.get(thread_url(project, segment), **HTMX).content.decode()
    assert "<script>alert" not in html and "<img" not in html and "<b>x" not in html and "<i>manager" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert '<span class="il-mention">@reviewer</span>&quot;&gt;&lt;b&gt;x&lt;/b&gt;' in html


def test_the_thread_uses_no_inline_script_or_style(client, project, segment, people):
    comment_create(user=people["translator"], segment=segment, body="Line one\nline two @reviewer")
    client.force_login(people["translator"])
    html = client.get(thread_url(project, segment), **HTMX).content.decode()
    assert "Line one<br>" in html
    assert not re.search(r"<script|\sstyle=|\son[a-z]+=", html)


def test_only_members_mentions_are_highlighted(client, project, segment, people):
    comment_create(user=people["translator"], segment=segment, body="@outsider @nobody @auditor")
    client.force_login(people["translator"])
    html = client.get(thread_url(project, segment), **HTMX).content.decode()
    assert '<span class="il-mention">@auditor</span>' in html
    assert "il-mention\">@outsider" not in html and "il-mention\">@nobody" not in html


# --- who may ------------------------------------------------------------------------------


def test_outsiders_get_404_both_ways(client, project, segment, people):
    comment_create(user=people["translator"], segment=segment, body="Private.")
    client.force_login(people["outsider"])
    assert client.get(thread_url(project, segment), **HTMX).status_code == 404
    assert client.post(thread_url(project, segment), {"body": "Let me in."}, **HTMX).status_code == 404
    assert Comment.objects.count() == 1


def test_a_segment_of_another_project_through_ones_own_address_is_404(client, project, segment, people, admin_user):
    elsewhere = make_project(admin_user, slug="elsewhere")
    foreign = make_document(elsewhere, admin_user).segments.first()
    client.force_login(people["manager"])
    assert client.get(thread_url(project, foreign), **HTMX).status_code == 404
    assert client.post(thread_url(project, foreign), {"body": "Hm."}, **HTMX).status_code == 404


def test_auditors_read_the_thread_but_cannot_post(client, project, segment, people):
    comment_create(user=people["translator"], segment=segment, body="On record.")
    client.force_login(people["auditor"])
    response = client.get(thread_url(project, segment), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "On record." in html
    assert "<form" not in html and "does not include commenting" in html
    assert client.post(thread_url(project, segment), {"body": "Audit note."}, **HTMX).status_code == 403
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in(client, project, segment, method):
    response = getattr(client, method)(thread_url(project, segment), {"body": "Hi."} if method == "post" else None)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Comment.objects.exists()


def test_site_admins_who_are_not_members_may_comment(client, project, segment, admin_user):
    client.force_login(admin_user)
    assert client.post(thread_url(project, segment), {"body": "Admin here."}, **HTMX).status_code == 200


# --- cost -----------------------------------------------------------------------------------

THREAD_QUERIES = 8  # session, user, project, roles, segment, comments, members, translations


def test_the_thread_costs_the_same_with_50_comments(client, project, segment, people, django_assert_max_num_queries):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    authors = [people[name] for name in ("translator", "translator2", "reviewer", "reviewer2", "manager")]
    for n in range(50):
        subject = {"translation": translation} if n % 2 else {"segment": segment}
        comment_create(user=authors[n % len(authors)], body=f"Comment {n} for @reviewer and @translator2", **subject)
    client.force_login(people["reviewer"])
    with django_assert_max_num_queries(THREAD_QUERIES):
        html = client.get(thread_url(project, segment), **HTMX).content.decode()
    assert html.count('id="comment-') == 50
    assert html.index("Comment 0 ") < html.index("Comment 49 ")
