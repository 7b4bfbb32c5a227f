"""Automatic checks that flag a candidate for the reviewer's attention.

Each check has a stable id (stored in ``CheckFinding.check_id`` and used by
the queue's ``?check=`` filter), a message and a severity. They are advisory:
a reviewer sees them beside the candidate and a translator or reviewer may
dismiss one with a reason; nothing is refused because of them.

The checks are pure functions of the source, the rendering and a
``CheckContext`` (the project's glossary terms in the target language and
its length-ratio norm), so the services that store findings
(``reviews.services.checks``) load that context once for many renderings.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from translations.texts import UNCERTAIN_MARK

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]+")
# A number: digits (any script's, e.g. full-width) with thousands separators or a decimal part.
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CJK_LANGUAGES = ("ko", "zh", "ja")
MONTH = re.compile(r"(\d{1,2})\s*월")
MONTH_NAMES = [rf"\b{name[:3]}(?:{name[3:]})?\b" for name in (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)]

# Opening → closing. Curly single quotes are handled apart: ’ is also the apostrophe.
BRACKETS = {
    "(": ")", "[": "]", "{": "}", "（": "）", "［": "］", "｛": "｝",
    "「": "」", "『": "』", "【": "】", "〈": "〉", "《": "》", "〔": "〕", "“": "”",
}
CLOSING = {closing: opening for opening, closing in BRACKETS.items()}

# Below this many characters of source a length ratio says nothing.
LENGTH_RATIO_MIN_SOURCE = 10
DEFAULT_LENGTH_RATIO_TOLERANCE = 2.0


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    severity: str  # "error" | "warning" | "info"


CHECKS = {
    check.id: check
    for check in (
        Check("empty", "Empty rendering", "error"),
        Check("unchanged", "Unchanged from source", "error"),
        Check("numbers", "Numbers differ", "warning"),
        Check("uncertain_marks", "Uncertain-reading marks dropped", "warning"),
        Check("brackets", "Unbalanced brackets or quotes", "warning"),
        Check("whitespace", "Double or stray spaces", "info"),
        Check("untranslated", "Untranslated Hangul", "warning"),
        Check("length_ratio", "Length far from the norm", "info"),
        Check("glossary", "Glossary term not followed", "warning"),
    )
}


@dataclass(frozen=True)
class CheckResult:
    id: str
    message: str
    severity: str  # "error" | "warning" | "info"


@dataclass
class CheckContext:
    """What the checks need beyond the two texts, loaded once per project and language.

    ``glossary``: a ``translations.glossary.Glossary`` of the language's terms
    (or None); ``length_norm``: the usual target/source length ratio;
    ``length_tolerance``: how many times off that norm a rendering is flagged."""

    glossary: object = None
    length_norm: float | None = None
    length_tolerance: float = DEFAULT_LENGTH_RATIO_TOLERANCE
    extra: dict = field(default_factory=dict)


def default_length_norm(source_language: str, target_language: str) -> float:
    """The target/source length ratio assumed before a project has enough published renderings.

    A Hangul syllable carries what takes two or three Latin letters, so a
    Korean → English rendering is usually some 2.3 times its source's length
    (the median over 56 000 published renderings of the load-test data)."""
    source_cjk = source_language.split("-")[0] in CJK_LANGUAGES
    target_cjk = target_language.split("-")[0] in CJK_LANGUAGES
    if source_cjk and not target_cjk:
        return 2.3
    if target_cjk and not source_cjk:
        return 0.4
    return 1.1


def _numbers(text: str) -> Counter:
    """The numbers of a text, as digit strings in ASCII without thousands separators."""
    found = Counter()
    for number in NUMBER.findall(text):
        ascii_digits = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in number)
        # 1,000 and 1000 are the same number; a decimal comma is rare in these sources.
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", ascii_digits):
            ascii_digits = ascii_digits.replace(",", "")
        found[ascii_digits] += 1
    return found


def unbalanced(text: str) -> str | None:
    """The first bracket or quote of the text left open or closing nothing, or None."""
    stack = []
    for index, char in enumerate(text):
        if char in BRACKETS:
            stack.append(char)
        elif char in CLOSING:
            if not stack or stack[-1] != CLOSING[char]:
                return char
            stack.pop()
        elif char == "‘":
            stack.append(char)
        elif char == "’":
            # An apostrophe (don’t, soldiers’) unless it closes an open ‘.
            if stack and stack[-1] == "‘":
                stack.pop()
    if stack:
        return stack[-1]
    if text.count('"') % 2:
        return '"'
    return None


def _is_cjk(language: str) -> bool:
    return language.split("-")[0] in CJK_LANGUAGES


def run_checks(
    source: str, target: str, *, target_language: str = "en", source_language: str = "ko",
    context: CheckContext | None = None,
) -> list[CheckResult]:
    """Every check on one rendering of one source, in the order of ``CHECKS``."""
    context = context or CheckContext()
    results = []
    stripped = target.strip()
    if not stripped:
        return [CheckResult("empty", "The rendering is empty.", "error")]
    unchanged = stripped == source.strip()
    if unchanged:
        results.append(CheckResult("unchanged", "The rendering is identical to the source.", "error"))
    source_numbers, target_numbers = _numbers(source), _numbers(target)
    if not _is_cjk(target_language):
        # A Korean date's month (3월) is rightly rendered as a name (March).
        for month in MONTH.findall(source):
            number = str(int("".join(str(unicodedata.digit(c)) for c in month)))
            if 1 <= int(number) <= 12 and source_numbers[number] > target_numbers[number] and re.search(
                MONTH_NAMES[int(number) - 1], target, re.IGNORECASE
            ):
                target_numbers[number] += 1
    if source_numbers != target_numbers:
        missing = sorted((source_numbers - target_numbers).elements())
        extra = sorted((target_numbers - source_numbers).elements())
        parts = []
        if missing:
            parts.append(f"missing from the rendering: {', '.join(missing)}")
        if extra:
            parts.append(f"not in the source: {', '.join(extra)}")
        results.append(CheckResult("numbers", f"Numbers differ — {'; '.join(parts)}.", "warning"))
    source_marks, target_marks = len(UNCERTAIN_MARK.findall(source)), len(UNCERTAIN_MARK.findall(target))
    if target_marks < source_marks:
        results.append(
            CheckResult(
                "uncertain_marks",
                f"The source has {source_marks} uncertain-reading mark{'s' if source_marks != 1 else ''} "
                f"([illegible], [?…]); the rendering keeps {target_marks}.",
                "warning",
            )
        )
    # A source that is itself a fragment (a quotation running over two lines) may leave
    # its rendering open too; only a rendering unbalanced where its source is not is flagged.
    if not unbalanced(source):
        culprit = unbalanced(target)
        if culprit:
            results.append(CheckResult("brackets", f"Unbalanced bracket or quote in the rendering: “{culprit}”.", "warning"))
    spacing = []
    if target != target.strip():
        spacing.append("leading or trailing whitespace")
    if re.search(r"[^\S\n]{2,}", stripped):
        spacing.append("double spaces")
    if spacing:
        results.append(CheckResult("whitespace", f"The rendering has {' and '.join(spacing)}.", "info"))
    if not unchanged and not _is_cjk(target_language):
        hangul = HANGUL.findall(target)
        if hangul:
            shown = ", ".join(dict.fromkeys(hangul[:5]))
            results.append(CheckResult("untranslated", f"Untranslated Hangul is left in the rendering: {shown}.", "warning"))
    if len(source.strip()) >= LENGTH_RATIO_MIN_SOURCE and not unchanged:
        norm = context.length_norm or default_length_norm(source_language, target_language)
        ratio = len(stripped) / len(source.strip())
        tolerance = context.length_tolerance or DEFAULT_LENGTH_RATIO_TOLERANCE
        if ratio > norm * tolerance or ratio < norm / tolerance:
            direction = "longer" if ratio > norm else "shorter"
            results.append(
                CheckResult(
                    "length_ratio",
                    f"The rendering is much {direction} than usual: {ratio:.1f}× its source's length, "
                    f"where this project's norm is {norm:.1f}×.",
                    "info",
                )
            )
    if context.glossary is not None:
        result = glossary_check(source, target, context.glossary)
        if result:
            results.append(result)
    return results


def glossary_check(source: str, target: str, glossary) -> CheckResult | None:
    """A term of the source rendered with a forbidden rendering, or with none of its approved ones."""
    forbidden, missing = [], []
    for term in glossary.terms_in(source):
        used = [rendering for rendering in term.forbidden if glossary.uses(target, rendering)]
        if used:
            forbidden.append(f"“{term.source_term}” must not be rendered “{used[0]}”"
                             + (f" (use “{term.approved[0]}”)" if term.approved else ""))
        elif term.approved and not any(glossary.contains(target, rendering) for rendering in term.approved):
            missing.append(f"“{term.source_term}” → “{' / '.join(term.approved)}”")
    if not (forbidden or missing):
        return None
    parts = []
    if forbidden:
        parts.append("; ".join(forbidden))
    if missing:
        parts.append("expected " + "; ".join(missing))
    return CheckResult("glossary", f"Glossary: {'. '.join(parts)}.", "error" if forbidden else "warning")
