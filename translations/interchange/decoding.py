"""Bytes of an uploaded file to text, refusing what is not text.

Every reader starts here, so every format gets the same answers: UTF-8 with
or without a byte-order mark, and UTF-16 or UTF-32 *with* one, are accepted;
anything else is refused naming the byte offset of the first byte that is not
UTF-8. A NUL byte is refused wherever it is (it is never text, and a file of
UTF-16 without a byte-order mark is full of them, which the message hints at).
Newlines are left as they are; the readers accept \\n, \\r\\n and \\r, mixed.
"""

import codecs

from .errors import ImportRejected

# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def _line_at(data: bytes, start: int, offset: int, encoding: str) -> int:
    return data[start:offset].decode(encoding, errors="replace").count("\n") + 1


def decode(data: bytes) -> str:
    """The text of an uploaded file, or ImportRejected naming the byte offset at fault."""
    if not data:
        raise ImportRejected("The file is empty.")
    encoding, label, start = "utf-8", "UTF-8", 0
    for mark, mark_encoding, mark_label in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            encoding, label, start = mark_encoding, mark_label, len(mark)
            break
    try:
        text = data[start:].decode(encoding)
    except UnicodeDecodeError as error:
        offset = start + error.start
        hint = " It looks like UTF-16 without a byte-order mark." if start == 0 and b"\x00" in data[:4096] else ""
        raise ImportRejected(
            f"The file is not valid {label} text: the byte 0x{data[offset]:02X} at byte offset {offset} "
            f"(line {_line_at(data, start, offset, encoding)}) cannot be read.{hint} "
            "Save the file as UTF-8 and upload it again."
        ) from None
    nul = text.find("\x00")
    if nul != -1:
        offset = start + len(text[:nul].encode(encoding))
        hint = (
            " If it is UTF-16 text, save it as UTF-8 (or as UTF-16 with a byte-order mark)."
            if start == 0
            else ""
        )
        raise ImportRejected(
            f"The file contains a NUL byte at byte offset {offset} (line {text[:nul].count(chr(10)) + 1}); "
            f"it is not a text file.{hint}"
        )
    if not text.strip():
        raise ImportRejected("The file is empty.")
    return text
