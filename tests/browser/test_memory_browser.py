"""The workspace's aid panel in Chromium: a translation-memory suggestion for the segment
being translated, inserted with a click and with Alt+2, then saved as usual; candidate
agreement beside it; the panel below the focused row on a narrower screen."""

import pytest

from reviews.services.decisions import review_record
from tests.browser.conftest import log_in, wait_until
from tests.factories import make_document, make_project
from translations import services
from translations.history import save_tracked
from translations.models import MemoryEntry, Role, Translation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EARLIER = (
    "나는 당의 사랑과 은덕을 배신하였습니다.",
    "살아서 돌아가면 어머니당의 품에 다시 안기겠다.",
)
CURRENT = (
    "나는 당의 사랑과 은덕을 배신하였다.",
    "오늘도 적의 무인기가 세 번 날아왔다.",
)


@pytest.fixture
def workspace(admin_user, people):
    project = make_project(
        admin_user, slug="recovered-notes",
        members={people["translator"]: Role.TRANSLATOR, people["translator2"]: Role.TRANSLATOR,
                 people["reviewer"]: Role.REVIEWER, people["manager"]: Role.MANAGER},
    )
    earlier = make_document(project, people["manager"], title="Notebook A (Kursk, Dec. 2024)", lines=EARLIER)
    first = earlier.segments.order_by("position").first()
    translation = services.translation_create(
        segment=first, user=people["translator2"], language="en",
        text="I betrayed the love and grace of the Party.",
    )
    review_record(translation=translation, reviewer=people["reviewer"], version=1, decision="approve")
    save_tracked(
        MemoryEntry(project=project, language="en", source_text="나는 당의 은덕을 배신하였다.",
                    target_text="I have betrayed the grace of the Party.", origin="newsroom-2024.tmx",
                    created_by=people["manager"]),
        user=people["manager"], reason="Imported for the test",
    )
    current = make_document(project, people["manager"], title="Notebook B", lines=CURRENT)
    second = current.segments.order_by("position")[1]
    services.translation_create(segment=second, user=people["translator2"], language="en",
                                text="Today again the enemy drones came three times.")
    services.translation_create(segment=second, user=people["reviewer"], language="en",
                                text="Again today enemy drones flew over four times.")
    return project, current


def test_a_translator_inserts_a_memory_suggestion_and_saves_it(new_page, screenshot, workspace, people):
    project, document = workspace
    segments = list(document.segments.order_by("position"))
    page = new_page(width=1600, height=1000)
    log_in(page, "translator")
    page.goto(f"/p/{project.slug}/d/{document.pk}/translate/en/")
    assert page.get_by_text("Click into a rendering's editor").is_visible()

    editor = page.locator(f"#text-{segments[0].pk}")
    editor.click()
    suggestion = page.locator("#il-aids [data-il-suggestion='1']")
    suggestion.wait_for()
    assert suggestion.locator("[data-il-suggestion-text]").inner_text() == "I betrayed the love and grace of the Party."
    assert suggestion.locator(".il-score").inner_text().endswith("%")
    assert suggestion.locator("del.il-del").inner_text() == "습니"
    assert "Notebook A" in suggestion.locator("a.il-origin").inner_text()
    assert page.locator("#il-aids [data-il-suggestion='2'] a.il-origin").inner_text() == "TMX · newsroom-2024.tmx"
    assert page.get_by_text("Fewer than two submitted candidates").is_visible()
    screenshot(page, "memory-01-suggestion-in-workspace")

    suggestion.get_by_role("button", name="Insert").click()
    assert editor.input_value() == "I betrayed the love and grace of the Party."
    assert editor.evaluate("e => document.activeElement === e && e.hasAttribute('data-il-dirty')")
    screenshot(page, "memory-02-suggestion-inserted")

    editor.press("Alt+2")  # the second suggestion replaces it
    assert editor.input_value() == "I have betrayed the grace of the Party."
    editor.press("Control+z")
    assert editor.input_value() == "I betrayed the love and grace of the Party."

    # Nothing is saved until the translator saves, as usual.
    assert not Translation.objects.filter(author=people["translator"]).exists()
    row = page.locator(f"#ws-segment-{segments[0].pk}")
    row.get_by_role("button", name="Submit for review").click()
    row.get_by_text("Submitted for review").wait_for()
    saved = Translation.objects.get(author=people["translator"])
    assert (saved.text, saved.state) == ("I betrayed the love and grace of the Party.", "submitted")

    # The next segment: nothing similar, and its two candidates disagree on a number.
    page.locator(f"#text-{segments[1].pk}").click()
    page.locator("#il-aids .il-aids-empty").wait_for()
    agreement = page.locator("#il-aids .il-agreement").inner_text()
    assert agreement.startswith("Candidates agree") and agreement.endswith("%")
    assert page.locator("#il-aids .il-agreement-pairs li").count() == 1
    screenshot(page, "memory-03-agreement-and-empty-state")
    assert page.js_errors == []


def test_on_a_narrower_screen_the_panel_opens_below_the_focused_row(new_page, screenshot, workspace, people):
    project, document = workspace
    first = document.segments.order_by("position").first()
    page = new_page(width=1100, height=900)
    log_in(page, "translator")
    page.goto(f"/p/{project.slug}/d/{document.pk}/translate/en/")
    assert not page.locator("#il-aids").is_visible()
    page.locator(f"#text-{first.pk}").click()
    page.locator("#il-aids [data-il-suggestion='1']").wait_for()
    wait_until(page, f"document.getElementById('ws-segment-{first.pk}').nextElementSibling.id === 'il-aids-slot'")
    page.locator(f"#text-{first.pk}").press("Alt+1")
    assert page.locator(f"#text-{first.pk}").input_value() == "I betrayed the love and grace of the Party."
    screenshot(page, "memory-04-panel-below-row-narrow")
    assert page.js_errors == []


def test_a_manager_imports_a_tmx_file_on_the_memory_page(new_page, screenshot, workspace, people, tmp_path):
    project, _ = workspace
    tmx = tmp_path / "archive-2023.tmx"
    tmx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="ko" creationtool="t" '
        'creationtoolversion="1" segtype="sentence" adminlang="en" datatype="plaintext" o-tmf="t"/><body>'
        '<tu><tuv xml:lang="ko"><seg>동지들에게 부끄럽지 않은 전사가 되겠다.</seg></tuv>'
        '<tuv xml:lang="en-GB"><seg>I will be a soldier unashamed before my comrades.</seg></tuv></tu>'
        '<tu><tuv xml:lang="ko"><seg>혼자다.</seg></tuv><tuv xml:lang="ru"><seg>Один.</seg></tuv></tu>'
        "</body></tmx>\n",
        encoding="utf-8",
    )
    page = new_page(width=1280, height=900)
    log_in(page, "manager")
    page.goto(f"/p/{project.slug}/memory/")
    page.set_input_files("input[name=file]", str(tmx))
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported 1 pair(s) from archive-2023.tmx").wait_for()
    assert page.get_by_text("1 unit(s) with no pair in this project's languages").is_visible()
    assert page.locator(".list-group-item", has_text="archive-2023.tmx").is_visible()
    screenshot(page, "memory-05-memory-page-after-import")

    page.set_input_files("input[name=file]", {"name": "broken.tmx", "mimeType": "application/xml",
                                              "buffer": b"<tmx><body><tu></body></tmx>"})
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator("#import-error").wait_for()
    assert "not well-formed XML" in page.locator("#import-error").inner_text()
    screenshot(page, "memory-06-refused-import")
    row = page.locator(".list-group-item", has_text="archive-2023.tmx")
    row.get_by_role("button", name="Remove").click()  # dismissed: nothing happens
    assert MemoryEntry.objects.filter(origin="archive-2023.tmx").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    page.get_by_text("Removed the 1 pair(s) imported from archive-2023.tmx").wait_for()
    assert not MemoryEntry.objects.filter(origin="archive-2023.tmx").exists()
    assert [error for error in page.js_errors if "status of 400" not in error] == []  # the refusal is a 400
