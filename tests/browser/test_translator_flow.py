"""A translator's first session, walked in Chromium: create a document, upload a
page photograph, transcribe by paste-and-split, submit renderings with the
keyboard, and meet a stale-version conflict from a second browser."""

import io
import subprocess

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import log_in, wait_until
from tests.factories import make_project
from translations.history import save_tracked
from translations.models import DocumentImage, Role, Segment, Translation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "나는 당의 사랑과 은덕을 배신하였다. 살아서 돌아가면 어머니당의 품에 안기겠다! 동지들에게 [?부끄럽지] 않은 전사가 되겠다."


def page_photo(tmp_path):
    image = Image.new("RGB", (900, 1200), (236, 228, 210))
    draw = ImageDraw.Draw(image)
    for y in range(150, 1100, 60):
        draw.line((80, y, 820, y), fill=(180, 190, 210), width=2)
        draw.line((100, y - 20, 100 + (y * 7) % 600, y - 18), fill=(40, 40, 60), width=4)
    path = tmp_path / "notebook-page-1.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 44.0, 0.0), 3: "E", 4: (35.0, 12.0, 0.0)}
    image.save(path, format="JPEG", quality=85, exif=exif)
    return path


@pytest.fixture
def team(admin_user, people):
    project = make_project(
        admin_user,
        slug="recovered-notes",
        members={people["translator"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER,
                 people["manager"]: Role.MANAGER},
    )
    project.translators_may_create_documents = True
    project.description = "Korean notes recovered from the battlefield (illustrative reconstructions)."
    save_tracked(project, user=admin_user, reason="Let translators add documents")
    return project


def test_a_translator_creates_transcribes_and_translates_a_document(new_page, screenshot, team, people, tmp_path):
    page = new_page()
    log_in(page, "translator")
    screenshot(page, "01-home")
    page.get_by_role("link", name="Recovered Notes").click()
    page.get_by_role("link", name="New document").first.click()
    page.get_by_label("Title").fill("Soldier's notebook")
    page.get_by_label("Obtained from").fill("Ukrainian Special Operations Forces")
    page.get_by_label("Reference number").fill("RN-2025-001")
    screenshot(page, "02-new-document")
    page.get_by_role("button", name="Create document").click()
    page.wait_for_url("**/d/*/")
    assert page.get_by_text("No page images yet").is_visible()
    screenshot(page, "03-document-empty")

    # Upload a photograph of the page.
    page.set_input_files("input[name=images]", str(page_photo(tmp_path)))
    page.locator("form[data-il-upload] button[type=submit]").click()
    page.get_by_text("SHA-256 of the original").wait_for()
    image = DocumentImage.objects.get()
    assert page.locator("code.il-sha256-value").inner_text().strip() == image.sha256
    screenshot(page, "04-document-with-image")

    # Transcribe by pasting and splitting into sentences.
    page.get_by_role("link", name="Transcription").first.click()
    page.get_by_label("Paste or type the original text").fill(NOTE)
    page.get_by_label("One segment per sentence").check()
    page.get_by_role("button", name="Split and add").click()
    page.locator("#segment-list li.il-seg-row").nth(2).wait_for()
    assert Segment.objects.filter(is_deleted=False).count() == 3
    assert page.locator("mark.il-mark").first.inner_text() == "[?부끄럽지]"
    assert page.get_by_text("Added 3 segments.").is_visible()
    assert page.get_by_label("Paste or type the original text").input_value() == ""
    screenshot(page, "05-transcription")

    # Translate: type, Ctrl+Enter saves in place and moves to the next segment.
    page.get_by_role("link", name="Translate into EN").first.click()
    first, second = Segment.objects.filter(is_deleted=False).order_by("position")[:2]
    editor = page.locator(f"#text-{first.pk}")
    editor.fill("I have betrayed the love and grace of the Party.")
    editor.press("Control+Enter")
    page.locator(f"#ws-segment-{first.pk}").get_by_text("Submitted for review").wait_for()
    wait_until(page, f"document.activeElement && document.activeElement.id === 'text-{second.pk}'")
    page.keyboard.type("If I return alive, I will be embraced by the mother party.")
    page.keyboard.press("Control+Enter")
    page.locator(f"#ws-segment-{second.pk}").get_by_text("Submitted for review").wait_for()
    assert Translation.objects.filter(state="submitted").count() == 2
    assert page.js_errors == [], page.js_errors
    assert page.get_by_text("Added 3 segments.").count() == 0  # shown once, in place, not again later
    screenshot(page, "06-workspace")

    # A narrow screen still works.
    narrow = new_page(width=420, height=900)
    log_in(narrow, "translator")
    narrow.goto(page.url)
    screenshot(narrow, "07-workspace-narrow")


def test_a_stale_save_from_a_second_browser_shows_a_conflict_and_keeps_the_text(new_page, screenshot, team, people):
    from tests.factories import make_document
    from translations import services

    document = make_document(team, people["manager"], title="Letter", lines=["건강한 몸으로 고향에 돌아오라."])
    segment = document.segments.get()
    services.translation_create(segment=segment, user=people["translator"], language="en", text="Come home healthy.")

    first_tab, second_tab = new_page(), new_page()
    for tab in (first_tab, second_tab):
        log_in(tab, "translator")
        tab.goto(f"/p/{team.slug}/d/{document.pk}/translate/en/")
    second_tab.locator(f"#text-{segment.pk}").fill("Come back home safe and sound.")
    second_tab.locator(f"#text-{segment.pk}").press("Control+Enter")
    second_tab.locator(f"#ws-segment-{segment.pk}").get_by_text("Saved").wait_for()

    first_tab.locator(f"#text-{segment.pk}").fill("Return home in good health.")
    first_tab.locator(f"#text-{segment.pk}").press("Control+Enter")
    panel = first_tab.locator(".il-conflict-panel")
    panel.wait_for()
    assert "Come back home safe and sound." in panel.inner_text()
    assert first_tab.locator(f"#text-{segment.pk}").input_value() == "Return home in good health."
    assert Translation.objects.get().text == "Come back home safe and sound."
    screenshot(first_tab, "08-conflict")

    first_tab.goto(f"/p/{team.slug}/t/{Translation.objects.get().pk}/history/")
    screenshot(first_tab, "09-translation-history")


def test_korean_is_rendered_with_a_cjk_font():
    """Screenshots show Hangul, not boxes: fontconfig resolves the app's CJK stack to Noto CJK."""
    result = subprocess.run(["fc-match", "Noto Sans CJK KR:lang=ko"], capture_output=True, text=True)
    assert "Noto" in result.stdout and "CJK" in result.stdout, result.stdout
