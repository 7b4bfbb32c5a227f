"""The open findings of a candidate's automatic checks, with a dismiss form each.

Written in Python, like the workspace row (translations/templatetags/workspace.py),
which calls ``findings_html`` directly for each candidate; the queue calls
``{% check_findings t %}``, and the dismiss endpoint answers htmx with the
same block. Every value from users or the database is escaped.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from translations.links import ID, IdLink

from ..checks import CHECKS

register = template.Library()

BADGES = {"error": "text-bg-danger", "warning": "text-bg-warning", "info": "text-bg-info"}
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}


def dismiss_link(slug: str) -> IdLink:
    return IdLink("check_finding_dismiss", slug, ID)


_BADGE_CACHE: dict[tuple[str, str], str] = {}


def _badge(check_id: str, severity: str) -> str:
    badge = _BADGE_CACHE.get((check_id, severity))
    if badge is None:
        check = CHECKS.get(check_id)
        label = check.label if check else check_id
        badge = _BADGE_CACHE[(check_id, severity)] = (
            f'<span class="badge {BADGES.get(severity, "text-bg-secondary")}" title="{escape(check_id)}">'
            f"{escape(SEVERITY_WORDS.get(severity, severity))} · {escape(label)}</span>"
        )
    return badge


def dismiss_form_html(finding_pk: int, translation_pk: int, *, url: str, csrf_token: str) -> str:
    """The form that dismisses one finding (loaded into its ``<details>`` when opened)."""
    csrf = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(csrf_token))}">'
        if csrf_token and csrf_token != "NOTPROVIDED"
        else ""
    )
    url = escape(url)
    return (
        f'<form class="d-flex gap-1 mt-1" method="post" action="{url}" hx-post="{url}" '
        f'hx-target="#findings-{int(translation_pk)}" hx-swap="outerHTML">{csrf}'
        f'<input class="form-control form-control-sm" name="reason" required maxlength="1000" '
        f'id="dismiss-{int(finding_pk)}" aria-label="Why this finding does not apply" '
        'placeholder="Why it does not apply (recorded)" data-il-autofocus>'
        '<button class="btn btn-sm btn-outline-secondary" type="submit">Dismiss</button></form>'
    )


def findings_html(translation, findings, *, dismiss_url, can_dismiss: bool = False) -> str:
    """``<div id="findings-…">`` with one line per open finding, or an empty placeholder
    (kept so that a dismissal's answer has a place to go).

    Each finding's dismiss form is fetched when its "Dismiss" is opened, as the
    workspace's discussions are: a page of 300 rows may carry hundreds of
    findings, and a form each (with its CSRF token) would weigh more than the rows."""
    block_id = f"findings-{int(translation.pk)}"
    if not findings:
        return f'<div class="il-findings" id="{block_id}"></div>'
    items = []
    for finding in findings:
        form = ""
        if can_dismiss:
            url = dismiss_url(finding.pk)  # digits and a slug: nothing to escape
            form = (
                f'<details class="d-inline-block ms-1" hx-get="{url}" hx-trigger="toggle once" hx-target="find div">'
                '<summary class="link-secondary">Dismiss</summary><div></div></details>'
            )
        items.append(
            f'<li class="mb-1" data-il-finding="{escape(finding.check_id)}">{_badge(finding.check_id, finding.severity)} '
            f"{escape(finding.message)}{form}</li>"
        )
    return (
        f'<div class="il-findings" id="{block_id}"><ul class="list-unstyled mb-0 mt-1 small" '
        f'aria-label="Automatic checks">{"".join(items)}</ul></div>'
    )


@register.simple_tag(takes_context=True)
def check_findings(context, translation):
    """The queue item's open findings (``translation.open_findings``, set by the queue's selector)."""
    link = context.get("_dismiss_links")
    slug = translation.segment.document.project.slug
    if link is None or link[0] != slug:
        link = (slug, dismiss_link(slug))
        if hasattr(context, "dicts"):
            context.dicts[0]["_dismiss_links"] = link
    return mark_safe(  # noqa: S308 — findings_html escapes every value
        findings_html(
            translation, getattr(translation, "open_findings", []), dismiss_url=link[1], can_dismiss=True,
        )
    )


@register.simple_tag
def glossary_source(text, glossary):
    """A source text with its glossary terms highlighted and listed (see translations.glossary)."""
    if glossary is None or not glossary:
        from translations.templatetags.interlinear import marks

        return marks(text)
    return mark_safe(glossary.source_html(text))  # noqa: S308 — escaped in Glossary

