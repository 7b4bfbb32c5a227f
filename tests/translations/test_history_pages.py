"""History pages: who changed what, when and why, readable by every member.

Changes are made through the services, as people make them, and the pages
are then read as a member of the project would read them.
"""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from reviews.services import review_record
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def name(user):
    return escape(user.get_full_name() or user.username)


def position_of(html, needle):
    index = html.find(needle)
    assert index >= 0, f"{needle!r} not on the page"
    return index


@pytest.fixture
def worked_translation(project, segment, people):
    """A candidate sent back once, approved at version 2, then edited to version 3."""
    translator, reviewer = people["translator"], people["reviewer"]
    translation = services.translation_create(
        segment=segment, user=translator, language="en", text="This is the first line.", reason="First attempt"
    )
    review_record(
        translation=translation, reviewer=reviewer, version=1, decision="request_changes",
        comment="Say 'first' more plainly.",
    )
    translation = services.translation_edit(
        translation=translation, user=translator, base_version=1, text="This is line one.", reason="Plainer wording"
    )
    review_record(translation=translation, reviewer=reviewer, version=2, decision="approve", comment="Good.")
    translation = services.translation_edit(
        translation=translation, user=translator, base_version=2, text="This is line number one.",
        reason="Closer to the Korean",
    )
    return translation


def review_cards(html):
    """The review entries of a translation's timeline, newest first."""
    return re.findall(r'<article class="[^"]*il-review[^"]*">.*?</article>', html, re.S)


def urls(project, segment, translation=None):
    found = {
        "segment": reverse("segment_history", args=[project.slug, segment.pk]),
        "document": reverse("document_history", args=[project.slug, segment.document_id]),
    }
    if translation is not None:
        found["translation"] = reverse("translation_history", args=[project.slug, translation.pk])
    return found


# --- segment ---------------------------------------------------------------


def test_segment_history_shows_versions_authors_reasons_and_a_syllable_diff(client, project, segment, people):
    translator, reviewer = people["translator"], people["reviewer"]
    segment = services.segment_edit(
        segment=segment, user=translator, base_version=1, source_text="첫째 줄였다.", reason="Misread the ending"
    )
    services.segment_edit(
        segment=segment, user=reviewer, base_version=2, source_text="첫째 줄였다. [?여기]", reason="Faint word at the end"
    )

    html = page(client, people["auditor"], urls(project, segment)["segment"])

    assert "Version 3" in html and "Version 2" in html and "Version 1" in html
    assert position_of(html, "Version 3") < position_of(html, "Version 2") < position_of(html, "Version 1")
    assert name(translator) in html and name(reviewer) in html and name(people["manager"]) in html
    assert "Misread the ending" in html and "Faint word at the end" in html
    # Korean is compared syllable by syllable: only the changed syllable is marked.
    assert '줄<del class="il-del">이</del><ins class="il-ins">였</ins>다.' in html
    assert '<ins class="il-ins"> [?여기]</ins>' in html
    assert 'lang="ko"' in html
    assert '<mark class="il-mark" title="uncertain reading">[?여기]</mark>' in html
    assert "created" in html and "changed" in html
    assert "approvals made before this version no longer count" in html


def test_segment_history_describes_moves_deletions_and_restorations(client, project, document, people):
    translator = people["translator"]
    third = document.segments.get(position=3)
    services.segment_move(segment=third, user=translator, to_position=1, reason="Line order was wrong")
    third.refresh_from_db()
    services.segment_delete(segment=third, user=translator, base_version=third.version, reason="Duplicate line")
    services.segment_restore(segment=third, user=translator, reason="Not a duplicate after all")

    html = page(client, people["translator2"], urls(project, third)["segment"])

    assert "Moved from position 3 to position 1." in html
    assert "Deleted; it stays on record with its translations and reviews." in html
    assert "Restored at position 3." in html
    assert "Line order was wrong" in html and "Duplicate line" in html and "Not a duplicate after all" in html
    assert "The source text did not change." in html
    assert "Nobody has translated this segment yet." in html


def test_segment_history_links_to_its_translations_histories(client, project, segment, people, worked_translation):
    html = page(client, people["reviewer"], urls(project, segment)["segment"])
    assert urls(project, segment, worked_translation)["translation"] in html
    assert reverse("document_detail", args=[project.slug, segment.document_id]) in html


# --- translation -----------------------------------------------------------


def test_translation_history_interleaves_versions_and_reviews(client, project, segment, people, worked_translation):
    translator, reviewer = people["translator"], people["reviewer"]

    html = page(client, people["auditor"], urls(project, segment, worked_translation)["translation"])

    for reason in ("First attempt", "Plainer wording", "Closer to the Korean"):
        assert reason in html
    assert name(translator) in html and name(reviewer) in html
    assert 'This is <del class="il-del">the first line</del><ins class="il-ins">line one</ins>.' in html
    assert 'This is line <ins class="il-ins">number </ins>one.' in html
    approval_v2, request_v1 = review_cards(html)
    assert "Review of version 2" in approval_v2 and "Approved" in approval_v2 and "Good." in approval_v2
    assert "Review of version 1" in request_v1 and "Changes requested" in request_v1
    assert "Say &#x27;first&#x27; more plainly." in request_v1 and name(reviewer) in request_v1
    # Newest first, reviews in their place between the versions they judged.
    timeline = html[position_of(html, "Versions and reviews, newest first"):]
    order = [
        position_of(timeline, "Closer to the Korean"),
        position_of(timeline, "Review of version 2"),
        position_of(timeline, "Plainer wording"),
        position_of(timeline, "Review of version 1"),
        position_of(timeline, "First attempt"),
    ]
    assert order == sorted(order)
    assert 'lang="en"' in html and 'lang="ko"' in html


def test_translation_history_shows_the_published_text_and_which_reviews_still_count(
    client, project, segment, people, worked_translation
):
    reviewer2 = people["reviewer2"]
    review_record(translation=worked_translation, reviewer=reviewer2, version=3, decision="approve")

    html = page(client, people["translator"], urls(project, segment, worked_translation)["translation"])

    # Version 3 is now approved, so it is what is published.
    published = html[position_of(html, "Published text"):position_of(html, "Versions and reviews")]
    assert "This is line number one." in published and "Version 3, approved" in published
    assert "Version 3 became the published rendering." in html

    newest, approval_v2, request_v1 = review_cards(html)
    assert "Still counts" in newest and name(reviewer2) in newest
    assert "No longer counts" in approval_v2 and "the text has changed since version 2" in approval_v2
    assert "No longer counts" in request_v1


def test_translation_history_keeps_showing_the_approved_text_while_a_new_version_waits(
    client, project, segment, people, worked_translation
):
    html = page(client, people["reviewer2"], urls(project, segment, worked_translation)["translation"])
    published = html[position_of(html, "Published text"):position_of(html, "Versions and reviews")]
    assert "This is line one." in published and "This is line number one." not in published
    assert "Version 3 awaits approval" in published
    assert "Version 2 became the published rendering." in html


def test_a_source_change_is_given_as_the_reason_a_review_no_longer_counts(client, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    services.segment_edit(segment=segment, user=people["translator"], base_version=1, source_text="첫째 줄.")

    html = page(client, people["auditor"], urls(project, segment, translation)["translation"])

    assert "No longer counts" in html and "the source it was judged against has changed" in html
    assert "The source has changed since this text was approved." in html


def test_an_unreviewed_draft_has_sentences_for_its_empty_parts(client, project, segment, people):
    translation = services.translation_create(
        segment=segment, user=people["translator"], language="en", text="Draft.", submit=False
    )
    html = page(client, people["translator"], urls(project, segment, translation)["translation"])
    assert "This candidate is not the published rendering of its segment." in html
    assert "No version had been published at this point." in html
    assert "Draft" in html


def test_hostile_text_is_shown_escaped_on_every_history_page(client, project, segment, people):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="Fine.")
    services.translation_edit(
        translation=translation, user=people["translator"], base_version=1, text=hostile, reason=hostile
    )
    services.segment_edit(segment=segment, user=people["translator"], base_version=1, source_text=hostile,
                          reason=hostile)
    services.document_update(document=segment.document, user=people["manager"], title=hostile,
                             obtained_from=hostile, reason=hostile)
    for url in urls(project, segment, translation).values():
        html = page(client, people["auditor"], url)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


# --- document --------------------------------------------------------------


def test_document_history_lists_each_changed_field_before_and_after(client, project, document, people, admin_user):
    manager = people["manager"]
    services.document_update(
        document=document, user=manager, obtained_from="A veteran's family", reference_number="RN-7",
        reason="Provenance from the donor letter",
    )
    services.document_update(
        document=document, user=manager, authenticity="disputed", reason="Handwriting expert doubts the date"
    )
    services.document_update(
        document=document, user=admin_user, authenticity="authenticated",
        reason="Archive confirmed the unit",
    )

    html = page(client, people["auditor"], urls(project, document.segments.first())["document"])

    assert "Handwriting expert doubts the date" in html and "Archive confirmed the unit" in html
    assert '<del class="il-del">Unverified</del>' in html and '<ins class="il-ins">Disputed</ins>' in html
    assert '<del class="il-del">Disputed</del>' in html and '<ins class="il-ins">Authenticated</ins>' in html
    assert "Obtained from" in html and "A veteran&#x27;s family" in html and "RN-7" in html
    header = html[position_of(html, "Authenticity now:"):position_of(html, "newest first")]
    assert "Authenticated" in header and "text-bg-success" in header
    assert position_of(html, "Archive confirmed the unit") < position_of(html, "Handwriting expert doubts")
    assert position_of(html, "Handwriting expert doubts") < position_of(html, "Provenance from the donor letter")
    assert position_of(html, "Provenance from the donor letter") < position_of(html, "Document created")
    assert name(manager) in html and name(admin_user) in html
    # Every segment's history is one click away.
    for segment in document.segments.all():
        assert reverse("segment_history", args=[project.slug, segment.pk]) in html


def test_document_history_diffs_long_text_fields_inline(client, project, document, people):
    services.document_update(document=document, user=people["manager"], description="Found in a breast pocket.")
    services.document_update(document=document, user=people["manager"], description="Found in a left breast pocket.")
    html = page(client, people["auditor"], urls(project, document.segments.first())["document"])
    assert 'Found in a <ins class="il-ins">left </ins>breast pocket.' in html


def test_a_document_without_segments_says_so(client, project, people):
    document = services.document_create(project=project, user=people["manager"], title="Empty leaflet")
    html = page(client, people["auditor"], reverse("document_history", args=[project.slug, document.pk]))
    assert "This document has no transcribed segments yet." in html


# --- access ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["segment", "translation", "document"])
def test_every_member_role_may_read_history(client, project, segment, people, worked_translation, kind):
    url = urls(project, segment, worked_translation)[kind]
    for role in ("translator", "reviewer", "manager", "auditor"):
        client.force_login(people[role])
        assert client.get(url).status_code == 200, role


def test_a_site_admin_may_read_history(client, project, segment, admin_user, worked_translation):
    client.force_login(admin_user)
    for url in urls(project, segment, worked_translation).values():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("kind", ["segment", "translation", "document"])
def test_an_outsider_gets_404(client, project, segment, people, worked_translation, kind):
    client.force_login(people["outsider"])
    assert client.get(urls(project, segment, worked_translation)[kind]).status_code == 404


@pytest.mark.parametrize("kind", ["segment", "translation", "document"])
def test_anonymous_visitors_are_sent_to_log_in(client, project, segment, worked_translation, kind):
    response = client.get(urls(project, segment, worked_translation)[kind])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_projects_material_is_not_reachable_through_this_project(client, admin_user, project, people):
    other = make_project(admin_user, slug="other-project", members={people["outsider"]: Role.TRANSLATOR,
                                                                       people["reviewer"]: Role.REVIEWER})
    other_document = make_document(other, admin_user, title="Other notebook")
    other_segment = other_document.segments.first()
    other_translation = services.translation_create(
        segment=other_segment, user=people["outsider"], language="en", text="Secret."
    )
    # The auditor belongs to this project only; the reviewer to both.
    for user in (people["auditor"], people["reviewer"]):
        client.force_login(user)
        for url in (
            reverse("translation_history", args=[project.slug, other_translation.pk]),
            reverse("segment_history", args=[project.slug, other_segment.pk]),
            reverse("document_history", args=[project.slug, other_document.pk]),
        ):
            assert client.get(url).status_code == 404, (user.username, url)


def test_history_pages_only_answer_get(client, project, segment, people, worked_translation):
    client.force_login(people["manager"])
    for url in urls(project, segment, worked_translation).values():
        assert client.post(url).status_code == 405


# --- cost ------------------------------------------------------------------

MAX_QUERIES = 10


def test_segment_history_costs_the_same_for_many_versions(client, project, segment, people, django_assert_max_num_queries):
    for n in range(30):
        segment = services.segment_edit(
            segment=segment, user=people["translator"], base_version=segment.version,
            source_text=f"첫째 줄이다 {n}.", reason=f"Correction {n}",
        )
    for user in ("translator2", "reviewer"):
        services.translation_create(segment=segment, user=people[user], language="en", text=f"By {user}.")
    client.force_login(people["auditor"])
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get(urls(project, segment)["segment"]).content.decode()
    assert "Version 31" in html and "Correction 29" in html


def test_translation_history_costs_the_same_for_many_versions_and_reviews(
    client, project, segment, people, django_assert_max_num_queries
):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="v1")
    for n in range(2, 32):
        reviewer = people["reviewer"] if n % 2 else people["reviewer2"]
        review_record(translation=translation, reviewer=reviewer, version=translation.version,
                      decision="request_changes", comment=f"Try again ({n})")
        translation = services.translation_edit(
            translation=translation, user=people["translator"], base_version=translation.version, text=f"v{n}",
            reason=f"Revision {n}",
        )
    client.force_login(people["auditor"])
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get(urls(project, segment, translation)["translation"]).content.decode()
    assert "Revision 31" in html and "Try again (31)" in html
    assert html.count("il-review") >= 30


def test_document_history_costs_the_same_for_many_versions(client, project, document, people, django_assert_max_num_queries):
    statuses = ["disputed", "authenticated", "unverified"]
    for n in range(30):
        services.document_update(document=document, user=people["manager"], authenticity=statuses[n % 3],
                                 reference_number=f"RN-{n}", reason=f"Assessment {n}")
    client.force_login(people["auditor"])
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get(reverse("document_history", args=[project.slug, document.pk])).content.decode()
    assert "Assessment 29" in html and "RN-29" in html


def test_a_reviewers_earlier_decision_on_the_same_text_is_shown_as_superseded(client, project, segment, people):
    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="One.")
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="reject",
                  comment="On reflection, the tense is wrong.")

    html = page(client, people["auditor"], urls(project, segment, translation)["translation"])

    rejection, approval = review_cards(html)
    assert "Rejected" in rejection and "Still counts" in rejection
    assert "Approved" in approval and "Superseded" in approval
