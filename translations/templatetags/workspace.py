"""The workspace's segment row, written by one Python function: ``{% workspace_row %}``.

Why not a template partial, as elsewhere: the row repeats once per segment,
and a document of 300 segments made the template engine evaluate some 16 000
nodes (about 3 µs each, ~110 ms of CPU, most of the page's time). This
function writes the same markup in about a tenth of that. The page template
still owns the page; the ``segment-row`` partial, which htmx re-renders after
a save, calls this tag, so the full page and a single row come from one place.

Every value that comes from users or the database is escaped here with
``html.escape`` (what Django's autoescape does); only fragments that are
already safe HTML (``marks``, ``state_badge``) go in as they are.
"""

from html import escape

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from reviews.templatetags.checks import findings_html

from .interlinear import marks, person, state_badge

register = template.Library()

_SOURCE_CHANGED = '<span class="badge text-bg-warning ms-1">source changed since approval — re-review pending</span>'


@register.simple_tag(takes_context=True)
def workspace_row(context):
    """One ``<li>`` of the workspace for ``segment`` (see ``translations.views.workspace``:
    the view gives segments and candidates their addresses and marks the editable candidate)."""
    segment = context["segment"]
    language = escape(context["language"])
    glossary = context.get("glossary")
    if glossary:
        found = []
        source = glossary.highlight(segment.source_text, found)
        legend = glossary.legend(segment.source_text, found) if found else ""
    else:
        source, legend = marks(segment.source_text), ""
    parts = [
        f'<li class="card shadow-sm mb-3 il-ws-row" id="ws-segment-{segment.pk}" data-il-row>\n'
        '  <div class="card-body">\n    <div class="row g-3">\n      <div class="col-md-5">\n'
        '        <div class="d-flex gap-2">\n'
        f'          <span class="il-pos text-body-secondary">{segment.position}</span>\n'
        '          <div class="min-w-0">\n'
        f'            <p class="il-source-text mb-1" lang="{escape(context["project"].source_language)}">'
        f"{source}</p>\n{legend}"
        f'            <a class="small" href="{escape(segment.history_url)}">Source history</a>\n'
        "          </div>\n        </div>\n      </div>\n      <div class=\"col-md-7\">\n"
    ]
    published = segment.published
    if published:
        changed = _SOURCE_CHANGED if published.published_source_hash != segment.source_hash else ""
        parts.append(
            '        <div class="il-published border-start border-3 border-success ps-2 mb-2">\n'
            f'          <div class="small text-success-emphasis fw-semibold">Published · version '
            f"{published.published_version} by {escape(person(published.author))}\n            {changed}</div>\n"
            f'          <div lang="{language}">{escape(published.published_text)}</div>\n        </div>\n'
        )
    else:
        parts.append('        <div class="small text-body-secondary mb-2">No approved rendering yet.</div>\n')
    for candidate in segment.candidates:
        if candidate.editable:
            parts.append(_editor(context, segment, candidate, language))
        else:
            parts.append(_candidate(segment, candidate, language, _findings(context, candidate)))
    if context.get("can_translate") and not segment.mine:
        parts.append(_editor(context, segment, None, language))
    parts.append(
        f'        <details class="il-comments mt-2" hx-get="{escape(segment.comments_url)}" hx-trigger="toggle once"'
        ' hx-target="find .il-thread">\n          <summary class="small">Discussion</summary>\n'
        '          <div class="il-thread mt-2" aria-live="polite"><p class="small text-body-secondary mb-0">Loading…</p></div>\n'
        "        </details>\n      </div>\n    </div>\n  </div>\n</li>\n"
    )
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped or already safe


def _findings(context, candidate) -> str:
    """The candidate's open check findings, with a dismiss form each (reviews/templatetags/checks.py)."""
    findings = getattr(candidate, "open_findings", None)
    if not findings:
        return ""
    return findings_html(
        candidate, findings, dismiss_url=context["dismiss_link"], can_dismiss=bool(context.get("can_dismiss")),
    )


def _candidate(segment, candidate, language: str, findings: str = "") -> str:
    """Someone else's candidate, read-only."""
    if candidate.is_published:
        badge = '<span class="badge text-bg-success">published</span>'
    elif candidate.state == "approved" and segment.published:
        badge = '<span class="badge text-bg-light border">not chosen</span>'
    else:
        badge = ""
    note = (
        f'\n            <div class="small text-body-secondary mt-1">Note: {escape(candidate.note)}</div>'
        if candidate.note
        else ""
    )
    return (
        '          <div class="il-candidate border rounded p-2 mb-2 bg-body">\n'
        '            <div class="d-flex flex-wrap gap-2 align-items-center small mb-1">\n'
        f'              <span class="fw-semibold">{escape(person(candidate.author))}</span>\n'
        f'              <span class="text-body-secondary">v{candidate.version}</span>\n'
        f"              {state_badge(candidate.state)}\n              {badge}\n"
        f'              <a class="ms-auto" href="{escape(candidate.quality_url)}" title="MQM assessment, back-translations">Quality</a>\n'
        f'              <a href="{escape(candidate.history_url)}">History</a>\n'
        "            </div>\n"
        f'            <div lang="{language}">{marks(candidate.text)}</div>{note}{findings}\n'
        "          </div>\n"
    )


def _editor(context, segment, candidate, language: str) -> str:
    """The signed-in translator's own candidate (`candidate`), or a first one (None).

    What a save's re-rendered row may carry (``row_state``: saved, error,
    conflict, the text that was not saved) is looked at only when there is
    some; the full page has none."""
    row_state = context.get("row_state")
    target = candidate.pk if candidate else 0
    conflict_id, draft_text = context.get("conflict_id"), context.get("draft_text")
    kept_draft = bool(row_state and draft_text and conflict_id == target)
    if kept_draft:
        text, note = draft_text, context.get("draft_note")
    elif row_state and draft_text and not candidate and not conflict_id:
        text, note = draft_text, ""
    else:
        text, note = (candidate.text, candidate.note) if candidate else ("", "")
    saving = bool(candidate and candidate.state != "draft")
    if candidate:
        published = (
            f'<span class="badge text-bg-success">published v{candidate.published_version}</span>'
            if candidate.is_published
            else ""
        )
        header = (
            '<span class="fw-semibold">Your rendering</span>\n'
            f'    <span class="text-body-secondary">v{candidate.version}</span>{state_badge(candidate.state)}\n'
            f'      {published}\n      <a class="ms-auto" href="{escape(candidate.quality_url)}">Quality</a>'
            f'\n      <a href="{escape(candidate.history_url)}">History</a>'
        )
        base_version = f'<input type="hidden" name="base_version" value="{candidate.version}">'
    else:
        header, base_version = '<span class="fw-semibold">Add your rendering</span>\n', ""
    if saving:
        action = "save"
        buttons = '<button class="btn btn-sm btn-primary" type="submit" name="action" value="save">Save new version</button>'
    else:
        action = "submit"
        buttons = (
            '<button class="btn btn-sm btn-primary" type="submit" name="action" value="submit">Submit for review</button>\n'
            '        <button class="btn btn-sm btn-outline-secondary" type="submit" name="action" value="draft">Save draft</button>'
        )
    saved = context.get("saved")
    if row_state and saved and (conflict_id or 0) == 0:
        buttons += f'\n      <span class="small text-success" role="status">{escape(str(saved))}</span>'
    url = escape(segment.editor_url)
    return (
        '<div class="il-candidate il-mine border border-primary-subtle rounded p-2 mb-2 bg-primary-subtle bg-opacity-25">\n'
        f'  <div class="d-flex flex-wrap gap-2 align-items-center small mb-1">\n    {header}\n  </div>\n'
        f'  <form method="post" data-il-save\n        action="{url}" hx-post="{url}"\n'
        f'        hx-target="#ws-segment-{segment.pk}" hx-swap="outerHTML">\n'
        f"    {_csrf_input(context)}\n    {base_version}\n"
        f'    <input type="hidden" name="action" value="{action}">\n'
        f'    <label class="visually-hidden" for="text-{segment.pk}">Your {language} rendering of segment '
        f"{segment.position}</label>\n"
        f'    <textarea class="form-control mb-1" id="text-{segment.pk}" name="text" rows="2" lang="{language}"'
        f" data-il-editor required\n      >{escape(str(text))}</textarea>\n"
        f'    <label class="visually-hidden" for="note-{segment.pk}">Note to reviewers</label>\n'
        f'    <input class="form-control form-control-sm mb-2" id="note-{segment.pk}" name="note"'
        f' placeholder="Note to reviewers (optional)"\n      value="{escape(str(note))}">\n'
        f'    <div class="d-flex flex-wrap gap-2 align-items-center">\n      {buttons}\n    </div>\n'
        "  </form>\n"
        f"{_findings(context, candidate) if candidate else ''}"
        f"{_outcome(context, candidate, target) if row_state else ''}"
        "</div>\n"
    )


def _outcome(context, candidate, target) -> str:
    """Under a re-rendered editor: the error, or the conflict with both texts."""
    error, conflict, conflict_id = context.get("error"), context.get("conflict"), context.get("conflict_id")
    parts = []
    alert = '  <div class="alert alert-danger small py-1 px-2 mt-2 mb-0" role="alert">{}</div>\n'
    if error and conflict_id == target:
        parts.append(alert.format(escape(str(error))))
    if error and not candidate and not conflict_id:
        parts.append(alert.format(escape(str(error))))
    if conflict and conflict_id == target:
        parts.append(
            render_to_string(
                "translations/_conflict.html",
                {
                    "project": context.get("project"),
                    "current_text": conflict.current_text,
                    "attempted_text": context.get("draft_text"),
                    "current_version": conflict.current_version,
                    "lang": context.get("language"),
                },
            )
        )
    return "".join(parts)


def _csrf_input(context) -> str:
    """What ``{% csrf_token %}`` writes."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'
