"""Reading XML files that may be hostile, and the inline markup inside them.

Parsing: entities are never expanded and nothing is fetched. A file that
declares entities is refused before it is parsed, since entity declarations
are how "billion laughs" expansion and external-entity (XXE) reads of server
files work, and no translation file needs them. A DOCTYPE without entity
declarations (TMX files carry ``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``) is
accepted and its DTD is not loaded.

Inline markup (``<g>``, ``<x/>``, ``<ph>``, ``<bpt>``…): a segment is text, so
the markup inside a ``<source>`` or ``<seg>`` is kept *as literal text* in
the segment, in a canonical form: element names without namespace, attribute
values XML-escaped, text between tags as the characters it stands for. So
``Click <g id="1">here</g><x id="2"/>`` is what a transcriber sees and what a
reviewer approves. ``append_inline`` turns that text back into markup when a
file of the same vocabulary is written, and falls back to plain text when it
is not well-formed, so re-importing an export gives back the same text.
"""

import re
from xml.sax.saxutils import escape

from lxml import etree

from .errors import ImportRejected

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def parse(text: str) -> etree._Element:
    """The root element of an XML document given as text, or ImportRejected saying where it is broken."""
    match = _ENTITY_DECLARATION.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise ImportRejected(
            f"The file declares XML entities (<!ENTITY at line {line}). Entity declarations are refused: "
            "they can expand without limit or read files from the server, and translation files do not need them."
        )
    try:
        root = etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        message = str(error.msg or error).split(", line ")[0]
        raise ImportRejected(f"The file is not well-formed XML: {message} (line {line}, column {column}).") from None
    if root is None:
        raise ImportRejected("The file contains no XML element.")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ImportRejected("The file declares XML entities; entity declarations are refused.")
    for node in root.iter(etree.Entity):
        raise ImportRejected(f"The file uses the undeclared entity {node.text} (line {node.sourceline}).")
    return root


def localname(element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element, name: str) -> list:
    return [child for child in element if localname(child) == name]


def child(element, name: str):
    for candidate in element:
        if localname(candidate) == name:
            return candidate
    return None


def descendants(element, name: str):
    for candidate in element.iter():
        if localname(candidate) == name:
            yield candidate


def attribute(element, name: str) -> str | None:
    """An attribute by local name, with or without namespace (``xml:lang`` or ``lang``)."""
    if name in element.attrib:
        return element.get(name)
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value
    return None


def _attribute_name(key: str, element) -> str:
    if not key.startswith("{"):
        return key
    namespace, local = key[1:].split("}", 1)
    if namespace == XML_NAMESPACE:
        return f"xml:{local}"
    prefix = next((p for p, uri in (element.nsmap or {}).items() if uri == namespace and p), None)
    return f"{prefix}:{local}" if prefix else local


def _start_tag(element) -> str:
    attributes = "".join(
        f' {_attribute_name(key, element)}="{escape(value, {chr(34): "&quot;"})}"'
        for key, value in element.attrib.items()
    )
    return f"<{localname(element)}{attributes}"


def inline_text(element) -> str:
    """The content of a text-bearing element, with inline markup kept as literal text."""
    parts = [element.text or ""]
    for node in element:
        if isinstance(node.tag, str):
            inner = inline_text(node)
            if inner or len(node):
                parts.append(f"{_start_tag(node)}>{inner}</{localname(node)}>")
            else:
                parts.append(f"{_start_tag(node)}/>")
        parts.append(node.tail or "")  # comments contribute only their tail
    return "".join(parts)


def _tag_pattern(vocabulary) -> re.Pattern:
    names = "|".join(sorted(vocabulary, key=len, reverse=True))
    return re.compile(rf'</(?:{names})\s*>|<(?:{names})(?:\s+[\w:.-]+="[^"<]*")*\s*/?>')


_PATTERNS: dict[frozenset, re.Pattern] = {}


def append_inline(parent, text: str, vocabulary: frozenset, namespace: str | None) -> None:
    """Set ``parent``'s content to ``text``, re-creating inline elements of ``vocabulary`` it spells out.

    Text that merely looks like markup but is not well-formed (an unclosed
    ``<g>``, a stray ``<x>``) is written as plain text: nothing is invented."""
    pattern = _PATTERNS.setdefault(vocabulary, _tag_pattern(vocabulary))
    if "<" not in text or not pattern.search(text):
        parent.text = text
        return
    fragment, position = [], 0
    for match in pattern.finditer(text):
        fragment.append(escape(text[position : match.start()]))
        fragment.append(match.group())
        position = match.end()
    fragment.append(escape(text[position:]))
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    try:
        wrapper = etree.fromstring(f"<wrapper{xmlns}>{''.join(fragment)}</wrapper>".encode(), _parser())
    except etree.XMLSyntaxError:
        parent.text = text
        return
    if inline_text(wrapper) != text:  # attribute spelling the canonical form would not give back
        parent.text = text
        return
    parent.text = wrapper.text
    for node in list(wrapper):
        parent.append(node)
