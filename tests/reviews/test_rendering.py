"""The approved rendering of a document (invariant 4: what is published is what
was approved), who may read it (invariant 9), and what it costs.

Data is made through the services, as people make it; the page is read as a
member of the project reads it.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from reviews.services import review_record, reviews_record_bulk
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role
from translations.templatetags.interlinear import person


def url(project, document, language="en"):
    return reverse("approved_rendering", args=[project.slug, document.pk, language])


def read(client, user, address):
    client.force_login(user)
    response = client.get(address)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def submit(segment, user, text):
    return services.translation_create(segment=segment, user=user, language="en", text=text)


def approve(translation, reviewer):
    translation.refresh_from_db()
    return review_record(translation=translation, reviewer=reviewer, version=translation.version, decision="approve")


def edit(translation, user, text, **kwargs):
    translation.refresh_from_db()
    return services.translation_edit(
        translation=translation, user=user, base_version=translation.version, text=text, **kwargs
    )


def name(user):
    return escape(person(user))


def rows(html):
    """The segment rows of the rendering, in order."""
    return re.findall(r'<tr class="il-rendering-segment[^"]*" id="segment-\d+">.*?</tr>', html, re.S)


def test_the_rendering_shows_each_approved_text_beside_its_source_and_marks_the_gaps(
    client, project, document, people
):
    first, second, third = document.segments.order_by("position")
    approve(submit(first, people["translator"], "This is the first line."), people["reviewer"])
    submit(second, people["translator"], "Awaiting review, not approved.")
    html = read(client, people["translator"], url(project, document))

    first_row, second_row, third_row = rows(html)
    assert f'<p lang="ko">{first.source_text}</p>' in first_row
    assert '<p class="il-rendering-text" lang="en">This is the first line.</p>' in first_row
    assert "Not yet approved" not in first_row
    assert "Not yet approved" in second_row and "Not yet approved" in third_row
    assert "Awaiting review, not approved." not in html
    assert "1 of 3 segments have an approved rendering" in html
    assert "Generated <time" in html


def test_the_header_carries_provenance_and_the_authenticity_caveat(client, project, document, people):
    services.document_update(
        document=document, user=people["manager"], obtained_from="Ukrainian Special Operations Forces",
        obtained_when="January 2025", obtained_where="Kursk region", obtained_by="A field photographer",
        reference_number="RN-2025-001", sensitivity_notes="Names of the family are withheld.",
    )
    html = read(client, people["auditor"], url(project, document))
    facts = ("Ukrainian Special Operations Forces", "January 2025", "Kursk region", "A field photographer",
             "RN-2025-001", "Names of the family are withheld.", project.name, "Korean original, English rendering")
    for fact in facts:
        assert fact in html, fact
    assert "Authenticity unverified." in html
    assert "Any quotation must say that its authenticity is unverified." in html

    services.document_update(document=document, user=people["manager"], authenticity="authenticated")
    html = read(client, people["auditor"], url(project, document))
    assert "Authenticity unverified." not in html and "Authenticity: authenticated." in html


def test_source_text_is_marked_up_and_both_texts_carry_their_language(client, project, admin_user, people):
    document = make_document(project, people["manager"], lines=["동지들에게 [?부끄럽지] 않은 <전사>가 되겠다."])
    segment = document.segments.get()
    approve(submit(segment, people["translator"], "A soldier <not> to be [ashamed] of."), people["reviewer"])
    html = read(client, people["reviewer"], url(project, document))
    assert '<mark class="il-mark" title="uncertain reading">[?부끄럽지]</mark>' in html
    assert "&lt;전사&gt;" in html and "<전사>" not in html
    assert '<p class="il-rendering-text" lang="en">A soldier &lt;not&gt; to be [ashamed] of.</p>' in html


def test_a_later_unreviewed_draft_never_reaches_the_rendering(client, project, document, segment, people):
    translation = submit(segment, people["translator"], "Version one, approved.")
    approve(translation, people["reviewer"])
    edit(translation, people["translator"], "Version two, awaiting review.")
    html = read(client, people["reviewer"], url(project, document))
    assert "Version one, approved." in html
    assert "Version two, awaiting review." not in html
    assert "Who translated and approved version 1" in html

    edit(translation, people["translator"], "Version three, nobody has seen it.")
    html = read(client, people["reviewer"], url(project, document))
    assert "Version one, approved." in html
    assert "Version three" not in html and "Version two" not in html


def test_approving_a_newer_version_shows_it_with_only_its_own_approvers(client, project, document, segment, people):
    translation = submit(segment, people["translator"], "Version one.")
    approve(translation, people["reviewer"])
    edit(translation, people["translator"], "Version two.")
    approve(translation, people["reviewer2"])
    row = rows(read(client, people["reviewer"], url(project, document)))[0]
    assert "Version two." in row and "Version one." not in row
    assert f"{name(people['reviewer2'])} — approved version 2" in row
    assert name(people["reviewer"]) not in row, "the approval of version one approved another text"


def test_another_candidate_approved_later_replaces_the_shown_text(client, project, document, segment, people):
    approve(submit(segment, people["translator"], "The first rendering."), people["reviewer"])
    approve(submit(segment, people["translator2"], "A better rendering."), people["reviewer"])
    html = read(client, people["reviewer"], url(project, document))
    [row] = [r for r in rows(html) if f'id="segment-{segment.pk}"' in r]
    assert "A better rendering." in row and "The first rendering." not in html
    assert f"<dd>{name(people['translator2'])}</dd>" in row
    assert "1 of 3 segments have an approved rendering" in html


def test_a_source_change_shows_the_warning_and_still_the_last_approved_text(client, project, document, segment, people):
    approve(submit(segment, people["translator"], "This is the first line."), people["reviewer"])
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text="첫째 줄이었다.")
    html = read(client, people["reviewer"], url(project, document))
    first_row = rows(html)[0]
    assert "source changed since approval — re-review pending" in first_row
    assert "This is the first line." in first_row
    assert "첫째 줄이었다." in first_row  # the source as it is now ...
    assert "<dt>Original as approved</dt>" in first_row and "첫째 줄이다." in first_row  # ... and then
    assert "1 of them approved against an earlier version of the source" in html
    assert "source changed since approval" not in "".join(rows(html)[1:])

    # Re-approval against the new source clears the warning; the approval of
    # the old source is no longer listed as approving what is shown.
    approve(segment.translations.get(), people["reviewer2"])
    html = read(client, people["reviewer"], url(project, document))
    assert "source changed since approval" not in html
    first_row = rows(html)[0]
    assert f"{name(people['reviewer2'])} — approved version 1" in first_row
    assert name(people["reviewer"]) not in first_row


def test_the_translator_the_writer_of_the_version_and_its_approvers_are_listed(
    client, project, document, segment, people, admin_user
):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=2, allow_self_approval=False, reason="Two"
    )
    translation = submit(segment, people["translator"], "First wording.")
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="request_changes",
                  comment="Plainer, please.")
    edit(translation, admin_user, "Plainer wording.", reason="Copy edit")  # a site admin writes version 2
    approve(translation, people["reviewer2"])
    approve(translation, people["manager"])
    html = read(client, people["auditor"], url(project, document))
    row = rows(html)[0]
    assert "Plainer wording." in row
    assert "<dt>Translated by</dt>\n  <dd>" + name(people["translator"]) in row
    assert "<dt>Version 2 written by</dt>\n  <dd>" + name(admin_user) + ", <time" in row
    assert f"{name(people['reviewer2'])} — approved version 2" in row
    assert f"{name(people['manager'])} — approved version 2" in row
    assert name(people["reviewer"]) not in row, "a request for changes is not an approval"


def test_an_approval_of_an_earlier_version_with_the_same_text_is_listed_with_its_version(
    client, project, document, segment, people
):
    translation = submit(segment, people["translator"], "Approved wording.")
    approve(translation, people["reviewer"])
    edit(translation, people["translator"], "Experimental wording.")
    edit(translation, people["translator"], "Approved wording.")  # version 3, approved again by the same text
    approve(translation, people["reviewer2"])  # moves publication to version 3
    row = rows(read(client, people["reviewer"], url(project, document)))[0]
    assert "Experimental wording." not in row
    assert f"{name(people['reviewer'])} — approved version 1" in row


def test_a_final_edit_is_named_as_such(client, project, document, segment, people):
    services.project_policy_update(
        project=project, user=people["manager"], required_approvals=1, allow_self_approval=False,
        final_stage_required=True, reason="Final edit",
    )
    translation = submit(segment, people["translator"], "Reviewed, then final-edited.")
    approve(translation, people["reviewer"])
    html = read(client, people["reviewer"], url(project, document))
    assert "Reviewed, then final-edited." not in html, "reviewed but not final-edited is not yet published"
    approve(translation, people["manager"])
    row = rows(read(client, people["reviewer"], url(project, document)))[0]
    assert f"{name(people['reviewer'])} — approved version 1" in row
    assert f"{name(people['manager'])} — final edit of version 1" in row


def test_deleted_segments_are_left_out(client, project, document, people):
    first, second, third = document.segments.order_by("position")
    approve(submit(second, people["translator"], "Gone with its segment."), people["reviewer"])
    services.segment_delete(segment=second, user=people["manager"], base_version=second.version)
    html = read(client, people["translator"], url(project, document))
    assert len(rows(html)) == 2
    assert "Gone with its segment." not in html and second.source_text not in html
    assert "0 of 2 segments have an approved rendering" in html


def test_an_empty_document_says_so(client, project, people):
    document = services.document_create(project=project, user=people["manager"], title="Blank page")
    html = read(client, people["translator"], url(project, document))
    assert "This document has no transcribed segments yet." in html
    assert "0 of 0 segments have an approved rendering" in html


# --- who may read it ---------------------------------------------------------


@pytest.mark.parametrize("role", ["translator", "reviewer", "manager", "auditor"])
def test_every_member_may_read_it(client, project, document, people, role):
    read(client, people[role], url(project, document))


def test_a_site_admin_may_read_it(client, project, document, admin_user):
    read(client, admin_user, url(project, document))


def test_an_outsider_gets_404(client, project, document, people):
    client.force_login(people["outsider"])
    assert client.get(url(project, document)).status_code == 404


def test_another_projects_document_through_ones_own_project_is_404(client, project, people, admin_user):
    other = make_project(admin_user, slug="elsewhere", members={people["outsider"]: Role.MANAGER})
    foreign = make_document(other, people["outsider"], title="Not yours")
    client.force_login(people["translator"])
    response = client.get(url(project, foreign))
    assert response.status_code == 404
    assert b"Not yours" not in response.content


def test_an_unknown_language_is_404(client, project, document, people):
    client.force_login(people["reviewer"])
    assert client.get(url(project, document, "fr")).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, project, document):
    address = url(project, document)
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "next=" in response["Location"]


def test_the_page_has_no_inline_script_or_style_and_a_print_button(client, project, document, people):
    html = read(client, people["reviewer"], url(project, document))
    assert "data-il-print" in html and "interlinear/print.js" in html and "interlinear/print.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)


# --- cost --------------------------------------------------------------------


def worked_document(project, people, size):
    """`size` segments: most approved (some by two translators in turn, some then
    edited again), a few only submitted, a few untouched."""
    document = make_document(project, people["manager"], title=f"Notebook of {size}",
                             lines=[f"{n}번째 줄이다." for n in range(1, size + 1)])
    segments = list(document.segments.order_by("position"))
    translations = []
    for n, segment in enumerate(segments):
        if n % 10 == 9:
            continue  # untouched
        translator = people["translator"] if n % 2 else people["translator2"]
        translations.append(submit(segment, translator, f"Line {n + 1}."))
    approved = [t for n, t in enumerate(translations) if n % 7 != 3]
    reviews_record_bulk(reviewer=people["reviewer"], items=[(t.pk, 1) for t in approved], decision="approve")
    for translation in approved[::5]:
        edit(translation, translation.author, f"{translation.text} Revised.")
    return document


def test_the_rendering_costs_the_same_number_of_queries_at_any_length(
    client, project, people, django_assert_max_num_queries
):
    small, large = worked_document(project, people, 5), worked_document(project, people, 200)
    client.force_login(people["auditor"])
    counts = []
    for document, size in ((small, 5), (large, 200)):
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(12):
                response = client.get(url(project, document))
        assert response.status_code == 200
        assert len(rows(response.content.decode())) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    html = response.content.decode()
    assert "Revised." not in html
    print(f"approved rendering: {counts[1]} queries for 200 segments")
