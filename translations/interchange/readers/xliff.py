"""XLIFF 1.x (1.0–1.2) and 2.x, with lxml under the guards of ``xmlsafe``.

XLIFF 1.x: each ``<trans-unit>`` (inside ``<group>``s too) is a unit; its
``id`` is the unit id, ``<source>`` and ``<target>`` the texts, ``<note>``s
the candidate's note (except the export's own ``from="interlinear"`` notes),
``approved="yes"`` or a ``final``/``signed-off`` target state marks it
approved. ``<context-group>``, ``<alt-trans>`` and ``<seg-source>`` are
information only. Units with ``translate="no"`` are skipped, and so are
targets that only copy the source while marked ``new`` or
``needs-translation``; the preview says how many.

XLIFF 2.x: each ``<segment>`` of a ``<unit>`` is a unit, with the unit's id
(``unit::segment`` when a unit has several segments, as translate-toolkit
names them); ``state="final"`` marks it approved.

Inline markup (``<g>``, ``<x/>``, ``<ph>``, ``<pc>``…) is kept as literal text:
see ``xmlsafe.inline_text``.
"""

from .. import xmlsafe
from ..errors import ImportRejected
from ..units import FileUnit, ParsedFile

OWN_NOTE = "interlinear"
COPY_STATES = {"new", "needs-translation", "initial"}
APPROVED_STATES = {"final", "signed-off"}


def _note_text(note) -> str:
    return " ".join("".join(note.itertext()).split())


def read(text: str, **context) -> ParsedFile:
    root = xmlsafe.parse(text)
    if xmlsafe.localname(root) != "xliff":
        raise ImportRejected(
            f"This is not an XLIFF file: its root element is <{xmlsafe.localname(root)}>, not <xliff>."
        )
    version = root.get("version", "")
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if version.startswith("2") or ":document:2." in namespace:
        return _read_2(root)
    return _read_1(root)


def _where(unit_id: str | None, element) -> str:
    if unit_id:
        return f"unit “{unit_id}” (line {element.sourceline})"
    return f"the unit at line {element.sourceline}"


def _skips(parsed: ParsedFile, not_translatable: int, copies: int) -> None:
    if not_translatable:
        parsed.warnings.append(f"{not_translatable} unit(s) marked translate=\"no\" were skipped.")
    if copies:
        parsed.warnings.append(
            f"{copies} target(s) that only copy the source (state new or needs-translation) were not imported."
        )


def _read_1(root) -> ParsedFile:
    parsed = ParsedFile(format="xliff", units=[])
    not_translatable = copies = 0
    for file_element in xmlsafe.children(root, "file"):
        parsed.source_language = parsed.source_language or file_element.get("source-language", "")
        parsed.target_language = parsed.target_language or file_element.get("target-language", "")
        body = xmlsafe.child(file_element, "body")
        if body is None:
            continue
        for element in xmlsafe.descendants(body, "trans-unit"):
            unit_id = element.get("id") or None
            where = _where(unit_id, element)
            if element.get("translate") == "no":
                not_translatable += 1
                continue
            source = xmlsafe.child(element, "source")
            if source is None:
                raise ImportRejected(f"{where[:1].upper()}{where[1:]} has no <source>.")
            target = xmlsafe.child(element, "target")
            source_text = xmlsafe.inline_text(source)
            target_text = xmlsafe.inline_text(target) if target is not None else None
            state = target.get("state", "") if target is not None else ""
            if target_text and state in COPY_STATES and target_text.strip() == source_text.strip():
                target_text, copies = None, copies + 1
            notes = [
                _note_text(note) for note in xmlsafe.children(element, "note") if note.get("from") != OWN_NOTE
            ]
            parsed.units.append(
                FileUnit(
                    where=where,
                    source=source_text,
                    target=target_text,
                    unit_id=unit_id,
                    note="\n".join(note for note in notes if note),
                    approved=element.get("approved") == "yes" or state in APPROVED_STATES,
                )
            )
    _skips(parsed, not_translatable, copies)
    return parsed


def _read_2(root) -> ParsedFile:
    parsed = ParsedFile(
        format="xliff", units=[], source_language=root.get("srcLang", ""), target_language=root.get("trgLang", "")
    )
    not_translatable = copies = 0
    for unit in xmlsafe.descendants(root, "unit"):
        if unit.get("translate") == "no":
            not_translatable += 1
            continue
        notes_element = xmlsafe.child(unit, "notes")
        notes = [
            _note_text(note)
            for note in (xmlsafe.children(notes_element, "note") if notes_element is not None else [])
            if note.get("category") != OWN_NOTE
        ]
        segments = xmlsafe.children(unit, "segment")
        for index, segment in enumerate(segments, start=1):
            unit_id = unit.get("id") or None
            if unit_id and len(segments) > 1:
                unit_id = f"{unit_id}::{segment.get('id') or index}"
            where = _where(unit_id, segment)
            source = xmlsafe.child(segment, "source")
            if source is None:
                raise ImportRejected(f"{where[:1].upper()}{where[1:]} has no <source>.")
            target = xmlsafe.child(segment, "target")
            source_text = xmlsafe.inline_text(source)
            target_text = xmlsafe.inline_text(target) if target is not None else None
            state = segment.get("state", "")
            if target_text and state in COPY_STATES and target_text.strip() == source_text.strip():
                target_text, copies = None, copies + 1
            parsed.units.append(
                FileUnit(
                    where=where,
                    source=source_text,
                    target=target_text,
                    unit_id=unit_id,
                    note="\n".join(note for note in notes if note) if index == 1 else "",
                    approved=state in APPROVED_STATES,
                )
            )
    _skips(parsed, not_translatable, copies)
    return parsed
