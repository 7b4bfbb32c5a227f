"""MQM Core: the error typology and the score arithmetic.

The typology is MQM Core (themqm.info, 2021 edition): seven dimensions, each
with its standard subtypes. An annotation names a dimension and, optionally,
one of that dimension's subtypes (blank means "the dimension in general").

The score follows the MQM scoring model without calibration:

* APT, the absolute penalty total, is the sum of the severity weights of the
  errors found (default neutral 0, minor 1, major 5, critical 25; a project
  may change them in its ``QualityPolicy``);
* EWC, the evaluation word count, is the number of words of the SOURCE text
  evaluated, or of its characters other than whitespace when the source
  language is Chinese, Japanese or Korean (which do not separate words
  reliably with spaces);
* score = 100 × (1 − APT / EWC).

The score is NOT floored at 0: a short text with more penalty points than
words scores below zero, which says how far it is from passing instead of
hiding it. A text passes when its score reaches the project's threshold AND
it has no critical error (a critical error fails whatever the weights).
With nothing evaluated (EWC = 0) there is no score and no verdict.
"""

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .models import MqmSeverity

# (slug, label, ((subtype slug, label), ...))
TYPOLOGY: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("terminology", "Terminology", (
        ("inconsistent-with-termbase", "Inconsistent with terminology resource"),
        ("inconsistent-use", "Inconsistent use of terminology"),
        ("wrong-term", "Wrong term"),
    )),
    ("accuracy", "Accuracy", (
        ("mistranslation", "Mistranslation"),
        ("over-translation", "Over-translation"),
        ("under-translation", "Under-translation"),
        ("addition", "Addition"),
        ("omission", "Omission"),
        ("do-not-translate", "Do not translate"),
        ("untranslated", "Untranslated"),
    )),
    ("linguistic", "Linguistic conventions", (
        ("grammar", "Grammar"),
        ("punctuation", "Punctuation"),
        ("spelling", "Spelling"),
        ("unintelligible", "Unintelligible"),
        ("character-encoding", "Character encoding"),
        ("textual-conventions", "Textual conventions"),
    )),
    ("style", "Style", (
        ("organizational-style", "Organizational style"),
        ("third-party-style", "Third-party style"),
        ("inconsistent-with-external-reference", "Inconsistent with external reference"),
        ("register", "Language register"),
        ("awkward", "Awkward style"),
        ("unidiomatic", "Unidiomatic style"),
        ("inconsistent", "Inconsistent style"),
    )),
    ("locale", "Locale conventions", (
        ("number-format", "Number format"),
        ("currency-format", "Currency format"),
        ("measurement-format", "Measurement format"),
        ("time-format", "Time format"),
        ("date-format", "Date format"),
        ("address-format", "Address format"),
        ("telephone-format", "Telephone format"),
        ("shortcut-key", "Shortcut key"),
    )),
    ("audience", "Audience appropriateness", (
        ("culture-specific-reference", "Culture-specific reference"),
        ("offensive", "Offensive"),
    )),
    ("design", "Design and markup", (
        ("character-formatting", "Character formatting"),
        ("layout", "Layout"),
        ("markup-tag", "Markup tag"),
        ("truncation", "Truncation/text expansion"),
        ("missing-text", "Missing text"),
        ("link", "Link/cross-reference"),
    )),
)

DIMENSIONS: dict[str, str] = {slug: label for slug, label, _ in TYPOLOGY}
SUBTYPES: dict[str, dict[str, str]] = {slug: dict(subtypes) for slug, _, subtypes in TYPOLOGY}

DEFAULT_WEIGHTS: dict[str, int] = {
    MqmSeverity.NEUTRAL: 0,
    MqmSeverity.MINOR: 1,
    MqmSeverity.MAJOR: 5,
    MqmSeverity.CRITICAL: 25,
}
DEFAULT_PASS_THRESHOLD = Decimal("95")
SEVERITIES = [severity.value for severity in MqmSeverity]
CJK_LANGUAGES = frozenset({"ko", "zh", "ja"})

_WORD = re.compile(r"\w+(?:[-'’.]\w+)*")
_SPACE = re.compile(r"\s+")


def is_valid(dimension: str, subtype: str = "") -> bool:
    """Whether (dimension, subtype) is in the typology; a blank subtype is the dimension in general."""
    return dimension in SUBTYPES and (not subtype or subtype in SUBTYPES[dimension])


def category_label(dimension: str, subtype: str = "") -> str:
    """"Accuracy / Omission"; an unknown slug (from an older typology) is shown as stored."""
    dimension_label = DIMENSIONS.get(dimension, dimension)
    if not subtype:
        return dimension_label
    return f"{dimension_label} / {SUBTYPES.get(dimension, {}).get(subtype, subtype)}"


def is_cjk(language: str) -> bool:
    """ko, ja, zh and their regional forms (zh-Hant, ko-KP …)."""
    return (language or "").split("-")[0].lower() in CJK_LANGUAGES


def evaluation_count(source_text: str, source_language: str) -> int:
    """EWC of one source text: words, or non-space characters for CJK sources."""
    if is_cjk(source_language):
        return len(_SPACE.sub("", source_text or ""))
    return len(_WORD.findall(source_text or ""))


def count_unit(source_language: str) -> str:
    return "characters" if is_cjk(source_language) else "words"


def weights_of(policy) -> dict[str, int]:
    """A project's weights per severity; None (no policy row) means the defaults."""
    if policy is None:
        return dict(DEFAULT_WEIGHTS)
    return {
        MqmSeverity.NEUTRAL: policy.weight_neutral,
        MqmSeverity.MINOR: policy.weight_minor,
        MqmSeverity.MAJOR: policy.weight_major,
        MqmSeverity.CRITICAL: policy.weight_critical,
    }


def threshold_of(policy) -> Decimal:
    return DEFAULT_PASS_THRESHOLD if policy is None else Decimal(policy.pass_threshold)


@dataclass
class Score:
    """APT, EWC, the score and the verdict of a set of errors over a set of source texts."""

    evaluated: int  # EWC
    unit: str  # "words" or "characters"
    penalty: int  # APT
    threshold: Decimal
    counts: dict[str, int] = field(default_factory=dict)  # per severity

    @property
    def value(self) -> Decimal | None:
        """100 × (1 − APT / EWC), to two decimal places; None when nothing was evaluated."""
        if not self.evaluated:
            return None
        exact = Decimal(100) * (1 - Decimal(self.penalty) / Decimal(self.evaluated))
        return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def critical(self) -> int:
        return self.counts.get(MqmSeverity.CRITICAL, 0)

    @property
    def errors(self) -> int:
        return sum(self.counts.values())

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.threshold and not self.critical


def score(*, severities, evaluated: int, unit: str = "words", weights=None, threshold=None) -> Score:
    """Score errors of the given severities found in ``evaluated`` source words (or characters)."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    counts = dict.fromkeys(SEVERITIES, 0)
    penalty = 0
    for severity in severities:
        counts[severity] = counts.get(severity, 0) + 1
        penalty += weights.get(severity, 0)
    return Score(
        evaluated=evaluated, unit=unit, penalty=penalty,
        threshold=DEFAULT_PASS_THRESHOLD if threshold is None else Decimal(threshold), counts=counts,
    )


def span_of(text: str, quote: str, occurrence: int = 1) -> tuple[int, int] | None:
    """(start, end) of the ``occurrence``-th appearance (1-based) of ``quote`` in ``text``, or None."""
    if not quote or occurrence < 1:
        return None
    position = -1
    for _ in range(occurrence):
        position = text.find(quote, position + 1)
        if position < 0:
            return None
    return position, position + len(quote)
