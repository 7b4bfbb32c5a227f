"""JSON in the shape the export writes, or just its list of units.

``{"source_language": …, "target_language": …, "units": [{"id", "source",
"target", "note", "status"}, …]}``; only ``source`` is required. ``status``
``approved`` marks a unit approved (a note, never a review); ``position``,
``provenance`` and anything else are information only. Duplicate keys in an
object are refused rather than silently resolved.
"""

import json

from ..errors import ImportRejected
from ..units import FileUnit, ParsedFile


class _DuplicateKey(Exception):
    pass


def _object(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _text(value, field: str, where: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ImportRejected(f"{where[:1].upper()}{where[1:]} has no “{field}”.")
        return None
    if not isinstance(value, str):
        raise ImportRejected(f"{where[:1].upper()}{where[1:]}: “{field}” must be a string.")
    return value


def read(text: str, **context) -> ParsedFile:
    try:
        data = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        raise ImportRejected(
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except _DuplicateKey as error:
        raise ImportRejected(f"The JSON repeats the key “{error.args[0]}” inside one object.") from None
    except RecursionError:
        raise ImportRejected("The JSON is nested too deeply.") from None
    parsed = ParsedFile(format="json", units=[])
    if isinstance(data, dict):
        parsed.source_language = data.get("source_language") if isinstance(data.get("source_language"), str) else ""
        parsed.target_language = data.get("target_language") if isinstance(data.get("target_language"), str) else ""
        data = data.get("units")
    if not isinstance(data, list):
        raise ImportRejected("The JSON must be a list of units, or an object with a “units” list.")
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ImportRejected(f"Unit #{index} is not an object.")
        unit_id = item.get("id")
        if isinstance(unit_id, int) and not isinstance(unit_id, bool):
            unit_id = str(unit_id)
        where = f"unit #{index}"
        unit_id = _text(unit_id, "id", where)
        if unit_id:
            where = f"unit “{unit_id}”"
        parsed.units.append(
            FileUnit(
                where=where,
                source=_text(item.get("source"), "source", where, required=True),
                target=_text(item.get("target"), "target", where),
                unit_id=unit_id or None,
                note=_text(item.get("note"), "note", where) or "",
                approved=item.get("status") == "approved",
            )
        )
    return parsed
