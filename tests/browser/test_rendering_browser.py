"""The approved rendering, walked in Chromium: a reviewer opens the packet,
reads who translated and approved a segment, and prints it. Screenshots of
the page on screen and as printed, and the printed PDF, go to test-artifacts/
so a reviewer of the change can see what a newsroom would receive."""

import pytest

from reviews.services import review_record
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTEBOOK = [
    "나는 당의 사랑과 은덕을 배신하였고 최고사령관동지의 은혜를 저버렸다.",
    "이번 전투에서 [illegible] 나의 죄를 씻고 싶다.",
    "살아서 돌아가면 어머니당의 품에 다시 안기겠다.",
    "동지들에게 [?부끄럽지] 않은 전사가 되겠다.",
    "오늘도 적의 무인기가 [세번|네번] 날아왔다.",
    "어머니, 걱정하지 마십시오.",
]


@pytest.fixture
def notebook():
    admin = UserFactory(username="siteadmin", first_name="Site", last_name="Administrator",
                        is_staff=True, is_superuser=True)
    team = {
        "translator": UserFactory(username="translator", first_name="Hana", last_name="Seo"),
        "translator2": UserFactory(username="translator2", first_name="Daniel", last_name="Park"),
        "reviewer": UserFactory(username="reviewer", first_name="Minji", last_name="Kang"),
        "reviewer2": UserFactory(username="reviewer2", first_name="Oliver", last_name="Grant"),
        "manager": UserFactory(username="manager", first_name="Ruth", last_name="Adler"),
    }
    project = make_project(
        admin, slug="recovered-notes",
        members={team["translator"]: Role.TRANSLATOR, team["translator2"]: Role.TRANSLATOR,
                 team["reviewer"]: Role.REVIEWER, team["reviewer2"]: Role.REVIEWER, team["manager"]: Role.MANAGER},
    )
    document = make_document(project, team["manager"], title="Soldier's notebook: self-criticism", lines=NOTEBOOK)
    services.document_update(
        document=document, user=team["manager"],
        obtained_from="Ukrainian Special Operations Forces",
        obtained_when="Winter 2024–25 (photographs received January 2025)",
        obtained_where="Kursk region, Russia (as reported by the source)",
        obtained_by="Photographed by SOF; copies to the newsroom's Seoul desk",
        reference_number="RN-2025-001",
        sensitivity_notes="The soldier's name appears on the cover; do not publish the cover photograph.",
    )
    s = list(document.segments.order_by("position"))

    def approved(segment, who, text, *reviewers):
        translation = services.translation_create(segment=segment, user=team[who], language="en", text=text)
        for reviewer in reviewers:
            translation.refresh_from_db()
            review_record(translation=translation, reviewer=team[reviewer], version=translation.version,
                          decision="approve")
        return translation

    approved(s[0], "translator", "I have betrayed the love and grace of the Party and turned my back on the "
             "grace of the Supreme Commander.", "reviewer")
    services.translation_create(segment=s[1], user=team["translator"], language="en",
                                text="In this battle I want to wash away my sins [illegible].")
    third = approved(s[2], "translator", "If I return alive, I will be embraced by the mother party again.",
                     "reviewer2")
    services.translation_edit(translation=third, user=team["translator"], base_version=1,
                              text="UNREVIEWED DRAFT: if I return home alive, I will once more be held.")
    approved(s[3], "translator2", "I will become a soldier who is not [?ashamed] before my comrades.", "reviewer")
    approved(s[4], "translator", "Today again the enemy's drones came [three|four] times.", "reviewer")
    services.segment_edit(segment=s[4], user=team["reviewer"], base_version=1,
                          source_text="오늘도 적의 무인기가 [세번|네번] 날아왔다. 피할 곳이 없다.")
    return project, document, s


def test_a_reviewer_reads_and_prints_the_approved_rendering(new_page, screenshot, notebook):
    project, document, segments = notebook
    page = new_page()
    log_in(page, "reviewer")
    page.goto(f"/p/{project.slug}/d/{document.pk}/rendering/en/")

    assert page.get_by_role("heading", name="Soldier's notebook: self-criticism").is_visible()
    assert page.get_by_text("Authenticity unverified.").is_visible()
    assert page.get_by_text("4 of 6 segments have an approved rendering").is_visible()
    assert page.get_by_text("Not yet approved").count() == 2
    assert page.get_by_text("source changed since approval — re-review pending").count() == 1
    assert page.get_by_text("UNREVIEWED DRAFT").count() == 0
    assert page.locator("td.il-rendering-source [lang=ko]").count() == 6
    assert page.locator("td.il-rendering-target [lang=en]").count() == 4

    # Provenance of a segment, on demand.
    row = page.locator(f"#segment-{segments[0].pk}")
    details = row.locator("details.il-provenance")
    assert not details.get_by_text("Minji Kang — approved version 1").is_visible()
    details.locator("summary").click()
    assert details.get_by_text("Minji Kang — approved version 1").is_visible()
    assert details.get_by_text("Hana Seo").first.is_visible()
    assert page.js_errors == [], page.js_errors
    screenshot(page, "rendering")

    # The Print button opens the browser's print dialog (stubbed: headless has none).
    page.evaluate("window.print = () => { window.ilPrinted = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.ilPrinted") is True

    # As printed: the packet alone, with every segment's provenance shown.
    details.locator("summary").click()  # closed again: print must not depend on what was opened
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("nav[aria-label=breadcrumb]").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.locator("details.il-provenance").first.is_hidden()
    print_blocks = page.locator(".il-provenance-print")
    assert print_blocks.count() == 4
    for index in range(4):
        assert print_blocks.nth(index).is_visible()
    assert row.locator(".il-provenance-print").get_by_text("Minji Kang — approved version 1").is_visible()
    assert page.get_by_text("Authenticity unverified.").is_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    screenshot(page, "rendering-print")
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS.parent / "rendering.pdf"), format="A4", prefer_css_page_size=True)
    assert page.js_errors == [], page.js_errors


def test_the_rendering_reads_on_a_narrow_screen(new_page, screenshot, notebook):
    project, document, _ = notebook
    page = new_page(width=420, height=900)
    log_in(page, "reviewer")
    page.goto(f"/p/{project.slug}/d/{document.pk}/rendering/en/")
    assert page.get_by_text("Not yet approved").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    screenshot(page, "rendering-narrow")
