"""Downloads of the approved rendering, and the page that lists every export of a document.

Any member of the project may download (Action.VIEW), auditors included;
non-members get 404 like for a document that does not exist (invariant 9).
The packets hold only approved text (invariant 4): they are built from
``approved_rendering()``, as the page is.
"""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from translations.views.access import document_in, language_in, project_for

from .. import packets
from ..selectors.rendering import approved_rendering

# The HTML packet is a file to keep, not a page of ours: should a browser
# render it from our origin anyway, nothing in it may run, load or submit.
PACKET_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}


@dataclass(frozen=True)
class ExportFormat:
    code: str
    name: str
    audience: str


# Interchange files are made by the interchange exporter (``document_export``, ``project_export``).
INTERCHANGE_FORMATS = (
    ExportFormat("xliff", "XLIFF 1.2", "For CAT tools (Trados, memoQ, OmegaT, Phrase): source and target paired."),
    ExportFormat("po", "PO (gettext)", "For PO editors such as Poedit or Lokalize, and gettext tooling."),
    ExportFormat("csv", "CSV", "For spreadsheets: editors and fact-checkers who work in Excel or LibreOffice Calc."),
    ExportFormat("json", "JSON", "For developers and scripts: structured, one record per segment."),
    ExportFormat("tmx", "TMX", "For translation memories: reuse the approved pairs in future work."),
)


def _rendering(request, slug, document_id, language):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    language = language_in(project, language)
    document.project = project  # the selector and the builders read it without another query
    return approved_rendering(document, language)


@require_safe
def document_packet_docx(request, slug, document_id, language):
    """The approved rendering as a Word document."""
    rendering = _rendering(request, slug, document_id, language)
    response = HttpResponse(packets.docx_packet(rendering), content_type=packets.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = packets.attachment_header(rendering.document, rendering.language, "docx")
    return response


@require_safe
@csp_override(PACKET_CSP)
def document_packet_html(request, slug, document_id, language):
    """The approved rendering as one self-contained HTML file."""
    rendering = _rendering(request, slug, document_id, language)
    response = HttpResponse(packets.html_packet(rendering), content_type=packets.HTML_CONTENT_TYPE)
    response["Content-Disposition"] = packets.attachment_header(rendering.document, rendering.language, "html")
    return response


@require_safe
def document_exports(request, slug, document_id):
    """Every file that can be made from a document, per target language, and
    how many segments still lack an approved rendering before one downloads."""
    project = project_for(request, slug)
    document = document_in(project, document_id)
    languages = list(project.target_languages)
    sample = languages[0] if languages else "en"
    context = {
        "project": project,
        "document": document,
        "coverages": packets.packet_coverage(document, languages),
        "interchange_formats": INTERCHANGE_FORMATS,
        "interchange_ready": _has_url("document_export", project.slug, document.pk, sample, "xliff"),
        "project_interchange_ready": _has_url("project_export", project.slug, sample, "xliff"),
        "crumb": "Exports",
    }
    return render(request, "reviews/packets/exports.html", context)


def _has_url(name, *args) -> bool:
    """Whether the interchange exporter is installed: its links are shown only then."""
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True
