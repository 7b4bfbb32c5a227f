"""Gettext PO.

The header entry's comments hold the provenance; each live segment is an
entry with ``msgctxt "s<segment id>"``. Approved units have their approved
text as ``msgstr`` and are not fuzzy; a rendering approved against an
earlier transcription is there too but ``fuzzy``; other units have an empty
``msgstr``. Position, provenance and the reason a unit lacks an approved
rendering are extracted comments (``#.``), which the import ignores.
"""

from ..exporting import DocumentExport, Status, moment

EXTENSION = ".po"
CONTENT_TYPE = "text/x-gettext-translation; charset=utf-8"


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"})


def quote(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def field(keyword: str, text: str) -> list[str]:
    """A keyword and its string, split after each newline the way gettext writes it."""
    if "\n" not in text.rstrip("\n"):
        return [f"{keyword} {quote(text)}"]
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    return [f'{keyword} ""'] + [quote(line) for line in lines]


def comment(marker: str, text: str) -> str:
    return f"{marker} {' '.join(text.split())}".rstrip()


def write(export: DocumentExport) -> bytes:
    header = [
        f"Project-Id-Version: {export.project.name} — {export.document.title}",
        f"PO-Revision-Date: {moment(export.generated_at).replace(' UTC', '+0000')}",
        f"Language: {export.language}",
        f"X-Source-Language: {export.source_language}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "X-Generator: Interlinear",
    ]
    lines = [comment("#", note) for note in export.header_notes()]
    lines += ['msgid ""', 'msgstr ""'] + [quote(" ".join(item.split()) + "\n") for item in header] + [""]
    for unit in export.units:
        lines.append(comment("#.", f"Position {unit.position}"))
        if unit.provenance:
            lines.append(comment("#.", unit.provenance))
        if unit.status == Status.SOURCE_CHANGED:
            lines.append("#, fuzzy")
        lines.append(f"msgctxt {quote(unit.unit_id)}")
        lines += field("msgid", unit.source)
        lines += field("msgstr", unit.target or "")
        lines.append("")
    return "\n".join(lines).encode("utf-8")
