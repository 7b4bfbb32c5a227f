"""The exports of a document, walked in Chromium: a reviewer opens the exports
page, sees what is missing before downloading, downloads the HTML packet and
the Word file, and opens the packet as its recipient would, from disk.
Screenshots of the page and of the opened packet go to test-artifacts/."""

import io

import docx
import pytest

from tests.browser.conftest import log_in
from tests.browser.test_rendering_browser import notebook  # noqa: F401 — the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_downloads_the_packets_and_opens_the_html_one_from_disk(
    new_page, screenshot, notebook, tmp_path  # noqa: F811
):
    project, document, segments = notebook
    page = new_page()
    log_in(page, "reviewer")
    page.goto(f"/p/{project.slug}/d/{document.pk}/exports/")
    assert page.get_by_role("heading", name="Exports").is_visible()
    assert page.get_by_text("2 of 6 segments have no approved English rendering yet.").is_visible()
    assert page.get_by_text("1 approved rendering was approved against an earlier version").is_visible()
    assert page.js_errors == [], page.js_errors
    screenshot(page, "packet-exports")

    with page.expect_download() as word_download:
        page.get_by_role("link", name="Word (.docx)").click()
    assert word_download.value.suggested_filename == "RN-2025-001-soldiers-notebook-self-criticism-en.docx"
    word_path = tmp_path / word_download.value.suggested_filename
    word_download.value.save_as(word_path)
    packet = docx.Document(io.BytesIO(word_path.read_bytes()))
    cells = [cell.text for row in packet.tables[-1].rows for cell in row.cells]
    assert "UNREVIEWED DRAFT" not in "\n".join(cells)
    assert cells.count("Not yet approved") == 2

    with page.expect_download() as html_download:
        page.get_by_role("link", name="HTML packet").click()
    assert html_download.value.suggested_filename == "RN-2025-001-soldiers-notebook-self-criticism-en.html"
    html_path = tmp_path / html_download.value.suggested_filename
    html_download.value.save_as(html_path)

    # As the recipient opens it: from disk, with no network and no Interlinear.
    reader = new_page()
    requests = []
    reader.on("request", lambda request: requests.append(request.url))
    reader.goto(html_path.as_uri())
    assert requests == [html_path.as_uri()], "the packet loads nothing"
    assert reader.get_by_role("heading", name="Soldier's notebook: self-criticism").is_visible()
    assert reader.get_by_text("Authenticity unverified — any quotation must say so.").is_visible()
    assert reader.get_by_text("4 of 6 segments have an approved rendering").is_visible()
    assert reader.get_by_text("Not yet approved").count() == 2
    assert reader.get_by_text("Source changed since approval — re-review pending").count() == 1
    assert reader.get_by_text("UNREVIEWED DRAFT").count() == 0
    assert reader.locator("td.source [lang=ko]").count() == 6
    assert reader.get_by_text("Minji Kang — approved version 1").first.is_visible()
    # The styles are the inlined ones: the caveat is boxed and the table laid out.
    caveat_border = reader.evaluate("getComputedStyle(document.querySelector('.caveat')).borderLeftWidth")
    assert caveat_border == "8px"
    assert reader.js_errors == [], reader.js_errors
    screenshot(reader, "packet-html")

    narrow = new_page(width=420, height=900)
    narrow.goto(html_path.as_uri())
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 420
    screenshot(narrow, "packet-html-narrow")
