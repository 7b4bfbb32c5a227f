"""The approved rendering as files a newsroom keeps: a Word document and a
self-contained HTML page.

Both are made from ``approved_rendering()`` and from nothing else, so they
carry exactly what the approved-rendering page shows: each live segment's
``published_text`` (never ``Translation.text``: invariant 4), who translated
and who approved which version when, the gaps marked "Not yet approved", and
the authenticity caveat a quotation must repeat. Building a file costs no
query beyond the selector's.

Filenames are ASCII (reference number, title, language) so that every mail
client and file system keeps them; a title in another script also travels as
RFC 6266 ``filename*``.
"""

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import dateformat, timezone
from django.utils.text import slugify
from docx import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from translations.models import Authenticity, Document, Segment, Translation
from translations.templatetags.interlinear import person
from translations.texts import UNCERTAIN_MARK

from .selectors.rendering import ApprovedRendering, RenderedSegment, language_name

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"

GAP_NOTE = "Not yet approved"
SOURCE_CHANGED_NOTE = "Source changed since approval — re-review pending"
LEGEND = (
    "Only text that reviewers approved is shown, exactly as approved; later unreviewed edits are not. "
    "Square brackets in the original mark uncertain or illegible readings."
)

# Word picks the East Asian font of a run for Hangul, kana and Han characters;
# without one it may fall back to a font that has none and show empty boxes.
# These ship with Word on Windows and macOS; LibreOffice substitutes its own.
EAST_ASIAN_FONTS = {"ko": "Malgun Gothic", "ja": "Yu Gothic", "zh": "Microsoft YaHei"}
EAST_ASIAN_LOCALES = {"ko": "ko-KR", "ja": "ja-JP", "zh": "zh-CN"}
DEFAULT_EAST_ASIAN_FONT = "Malgun Gothic"

# XML 1.0 cannot carry these at all; the services refuse them in texts, but a
# name or a field set elsewhere must not make the download fail.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


# --- Filenames -----------------------------------------------------------------


def packet_filename(document: Document, language: str, extension: str, *, allow_unicode: bool = False) -> str:
    """``RN-2025-001-soldiers-notebook-en.docx``: reference number (or document
    id), title and language, with nothing a file system or shell treats specially."""
    reference = _ascii_words(document.reference_number)[:40].strip("-") or f"document-{document.pk}"
    title = _shorten(slugify(document.title, allow_unicode=allow_unicode))
    parts = (reference, title, slugify(language))
    return "-".join(part for part in parts if part) + "." + extension


def attachment_header(document: Document, language: str, extension: str) -> str:
    """Content-Disposition for a packet: the ASCII name, and the UTF-8 one as ``filename*`` when they differ."""
    name = packet_filename(document, language, extension)
    header = f'attachment; filename="{name}"'
    unicode_name = packet_filename(document, language, extension, allow_unicode=True)
    if unicode_name != name:
        header += f"; filename*=UTF-8''{quote(unicode_name, safe='')}"
    return header


def _ascii_words(text: str) -> str:
    """'RN-2025/001 (copy)' → 'RN-2025-001-copy': ASCII letters and digits joined by hyphens, case kept."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


def _shorten(slug: str, limit: int = 60) -> str:
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-_")


# --- How much of a document has an approved rendering --------------------------


@dataclass(frozen=True)
class Coverage:
    """For one target language: how many live segments have an approved rendering."""

    language: str
    segment_count: int
    approved_count: int
    source_changed_count: int

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def missing_count(self) -> int:
        return self.segment_count - self.approved_count

    @property
    def is_complete(self) -> bool:
        return self.segment_count > 0 and self.missing_count == 0


def packet_coverage(document: Document, languages: list[str]) -> list[Coverage]:
    """What each language's packet will hold, counted as ``approved_rendering()``
    counts it (a published translation of a live segment), in two queries."""
    segment_count = Segment.objects.filter(document=document, is_deleted=False).count()
    counts = {
        row["language"]: row
        for row in Translation.objects.filter(
            segment__document=document, segment__is_deleted=False, language__in=languages, is_published=True
        )
        .values("language")
        .annotate(
            approved=Count("segment_id", distinct=True),
            source_changed=Count("id", filter=~Q(published_source_hash=F("segment__source_hash"))),
        )
        .order_by()
    }
    return [
        Coverage(
            language=code,
            segment_count=segment_count,
            approved_count=counts.get(code, {}).get("approved", 0),
            source_changed_count=counts.get(code, {}).get("source_changed", 0),
        )
        for code in languages
    ]


# --- Shared wording --------------------------------------------------------------


def caveat(document: Document) -> tuple[str, str]:
    """The authenticity caveat as (headline, explanation): what a quotation must carry."""
    if document.authenticity == Authenticity.AUTHENTICATED:
        return "Authenticity: authenticated.", ""
    if document.authenticity == Authenticity.DISPUTED:
        return (
            "Authenticity disputed — any quotation must say so.",
            "The authenticity of this document is disputed.",
        )
    return (
        "Authenticity unverified — any quotation must say so.",
        "This document has not been independently verified. "
        "Any quotation must say that its authenticity is unverified.",
    )


def status_line(rendering: ApprovedRendering) -> str:
    """'2 of 3 segments have an approved rendering' (the page's wording)."""
    noun = "segment has" if rendering.segment_count == 1 else "segments have"
    return f"{rendering.approved_count} of {rendering.segment_count} {noun} an approved rendering"


def _when(moment: datetime | None, pattern: str = "j M Y, H:i T") -> str:
    return dateformat.format(timezone.localtime(moment), pattern) if moment else ""


# --- HTML -------------------------------------------------------------------------


def html_packet(rendering: ApprovedRendering) -> str:
    """One HTML file holding the approved rendering, its styles inlined and no
    script, links or images: it opens the same offline, in any browser, years
    later. Every user text goes through template auto-escaping."""
    document = rendering.document
    headline, explanation = caveat(document)
    return render_to_string(
        "reviews/packets/packet.html",
        {
            "rendering": rendering,
            "document": document,
            "project": document.project,
            "language": rendering.language,
            "caveat_headline": headline,
            "caveat_explanation": explanation,
            "status_line": status_line(rendering),
            "legend": LEGEND,
            "gap_note": GAP_NOTE,
            "source_changed_note": SOURCE_CHANGED_NOTE,
        },
    )


# --- Word -------------------------------------------------------------------------

_PAGE_WIDTH = Mm(210)
_MARGIN = Mm(16)
_COLUMN_WIDTHS = (Mm(10), Mm(55), Mm(62), Mm(51))  # #, original, rendering, who — 178 mm of text width
_MUTED = RGBColor(0x59, 0x5C, 0x5F)
ORIGINAL_STYLE = "Interlinear Original"
RENDERING_STYLE = "Interlinear Rendering"
PROVENANCE_STYLE = "Interlinear Provenance"
GAP_STYLE = "Interlinear Not Yet Approved"
LABEL_STYLE = "Interlinear Label"
_CAVEAT_COLOURS = {  # border, fill
    Authenticity.UNVERIFIED: ("B58100", "FFF8E1"),
    Authenticity.DISPUTED: ("B02A37", "F8D7DA"),
    Authenticity.AUTHENTICATED: ("198754", "D1E7DD"),
}


def docx_packet(rendering: ApprovedRendering) -> bytes:
    """The approved rendering as a Word document (.docx), in the order of the page:
    title, project and languages, caveat, provenance, sensitivity notes, status,
    then one table row per segment."""
    document = rendering.document
    project = document.project
    word = WordDocument()
    _set_up(word, rendering)

    kicker = word.add_paragraph()
    _run(kicker, f"Approved rendering · {project.name}".upper(), bold=True, size=8.5, colour=_MUTED)
    word.add_heading(_xml_safe(document.title), level=0)
    pair = word.add_paragraph()
    _run(pair, f"{rendering.source_language_name} original, {rendering.language_name} rendering ")
    _run(pair, f"({rendering.source_language} → {rendering.language})", colour=_MUTED)

    _add_caveat(word, document)

    word.add_heading("Provenance", level=2)
    facts = (
        ("Reference number", document.reference_number),
        ("Obtained from", document.obtained_from),
        ("When", document.obtained_when),
        ("Where", document.obtained_where),
        ("By whom", document.obtained_by),
        ("Project", project.name),
        ("Languages", f"{rendering.source_language_name} → {rendering.language_name}"),
    )
    table = word.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    _fix_widths(table, (Mm(42), Mm(136)))
    for label, value in facts:
        label_cell, value_cell = table.add_row().cells
        _run(label_cell.paragraphs[0], label, bold=True)
        _shade(label_cell, "F2F2F2")
        _run(value_cell.paragraphs[0], value or "—")

    if document.sensitivity_notes:
        word.add_heading("Sensitivity notes", level=2)
        notes = word.add_paragraph()
        _box(notes, border="B02A37", fill="F8D7DA", left_only=True)
        _run(notes, document.sensitivity_notes)

    status = word.add_paragraph()
    status.paragraph_format.space_before = Pt(12)
    _run(status, status_line(rendering), bold=True)
    if rendering.source_changed_count:
        _run(status, f", {rendering.source_changed_count} of them approved against an earlier version of the source")
    _run(status, f"; generated {_when(rendering.generated_at, 'j F Y, H:i T')} by Interlinear.")
    legend = word.add_paragraph()
    _run(legend, LEGEND, size=9, colour=_MUTED)

    if rendering.segments:
        _add_segments_table(word, rendering)
    else:
        empty = word.add_paragraph()
        _run(empty, "This document has no transcribed segments yet.", italic=True, colour=_MUTED)

    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _set_up(word, rendering: ApprovedRendering) -> None:
    document = rendering.document
    section = word.sections[0]
    section.page_width, section.page_height = _PAGE_WIDTH, Mm(297)
    section.left_margin = section.right_margin = _MARGIN
    section.top_margin, section.bottom_margin = Mm(18), Mm(18)

    normal = word.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10)
    _east_asian(normal.element.get_or_add_rPr(), rendering.source_language, lang=False)
    _add_styles(word)

    # Nothing about who ran the export or on what machine: the file may travel.
    properties = word.core_properties
    properties.title = _xml_safe(document.title)
    properties.subject = _xml_safe(
        f"Approved {rendering.language_name} rendering ({rendering.source_language} → {rendering.language})"
    )
    properties.author = properties.last_modified_by = "Interlinear"
    properties.comments = "Only text that reviewers approved, exactly as approved."
    properties.keywords = _xml_safe(document.reference_number)
    properties.category = "Approved rendering"
    properties.created = properties.modified = rendering.generated_at.astimezone(UTC).replace(tzinfo=None)
    properties.revision = 1

    headline, _ = caveat(document)
    header = section.header.paragraphs[0]
    _run(header, document.title, size=8, colour=_MUTED)
    if document.authenticity != Authenticity.AUTHENTICATED:
        _run(header, f" · {headline}", size=8, bold=True)

    footer = section.footer.paragraphs[0]
    reference = f" · {document.reference_number}" if document.reference_number else ""
    _run(
        footer,
        f"{document.title}{reference} · {rendering.source_language} → {rendering.language} · "
        f"{rendering.approved_count} of {rendering.segment_count} approved · generated by Interlinear "
        f"{_when(rendering.generated_at, 'j F Y, H:i T')} · page ",
        size=8, colour=_MUTED,
    )
    _page_number(footer)


def _add_caveat(word, document: Document) -> None:
    headline, explanation = caveat(document)
    border, fill = _CAVEAT_COLOURS.get(document.authenticity, _CAVEAT_COLOURS[Authenticity.UNVERIFIED])
    paragraph = word.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(10)
    _box(paragraph, border=border, fill=fill)
    _run(paragraph, headline, bold=True, size=12)
    if explanation:
        _run(paragraph, "\n" + explanation)


def _add_styles(word) -> None:
    """Named styles for the segment table, so an editor can restyle every row at once
    (and a long document is built faster than with formatting on every run)."""
    styles = word.styles

    def paragraph_style(name, *, size, font=None, italic=False, colour=None, after=2):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.font.size = Pt(size)
        if font:
            style.font.name = font
        if italic:
            style.font.italic = True
        if colour is not None:
            style.font.color.rgb = colour
        style.paragraph_format.space_after = Pt(after)
        return style

    paragraph_style(ORIGINAL_STYLE, size=11, after=2)
    paragraph_style(RENDERING_STYLE, size=11, font="Georgia", after=2)
    paragraph_style(PROVENANCE_STYLE, size=8.5, after=1)
    paragraph_style(GAP_STYLE, size=10, italic=True, colour=_MUTED, after=0)
    label = styles.add_style(LABEL_STYLE, WD_STYLE_TYPE.CHARACTER)
    label.font.bold = True


def _add_segments_table(word, rendering: ApprovedRendering) -> None:
    source = rendering.source_language
    # Style ids, set on the XML directly: python-docx's ``paragraph.style = ...``
    # searches every style of the document on each call.
    ids = {name: word.styles[name].style_id for name in
           (ORIGINAL_STYLE, RENDERING_STYLE, PROVENANCE_STYLE, GAP_STYLE, LABEL_STYLE)}

    def styled(paragraph, name):
        paragraph._p.style = ids[name]
        return paragraph

    table = word.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fix_widths(table, _COLUMN_WIDTHS)  # before the rows are added: each new row copies them
    headings = ("#", f"Original ({rendering.source_language_name})",
                f"Approved rendering ({rendering.language_name})", "Who translated, who approved which version when")
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        _run(cell.paragraphs[0], heading, bold=True, size=9)
        _shade(cell, "E9ECEF")
    _row_property(table.rows[0], "w:tblHeader")  # repeated at the top of every page

    for item in rendering.segments:
        row = table.add_row()
        _row_property(row, "w:cantSplit")
        position, original, target, who = row.cells
        _run(styled(position.paragraphs[0], PROVENANCE_STYLE), str(item.segment.position))
        _marked_text(styled(original.paragraphs[0], ORIGINAL_STYLE), item.segment.source_text, source)
        if not item.is_approved:
            _run(styled(target.paragraphs[0], GAP_STYLE), GAP_NOTE)
            _shade(target, "F8F9FA")
            _run(styled(who.paragraphs[0], PROVENANCE_STYLE), "—")
            continue
        first = target.paragraphs[0]
        if item.source_changed:
            _run(styled(first, PROVENANCE_STYLE), SOURCE_CHANGED_NOTE, bold=True, highlight=WD_COLOR_INDEX.YELLOW)
            first = target.add_paragraph()
        _run(styled(first, RENDERING_STYLE), item.text)
        _add_provenance(who, item, source, styled, ids[LABEL_STYLE])


def _add_provenance(cell, item: RenderedSegment, source_language: str, styled, label_style_id) -> None:
    def line(label, value="", *, first=False):
        paragraph = styled(cell.paragraphs[0] if first else cell.add_paragraph(), PROVENANCE_STYLE)
        _run(paragraph, label)._r.style = label_style_id
        if value:
            _run(paragraph, f" {value}")
        return paragraph

    line("Translated by", person(item.author), first=True)
    written = f"{person(item.written_by)}, {_when(item.written_at)}" if item.written_by else "not on record"
    line(f"Version {item.version} written by", written)
    if item.approvals:
        line("Approved by")
        for approval in item.approvals:
            verb = "final edit of" if approval.is_final_edit else "approved"
            paragraph = styled(cell.add_paragraph(), PROVENANCE_STYLE)
            paragraph.paragraph_format.left_indent = Mm(3)
            _run(paragraph, f"{person(approval.reviewer)} — {verb} version {approval.version}, "
                            f"{_when(approval.approved_at)}")
    else:
        line("Approved by", "not on record")
    if item.source_changed and item.approved_source_text:
        paragraph = line("Original as approved")
        _run(paragraph, " ")
        _marked_text(paragraph, item.approved_source_text, source_language)


# --- python-docx helpers ----------------------------------------------------------


def _xml_safe(text) -> str:
    return _NOT_IN_XML.sub("\ufffd", str(text or ""))


def _run(paragraph, text, *, bold=False, italic=False, size=None, colour=None, font=None, highlight=None):
    run = paragraph.add_run(_xml_safe(text))
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if size:
        run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    if font:
        run.font.name = font
    if highlight is not None:
        run.font.highlight_color = highlight
    return run


def _marked_text(paragraph, text: str, language: str) -> None:
    """Source text in runs that carry its language and East Asian font, with
    uncertain readings (``[illegible]``, ``[?word]``, ``[a|b]``) highlighted."""
    position = 0
    pieces = []
    for match in UNCERTAIN_MARK.finditer(text):
        pieces.append((text[position : match.start()], False))
        pieces.append((match.group(), True))
        position = match.end()
    pieces.append((text[position:], False))
    for piece, is_mark in pieces:
        if piece:
            run = _run(paragraph, piece, highlight=WD_COLOR_INDEX.YELLOW if is_mark else None)
            _east_asian(run._r.get_or_add_rPr(), language)


def _east_asian(rPr, language: str, *, lang: bool = True) -> None:
    """Name the East Asian font (and, for runs, the language) so Word renders Hangul, kana and Han."""
    base = language.split("-")[0].lower()
    fonts = rPr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONTS.get(base, DEFAULT_EAST_ASIAN_FONT))
    if not lang or base not in EAST_ASIAN_LOCALES:
        return
    fonts.set(qn("w:hint"), "eastAsia")
    element = rPr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        rPr.insert_element_before(element, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    element.set(qn("w:eastAsia"), EAST_ASIAN_LOCALES[base])


def _box(paragraph, *, border: str, fill: str, left_only: bool = False) -> None:
    """A bordered, shaded paragraph: the caveat and the sensitivity notes must not be skimmed past."""
    pPr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        if left_only and side != "left":
            continue
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "36" if side == "left" else "12")  # eighths of a point
        edge.set(qn("w:space"), "6")
        edge.set(qn("w:color"), border)
        borders.append(edge)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    after_shading = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                     "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                     "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                     "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                     "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
    pPr.insert_element_before(borders, "w:shd", *after_shading)
    pPr.insert_element_before(shading, *after_shading)


def _shade(cell, fill: str) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcPr.insert_element_before(shading, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                               "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


_TR_PR_ORDER = ("w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
                "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del",
                "w:trPrChange")


def _row_property(row, tag: str) -> None:
    trPr = row._tr.get_or_add_trPr()
    successors = _TR_PR_ORDER[_TR_PR_ORDER.index(tag) + 1 :]
    trPr.insert_element_before(OxmlElement(tag), *successors)


def _fix_widths(table, widths) -> None:
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _page_number(paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
