"""Plain text: one segment per line, or per sentence, as the transcription editor splits pasted text."""

import re

from ...exceptions import InvalidText
from ...texts import split_into_segments
from ..errors import ImportRejected
from ..units import FileUnit, ParsedFile

NEWLINE = re.compile(r"\r\n|\r|\n")


def read(text: str, *, split: str = "line", **context) -> ParsedFile:
    units = []
    for number, line in enumerate(NEWLINE.split(text), start=1):
        try:
            pieces = split_into_segments(line, mode=split)
        except InvalidText as error:
            raise ImportRejected(f"Line {number}: {error.message[:1].lower()}{error.message[1:]}") from None
        units.extend(FileUnit(where=f"line {number}", source=piece) for piece in pieces)
    return ParsedFile(format="text", units=units)
