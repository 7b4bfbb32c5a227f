"""The review queue at any length: capped counts, keyset pages, bounded queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.selectors import queue as queue_selectors
from reviews.services import reviews_record_bulk
from translations.history import bulk_create_tracked, bulk_update_tracked
from translations.models import Segment, Translation, TranslationState


def waiting(document, author, count, people, *, same_moment=False):
    """`count` submitted candidates by `author`; with `same_moment`, all updated at one instant,
    so only the id orders them (the tie a keyset page must not lose rows in)."""
    segments = bulk_create_tracked(
        [Segment(document=document, position=100 + n, source_text=f"{n}번 줄.", source_hash=f"h{author.pk}-{n}")
         for n in range(count)],
        user=people["manager"], reason="Test data",
    )
    now = timezone.now()
    translations = bulk_create_tracked(
        [Translation(segment=s, language="en", author=author, edited_by=author, text=f"Line {n}.", text_hash=f"t{n}",
                     state=TranslationState.SUBMITTED, submitted_at=now) for n, s in enumerate(segments)],
        user=author, reason="Test data",
    )
    if same_moment:
        for t in translations:
            t.updated_at = now
        bulk_update_tracked(translations, ["updated_at"], user=author, reason="Test data: one instant")
    return translations


def queue_order(reviewer):
    return list(queue_selectors.awaiting(reviewer).order_by("updated_at", "id").values_list("id", flat=True))


def walk(client, url):
    """Follow the queue's Next links from `url`; the ids of every page, in order."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append([t.pk for t in response.context["rows"]])
        found = re.search(r'href="(\?[^"]*after=[^"]*)" rel="next"', response.content.decode())
        url = reverse("review_queue") + found[1].replace("&amp;", "&") if found else None
    return pages


def test_a_queue_longer_than_the_cap_reads_n_plus_everywhere(client, project, document, people, monkeypatch):
    monkeypatch.setattr(queue_selectors, "COUNT_CAP", 5)
    waiting(document, people["translator"], 8, people)
    client.force_login(people["reviewer"])
    response = client.get(reverse("review_queue"))
    facets, page = response.context["facets"], response.content.decode()
    assert (facets["total"], facets["capped"]) == (5, True)
    assert "5+ versions awaiting your decision" in page
    assert "All (5+)" in page and "Recovered Notes (5+)" in page
    assert "oldest 5000 at most" in page  # the bulk "all matching" is honest about its reach
    assert client.get(reverse("home")).context["counts"]["awaiting_me_capped"] is True
    assert ">5+</span>" in client.get(reverse("home")).content.decode()


def test_a_queue_within_the_cap_shows_exact_counts(client, project, document, people, monkeypatch):
    monkeypatch.setattr(queue_selectors, "COUNT_CAP", 5)
    waiting(document, people["translator"], 5, people)
    client.force_login(people["reviewer"])
    response = client.get(reverse("review_queue"))
    page = response.content.decode()
    assert (response.context["facets"]["total"], response.context["facets"]["capped"]) == (5, False)
    assert "5 versions awaiting your decision" in page and "5+" not in page
    assert "all 5 matching the filter" in page
    home = client.get(reverse("home"))
    assert (home.context["counts"]["awaiting_me"], home.context["counts"]["awaiting_me_capped"]) == (5, False)


def test_next_pages_follow_each_other_without_duplicates_or_gaps(client, project, document, people):
    waiting(document, people["translator"], 30, people, same_moment=True)
    waiting(document, people["translator2"], 31, people)
    client.force_login(people["reviewer"])
    pages = walk(client, reverse("review_queue"))
    assert [len(p) for p in pages] == [25, 25, 11]
    assert [pk for p in pages for pk in p] == queue_order(people["reviewer"])


def test_previous_goes_back_to_the_page_before(client, project, document, people):
    waiting(document, people["translator"], 60, people, same_moment=True)
    client.force_login(people["reviewer"])
    first = client.get(reverse("review_queue"))
    second = client.get(reverse("review_queue"), {"after": first.context["page"].next_cursor, "page": 2})
    third = client.get(reverse("review_queue"), {"after": second.context["page"].next_cursor, "page": 3})
    back = client.get(reverse("review_queue"), {"before": third.context["page"].previous_cursor, "page": 2})
    assert [t.pk for t in back.context["rows"]] == [t.pk for t in second.context["rows"]]
    assert "Page 2 of 3" in back.content.decode()
    to_first = client.get(reverse("review_queue"), {"before": second.context["page"].previous_cursor, "page": 1})
    assert [t.pk for t in to_first.context["rows"]] == [t.pk for t in first.context["rows"]]
    assert to_first.context["page"].has_previous is False


def test_deciding_a_page_then_following_next_skips_nothing(client, project, document, people):
    """Offset pages skip a page's worth of versions once the first page is decided; cursors do not."""
    waiting(document, people["translator"], 60, people)
    client.force_login(people["reviewer"])
    order = queue_order(people["reviewer"])
    first = client.get(reverse("review_queue"))
    reviews_record_bulk(reviewer=people["reviewer"], items=[(t.pk, t.version) for t in first.context["rows"]],
                        decision="approve")
    after = client.get(reverse("review_queue"), {"after": first.context["page"].next_cursor, "page": 2})
    assert [t.pk for t in after.context["rows"]] == order[25:50]


def test_a_numbered_page_is_still_served_and_past_the_end_is_the_last(client, project, document, people):
    waiting(document, people["translator"], 30, people)
    client.force_login(people["reviewer"])
    order = queue_order(people["reviewer"])
    assert [t.pk for t in client.get(reverse("review_queue"), {"page": 2}).context["rows"]] == order[25:]
    assert [t.pk for t in client.get(reverse("review_queue"), {"page": 99}).context["rows"]] == order[25:]
    for junk in ("0", "-1", "x", "²", "9" * 40):
        assert client.get(reverse("review_queue"), {"page": junk}).status_code == 200
    for junk in ("x", "1_2_3", "99999999999999999999_1", "\u0661_1"):
        response = client.get(reverse("review_queue"), {"after": junk, "before": junk})
        assert response.status_code == 200 and [t.pk for t in response.context["rows"]] == order[:25]


def test_a_deep_page_costs_what_the_first_does(client, project, document, people, django_assert_max_num_queries):
    waiting(document, people["translator"], 40, people)
    client.force_login(people["reviewer"])
    client.get(reverse("review_queue"))
    with CaptureQueriesContext(connection) as small:
        first = client.get(reverse("review_queue"))
    waiting(document, people["translator2"], 1500, people)
    with django_assert_max_num_queries(len(small.captured_queries)):
        deep = client.get(reverse("review_queue"), {"after": first.context["page"].next_cursor, "page": 2})
    assert len(deep.context["rows"]) == 25 and deep.context["facets"]["capped"] is True


@pytest.mark.parametrize("role", ["manager", "reviewer"])
def test_the_queue_is_the_same_set_as_before_for_every_kind_of_reviewer(client, project, document, people, role):
    """Policy resolved in Python (self-approval, final edit) picks exactly the versions the
    per-row conditions did."""
    from translations import services

    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=True, final_stage_required=True, reason="Test")
    own = waiting(document, people[role], 3, people)
    others = waiting(document, people["translator"], 3, people)
    reviews_record_bulk(reviewer=people["reviewer2"], items=[(others[0].pk, 1)], decision="approve")  # now awaits its final edit
    client.force_login(people[role])
    ids = set(queue_order(people[role]))
    expected = {t.pk for t in own} | {t.pk for t in others[1:]} | ({others[0].pk} if role == "manager" else set())
    assert ids == expected
