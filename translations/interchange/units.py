"""What a reader hands to the import: the units of a file, in order.

A reader only translates syntax. Checking what the units say — an empty
source, a control character, a malformed uncertain-reading mark, an id used
twice — is done once for every format by ``checked``, so each format refuses
the same things with the same words, prefixed by where the unit is.
"""

from dataclasses import dataclass, field

from django.conf import settings

from ..exceptions import InvalidText
from ..services.segments import clean_source_text
from ..services.translations import clean_translation_text
from ..texts import normalise
from .errors import ImportRejected

DEFAULT_MAX_UNITS = 20_000
MAX_NOTE_LENGTH = 5_000


@dataclass
class FileUnit:
    """One unit of a file: a source, perhaps a target, perhaps an id.

    ``where`` says where it is in the file ("line 12", "unit “s7” (line 40)")
    and begins every message about it. ``key`` is what must be unique in the
    file: the id, except in PO where an entry is identified by its context
    and msgid together."""

    where: str
    source: str
    target: str | None = None
    unit_id: str | None = None
    note: str = ""
    approved: bool = False
    key: object = None

    def __post_init__(self):
        if self.key is None:
            self.key = self.unit_id


@dataclass
class ParsedFile:
    format: str
    units: list[FileUnit]
    source_language: str = ""
    target_language: str = ""
    warnings: list[str] = field(default_factory=list)


def max_units() -> int:
    return int(getattr(settings, "IMPORT_MAX_UNITS", DEFAULT_MAX_UNITS))


def _at(unit: FileUnit, message: str) -> ImportRejected:
    where = unit.where[:1].upper() + unit.where[1:]
    return ImportRejected(f"{where}: {message[:1].lower() + message[1:]}")


def checked(parsed: ParsedFile) -> ParsedFile:
    """Clean every unit's texts as the services would, or refuse naming the unit at fault."""
    if not parsed.units:
        raise ImportRejected("The file contains no units to import.")
    limit = max_units()
    if len(parsed.units) > limit:
        raise ImportRejected(
            f"The file contains {len(parsed.units)} units; at most {limit} can be imported at once. Split the file."
        )
    seen: dict[object, FileUnit] = {}
    for unit in parsed.units:
        if unit.key is not None:
            first = seen.get(unit.key)
            if first is not None:
                what = f"The unit id “{unit.unit_id}”" if unit.unit_id else "The same unit"
                raise ImportRejected(
                    f"{what} appears twice: at {first.where} and at {unit.where}. Each unit must be unique."
                )
            seen[unit.key] = unit
        try:
            unit.source = clean_source_text(unit.source)
        except InvalidText as error:
            raise _at(unit, error.message) from None
        if unit.target is not None:
            try:
                unit.target = clean_translation_text(unit.target) if unit.target.strip() else None
            except InvalidText as error:
                raise _at(unit, error.message.replace("The translation", "The target text")) from None
        try:
            unit.note = normalise(unit.note, field="note").strip()[:MAX_NOTE_LENGTH]
        except InvalidText as error:
            raise _at(unit, error.message) from None
    return parsed
