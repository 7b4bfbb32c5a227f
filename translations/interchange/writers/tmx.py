"""TMX 1.4: approved pairs only.

A translation memory is reused without review, so it holds only segments
whose approved rendering was approved against the current transcription;
the header notes say how many segments were left out. Each ``<tu>`` has
``tuid="s<segment id>"``, the date of publication as ``changedate``, and the
position and provenance as ``<prop>``s (which the import ignores).
"""

from datetime import UTC

from lxml import etree

from ..exporting import DocumentExport
from ..xmlsafe import XML_NAMESPACE, append_inline
from .xliff import indent

EXTENSION = ".tmx"
CONTENT_TYPE = "application/x-tmx+xml"
INLINE = frozenset({"bpt", "ept", "it", "ph", "hi", "ut", "sub"})
LANG = f"{{{XML_NAMESPACE}}}lang"


def write(export: DocumentExport) -> bytes:
    root = etree.Element("tmx", version="1.4")
    header = etree.SubElement(
        root,
        "header",
        creationtool="Interlinear",
        creationtoolversion="1",
        segtype="sentence",
        adminlang="en",
        srclang=export.source_language,
        datatype="plaintext",
        creationdate=export.generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
        **{"o-tmf": "Interlinear"},
    )
    pairs = [unit for unit in export.units if unit.is_approved]
    notes = export.header_notes() + [
        f"This memory holds the {len(pairs)} approved pairs; {len(export.units) - len(pairs)} segments without "
        "an approved rendering of their current transcription are not included."
    ]
    for line in notes:
        etree.SubElement(header, "note").text = line
    body = etree.SubElement(root, "body")
    for unit in pairs:
        attributes = {"tuid": unit.unit_id}
        if unit.published_at:
            attributes["changedate"] = unit.published_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        tu = etree.SubElement(body, "tu", attributes)
        etree.SubElement(tu, "prop", type="x-position").text = str(unit.position)
        etree.SubElement(tu, "prop", type="x-provenance").text = unit.provenance
        for language, text in ((export.source_language, unit.source), (export.language, unit.target)):
            tuv = etree.SubElement(tu, "tuv", {LANG: language})
            append_inline(etree.SubElement(tuv, "seg"), text, INLINE, None)
    indent(root)
    doctype = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype) + b"\n"
