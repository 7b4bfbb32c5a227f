"""Readable differences between two versions of a text, for history pages.

``diff`` compares word by word in scripts that separate words with spaces,
and character by character as soon as either text contains Hangul, Han or
Kana. Korean writes a whole clause as one space-delimited word (an eojeol:
stem plus particles and endings), and Chinese and Japanese write no spaces at
all, so a word-level diff of a one-syllable correction — 간다 → 갔다, a changed
tense — would mark the entire eojeol or the entire sentence as replaced and
hide what the transcriber actually changed. Comparing characters (syllable
blocks, in Hangul) shows exactly the syllables that changed.

``diff_html`` renders the operations as escaped HTML with ``<ins>`` and
``<del>``; every piece of text is escaped, so hostile input stays inert.
"""

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

EQUAL, INSERT, DELETE = "equal", "insert", "delete"

_CJK = re.compile(
    "["
    "\uac00-\ud7a3"  # Hangul syllables
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\u3400-\u4dbf"  # CJK unified ideographs extension A
    "\u3040-\u30ff"  # Hiragana and Katakana
    "]"
)
# Runs of word characters, runs of whitespace, and any other single character
# (punctuation), so that "car," → "car." changes only the comma.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def is_cjk(text: str) -> bool:
    """Whether the text contains Hangul, Han or Kana."""
    return bool(_CJK.search(text or ""))


def tokenize(text: str, *, by_character: bool) -> list[str]:
    if by_character:
        return list(text)
    return _TOKEN.findall(text)


def diff(old: str, new: str) -> list[tuple[str, str]]:
    """The operations that turn `old` into `new`: ("equal" | "insert" | "delete", text).

    The equal and delete pieces concatenate to `old`, the equal and insert
    pieces to `new`. Adjacent operations of the same kind are merged, and a
    change is listed as its deletion before its insertion.
    """
    old, new = old or "", new or ""
    by_character = is_cjk(old) or is_cjk(new)
    old_tokens = tokenize(old, by_character=by_character)
    new_tokens = tokenize(new, by_character=by_character)
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append((EQUAL, "".join(old_tokens[i1:i2])))
            continue
        if i2 > i1:
            ops.append((DELETE, "".join(old_tokens[i1:i2])))
        if j2 > j1:
            ops.append((INSERT, "".join(new_tokens[j1:j2])))
    return _merge(_join_replacements(ops))


def _join_replacements(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join two replacements kept apart only by whitespace into one.

    "the quick brown" → "a slow red" then reads as one deletion and one
    insertion instead of three interleaved pairs split by unchanged spaces.
    Pure insertions or deletions are left as they are.
    """
    # Runs: ("equal", text) or ("change", deleted, inserted).
    runs: list[tuple] = []
    for kind, text in ops:
        if kind == EQUAL:
            runs.append((EQUAL, text))
            continue
        if not runs or runs[-1][0] == EQUAL:
            runs.append(("change", "", ""))
        _, deleted, inserted = runs[-1]
        runs[-1] = ("change", deleted + text, inserted) if kind == DELETE else ("change", deleted, inserted + text)

    joined: list[tuple] = []
    for run in runs:
        if (
            run[0] == "change"
            and run[1] and run[2]
            and len(joined) >= 2
            and joined[-1][0] == EQUAL
            and not joined[-1][1].strip()
            and joined[-2][0] == "change"
            and joined[-2][1] and joined[-2][2]
        ):
            space = joined.pop()[1]
            _, deleted, inserted = joined.pop()
            run = ("change", deleted + space + run[1], inserted + space + run[2])
        joined.append(run)

    result: list[tuple[str, str]] = []
    for run in joined:
        if run[0] == EQUAL:
            result.append(run)
        else:
            result.extend([(DELETE, run[1]), (INSERT, run[2])])
    return result


def _merge(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge adjacent operations of the same kind and drop empty ones."""
    merged: list[tuple[str, str]] = []
    for kind, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def diff_html(old: str, new: str) -> SafeString:
    """The difference as HTML: inserted text in ``<ins class="il-ins">``, deleted
    text in ``<del class="il-del">``, every piece escaped."""
    parts = []
    for kind, text in diff(old, new):
        if kind == INSERT:
            parts.append(f'<ins class="il-ins">{escape(text)}</ins>')
        elif kind == DELETE:
            parts.append(f'<del class="il-del">{escape(text)}</del>')
        else:
            parts.append(escape(text))
    return mark_safe("".join(parts))  # noqa: S308 — every piece above is escaped
