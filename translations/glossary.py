"""Finding a project's glossary terms in a source text, and showing them.

Korean writes no space between a noun and its particle (최고사령관께서, 당의),
so terms are found as substrings, not words: one regular expression per
glossary, its alternatives longest first, so that at each place the longest
term wins and matches never overlap (``finditer`` moves past each match). A
page builds the expression once and runs it over every row; a row costs a
few microseconds whatever the glossary's size.

Renderings are compared without regard to case (for Latin script): an
approved rendering counts when it occurs anywhere in the translation ("the
Supreme Commanders" contains "Supreme Commander"), a forbidden one only as
a whole word or phrase ("Leadership" does not use the forbidden "Leader").
"""

import re
from dataclasses import dataclass
from functools import cached_property
from html import escape

from .texts import UNCERTAIN_MARK


@dataclass(frozen=True)
class Term:
    """A glossary entry as the checks and pages use it (read from a GlossaryTerm)."""

    id: int | None
    source_term: str
    language: str
    approved: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    part_of_speech: str = ""
    note: str = ""

    @classmethod
    def of(cls, row) -> "Term":
        return cls(
            id=row.pk, source_term=row.source_term, language=row.language,
            approved=tuple(row.approved or ()), forbidden=tuple(row.forbidden or ()),
            part_of_speech=row.part_of_speech, note=row.note,
        )

    @cached_property
    def tooltip(self) -> str:
        parts = [f"Approved: {', '.join(self.approved)}" if self.approved else "No approved rendering yet"]
        if self.forbidden:
            parts.append(f"Not: {', '.join(self.forbidden)}")
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)

    # Escaped once per page and term, not once per row that contains it.
    @cached_property
    def mark_open(self) -> str:
        return f'<mark class="il-term bg-info-subtle text-reset border-bottom border-info px-0" title="{escape(self.tooltip)}">'

    def legend_item(self, source_lang: str, target_lang: str) -> str:
        cached = self.__dict__.get("_legend_item")
        if cached is None:
            approved = ", ".join(escape(r) for r in self.approved) or (
                '<span class="text-body-secondary">no approved rendering yet</span>'
            )
            forbidden = (
                f' <span class="text-danger-emphasis">· not {", ".join(escape(r) for r in self.forbidden)}</span>'
                if self.forbidden
                else ""
            )
            cached = self.__dict__["_legend_item"] = (
                f'<li><span class="il-term-source" lang="{escape(source_lang)}">{escape(self.source_term)}</span> → '
                f'<span lang="{escape(target_lang)}" class="fw-semibold">{approved}</span>{forbidden}</li>'
            )
        return cached


class Glossary:
    """The terms of one project in one target language, with one compiled matcher."""

    def __init__(self, terms, *, language: str = "", source_language: str = ""):
        self.language = language
        self.source_language = source_language
        self._by_key: dict[str, Term] = {}
        for term in terms:
            term = term if isinstance(term, Term) else Term.of(term)
            self._by_key.setdefault(term.source_term.lower(), term)
        keys = sorted(self._by_key, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys)), re.IGNORECASE) if keys else None
        self._word_patterns: dict[str, re.Pattern] = {}

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __len__(self) -> int:
        return len(self._by_key)

    def _term(self, matched: str) -> Term | None:
        return self._by_key.get(matched.lower())

    def matches(self, text: str) -> list[tuple[int, int, Term]]:
        """(start, end, term) of every term in the text, leftmost-longest, never overlapping."""
        if self._pattern is None or not text:
            return []
        found = []
        for match in self._pattern.finditer(text):
            term = self._term(match.group())
            if term is not None:
                found.append((match.start(), match.end(), term))
        return found

    def terms_in(self, text: str) -> list[Term]:
        """The distinct terms found in the text, in order of first appearance."""
        return list({id(term): term for _, _, term in self.matches(text)}.values())

    @staticmethod
    def contains(text: str, rendering: str) -> bool:
        return bool(rendering) and rendering.casefold() in text.casefold()

    def uses(self, text: str, rendering: str) -> bool:
        """Whether the rendering occurs in the text as a whole word or phrase."""
        if not rendering:
            return False
        pattern = self._word_patterns.get(rendering)
        if pattern is None:
            start = r"(?<!\w)" if rendering[0].isalnum() else ""
            end = r"(?!\w)" if rendering[-1].isalnum() else ""
            pattern = self._word_patterns[rendering] = re.compile(f"{start}{re.escape(rendering)}{end}", re.IGNORECASE)
        return bool(pattern.search(text))

    # --- HTML --------------------------------------------------------------------------------

    def _highlight_plain(self, text: str, found: list | None = None) -> str:
        parts, position = [], 0
        for start, end, term in self.matches(text):
            if found is not None:
                found.append(term)
            parts.append(escape(text[position:start]))
            parts.append(f"{term.mark_open}{escape(text[start:end])}</mark>")
            position = end
        parts.append(escape(text[position:]))
        return "".join(parts)

    def highlight(self, text: str, found: list | None = None) -> str:
        """The text escaped, glossary terms in ``<mark class="il-term">`` (their renderings in the
        title) and uncertain readings in ``<mark class="il-mark">``, as ``marks`` shows them.

        Terms are found inside an uncertain reading as well (``[?최고사령관]``), never across its edge.
        ``found``, if given, receives the terms matched, in order."""
        if text is None:
            return ""
        if "[" not in text:
            return self._highlight_plain(text, found)
        parts, position = [], 0
        for match in UNCERTAIN_MARK.finditer(text):
            parts.append(self._highlight_plain(text[position : match.start()], found))
            parts.append(
                f'<mark class="il-mark" title="uncertain reading">{self._highlight_plain(match.group(), found)}</mark>'
            )
            position = match.end()
        parts.append(self._highlight_plain(text[position:], found))
        return "".join(parts)

    def legend(self, text: str, terms: list | None = None) -> str:
        """A small list of the terms found in the text (or of ``terms``) with their renderings, or ""."""
        terms = self.terms_in(text) if terms is None else list({id(t): t for t in terms}.values())
        if not terms:
            return ""
        items = "".join(term.legend_item(self.source_language, self.language) for term in terms)
        return f'<ul class="il-terms list-unstyled small mb-1" aria-label="Glossary terms in this segment">{items}</ul>'

    def source_html(self, text: str) -> str:
        """``highlight`` followed by ``legend``, matching the text once."""
        found = []
        highlighted = self.highlight(text, found)
        return highlighted + self.legend(text, found) if found else highlighted
