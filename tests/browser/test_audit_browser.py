"""An auditor finds one translator's changes to one document, opens a diff,
views the document as it stood earlier, and exports the trail."""

import time
from urllib.parse import quote

import pytest
from django.utils import timezone

from reviews.services import review_record
from tests.browser.conftest import log_in
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_traces_a_translators_edits(new_page, screenshot, admin_user, people, tmp_path):
    project = make_project(admin_user, slug="recovered-notes", members={
        people["translator"]: Role.TRANSLATOR, people["translator2"]: Role.TRANSLATOR,
        people["reviewer"]: Role.REVIEWER, people["auditor"]: Role.AUDITOR, people["manager"]: Role.MANAGER})
    notebook = make_document(project, people["manager"], title="Soldier's notebook",
                             lines=["나는 당의 사랑과 은덕을 배신하였다.", "살아서 돌아가면 어머니당의 품에 안기겠다."])
    make_document(project, people["manager"], title="Letter", lines=["건강한 몸으로 고향에 돌아오라."])
    first, second = notebook.segments.order_by("position")
    t = services.translation_create(segment=first, user=people["translator"], language="en",
                                    text="I betrayed the love of the Party.")
    review_record(translation=t, reviewer=people["reviewer"], version=1, decision="approve")
    time.sleep(0.05)
    before_edit = quote(timezone.localtime().isoformat())
    time.sleep(0.05)
    services.translation_edit(translation=t, user=people["translator"], base_version=1,
                              text="I have betrayed the love and grace of the Party.", reason="Closer to 은덕")
    services.translation_create(segment=second, user=people["translator2"], language="en", text="If I return alive…")

    page = new_page()
    log_in(page, "auditor")
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Project").select_option("recovered-notes")
    page.get_by_role("button", name="Filter").click()
    page.get_by_label("Who").select_option("translator")
    page.get_by_label("Document").select_option(label="Soldier's notebook")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.il-audit tbody tr")
    assert rows.count() == 2
    assert "Closer to 은덕" in rows.first.inner_text()
    screenshot(page, "20-audit-filtered")

    rows.first.locator("a").first.click()
    page.locator("ins").first.wait_for()
    assert "grace" in page.locator("ins").first.inner_text() or "grace" in page.content()
    screenshot(page, "21-audit-event-diff")

    page.goto(f"/p/{project.slug}/d/{notebook.pk}/as-of/?at={before_edit}")
    assert "I betrayed the love of the Party." in page.content()
    assert "I have betrayed the love and grace" not in page.content()
    screenshot(page, "22-document-as-of")

    page.goto("/audit/?project=recovered-notes&actor=translator")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    target = tmp_path / "trail.csv"
    download_info.value.save_as(target)
    content = target.read_text(encoding="utf-8")
    assert "Closer to 은덕" in content and "translator2" not in content
