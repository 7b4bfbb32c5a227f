"""How far independent candidates of a segment agree.

When two translators read the same source and write renderings that share
few words, they probably read the source differently: a reviewer should look
there first. For each segment with two or more current candidates in a
language (drafts left out: they are not yet anyone's reading), every pair of
candidates is compared with rapidfuzz's ``token_sort_ratio`` on case-folded
text with punctuation stripped, which ignores word order ("At dawn we moved"
/ "We moved at dawn" → 100) but not a different, added or missing word.
(``token_set_ratio`` was tried and left: it scores 100 whenever one
rendering's words are a subset of the other's, so a rendering that adds a
clause — a different reading — would look like full agreement.) The
segment's agreement is the mean of its pairs, 0–100, rounded.

Reads candidates' current text (what the translators wrote), not published
text: it is a reviewing aid, shown to members who may see the candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from rapidfuzz import fuzz

from translations.models import Translation, TranslationState

_PUNCTUATION = re.compile(r"[^\w\s]")
_WHITESPACE = re.compile(r"\s+")


def comparable(text: str) -> str:
    """Case-folded, punctuation dropped, whitespace collapsed: what the pairwise score compares."""
    return _WHITESPACE.sub(" ", _PUNCTUATION.sub(" ", (text or "").casefold())).strip()


def pair_score(first: str, second: str) -> int:
    """0–100: how far two renderings agree (token_sort_ratio of their comparable forms)."""
    a, b = comparable(first), comparable(second)
    if not a and not b:
        return 100
    return round(fuzz.token_sort_ratio(a, b))


@dataclass(frozen=True)
class PairAgreement:
    first: Translation
    second: Translation
    score: int


@dataclass(frozen=True)
class Agreement:
    segment_id: int
    language: str
    candidates: list[Translation]
    pairs: list[PairAgreement]

    @property
    def mean(self) -> int:
        return round(sum(pair.score for pair in self.pairs) / len(self.pairs))

    @property
    def lowest(self) -> PairAgreement:
        return min(self.pairs, key=lambda pair: pair.score)


def _agreement(segment_id: int, language: str, candidates: list[Translation]) -> Agreement | None:
    if len(candidates) < 2:
        return None
    pairs = [PairAgreement(a, b, pair_score(a.text, b.text)) for a, b in combinations(candidates, 2)]
    return Agreement(segment_id=segment_id, language=language, candidates=candidates, pairs=pairs)


def _candidates(segment_ids, language: str):
    people = get_user_model().objects.only("id", "username", "first_name", "last_name")
    return (
        Translation.objects.filter(segment_id__in=segment_ids, language=language)
        .exclude(state=TranslationState.DRAFT)
        .only("id", "segment_id", "language", "author_id", "text", "version", "state")
        .prefetch_related(Prefetch("author", people))
        .order_by("segment_id", "created_at", "id")
    )


def candidate_agreement(segment, language: str) -> Agreement | None:
    """The agreement of the segment's current candidates in `language`, or None with fewer than two."""
    return agreements_for_segments([segment], language).get(segment.pk if hasattr(segment, "pk") else segment)


def agreements_for_segments(segments, language: str) -> dict[int, Agreement]:
    """{segment id: Agreement} for every given segment (or id) with two or more candidates.

    Two queries whatever the number of segments (candidates, then their authors)."""
    ids = [segment.pk if hasattr(segment, "pk") else segment for segment in segments]
    if not ids:
        return {}
    by_segment: dict[int, list[Translation]] = {}
    for translation in _candidates(ids, language):
        by_segment.setdefault(translation.segment_id, []).append(translation)
    found = {}
    for segment_id, candidates in by_segment.items():
        agreement = _agreement(segment_id, language, candidates)
        if agreement is not None:
            found[segment_id] = agreement
    return found
