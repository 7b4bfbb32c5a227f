"""Glossary files: CSV and TBX, read into rows to import and written from a project's terms.

CSV: a header row naming the columns ``source_term, language, approved,
forbidden, part_of_speech, note`` (only ``source_term`` is required, the
order is free); several renderings in one cell are separated by ``|``
(a vertical bar — not ``;`` or ``,``, which renderings may contain).
An empty ``language`` means the language chosen on the import form.

TBX: TBX-Basic/TBX-Default as translate-toolkit (``translate.storage.tbx``)
reads it, and as terminology tools (SDL MultiTerm, memoQ, Weblate, Poedit)
write it: one ``termEntry`` per concept, a ``langSet`` per language, a
``tig`` (or ``ntig``) per term. A target term whose
``<termNote type="administrativeStatus">`` says deprecated, superseded or
not recommended is a forbidden rendering; the others are approved, the
preferred one first. ``<termNote type="partOfSpeech">`` gives the part of
speech, ``<descrip>``/``<note>`` the note.

Reading never writes: it returns the rows and a list of problems naming the
line (CSV) or entry (TBX) at fault, so an import is all or nothing.
Encodings, NUL bytes and sizes are refused as for every other upload
(``translations.interchange.decoding``), and XML entity declarations as in
``translations.interchange.xmlsafe``.
"""

import csv
import io
from dataclasses import dataclass, field

from lxml import etree

from .exceptions import InvalidText
from .interchange.decoding import decode
from .interchange.errors import ImportRejected
from .interchange.xmlsafe import attribute, localname, parse
from .models import PartOfSpeech
from .texts import normalise

SEPARATOR = "|"
CSV_COLUMNS = ("source_term", "language", "approved", "forbidden", "part_of_speech", "note")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
MAX_TERM_LENGTH = 200
MAX_RENDERINGS = 20
MAX_NOTE_LENGTH = 2_000
MAX_LISTED_PROBLEMS = 50
FORBIDDEN_STATUSES = {
    "deprecated", "deprecatedterm", "deprecatedterm-admn-sts", "deprecatedtermadmnsts", "supersededterm",
    "supersededterm-admn-sts", "notrecommended", "forbidden", "rejected",
}
PREFERRED_STATUSES = {"preferredterm", "preferredterm-admn-sts", "preferred"}
_POS = {value: value for value in PartOfSpeech.values} | {
    label.lower(): value for value, label in PartOfSpeech.choices
} | {"n": "noun", "v": "verb", "adj": "adjective", "adv": "adverb", "propernoun": "name", "proper noun": "name"}


@dataclass
class GlossaryRow:
    where: str
    source_term: str
    language: str
    approved: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    part_of_speech: str = ""
    note: str = ""


@dataclass
class GlossaryFile:
    format: str
    rows: list[GlossaryRow]
    problems: list[str]


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise ImportRejected(f"The file is {size:,} bytes; glossary files over {MAX_BYTES:,} bytes are refused.")


def _clean(value: str, *, where: str, field_name: str, limit: int) -> str:
    text = normalise(value or "", field=field_name).strip()
    if len(text) > limit:
        raise InvalidText(f"the {field_name} is longer than {limit} characters")
    return text


def _renderings(values, *, where: str, field_name: str) -> list[str]:
    cleaned = []
    for value in values:
        text = _clean(value, where=where, field_name=field_name, limit=MAX_TERM_LENGTH)
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_RENDERINGS:
        raise InvalidText(f"more than {MAX_RENDERINGS} {field_name} renderings")
    return cleaned


def _language(value: str, languages: list[str]) -> str | None:
    """The project's target language a file's language code names (``en-US`` is ``en``), or None."""
    value = (value or "").strip().replace("_", "-")
    if value in languages:
        return value
    primary = value.split("-")[0].lower()
    return next((code for code in languages if code.lower() == primary), None)


def _validated(rows: list[GlossaryRow], problems: list[str]) -> list[str]:
    """The problems, with those across rows added: a term twice, a rendering both approved and forbidden."""
    seen: dict[tuple[str, str], str] = {}
    for row in rows:
        key = (row.language, row.source_term.lower())
        if key in seen:
            problems.append(f"{row.where}: “{row.source_term}” ({row.language}) is already at {seen[key]}.")
        seen.setdefault(key, row.where)
        both = set(row.approved) & set(row.forbidden)
        if both:
            problems.append(f"{row.where}: “{sorted(both)[0]}” is both approved and forbidden.")
    if len(rows) > MAX_ROWS:
        problems.append(f"The file has {len(rows):,} terms; at most {MAX_ROWS:,} are imported at once.")
    return problems


def _row(where, source_term, language, approved, forbidden, part_of_speech, note, *, languages, default_language):
    source_term = _clean(source_term, where=where, field_name="source term", limit=MAX_TERM_LENGTH)
    if not source_term:
        raise InvalidText("the source term is empty")
    code = _language(language, languages) if (language or "").strip() else default_language
    if code is None:
        raise InvalidText(f"“{language}” is not a target language of this project ({', '.join(languages)})")
    pos_key = (part_of_speech or "").strip().lower()
    if pos_key and pos_key not in _POS:
        raise InvalidText(f"“{part_of_speech}” is not a part of speech ({', '.join(PartOfSpeech.values)})")
    return GlossaryRow(
        where=where, source_term=source_term, language=code,
        approved=_renderings(approved, where=where, field_name="approved"),
        forbidden=_renderings(forbidden, where=where, field_name="forbidden"),
        part_of_speech=_POS.get(pos_key, ""),
        note=_clean(note, where=where, field_name="note", limit=MAX_NOTE_LENGTH),
    )


def read_csv(text: str, *, languages: list[str], default_language: str) -> GlossaryFile:
    delimiter = "\t" if "\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0] else ","
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if ";" in first and "," not in first and "\t" not in first:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter, strict=True)
    rows, problems, columns = [], [], None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                names = [cell.strip().lower().replace(" ", "_") for cell in cells]
                unknown = [name for name in names if name and name not in CSV_COLUMNS]
                if "source_term" not in names or unknown:
                    raise ImportRejected(
                        f"Line {start}: the first row must name the columns ({', '.join(CSV_COLUMNS)}); "
                        + (f"unknown column “{unknown[0]}”." if unknown else "there is no “source_term” column.")
                    )
                columns = names
                continue
            where = f"Line {start}"
            if len(cells) > len(columns):
                problems.append(f"{where}: {len(cells)} cells, but the header names {len(columns)} columns.")
                continue
            values = {name: _unformula(cell) for name, cell in zip(columns, cells)}
            try:
                rows.append(
                    _row(
                        where, values.get("source_term", ""), values.get("language", ""),
                        values.get("approved", "").split(SEPARATOR), values.get("forbidden", "").split(SEPARATOR),
                        values.get("part_of_speech", ""), values.get("note", ""),
                        languages=languages, default_language=default_language,
                    )
                )
            except InvalidText as error:
                problems.append(f"{where}: {error.message}.")
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as error:
        raise ImportRejected(f"Line {line}: the CSV is malformed ({error}); check the quotes of that row.") from None
    if columns is None:
        raise ImportRejected("The file has no header row and no terms.")
    return GlossaryFile("csv", rows, _validated(rows, problems))


def _text(element) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _terms(lang_set) -> list[tuple[str, str, str]]:
    """(text, administrative status, part of speech) of each term of a langSet, in order."""
    found = []
    for holder in lang_set:
        if localname(holder) not in ("tig", "ntig"):
            continue
        term_element = next((e for e in holder.iter() if localname(e) == "term"), None)
        status = pos = ""
        for note in holder.iter():
            if localname(note) in ("termNote", "descrip"):
                kind = (attribute(note, "type") or "").lower()
                if kind == "administrativestatus":
                    status = _text(note).strip().lower().replace(" ", "")
                elif kind == "partofspeech":
                    pos = _text(note).strip()
        found.append((_text(term_element), status, pos))
    return found


def _notes(element) -> list[str]:
    """Notes and definitions directly in a termEntry or langSet (not in its terms)."""
    notes = []
    for child in element:
        name = localname(child)
        if name == "descripGrp":
            child = next((c for c in child if localname(c) == "descrip"), None)
            name = "descrip" if child is not None else ""
        if name in ("note", "descrip") and (attribute(child, "type") or "definition").lower() in (
            "definition", "context", "note", "comment", "explanation",
        ):
            text = _text(child).strip()
            if text:
                notes.append(text)
    return notes


def read_tbx(text: str, *, languages: list[str], source_language: str, default_language: str) -> GlossaryFile:
    root = parse(text)  # refuses entity declarations and malformed XML, naming the line
    if localname(root) not in ("martif", "tbx"):
        raise ImportRejected(f"This is not a TBX file: its root element is <{localname(root)}>, not <martif> or <tbx>.")
    # Read through translate-toolkit too, so a file it cannot read is refused as it would be elsewhere.
    from translate.storage.tbx import tbxfile

    try:
        tbxfile.parsestring(text.encode("utf-8"), sourcelanguage=source_language)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise ImportRejected(f"The TBX file cannot be read: {error}") from None
    rows, problems = [], []
    source_primary = source_language.split("-")[0].lower()
    for number, entry in enumerate((e for e in root.iter() if localname(e) in ("termEntry", "conceptEntry")), start=1):
        entry_id = attribute(entry, "id")
        where = f"Entry {number}" + (f" (id “{entry_id}”)" if entry_id else "") + f", line {entry.sourceline}"
        lang_sets = [child for child in entry if localname(child) in ("langSet", "langSec")]
        source_terms, targets, part_of_speech = [], {}, ""
        entry_notes = _notes(entry)
        for lang_set in lang_sets:
            code = (attribute(lang_set, "lang") or "").replace("_", "-")
            terms = _terms(lang_set)
            if code.split("-")[0].lower() == source_primary:
                source_terms += [t for t, status, _ in terms if t.strip() and status not in FORBIDDEN_STATUSES]
                part_of_speech = part_of_speech or next((pos for _, _, pos in terms if pos), "")
                continue
            target = _language(code, languages)
            if target is None:
                continue  # a language this project does not translate into
            bucket = targets.setdefault(target, {"approved": [], "preferred": [], "forbidden": [], "notes": []})
            for term, status, pos in terms:
                if status in FORBIDDEN_STATUSES:
                    bucket["forbidden"].append(term)
                elif status in PREFERRED_STATUSES:
                    bucket["preferred"].append(term)
                else:
                    bucket["approved"].append(term)
                part_of_speech = part_of_speech or pos
            bucket["notes"] += _notes(lang_set)
        if not source_terms:
            problems.append(f"{where}: no term in the source language ({source_language}).")
            continue
        if not targets:
            problems.append(f"{where}: no term in a target language of this project ({', '.join(languages)}).")
            continue
        for target, bucket in targets.items():
            note = "\n".join(dict.fromkeys(entry_notes + bucket["notes"]))
            for source_term in source_terms:
                try:
                    rows.append(
                        _row(
                            where, source_term, target, bucket["preferred"] + bucket["approved"], bucket["forbidden"],
                            part_of_speech if part_of_speech.strip().lower() in _POS else "", note,
                            languages=languages, default_language=default_language,
                        )
                    )
                except InvalidText as error:
                    problems.append(f"{where}: {error.message}.")
        if len(rows) > MAX_ROWS:
            break
    if not rows and not problems:
        raise ImportRejected("The TBX file has no term entries.")
    return GlossaryFile("tbx", rows, _validated(rows, problems))


def read_glossary(data: bytes, *, filename: str, format: str, languages: list[str], source_language: str,
                  default_language: str) -> GlossaryFile:
    """Rows to import from an uploaded file, with every problem found; ImportRejected for a file that
    cannot be read at all (size, encoding, NUL bytes, malformed CSV or XML)."""
    check_size(len(data))
    text = decode(data)
    if format == "auto":
        lowered = filename.lower()
        format = "tbx" if lowered.endswith((".tbx", ".xml")) or text.lstrip("\ufeff").lstrip().startswith("<") else "csv"
    if format == "tbx":
        return read_tbx(text, languages=languages, source_language=source_language, default_language=default_language)
    if format == "csv":
        return read_csv(text, languages=languages, default_language=default_language)
    raise ImportRejected(f"Unknown glossary format {format!r}; use CSV or TBX.")


# --- Writing ------------------------------------------------------------------------------------


def write_csv(terms) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for term in terms:
        writer.writerow([
            _formula_safe(term.source_term), term.language, _formula_safe(SEPARATOR.join(term.approved)),
            _formula_safe(SEPARATOR.join(term.forbidden)), term.part_of_speech, _formula_safe(term.note),
        ])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_safe(value: str) -> str:
    """A cell that a spreadsheet would run as a formula gets a leading apostrophe (read back without it)."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _unformula(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def write_tbx(terms, *, source_language: str) -> bytes:
    """A TBX file (translate-toolkit's TBX) with one termEntry per source term."""
    from translate.storage.tbx import tbxfile

    store = tbxfile(sourcelanguage=source_language)
    by_source: dict[str, list] = {}
    for term in terms:
        by_source.setdefault(term.source_term, []).append(term)
    for source_term, group in by_source.items():
        unit = store.addsourceunit(source_term)
        unit.setid(f"t{group[0].pk}")
        pos = next((t.part_of_speech for t in group if t.part_of_speech), "")
        if pos:
            source_tig = unit.source_dom.find(unit.namespaced("tig"))
            _term_note(unit, source_tig, "partOfSpeech", pos)
        for term in group:
            renderings = list(term.approved) + list(term.forbidden)
            if not renderings:
                continue
            unit.set_target_terms(renderings, term.language)
            lang_set = unit.get_target_dom(term.language)
            for index, tig in enumerate(lang_set.findall(unit.namespaced("tig"))):
                if index < len(term.approved):
                    status = "preferredTerm-admn-sts" if index == 0 else "admittedTerm-admn-sts"
                else:
                    status = "deprecatedTerm-admn-sts"
                _term_note(unit, tig, "administrativeStatus", status)
                if term.part_of_speech:
                    _term_note(unit, tig, "partOfSpeech", term.part_of_speech)
            if term.note:
                note = etree.SubElement(lang_set, unit.namespaced("note"))
                note.text = term.note
                lang_set.insert(0, note)
    return bytes(store)


def _term_note(unit, tig, kind: str, value: str) -> None:
    note = etree.SubElement(tig, unit.namespaced("termNote"))
    note.set("type", kind)
    note.text = value
