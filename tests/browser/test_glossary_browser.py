"""A manager keeps the glossary; a translator sees its terms highlighted and a violation flagged;
a reviewer sees the same finding in the queue, filters by it and dismisses it with a reason."""

import pytest

from reviews.models import CheckFinding
from tests.browser.conftest import log_in
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_glossary_terms_are_highlighted_and_violations_flagged(new_page, screenshot, admin_user, people):
    project = make_project(admin_user, slug="recovered-notes", members={
        people["translator"]: Role.TRANSLATOR, people["reviewer"]: Role.REVIEWER, people["manager"]: Role.MANAGER})
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="당",
                                  approved=["the Party"], forbidden=["the state"], part_of_speech="noun",
                                  note="The Workers' Party of Korea.")
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="어머니당",
                                  approved=["the mother party"], part_of_speech="phrase")
    notebook = make_document(project, people["manager"], title="Soldier's notebook", lines=[
        "나는 당의 사랑과 은덕을 배신하였다.", "살아서 돌아가면 어머니당의 품에 안기겠다.", "최고사령관 동지께 충성을 다하자."])

    page = new_page()
    log_in(page, "manager")
    page.goto(f"/p/{project.slug}/")
    page.get_by_role("link", name="Glossary").click()
    page.locator("summary", has_text="Add a term").click()
    page.get_by_label("Source term").fill("최고사령관")
    page.get_by_label("Approved renderings").fill("Supreme Commander\nCommander-in-Chief")
    page.get_by_label("Forbidden renderings").fill("Great Leader")
    page.get_by_label("Part of speech").select_option("title")
    page.get_by_label("Reason").fill("House style, 2024 edition")
    page.get_by_role("button", name="Add term").click()
    page.get_by_text("Added “최고사령관” to the glossary.").wait_for()
    assert page.locator("tbody tr").count() == 3
    screenshot(page, "60-glossary-page")

    page = new_page()
    log_in(page, "translator")
    page.goto(f"/p/{project.slug}/d/{notebook.pk}/translate/en/")
    first_row = page.locator("li[data-il-row]").first
    mark = first_row.locator("mark.il-term").first
    assert mark.inner_text() == "당"
    assert "the Party" in mark.get_attribute("title")
    assert "the Party" in first_row.locator(".il-terms").inner_text()
    third_row = page.locator("li[data-il-row]").nth(2)
    third_row.locator("textarea").fill("Let us be loyal to Comrade Great Leader.")
    third_row.get_by_role("button", name="Submit for review").click()
    third_row = page.locator("li[data-il-row]").nth(2)
    third_row.locator("[data-il-finding='glossary']").wait_for()
    assert "must not be rendered “Great Leader”" in third_row.inner_text()
    first_row.locator("textarea").fill("I betrayed the love and grace of the state.")
    first_row.get_by_role("button", name="Submit for review").click()
    page.locator("li[data-il-row]").first.locator("[data-il-finding='glossary']").wait_for()
    page.locator("li[data-il-row]").first.scroll_into_view_if_needed()
    screenshot(page, "61-workspace-glossary-highlight-and-finding")
    assert not page.js_errors, page.js_errors

    page = new_page()
    log_in(page, "reviewer")
    page.goto("/review/?check=glossary")
    items = page.locator("[data-il-queue-row]")
    assert items.count() == 2
    assert items.first.locator("mark.il-term").count() >= 1
    screenshot(page, "62-queue-glossary-findings")
    item = items.first
    item.locator("summary", has_text="Dismiss").first.click()
    item.get_by_placeholder("Why it does not apply (recorded)").first.fill("Quoted as the soldier wrote it.")
    item.get_by_role("button", name="Dismiss").click()
    page.wait_for_timeout(300)
    assert CheckFinding.objects.filter(dismissed_reason="Quoted as the soldier wrote it.").count() == 1
    assert items.first.locator("[data-il-finding='glossary']").count() == 0
    screenshot(page, "63-queue-finding-dismissed")
    assert not page.js_errors, page.js_errors
