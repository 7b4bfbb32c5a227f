"""The approved rendering's table rows, written by one Python function: ``{% rendering_rows %}``.

Why not template markup, as elsewhere: a row and its provenance (shown twice,
on screen and for print) repeat for every segment; a document of 300 made the
template engine evaluate some 7 000 nodes, most of the page's time. This
writes the same markup in about a tenth of that.

Every value that comes from users or the database is escaped with
``html.escape`` (what Django's autoescape does); only fragments that are
already safe HTML (``marks``, ``time_tag``) go in as they are.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.text import normalize_newlines
from django.utils.timezone import template_localtime

from translations.templatetags.interlinear import marks, person, time_tag

register = template.Library()


@register.simple_tag(takes_context=True)
def rendering_rows(context):
    """Every ``<tr>`` of ``rendering`` (see ``reviews.selectors.rendering``)."""
    source_language = escape(context["project"].source_language)
    language = escape(context["language"])
    rows = [_row(item, source_language, language) for item in context["rendering"].segments]
    return mark_safe("".join(rows))  # noqa: S308 — every value is escaped or already safe


def _row(item, source_language: str, language: str) -> str:
    segment = item.segment
    if item.is_approved:
        warning = (
            '<p class="il-warning"><span class="badge text-bg-warning">source changed since approval — re-review pending</span></p>'
            if item.source_changed
            else ""
        )
        provenance = _provenance(item, source_language)
        text = escape(normalize_newlines(item.text)).replace("\n", "<br>")  # as |linebreaksbr
        target = (
            f"\n            {warning}\n"
            f'            <p class="il-rendering-text" lang="{language}">{text}</p>\n'
            '            <details class="il-provenance">\n'
            f"              <summary>Who translated and approved version {item.version}</summary>\n"
            f"              {provenance}\n            </details>\n"
            f'            <div class="il-provenance-print">{provenance}</div>\n          '
        )
    else:
        target = '\n            <p class="il-gap-note">Not yet approved</p>\n          '
    return (
        f'      <tr class="il-rendering-segment{"" if item.is_approved else " il-rendering-gap"}" id="segment-{segment.pk}">\n'
        f'        <th scope="row" class="il-rendering-pos">{segment.position}</th>\n'
        '        <td class="il-rendering-source" data-label="Original">\n'
        f'          <p lang="{source_language}">{marks(segment.source_text)}</p>\n'
        "        </td>\n"
        f'        <td class="il-rendering-target" data-label="Approved rendering">{target}</td>\n'
        "      </tr>\n"
    )


def _provenance(item, source_language: str) -> str:
    """Who translated the version, who wrote it and when, who approved it: the same list on screen and in print."""
    if item.written_by:
        written = f"{escape(person(item.written_by))}, {time_tag(template_localtime(item.written_at))}"
    else:
        written = "not on record"
    if item.approvals:
        approvals = "".join(
            f"\n      <li>{escape(person(approval.reviewer))} — "
            f"{'final edit of' if approval.is_final_edit else 'approved'} version {approval.version}, "
            f"{time_tag(template_localtime(approval.approved_at))}</li>"
            for approval in item.approvals
        )
        approved = f'\n    <ul class="il-approvals">{approvals}\n    </ul>\n    '
    else:
        approved = "not on record"
    original = ""
    if item.source_changed and item.approved_source_text:
        original = (
            "\n  <dt>Original as approved</dt>\n"
            f'  <dd lang="{source_language}">{marks(item.approved_source_text)}</dd>'
        )
    return (
        '\n<dl class="il-provenance-list">\n'
        f"  <dt>Translated by</dt>\n  <dd>{escape(person(item.author))}</dd>\n"
        f"  <dt>Version {item.version} written by</dt>\n  <dd>{written}</dd>\n"
        f"  <dt>Approved by</dt>\n  <dd>{approved}</dd>{original}\n</dl>\n"
        f'<p class="il-provenance-link"><a href="{escape(item.history_url)}">Full history of this rendering</a></p>\n'
    )
