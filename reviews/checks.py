"""Automatic checks that flag a candidate for the reviewer's attention.

Each check has a stable id, a message and a severity. They are advisory: a
reviewer sees them beside the candidate; nothing is refused because of them.
"""

import re
from dataclasses import dataclass

from translations.texts import UNCERTAIN_MARK

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class CheckResult:
    id: str
    message: str
    severity: str  # "error" | "warning" | "info"


def run_checks(source: str, target: str, *, target_language: str = "en") -> list[CheckResult]:
    results = []
    stripped = target.strip()
    if not stripped:
        results.append(CheckResult("empty", "The rendering is empty.", "error"))
        return results
    if stripped == source.strip():
        results.append(CheckResult("unchanged", "The rendering is identical to the source.", "error"))
    elif not target_language.startswith(("ko", "zh", "ja")) and HANGUL.search(target):
        results.append(CheckResult("untranslated", "Untranslated Hangul is left in the rendering.", "warning"))
    missing = sorted(set(NUMBER.findall(source)) - set(NUMBER.findall(target)))
    if missing:
        results.append(CheckResult("numbers", f"Numbers in the source are missing: {', '.join(missing)}.", "warning"))
    source_marks, target_marks = len(UNCERTAIN_MARK.findall(source)), len(UNCERTAIN_MARK.findall(target))
    if target_marks < source_marks:
        results.append(
            CheckResult(
                "uncertain_marks",
                f"The source has {source_marks} uncertain-reading mark(s); the rendering keeps {target_marks}.",
                "warning",
            )
        )
    return results
