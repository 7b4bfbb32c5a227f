"""XLIFF 1.2.

One ``<file>`` whose header holds the provenance notes; a ``<trans-unit
id="s<segment id>">`` per live segment in order, its position in a
``<context-group>``. Approved units carry ``approved="yes"`` and a target
with ``state="final"``; a rendering approved against an earlier
transcription has its target with ``state="needs-review-translation"`` and
no approval; otherwise the target is empty, ``state="needs-review-translation"``
when a candidate awaits review, ``state="new"`` when none does. Notes written
by the export say ``from="interlinear"``, so the import can tell them from a
translator's notes.
"""

from lxml import etree

from ..exporting import DocumentExport, Status
from ..xmlsafe import XML_NAMESPACE, append_inline

NAMESPACE = "urn:oasis:names:tc:xliff:document:1.2"
EXTENSION = ".xlf"
CONTENT_TYPE = "application/x-xliff+xml"
INLINE = frozenset({"g", "x", "bx", "ex", "ph", "bpt", "ept", "it", "mrk", "sub"})
TARGET_STATES = {
    Status.APPROVED: "final",
    Status.SOURCE_CHANGED: "needs-review-translation",
    Status.AWAITING_REVIEW: "needs-review-translation",
    Status.NOT_APPROVED: "new",
}
_TEXT_ELEMENTS = {"source", "target", "note", "context", "seg", "prop"}


def _element(parent, tag: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def indent(element, level: int = 0) -> None:
    """Indent structural elements only: whitespace inside a source or target would change its text."""
    if len(element) and etree.QName(element).localname not in _TEXT_ELEMENTS:
        element.text = "\n" + "  " * (level + 1)
        for child in element:
            indent(child, level + 1)
            child.tail = "\n" + "  " * (level + 1)
        element[-1].tail = "\n" + "  " * level


def write(export: DocumentExport) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}xliff", {"version": "1.2"}, nsmap={None: NAMESPACE})
    file_element = _element(
        root,
        "file",
        original=f"{export.project.slug}/d{export.document.pk}",
        source_language=export.source_language,
        target_language=export.language,
        datatype="plaintext",
        tool_id="interlinear",
    )
    header = _element(file_element, "header")
    _element(header, "tool", tool_id="interlinear", tool_name="Interlinear")
    for line in export.header_notes():
        _element(header, "note", line, **{"from": "interlinear"})
    body = _element(file_element, "body")
    for unit in export.units:
        attributes = {"id": unit.unit_id, f"{{{XML_NAMESPACE}}}space": "preserve"}
        if unit.is_approved:
            attributes["approved"] = "yes"
        element = etree.SubElement(body, f"{{{NAMESPACE}}}trans-unit", attributes)
        append_inline(_element(element, "source"), unit.source, INLINE, NAMESPACE)
        target = _element(element, "target", state=TARGET_STATES[unit.status])
        if unit.target is not None:
            append_inline(target, unit.target, INLINE, NAMESPACE)
        group = _element(element, "context-group", name="interlinear", purpose="information")
        _element(group, "context", str(unit.position), context_type="x-position")
        if unit.provenance:
            _element(element, "note", unit.provenance, **{"from": "interlinear"})
    indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"
