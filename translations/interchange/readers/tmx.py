"""TMX 1.x: each ``<tu>`` is a unit, ``tuid`` its id.

The source variant is the ``<tuv>`` in the header's ``srclang`` (the first
one when it is ``*all*`` or absent); the target is the variant in the
language imported into, matched by primary subtag (``en`` matches ``en-GB``),
or else the other variant of a two-variant unit. ``<note>``s become the
candidate's note; ``<prop>``s (where the export writes provenance) do not.
"""

from .. import xmlsafe
from ..errors import ImportRejected
from ..units import FileUnit, ParsedFile


def _primary(language: str) -> str:
    return (language or "").replace("_", "-").split("-")[0].lower()


def read(text: str, *, language: str = "", **context) -> ParsedFile:
    root = xmlsafe.parse(text)
    if xmlsafe.localname(root) != "tmx":
        raise ImportRejected(f"This is not a TMX file: its root element is <{xmlsafe.localname(root)}>, not <tmx>.")
    header = xmlsafe.child(root, "header")
    source_language = header.get("srclang", "") if header is not None else ""
    parsed = ParsedFile(format="tmx", units=[], source_language=source_language if source_language != "*all*" else "")
    body = xmlsafe.child(root, "body")
    if body is None:
        raise ImportRejected("The TMX file has no <body>.")
    other_languages = set()
    for index, tu in enumerate(xmlsafe.children(body, "tu"), start=1):
        unit_id = tu.get("tuid") or None
        where = f"tu “{unit_id}” (line {tu.sourceline})" if unit_id else f"tu #{index} (line {tu.sourceline})"
        variants = [(xmlsafe.attribute(tuv, "lang") or "", tuv) for tuv in xmlsafe.children(tu, "tuv")]
        if not variants:
            raise ImportRejected(f"{where[:1].upper()}{where[1:]} has no <tuv>.")
        source = next(
            (tuv for lang, tuv in variants if _primary(lang) == _primary(parsed.source_language)), variants[0][1]
        )
        target = next(
            (tuv for lang, tuv in variants if tuv is not source and _primary(lang) == _primary(language)), None
        )
        if target is None and len(variants) == 2:
            target = next(tuv for _, tuv in variants if tuv is not source)
            other_languages.add(xmlsafe.attribute(target, "lang") or "?")
        segments = {tuv: xmlsafe.child(tuv, "seg") for _, tuv in variants}
        target_segment = segments[target] if target is not None else None
        if segments[source] is None:
            raise ImportRejected(f"{where[:1].upper()}{where[1:]}: the source <tuv> has no <seg>.")
        if target_segment is not None:
            parsed.target_language = parsed.target_language or (xmlsafe.attribute(target, "lang") or "")
        notes = [" ".join("".join(note.itertext()).split()) for note in xmlsafe.children(tu, "note")]
        parsed.units.append(
            FileUnit(
                where=where,
                source=xmlsafe.inline_text(segments[source]),
                target=xmlsafe.inline_text(target_segment) if target_segment is not None else None,
                unit_id=unit_id,
                note="\n".join(note for note in notes if note),
            )
        )
    if other_languages and language:
        parsed.warnings.append(
            f"Some units have no variant in {language!r}; their other variant ({', '.join(sorted(other_languages))}) "
            "was taken as the target."
        )
    return parsed
