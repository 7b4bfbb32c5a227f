"""Gettext PO, read line by line so that every refusal names its line.

An entry's ``msgctxt`` is its unit id (the export writes ``s<segment id>``
there); ``msgid`` is the source and ``msgstr`` the target. Translator
comments (``# …``) become the candidate's note; extracted comments (``#.``,
where the export writes provenance), references and previous msgids are
information only. A translated entry that is not ``fuzzy`` counts as marked
approved (which becomes a note, never a review). The header entry and
obsolete entries (``#~``) are skipped. Plural entries are refused: a segment
has one rendering.
"""

import re

from ..errors import ImportRejected
from ..units import FileUnit, ParsedFile
from .text import NEWLINE

_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s*(.*)$")
_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r"\\(.)")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def _unquote(literal: str, line: int) -> str:
    match = _STRING.match(literal.strip())
    if not match:
        raise ImportRejected(f"Line {line}: expected a quoted string, found {_short(literal)!r}.")

    def replace(escape):
        char = escape.group(1)
        if char not in _ESCAPES:
            raise ImportRejected(f"Line {line}: unknown escape sequence \\{char} in a string.")
        return _ESCAPES[char]

    return _ESCAPE.sub(replace, match.group(1))


class _Entry:
    def __init__(self):
        self.fields: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self.comments: list[str] = []
        self.flags: set[str] = set()
        self.obsolete = False
        self.last: str | None = None

    @property
    def started(self) -> bool:
        return bool(self.fields)

    @property
    def has_msgstr(self) -> bool:
        return "msgstr" in self.fields


def _unit(entry: _Entry, parsed: ParsedFile) -> None:
    if entry.obsolete or not entry.started:
        return
    first_line = min(entry.lines.values())
    if "msgid" not in entry.fields:
        raise ImportRejected(f"Line {first_line}: an entry without msgid.")
    if not entry.has_msgstr:
        raise ImportRejected(f"Line {entry.lines['msgid']}: the msgid “{_short(entry.fields['msgid'])}” has no msgstr.")
    context, source, target = entry.fields.get("msgctxt"), entry.fields["msgid"], entry.fields["msgstr"]
    if source == "" and context is None:
        for header_line in target.split("\n"):
            name, _, value = header_line.partition(":")
            if name.strip().lower() == "language":
                parsed.target_language = value.strip()
            elif name.strip().lower() in ("x-source-language", "source-language"):
                parsed.source_language = value.strip()
        return
    where = f"line {entry.lines.get('msgctxt', entry.lines['msgid'])}"
    if context is not None:
        where += f" (msgctxt “{_short(context)}”)"
    parsed.units.append(
        FileUnit(
            where=where,
            source=source,
            target=target or None,
            unit_id=context or None,
            note="\n".join(entry.comments),
            approved=bool(target) and "fuzzy" not in entry.flags,
            key=(context, source),
        )
    )


def read(text: str, **context) -> ParsedFile:
    parsed = ParsedFile(format="po", units=[])
    entry = _Entry()
    for number, raw in enumerate(NEWLINE.split(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):
            if entry.has_msgstr and not entry.obsolete:
                _unit(entry, parsed)
                entry = _Entry()
            entry.obsolete = True
            continue
        if line.startswith("#"):
            if entry.has_msgstr or entry.obsolete:
                _unit(entry, parsed)
                entry = _Entry()
            marker = line[:2]
            if marker == "#,":
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif marker not in ("#.", "#:", "#|"):
                entry.comments.append(line[1:].strip())
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            name, literal = keyword.groups()
            if name == "msgid_plural" or name.startswith("msgstr["):
                raise ImportRejected(
                    f"Plural forms are not supported (msgid “{_short(entry.fields.get('msgid', ''))}” "
                    f"line {entry.lines.get('msgid', number)}): a segment has exactly one rendering."
                )
            if name in ("msgctxt", "msgid") and (entry.has_msgstr or name in entry.fields or entry.obsolete):
                _unit(entry, parsed)
                entry = _Entry()
            if name in entry.fields:
                raise ImportRejected(f"Line {number}: a second {name} in one entry.")
            if name == "msgstr" and "msgid" not in entry.fields:
                raise ImportRejected(f"Line {number}: msgstr without a msgid before it.")
            entry.fields[name] = _unquote(literal, number)
            entry.lines[name] = number
            entry.last = name
        elif line.startswith('"'):
            if entry.last is None:
                raise ImportRejected(f"Line {number}: a string that continues no msgid, msgstr or msgctxt.")
            entry.fields[entry.last] += _unquote(line, number)
        else:
            raise ImportRejected(
                f"Line {number} is not valid PO: expected msgctxt, msgid, msgstr, a quoted string or a comment."
            )
    _unit(entry, parsed)
    return parsed
