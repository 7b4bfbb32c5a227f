"""What keeps long pages fast: addresses reversed once per page, dates formatted once per
minute, project cards counted a page at a time. Each gives exactly what it replaced."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_project
from translations.links import ID, IdLink
from translations.models import Role
from translations.selectors import HOME_PAGE_SIZE


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("translation_save", ("a-project", ID)),
        ("translation_create", ("a-project", ID, "pt-BR")),
        ("segment_history", ("p1", ID)),
        ("segment_comments", ("p1", ID)),
        ("translation_history", ("p1", ID)),
    ],
)
def test_an_id_link_gives_what_reverse_gives(name, args):
    link = IdLink(name, *args)
    for pk in (1, 42, 987_654_321, 10**17):
        assert link(pk) == reverse(name, args=[pk if arg is ID else arg for arg in args])


def test_an_id_link_refuses_an_address_without_an_id_segment():
    with pytest.raises(ValueError):
        IdLink("home")


def test_time_tag_writes_what_the_two_date_filters_wrote():
    engine = engines["django"]
    before = engine.from_string("""<time datetime="{{ v|date:'c' }}">{{ v|date:"j M Y, H:i T" }}</time>""")
    after = engine.from_string("{% load interlinear %}{{ v|time_tag }}")
    moments = [
        timezone.now(),
        datetime.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=datetime.UTC),  # around a DST change
        datetime.datetime(2026, 3, 29, 1, 0, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 1, 5, 30, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 1, 6, 30, 2, tzinfo=datetime.UTC),
    ]
    for zone in ("UTC", "Europe/Kyiv", "America/New_York", "Asia/Seoul"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            for moment in moments:
                assert after.render({"v": moment}) == before.render({"v": moment})
    assert after.render({"v": None}) == ""


def test_home_counts_one_page_of_projects_at_a_time(client, admin_user, people, django_assert_max_num_queries):
    for n in range(HOME_PAGE_SIZE + 3):
        make_project(admin_user, slug=f"p{n:02d}", members={people["translator"]: Role.TRANSLATOR})
    client.force_login(people["translator"])
    with django_assert_max_num_queries(12):
        first = client.get(reverse("home"))
    page = first.content.decode()
    assert page.count('class="card h-100') == HOME_PAGE_SIZE
    assert f"{HOME_PAGE_SIZE + 3} in all" in page and "Page 1 of 2" in page
    second = client.get(reverse("home"), {"page": 2}).content.decode()
    assert second.count('class="card h-100') == 3 and "P14" in second


PAYLOAD = '<img src=x onerror="alert(1)">'


def test_rows_written_in_python_escape_every_text(client, project, segment, people):
    """The workspace and rendering rows are written by Python functions, not templates:
    every user text in them is escaped as autoescape would."""
    from reviews.services import review_record
    from translations import services

    for name in ("translator", "reviewer"):
        people[name].first_name, people[name].last_name = PAYLOAD, "'\"&"
        people[name].save()
    services.segment_edit(segment=segment, user=people["manager"], base_version=1, source_text=f"원문 {PAYLOAD} [?글]")
    mine = services.translation_create(segment=segment, user=people["translator"], language="en",
                                       text=f"Text {PAYLOAD}\nline two", note=f"Note {PAYLOAD}")
    review_record(translation=mine, reviewer=people["reviewer"], version=1, decision="approve")
    services.segment_edit(segment=segment, user=people["manager"], base_version=2, source_text=f"고친 {PAYLOAD}")
    services.translation_create(segment=segment, user=people["translator2"], language="en", text=f"Other {PAYLOAD}",
                                note=f"Other note {PAYLOAD}")
    pages = []
    for who in ("translator", "translator2", "reviewer2", "auditor"):
        client.force_login(people[who])
        pages.append(client.get(reverse("workspace", args=[project.slug, segment.document_id, "en"])).content.decode())
        pages.append(client.get(reverse("approved_rendering", args=[project.slug, segment.document_id, "en"])).content.decode())
    for page in pages:
        assert "<img" not in page and 'onerror="' not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&#x27;&quot;&amp;" in pages[0]  # the translator's last name, in the rendering's provenance too
    assert "line two" in pages[1] and "<br>line two" in pages[1]
