"""Stored XSS: hostile text in every user-controlled field, shown on every page
that shows it, in real Chromium.

Each field holds ``<tag>:<payload>`` (the tag says which field it is), for
several payload shapes. On every page we check that nothing ran (no dialog,
``window.__xss`` unset, no request to an injected URL), that nothing was
injected into the DOM (no ``on*`` attribute anywhere, no ``img[src=x]``, no
hostile ``hx-*`` element, no ``javascript:`` URL, no inline script naming
``__xss``), and that the payload is on the page as literal text where the page
shows that field — proof that it was escaped, not dropped.

Each payload runs twice: with the Content-Security-Policy as served, and with it
switched off (``SECURE_CSP = {}`` reaches the live server thread, which reads
settings per response; the HTML packet's own per-view CSP is stripped in a
route), so escaping is proven independently of the CSP. With the CSP on, any
CSP violation reported in the console fails the test: escaped payloads cannot
cause one, so it would be our own markup breaking the policy. A negative
control (``test_the_checks_catch_an_unescaped_payload``) proves the checks
fire on a page that does not escape.
"""

import io
import re
from urllib.parse import quote, urlsplit

import pytest
from PIL import Image, ImageDraw

from reviews.models import AuditEvent
from reviews.services import comment_create, review_record
from tests.browser.conftest import log_in, wait_until
from tests.factories import UserFactory
from translations import services
from translations.interchange.importing import display_filename
from translations.models import DocumentImage, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Three hostile strings that between them hold every payload shape; each fits
# the shortest field (100 characters) with its tag, so nothing is truncated.
PAYLOADS = {
    # markup: an inline script and an event handler
    "markup": '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">',
    # attribute breakout, from double- and from single-quoted attributes
    "attribute": "\"><svg onload=alert(1)>' autofocus onfocus='window.__xss=1' x='",
    # template injection, an htmx element that would fetch /admin/ on load, a javascript: URL
    "template-htmx-url": '{{7*7}} {% debug %} <div hx-get="/admin/" hx-trigger="load"> javascript:alert(1)',
}
SCREENSHOT_RUN = ("markup", "off")  # one run takes the screenshots: one per page type

# Runs in the page through CDP (not subject to the page's CSP): what a payload
# would have left behind had it been parsed as markup.
PROBE = """() => {
  const attrs = (el) => [...el.attributes];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data"];
  const snippet = (el) => el.outerHTML.slice(0, 160);
  const all = [...document.querySelectorAll("*")];
  const parts = [document.body ? document.body.innerText : ""];
  for (const el of document.querySelectorAll("input, textarea")) parts.push(el.value);
  for (const el of document.querySelectorAll("option")) parts.push(el.textContent);
  return {
    xss: typeof window.__xss,
    handlers: all.filter((el) => attrs(el).some((a) => a.name.toLowerCase().startsWith("on"))).map(snippet),
    imgX: [...document.querySelectorAll("img")].filter((el) => el.getAttribute("src") === "x").map(snippet),
    svg: [...document.querySelectorAll("body svg")].filter((el) => !el.classList.contains("il-bar")).map(snippet),
    hx: all.filter((el) => attrs(el).some((a) => /^(data-)?hx-/.test(a.name) && /\\/admin\\/|^load$/.test(a.value))).map(snippet),
    jsUrls: all.filter((el) => urlAttrs.some((n) => /^\\s*javascript:/i.test(el.getAttribute(n) || ""))).map(snippet),
    autofocus: [...document.querySelectorAll("[autofocus]")].map(snippet),
    scripts: [...document.scripts].filter((s) => !s.src || /__xss|alert/.test(s.textContent)).map(snippet),
    text: parts.join("\\n"),
  };
}"""


class Lit(str):
    """Expected on the page exactly as given (not a field tag)."""


def v(tag, payload):
    return f"{tag}:{payload}"


def png_bytes(shade=0):
    image = Image.new("RGB", (300, 420), (244, 239 - shade, 227))
    draw = ImageDraw.Draw(image)
    for y in range(40, 400, 28):
        draw.line((30, y, 270, y), fill="#6b6257", width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def csp(request, settings):
    if request.param == "off":
        settings.SECURE_CSP = {}  # read per response by the middleware, in the live server thread too
    return request.param


# Escaping is proven with the CSP off, for every payload; with it on, the markup
# payload shows the policy holds as a second wall (each run walks ~49 pages).
RUNS = [("markup", "on"), *((name, "off") for name in PAYLOADS)]


class Watched:
    """A logged-in page with everything a payload could trigger recorded."""

    def __init__(self, page, csp_on):
        self.page, self.csp_on = page, csp_on
        self.dialogs, self.console, self.requests = [], [], []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def reset(self):
        self.dialogs.clear(), self.console.clear(), self.requests.clear()


class XssCheck:
    def __init__(self, payload_name, csp, screenshot):
        self.payload_name, self.payload = payload_name, PAYLOADS[payload_name]
        self.csp_on = csp == "on"
        self.take_screenshots = (payload_name, csp) == SCREENSHOT_RUN
        self.screenshot = screenshot
        self.failures, self.pages, self.shots = [], [], set()

    def v(self, tag):
        return v(tag, self.payload)

    def visit(self, watched, url, name, expect=(), *, shot=None, open_details=True):
        watched.reset()
        response = watched.page.goto(url)
        assert response is not None and response.ok, f"{name}: {url} answered {response and response.status}"
        header = response.headers.get("content-security-policy")
        if self.csp_on:
            assert header, f"{name}: no CSP header with the CSP on"
        else:
            assert header is None, f"{name}: CSP header {header!r} although the CSP is off"
        if open_details:
            watched.page.evaluate("() => document.querySelectorAll('details:not([open])').forEach((d) => { d.open = true; })")
            wait_until(watched.page, "!document.body.innerText.includes('Loading…')")
        self.check(watched, name, expect, shot=shot)

    def check(self, watched, name, expect=(), *, shot=None):
        page = watched.page
        page.wait_for_timeout(60)  # let a (hypothetical) htmx load trigger or onerror fire
        assert page.evaluate("() => 6 * 7") == 42, "page.evaluate must work under the CSP (it runs through CDP)"
        probe = page.evaluate(PROBE)
        problems = []
        if watched.dialogs:
            problems.append(f"dialogs opened: {watched.dialogs}")
        if probe["xss"] != "undefined":
            problems.append(f"window.__xss is {probe['xss']}")
        for key in ("handlers", "imgX", "svg", "hx", "jsUrls", "autofocus", "scripts"):
            if probe[key]:
                problems.append(f"injected {key}: {probe[key]}")
        bad_requests = [u for u in watched.requests if re.search(r"^/admin/|/x$", urlsplit(u).path)]
        if bad_requests:
            problems.append(f"requests made by a payload: {bad_requests}")
        csp_errors = [m for m in watched.console if "Content Security Policy" in m or "Content-Security-Policy" in m]
        if csp_errors:
            problems.append(f"CSP violations: {csp_errors}")
        page_errors = [m for m in watched.console if m.startswith("pageerror")]
        if page_errors:
            problems.append(f"JavaScript errors: {page_errors}")
        for tag in expect:
            literal = tag if isinstance(tag, Lit) else self.v(tag)
            if literal not in probe["text"]:
                problems.append(f"{literal!r} is not shown as text")
        if problems:
            self.failures.append(f"[{name} {page.url}] " + "; ".join(problems))
        self.pages.append(name)
        if shot and self.take_screenshots and shot not in self.shots:
            self.shots.add(shot)
            self.screenshot(page, f"xss-{shot}")

    def finish(self):
        assert not self.failures, "\n".join(self.failures)


def strip_headers(csp_on):
    """Serve the HTML packet inline instead of as a download (and without its
    CSP when the CSP is off), so Chromium renders it from our origin."""

    def handle(route):
        response = route.fetch()
        headers = {k: val for k, val in response.headers.items() if k.lower() != "content-disposition"}
        if not csp_on:
            headers = {k: val for k, val in headers.items() if k.lower() != "content-security-policy"}
        route.fulfill(response=response, headers=headers)

    return handle


def build(p, admin, people):
    """The material, made through the services, with a payload in every text field."""
    translator, reviewer, reviewer2 = people["translator"], people["reviewer"], people["reviewer2"]
    manager, auditor = people["manager"], people["auditor"]
    for user, first, last in [
        (translator, v("tfirst", p), v("tlast", p)),
        (reviewer, v("rfirst", p), "Reviewer"),
        (reviewer2, v("r2first", p), ""),
        (manager, v("mfirst", p), ""),
        (auditor, "Audrey", v("alast", p)),
    ]:
        user.first_name, user.last_name = first, last
        user.save()
    # A translator with no name, so the hostile username itself is shown.
    hostile = UserFactory(username=v("uname", p)[:150], first_name="", last_name="")

    project = services.project_create(user=admin, name=v("pname", p), slug="hostile", source_language="ko",
                                      target_languages=["en"], description=v("pdesc", p), reason=v("preason", p))
    for member, role in [(translator, Role.TRANSLATOR), (hostile, Role.TRANSLATOR), (reviewer, Role.REVIEWER),
                         (reviewer2, Role.REVIEWER), (manager, Role.MANAGER), (auditor, Role.AUDITOR)]:
        services.membership_set(project=project, user=admin, member=member, role=role, reason=v("mreason", p))

    document = services.document_create(
        project=project, user=manager, title=v("title", p), description=v("desc", p), obtained_from=v("from", p),
        obtained_when=v("when", p), obtained_where=v("where", p), obtained_by=v("by", p),
        reference_number=v("ref", p), sensitivity_notes=v("sens", p), reason=v("dreason", p))
    services.document_update(document=document, user=manager, description=v("desc2", p),
                             obtained_where=v("where2", p), reason=v("ureason", p))
    services.document_image_add(document=document, user=manager, upload=io.BytesIO(png_bytes()),
                                filename=v("file", p) + ".png", reason=v("ireason", p))

    seg1, seg2, seg3 = services.segments_append_from_text(
        document=document, user=manager, text="\n".join([v("src1", p), f"{v('src2', p)} [?{p}]", v("src3", p)]),
        reason=v("sreason", p))
    t1 = services.translation_create(segment=seg1, user=translator, language="en", text=v("tr1", p),
                                     note=v("note1", p), reason=v("t1reason", p))
    review_record(translation=t1, reviewer=reviewer2, version=1, decision="approve", comment=v("approval", p),
                  reason=v("areason", p))
    t1 = services.translation_edit(translation=t1, user=translator, base_version=1, text=v("tr1b", p),
                                   note=v("note1b", p), submit=True, reason=v("t1edit", p))
    seg1 = services.segment_edit(segment=seg1, user=manager, base_version=1, source_text=v("src1b", p),
                                 reason=v("segedit", p))
    t2 = services.translation_create(segment=seg2, user=translator, language="en", text=v("tr2", p))
    review_record(translation=t2, reviewer=reviewer, version=1, decision="reject", comment=v("reject", p),
                  reason=v("rreason", p))
    t3 = services.translation_create(segment=seg2, user=hostile, language="en", text=v("tr3", p))
    review_record(translation=t3, reviewer=reviewer, version=1, decision="request_changes", comment=v("changes", p))
    t4 = services.translation_create(segment=seg1, user=hostile, language="en", text=v("tr4", p), note=v("note4", p))
    comment_create(user=translator, segment=seg1, body=f"@reviewer {v('comment', p)}")
    comment_create(user=reviewer, translation=t1, body=f"{v('tcomment', p)}\nthanks @translator")
    services.segment_delete(segment=seg3, user=manager, base_version=1, reason=v("delreason", p))
    return {"project": project, "document": document, "seg1": seg1, "seg2": seg2, "t1": t1, "t2": t2, "t3": t3,
            "t4": t4, "hostile": hostile}


@pytest.mark.parametrize(("payload_name", "csp"), RUNS, ids=[f"{n}-csp-{c}" for n, c in RUNS], indirect=["csp"])
def test_hostile_text_is_escaped_on_every_page(new_page, screenshot, admin_user, people, payload_name, csp):
    x = XssCheck(payload_name, csp, screenshot)
    p = x.payload
    w = build(p, admin_user, people)
    project, document, seg1, seg2 = w["project"], w["document"], w["seg1"], w["seg2"]
    uname = Lit(w["hostile"].username)
    slug, doc = project.slug, document.pk
    base = f"/p/{slug}/d/{doc}"

    def login(username):
        page = new_page()
        log_in(page, username)
        return Watched(page, x.csp_on)

    auditor, reviewer, manager, translator = (login(name) for name in ("auditor", "reviewer", "manager", "translator"))
    auditor.page.route("**/packet/*.html", strip_headers(x.csp_on))

    # --- reading, as an auditor (read-only: every text is shown as text) ---
    x.visit(auditor, "/", "home", ["pname", "pdesc", "alast"], shot="home")
    x.visit(auditor, f"/p/{slug}/", "dashboard", ["pname", "pdesc", "title", "ref"], shot="dashboard")
    x.visit(auditor, f"{base}/", "document detail",
            ["pname", "title", "desc2", "from", "when", "where2", "by", "ref", "sens", "file"], shot="document")
    x.visit(auditor, f"{base}/history/", "document history",
            ["title", "desc2", "where", "where2", "dreason", "ureason", "mfirst", Lit(x.v("src1b")[:70])],
            shot="document-history")
    x.visit(auditor, f"{base}/transcription/", "transcription (read-only)", ["title", "src1b", "src2", "src3"],
            shot="transcription")
    x.visit(auditor, f"{base}/translate/en/", "workspace (read-only) with comments",
            ["title", "src1b", "src2", "tr1", "tr1b", "note1b", "tr4", "note4", "tr2", "tr3", "tfirst", "tlast",
             uname, "comment", "tcomment", "rfirst"], shot="workspace")
    x.visit(auditor, f"/p/{slug}/s/{seg1.pk}/history/", "segment history",
            ["src1", "src1b", "sreason", "segedit", "mfirst", "tr1b", "tr4", "tfirst", uname], shot="segment-history")
    x.visit(auditor, f"/p/{slug}/t/{w['t1'].pk}/history/", "translation history (approved, edited)",
            ["src1b", "tr1", "tr1b", "t1reason", "t1edit", "approval", "r2first", "tfirst"], shot="translation-history")
    x.visit(auditor, f"/p/{slug}/t/{w['t2'].pk}/history/", "translation history (rejected)",
            ["tr2", "reject", "rfirst"])
    x.visit(auditor, f"/p/{slug}/t/{w['t3'].pk}/history/", "translation history (changes requested)",
            ["tr3", "changes", uname])
    x.visit(auditor, "/audit/", "audit trail",
            ["pname", "title", "src1b", "tr1b", "comment", "tcomment", "dreason", "ureason", "ireason", "sreason",
             "segedit", "t1edit", "rreason", "delreason", "preason", "mreason", "mfirst", "tfirst", uname],
            shot="audit-trail")
    x.visit(auditor, f"/audit/?project={slug}", "audit trail filtered by project", ["title", "tfirst", uname])
    events = AuditEvent.objects.filter(project=project).order_by("id")
    for label, event, expect in [
        ("project created", events.filter(kind="project", action="+").first(), ["pname", "pdesc", "preason"]),
        ("membership", events.filter(kind="membership").first(), ["mreason"]),
        ("document created", events.filter(kind="document", action="+").first(),
         ["title", "desc", "from", "when", "where", "by", "ref", "sens", "dreason", "mfirst"]),
        ("document edited", events.get(kind="document", reason=x.v("ureason")), ["where2", "desc2", "ureason"]),
        ("image added", events.get(kind="image"), ["file", "ireason"]),
        ("segment edited", events.get(kind="segment", reason=x.v("segedit")), ["src1b", "segedit"]),
        ("segment deleted", events.get(kind="segment", reason=x.v("delreason")), ["src3", "delreason"]),
        ("translation edited", events.get(kind="translation", reason=x.v("t1edit")),
         ["tr1b", "note1b", "t1edit", "tfirst"]),
        ("review", events.get(kind="review", reason=x.v("rreason")), ["reject", "rreason", "rfirst", "tr2"]),
        ("comment", events.filter(kind="comment").first(), ["comment"]),
    ]:
        x.visit(auditor, f"/audit/e/{event.pk}/", f"audit event: {label}", expect,
                shot="audit-event" if label == "document edited" else None)
    x.visit(auditor, f"{base}/rendering/en/", "approved rendering",
            ["pname", "title", "ref", "from", "when", "where2", "by", "sens", "src1b", "tr1", "src1", "tfirst",
             "r2first"], shot="rendering")
    x.visit(auditor, f"{base}/as-of/?at=2999-01-01T00:00", "document as of", ["title", "sens", "src1b", "src2", "tr1"],
            shot="as-of")
    x.visit(auditor, f"{base}/as-of/?at={quote(p)}", "document as of (hostile moment)", [Lit(f"“{p.strip()[:64]}”")])
    x.visit(auditor, f"{base}/packet/en.html", "HTML packet",
            ["pname", "title", "ref", "from", "when", "where2", "by", "sens", "src1b", "tr1", "src1", "tfirst",
             "r2first"], shot="packet")
    x.visit(auditor, f"/p/{slug}/s/{seg1.pk}/comments/", "comments page",
            ["src1b", "comment", "tcomment", "tfirst", "rfirst", "title"], shot="comments")
    x.visit(auditor, f"{base}/exports/", "exports", ["pname", "title", "ref"], shot="exports")

    # --- the review queue, and a decision swapped in by htmx ---
    x.visit(reviewer, "/review/", "review queue",
            ["pname", "title", "src1b", "tr1b", "note1b", "tr4", "note4", "tfirst", uname], shot="queue")
    x.visit(reviewer, f"/review/?translator={quote(p)}&project={quote(p)}&document={quote(p)}", "review queue (hostile filters)")
    x.visit(reviewer, "/review/", "review queue again", ["tr4"])
    row = reviewer.page.locator(f"#q-{w['t4'].pk}")
    reviewer.reset()
    row.get_by_role("button", name="Approve").click()
    reviewer.page.locator(f"#q-{w['t4'].pk}[data-il-done]").wait_for()
    x.check(reviewer, "queue decided row (htmx)", ["title", Lit(x.v("tr4")[:70])], shot="queue-decided")

    # --- editing, as a manager: forms hold the hostile values ---
    x.visit(manager, f"{base}/transcription/", "transcription (editing)", ["src1b", "src2", "src3"])
    manager.reset()
    editor = manager.page.locator(f"#source-{seg2.pk}")
    editor.fill(f"{x.v('src2c')} [?{p}]")
    manager.page.locator(f"#segment-{seg2.pk}").get_by_role("button", name="Save", exact=True).click()
    manager.page.locator(f"#segment-{seg2.pk}").get_by_text("Saved · version").wait_for()
    x.check(manager, "transcription save (htmx)", ["src2c"])
    x.visit(manager, f"{base}/edit/", "document edit form",
            ["title", "desc2", "from", "when", "where2", "by", "ref", "sens"], shot="document-edit")
    x.visit(manager, f"{base}/", "document detail (manager)", ["file"])
    manager.page.locator(f"#il-images-input-{doc}").set_input_files(
        files=[{"name": f"page-{p}.png", "mimeType": "image/png", "buffer": png_bytes(shade=40)}])
    x.check(manager, "image chosen for upload (shown by viewer.js)")
    manager.reset()
    manager.page.locator("form[data-il-upload] button[type=submit]").click()
    manager.page.locator(".il-upload-results .alert-success").wait_for()
    stored = DocumentImage.objects.filter(document=document).latest("id").original_filename
    assert stored != v("file", p) + ".png"
    x.check(manager, "image uploaded (htmx panel and viewer)", [Lit(stored), "file"], shot="image-upload")
    x.visit(manager, f"/p/{slug}/policy/", "review policy", ["pname", "preason", "tfirst", "rfirst", uname, "alast"],
            shot="policy")
    x.visit(manager, f"/p/{slug}/?q={quote(p)}&authenticity={quote(p)}", "dashboard (hostile search)", [Lit(p[:60])])
    x.visit(manager, f"/audit/?q={quote(p)}&actor={quote(p)}", "audit trail (hostile filters)", [Lit(p[:60])])

    # --- importing a file with a hostile name and hostile lines ---
    x.visit(manager, f"{base}/import/", "import form")
    filename = f"imp-{p}.txt"
    manager.page.locator("input[type=file]").set_input_files(
        files=[{"name": filename, "mimeType": "text/plain", "buffer": f"{x.v('imp1')}\n{x.v('imp2')}\n".encode()}])
    manager.reset()
    manager.page.get_by_role("button", name="Preview the import").click()
    manager.page.get_by_role("heading", name="Import preview").wait_for()
    # Chromium sends a double quote in a multipart file name as %22; the app then keeps a safe subset only.
    shown = {display_filename(name) for name in (filename, filename.replace('"', "%22"))}
    preview_text = manager.page.locator("main").inner_text()
    assert any(name in preview_text for name in shown), (shown, preview_text[preview_text.find("Import preview"):][:300])
    x.check(manager, "import preview", ["imp1", "imp2", "title"], shot="import-preview")
    manager.reset()
    manager.page.get_by_role("button", name=re.compile(r"^Import \d+ unit")).click()
    manager.page.wait_for_url(f"**{base}/")
    x.check(manager, "document detail after import", ["title"])
    x.visit(auditor, f"{base}/transcription/", "transcription after import", ["imp1", "imp2", "src2c"])

    # --- translating and commenting, as a translator, through htmx ---
    x.visit(translator, f"{base}/translate/en/", "workspace (own candidates in editors)",
            ["tr1b", "note1b", "tr2", "tr4", uname, "comment"])
    translator.reset()  # the viewer's page switcher copies the file name from data-il-label with viewer.js
    translator.page.locator("[data-il-viewer-page='1']").click()
    translator.page.locator("[data-il-page-label]").get_by_text("2 of 2").wait_for()
    x.check(translator, "image viewer, second page (viewer.js)", [Lit(stored)])
    translator.reset()
    row = translator.page.locator(f"#ws-segment-{seg2.pk}")
    row.locator("textarea[name=text]").fill(x.v("tr2b"))
    row.get_by_role("button", name="Save new version").click()
    translator.page.locator(f"#ws-segment-{seg2.pk} [role=status]").wait_for()
    x.check(translator, "workspace save (htmx)", ["tr2b"])
    thread = translator.page.locator(f"#il-thread-{seg1.pk}")
    thread.locator("textarea[name=body]").fill(f"{x.v('posted')} @reviewer")
    translator.reset()
    thread.get_by_role("button", name="Comment").click()
    translator.page.locator(f"#il-thread-{seg1.pk}").get_by_text("Comment added.").wait_for()
    x.check(translator, "comment posted (htmx fragment)", ["posted", "comment", "tcomment"], shot="comment-posted")

    print(f"\n{payload_name} / CSP {csp}: {len(x.pages)} page checks")
    x.finish()


CANARY_CSP = "default-src 'self'; script-src 'self' 'nonce-canary'; style-src 'self'; object-src 'none'"


@pytest.mark.parametrize("csp", ["on", "off"], ids=["csp-on", "csp-off"])
def test_the_checks_catch_an_unescaped_payload(new_page, screenshot, csp):
    """A negative control: a page of ours that did NOT escape the payloads must
    fail every check above, or the passing test proves nothing."""
    page = new_page()
    watched = Watched(page, csp == "on")
    body = "".join(f"<p>{payload}</p><input value='{payload}'>" for payload in PAYLOADS.values())
    html = f"<!doctype html><html><head><title>canary</title></head><body><a href='javascript:alert(1)'>link</a>{body}</body></html>"
    headers = {"content-type": "text/html; charset=utf-8"} | ({"content-security-policy": CANARY_CSP} if csp == "on" else {})
    page.route("**/canary/", lambda route: route.fulfill(status=200, headers=headers, body=html))
    x = XssCheck("markup", csp, screenshot)
    x.visit(watched, "/canary/", "canary", ["title"])
    report = "\n".join(x.failures)
    for finding in ("injected handlers", "injected imgX", "injected hx", "injected jsUrls", "injected autofocus",
                    "injected scripts", "is not shown as text"):
        assert finding in report, (finding, report)
    if csp == "on":
        assert "CSP violations" in report, report  # the console listener does see the browser's CSP reports
        assert "window.__xss is" not in report and "dialogs opened" not in report, report
    else:
        assert "window.__xss is number" in report and "dialogs opened" in report, report
