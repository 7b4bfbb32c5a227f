"""A reviewer selects words in a rendering, marks them "Accuracy / Omission, Major",
and reads the document's MQM quality report."""

import pytest

from reviews.models import ErrorAnnotation
from reviews.services import back_translation_complete, back_translation_request, error_annotation_create
from tests.browser.conftest import log_in, wait_until
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [
    "나는 당의 사랑과 은덕을 배신하였다.", "살아서 돌아가면 어머니당의 품에 안기겠다.", "오늘도 적의 무인기가 3번 날아왔다.",
    "어머니, 걱정하지 마십시오.", "우리는 반드시 이긴다.",
]
RENDERINGS = [
    "I have betrayed the love of the Party.", "If I return alive, I will be embraced by the party.",
    "Today again the enemy's drones came 3 times.", "Mother, do not worry.", "We will surely win.",
]


def words_box(page, words):
    """The on-screen box of `words` inside the rendering shown for annotation."""
    return page.evaluate(
        """(words) => {
            const box = document.querySelector('[data-il-annotate-text]');
            const node = Array.from(box.childNodes).find(n => n.nodeType === 3 && n.textContent.includes(words));
            const range = document.createRange();
            const at = node.textContent.indexOf(words);
            range.setStart(node, at); range.setEnd(node, at + words.length);
            const r = range.getBoundingClientRect();
            return {x: r.left, y: r.top, width: r.width, height: r.height};
        }""",
        words,
    )


def test_a_reviewer_marks_an_omission_and_reads_the_report(new_page, screenshot, admin_user, people):
    project = make_project(admin_user, slug="recovered-notes", members={
        people["translator"]: Role.TRANSLATOR, people["translator2"]: Role.TRANSLATOR,
        people["reviewer"]: Role.REVIEWER, people["reviewer2"]: Role.REVIEWER})
    document = make_document(project, admin_user, title="Soldier's notebook", lines=LINES)
    candidates = []
    for n, (segment, text) in enumerate(zip(document.segments.order_by("position"), RENDERINGS)):
        author = people["translator"] if n % 2 == 0 else people["translator2"]
        candidates.append(services.translation_create(segment=segment, user=author, language="en", text=text))
    target = candidates[1]  # "…embraced by the party." drops 어머니 ("mother party")
    error_annotation_create(translation=candidates[0], user=people["reviewer2"], base_version=1, dimension="accuracy",
                            subtype="omission", severity="minor", quote="the love", occurrence=1,
                            note="사랑과 은덕: “grace” is missing")
    error_annotation_create(translation=candidates[2], user=people["reviewer2"], base_version=1, dimension="style",
                            subtype="awkward", severity="minor", quote="again", occurrence=1)
    error_annotation_create(translation=target, user=people["reviewer2"], base_version=1, dimension="linguistic",
                            subtype="punctuation", severity="neutral", quote="alive,", occurrence=1)
    back = back_translation_request(translation=target, user=people["reviewer2"], assignee=people["translator"],
                                    base_version=1, note="Please do not look at the source first.")
    back_translation_complete(back_translation=back, user=people["translator"], text="살아 돌아가면 당의 품에 안길 것이다.")

    page = new_page(height=1000)
    log_in(page, "reviewer")
    page.goto(f"/p/{project.slug}/t/{target.pk}/quality/")
    page.get_by_role("heading", name="Back-translations").wait_for()
    assert "for comparison — never published" in page.inner_text("#il-back")

    box = words_box(page, "the party")
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=3)
    page.mouse.move(box["x"] + box["width"] - 1, y, steps=3)
    page.mouse.up()
    wait_until(page, "document.querySelector('#il-quote').value === 'the party'")
    assert page.input_value("input[name=start]") == str(target.text.index("the party"))
    assert "Selected “the party”" in page.inner_text("[data-il-selection]")

    page.select_option("#il-dimension", "accuracy")
    assert page.locator("#il-subtype optgroup[data-il-dimension=style]").get_attribute("hidden") is not None
    page.select_option("#il-subtype", "omission")
    page.get_by_label("Major").check()
    page.fill("#il-note", "어머니당 is “the mother party”: “mother” is omitted.")
    screenshot(page, "60-mqm-span-selected")
    page.get_by_role("button", name="Save annotation").click()
    page.get_by_text("Saved: Accuracy / Omission, Major on version 1.").wait_for()
    annotation = ErrorAnnotation.objects.get(translation=target, severity="major")
    assert (annotation.dimension, annotation.subtype, target.text[annotation.start:annotation.end]) == (
        "accuracy", "omission", "the party")
    assert page.locator("mark.il-mqm-major").inner_text() == "the party"
    screenshot(page, "61-mqm-annotation-saved")

    # Without a mouse: type the words and their occurrence.
    page.fill("#il-quote", "I will")
    page.fill("#il-occurrence", "1")
    page.select_option("#il-dimension", "style")
    page.select_option("#il-subtype", "register")
    page.get_by_label("Minor").check()
    page.get_by_role("button", name="Save annotation").click()
    page.get_by_text("Saved: Style / Language register, Minor on version 1.").wait_for()
    assert ErrorAnnotation.objects.filter(translation=target).count() == 3

    page.get_by_role("link", name="Document quality report").click()
    page.get_by_role("heading", name="Errors by dimension and severity").wait_for()
    text = page.inner_text("main")
    assert "3 of 5" in text and "fail" in text
    assert page.js_errors == [], page.js_errors
    screenshot(page, "62-mqm-document-report")


def test_a_manager_sets_the_quality_policy(new_page, screenshot, admin_user, people):
    from reviews.models import QualityPolicy

    project = make_project(admin_user, slug="recovered-notes", members={people["manager"]: Role.MANAGER})
    page = new_page(height=1100)
    log_in(page, "manager")
    page.goto(f"/p/{project.slug}/policy/")
    form = page.locator("form#quality")
    form.get_by_label("Major").fill("10")
    form.get_by_label("Pass mark (0–100)").fill("90")
    form.get_by_label("Offer this project's approved renderings", exact=False).check()
    form.get_by_label("Why the change").fill("Leaflets need a stricter major weight")
    form.get_by_role("button", name="Save quality policy").click()
    page.get_by_text("Quality policy saved.").wait_for()
    policy = QualityPolicy.objects.get(project=project)
    assert (policy.weight_major, int(policy.pass_threshold)) == (10, 90)
    project.refresh_from_db()
    assert project.shares_memory
    assert page.js_errors == [], page.js_errors
    screenshot(page, "63-quality-policy")


def test_a_translator_writes_a_back_translation_asked_of_them(new_page, screenshot, admin_user, people):
    from reviews.models import BackTranslation

    project = make_project(admin_user, slug="recovered-notes", members={
        people["translator"]: Role.TRANSLATOR, people["translator2"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER})
    document = make_document(project, admin_user, title="Soldier's notebook", lines=LINES[:2])
    first, second = document.segments.order_by("position")
    for segment, text in ((first, RENDERINGS[0]), (second, RENDERINGS[1])):
        rendering = services.translation_create(segment=segment, user=people["translator"], language="en", text=text)
        back_translation_request(translation=rendering, user=people["reviewer"], assignee=people["translator2"],
                                 base_version=1, note="Translate it back without looking at the source.")
    page = new_page(height=1000)
    log_in(page, "translator2")
    page.get_by_role("link", name="My back-translations").click()
    page.get_by_role("heading", name="Waiting for you").wait_for()
    page.get_by_label("Your back-translation into ko").first.fill("나는 당의 사랑을 배신했다.")
    screenshot(page, "64-back-translations-waiting")
    page.get_by_role("button", name="Save back-translation").first.click()
    page.get_by_text("Back-translation saved.").wait_for()
    assert BackTranslation.objects.filter(state="done").count() == 1
    assert page.js_errors == [], page.js_errors
    screenshot(page, "65-back-translations-done")
