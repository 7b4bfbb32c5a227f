"""A reviewer clears a queue of ten items with the keyboard alone."""

import pytest

from reviews.models import Review
from tests.browser.conftest import log_in, wait_until
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role, TranslationState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [
    "나는 당의 사랑과 은덕을 배신하였다.", "이번 전투에서 [illegible] 죄를 씻고 싶다.", "살아서 돌아가면 어머니당의 품에 안기겠다.",
    "동지들에게 [?부끄럽지] 않은 전사가 되겠다.", "오늘도 적의 무인기가 3번 날아왔다.", "어머니, 걱정하지 마십시오.",
    "건강한 몸으로 고향에 돌아오라.", "나는 언제나 동무들의 무사귀환을 기원한다.", "우리는 반드시 이긴다.", "밤이 길다.",
]
RENDERINGS = [
    "I have betrayed the love and grace of the Party.", "In this battle I want to wash away my sins [illegible].",
    "If I return alive, I will be embraced by the mother party.", "I will become a soldier who is not ashamed before my comrades.",
    "Today again the enemy's drones came.", "Mother, do not worry.", "Come back home safe and sound.",
    "I always pray for your safe return.", "We will surely win.", "The night is long.",
]


def test_a_reviewer_clears_ten_items_by_keyboard(new_page, screenshot, admin_user, people):
    from reviews.services import review_record

    project = make_project(admin_user, slug="recovered-notes", members={
        people["translator"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER, people["reviewer2"]: Role.REVIEWER})
    document = make_document(project, admin_user, title="Soldier's notebook", lines=LINES)
    for segment, text in zip(document.segments.order_by("position"), RENDERINGS):
        t = services.translation_create(segment=segment, user=people["translator"], language="en", text=text)
        if segment.position == 1:  # approved once, then revised: the queue shows the diff to the published text
            review_record(translation=t, reviewer=people["reviewer2"], version=1, decision="approve")
            services.translation_edit(translation=t, user=people["translator"], base_version=1,
                                      text="I have betrayed the love and grace of the Party and turned my back on "
                                           "the grace of the Supreme Commander.")

    page = new_page(height=1000)
    log_in(page, "reviewer")
    page.goto("/review/")
    page.locator("[data-il-queue-row]").first.wait_for()
    assert "Against the published text" in page.locator("[data-il-queue-row]").first.inner_text()
    assert page.locator("[data-il-queue-row] ins").count() >= 1
    screenshot(page, "10-review-queue")
    page.keyboard.press("?")
    page.locator("#il-keys.show").wait_for()
    wait_until(page, "document.activeElement && document.activeElement.id === 'il-keys'")
    page.wait_for_timeout(400)  # Bootstrap ignores Esc while the fade-in runs
    screenshot(page, "11-review-keys")
    page.keyboard.press("Escape")
    page.locator("#il-keys.show").wait_for(state="detached")
    page.locator("[data-il-queue-row]").first.focus()

    plan = ["a", "a", "c", "a", "x", "a", "a", "j", "k", "a", "a", "a"]
    decided = 0
    for key in plan:
        page.keyboard.press(key)
        if key in "cx":
            page.keyboard.type("The [illegible] mark was dropped." if key == "c" else "Mistranslation of 무인기.")
            page.keyboard.press("Enter")
        if key in "acx":
            decided += 1
            wait_until(page, f"document.querySelectorAll('[data-il-done]').length === {decided}")
    assert decided == 10
    assert Review.objects.filter(reviewer=people["reviewer"]).count() == 10
    assert Review.objects.filter(decision="request_changes").count() == 1
    assert Review.objects.filter(decision="reject").count() == 1
    assert document.segments.filter(translations__state=TranslationState.APPROVED).count() == 8
    assert page.locator("ins").count() == 0  # decided rows collapse
    assert page.js_errors == [], page.js_errors
    screenshot(page, "12-review-queue-cleared")
    page.reload()
    page.get_by_text("Nothing awaits your review").wait_for()
