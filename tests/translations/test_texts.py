import unicodedata

import pytest

from translations.exceptions import InvalidText
from translations.texts import normalise, source_fingerprint, split_into_segments, text_fingerprint, uncertain_marks


def test_text_is_stored_nfc():
    decomposed = unicodedata.normalize("NFD", "한국어")
    assert decomposed != "한국어"
    assert normalise(decomposed) == "한국어"


@pytest.mark.parametrize("bad", ["a\x00b", "a\x07b", "\x1b[31mred", "a\x85b", "x\ufffe"])
def test_nul_and_control_characters_are_refused_with_their_position(bad):
    with pytest.raises(InvalidText, match="control character"):
        normalise(bad)


def test_tabs_and_newlines_are_kept_and_windows_newlines_folded():
    assert normalise("a\tb\r\nc") == "a\tb\nc"


def test_source_fingerprint_ignores_whitespace_but_not_words():
    assert source_fingerprint("첫째  줄이다. ") == source_fingerprint("첫째 줄이다.")
    assert source_fingerprint("첫째 줄이다.") != source_fingerprint("첫째 줄이었다.")
    assert text_fingerprint("a  b") != text_fingerprint("a b")


def test_splitting_by_line_and_by_korean_sentence():
    assert split_into_segments("하나\n\n 둘 \n셋", mode="line") == ["하나", "둘", "셋"]
    text = "나는 돌아간다. 정말인가? 그렇다! 「끝이다。」 마지막"
    assert split_into_segments(text, mode="sentence") == ["나는 돌아간다.", "정말인가?", "그렇다!", "「끝이다。」", "마지막"]


def test_uncertain_reading_marks_are_found():
    assert uncertain_marks("오늘 [illegible] 적의 [?무인기]가 [세번|네번] 왔다 [보통]") == [
        "[illegible]", "[?무인기]", "[세번|네번]"]
