"""Normalisation and fingerprints of source and target text.

Text is stored NFC-normalised so that the same Hangul typed on two keyboards
compares equal. Approvals are bound to fingerprints rather than to raw text:
the source fingerprint ignores whitespace differences, so fixing spacing in a
transcription does not send every approved rendering back to review, while
the target fingerprint is exact, since the published words are what matters.
"""

import hashlib
import re
import unicodedata

from .exceptions import InvalidText

_WHITESPACE = re.compile(r"\s+")
# C0/C1 control characters other than tab and newline, plus the Unicode
# "noncharacters" that no transcription should contain.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

UNCERTAIN_MARK = re.compile(r"\[(?:illegible|\?[^\[\]]+|[^\[\]|]+\|[^\[\]]+)\]")


def normalise(text: str, *, field: str = "text") -> str:
    """Return text NFC-normalised with Windows newlines folded, or raise InvalidText."""
    if not isinstance(text, str):
        raise InvalidText(f"The {field} must be text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    surrogate = _SURROGATE.search(text)
    if surrogate:
        # Only escapes (JSON "\ud800") make these: no encoding can store them.
        raise InvalidText(
            f"The {field} contains an unpaired surrogate (U+{ord(surrogate.group()):04X}) at position "
            f"{surrogate.start() + 1}, which is not a character."
        )
    match = _FORBIDDEN.search(text)
    if match:
        code = ord(match.group())
        position = match.start() + 1
        raise InvalidText(f"The {field} contains a control character (U+{code:04X}) at position {position}.")
    return unicodedata.normalize("NFC", text)


def source_fingerprint(text: str) -> str:
    """SHA-256 of the source with runs of whitespace collapsed and ends trimmed."""
    collapsed = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return hashlib.sha256(collapsed.encode("utf-8")).hexdigest()


def text_fingerprint(text: str) -> str:
    """SHA-256 of the exact (NFC) target text."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def uncertain_marks(text: str) -> list[str]:
    """The uncertain-reading marks in a text, in order (`[illegible]`, `[?word]`, `[a|b]`)."""
    return UNCERTAIN_MARK.findall(text)


_SENTENCE_END = re.compile(r"(?:(?<=[.?!。？！…])|(?<=[.?!。？！…][\"'”’」』)\]]))\s+")


def split_into_segments(text: str, *, mode: str = "line") -> list[str]:
    """Split pasted text into segment sources, by line or by sentence.

    Sentence mode breaks after `.`, `?`, `!`, `。` and their full-width forms
    (Korean sentence endings such as `-다.` end with one of these), keeping a
    closing quote or bracket with its sentence. Empty pieces are dropped.
    """
    text = normalise(text)
    if mode == "line":
        pieces = text.split("\n")
    elif mode == "sentence":
        pieces = []
        for paragraph in text.split("\n"):
            pieces.extend(_SENTENCE_END.split(paragraph))
    else:
        raise InvalidText(f"Unknown split mode {mode!r}; use 'line' or 'sentence'.")
    return [piece.strip() for piece in pieces if piece.strip()]


def check_marks(text: str) -> None:
    """Refuse malformed uncertain-reading marks, naming the first one at fault.

    Well-formed marks are `[illegible]`, `[?reading]` and `[reading|alternative]`.
    Other bracketed text is allowed (a transcription may quote brackets), but
    an empty mark, a one-sided alternative or an unclosed bracket is refused,
    since a reviewer could not tell what the transcriber meant."""
    depth = 0
    opened_at = 0
    for index, char in enumerate(text):
        if char == "[":
            if depth:
                raise InvalidText(f"Marks cannot be nested: a second “[” at position {index + 1}.")
            depth, opened_at = 1, index
        elif char == "]":
            if not depth:
                raise InvalidText(f"A “]” at position {index + 1} closes no mark.")
            depth = 0
            inner = text[opened_at + 1 : index]
            if not inner.strip() or inner.strip() == "?":
                raise InvalidText(f"Empty mark “[{inner}]” at position {opened_at + 1}.")
            if "|" in inner and any(not part.strip() for part in inner.split("|")):
                raise InvalidText(f"The alternative reading “[{inner}]” at position {opened_at + 1} has an empty side.")
    if depth:
        raise InvalidText(f"The mark opened at position {opened_at + 1} is never closed with “]”.")
