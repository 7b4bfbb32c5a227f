"""Readable diffs for history pages, and the template helpers that show text."""

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString, mark_safe

from translations.diffs import diff, diff_html
from translations.models import TranslationState


def old_and_new(ops):
    old = "".join(text for kind, text in ops if kind != "insert")
    new = "".join(text for kind, text in ops if kind != "delete")
    return old, new


def test_english_is_compared_word_by_word():
    assert diff("the red car", "the blue car") == [
        ("equal", "the "),
        ("delete", "red"),
        ("insert", "blue"),
        ("equal", " car"),
    ]


def test_a_change_of_punctuation_changes_only_the_mark():
    assert diff("The car, red.", "The car; red.") == [
        ("equal", "The car"),
        ("delete", ","),
        ("insert", ";"),
        ("equal", " red."),
    ]


def test_korean_is_compared_syllable_by_syllable():
    ops = diff("나는 간다", "나는 갔다")
    assert ops == [("equal", "나는 "), ("delete", "간"), ("insert", "갔"), ("equal", "다")]


def test_any_cjk_on_either_side_makes_the_diff_character_level():
    assert diff("abc", "abd 한") == [("equal", "ab"), ("delete", "c"), ("insert", "d 한")]
    assert diff("東京へ行く", "東京に行く") == [("equal", "東京"), ("delete", "へ"), ("insert", "に"), ("equal", "行く")]


def test_replacements_split_only_by_spaces_read_as_one_change():
    assert diff("the quick brown fox", "a slow red fox") == [
        ("delete", "the quick brown"),
        ("insert", "a slow red"),
        ("equal", " fox"),
    ]


def test_adjacent_operations_of_one_kind_are_merged():
    ops = diff("one", "one two three four")
    assert ops == [("equal", "one"), ("insert", " two three four")]
    kinds = [kind for kind, _ in diff("a b c d e f", "a x c y e z")]
    assert all(a != b for a, b in zip(kinds, kinds[1:]))


@pytest.mark.parametrize(
    "old, new",
    [
        ("the red car", "the blue car"),
        ("나는 간다", "나는 갔다"),
        ("Line one.\nLine two.", "Line one!\n\nLine 2."),
        ("[?word] here", "[illegible] there"),
        ("", "new"),
        ("old", ""),
    ],
)
def test_the_pieces_rebuild_both_texts(old, new):
    assert old_and_new(diff(old, new)) == (old, new)


def test_identical_texts_are_one_equal_operation():
    assert diff("the same text", "the same text") == [("equal", "the same text")]
    assert diff("같은 글", "같은 글") == [("equal", "같은 글")]


def test_empty_strings():
    assert diff("", "") == []
    assert diff("", "added") == [("insert", "added")]
    assert diff("removed", "") == [("delete", "removed")]
    assert diff_html("", "") == ""


def test_diff_html_wraps_changes_and_is_safe():
    html = diff_html("the red car", "the blue car")
    assert isinstance(html, SafeString)
    assert html == 'the <del class="il-del">red</del><ins class="il-ins">blue</ins> car'


def test_diff_html_escapes_hostile_input():
    html = diff_html('<b title="x">bold</b>', "<script>alert('owned')</script> & \"quoted\"")
    assert "<script" not in html and "<b " not in html
    assert "&lt;script&gt;" in html or "&lt;" in html
    assert "&#x27;owned&#x27;" in html
    assert "&quot;quoted&quot;" in html
    assert "&amp;" in html
    stripped = html.replace('<ins class="il-ins">', "").replace("</ins>", "")
    stripped = stripped.replace('<del class="il-del">', "").replace("</del>", "")
    assert "<" not in stripped and ">" not in stripped


def render(source, **context):
    return Template("{% load interlinear %}" + source).render(Context(context))


def test_diff_to_filter_renders_the_diff():
    assert render("{{ old|diff_to:new }}", old="나는 간다", new="나는 갔다") == (
        '나는 <del class="il-del">간</del><ins class="il-ins">갔</ins>다'
    )


def test_diff_to_filter_escapes_hostile_input():
    out = render("{{ old|diff_to:new }}", old="safe", new="<img src=x onerror=alert(1)>")
    assert "<img" not in out and "&lt;img" in out


def test_marks_highlights_each_kind_of_uncertain_reading():
    out = render("{{ text|marks }}", text="나는 [illegible] 간다 [?갔다] [집|짐]")
    assert out.count('<mark class="il-mark" title="uncertain reading">') == 3
    assert '<mark class="il-mark" title="uncertain reading">[illegible]</mark>' in out
    assert '<mark class="il-mark" title="uncertain reading">[?갔다]</mark>' in out
    assert '<mark class="il-mark" title="uncertain reading">[집|짐]</mark>' in out


def test_marks_escapes_before_highlighting():
    out = render("{{ text|marks }}", text='<b>[?x]</b> <script>alert("x")</script> [?a<i>b]')
    assert "<b>" not in out and "<script>" not in out and "<i>" not in out
    assert '&lt;b&gt;<mark class="il-mark" title="uncertain reading">[?x]</mark>&lt;/b&gt;' in out
    assert '<mark class="il-mark" title="uncertain reading">[?a&lt;i&gt;b]</mark>' in out
    assert "&quot;x&quot;" in out


def test_marks_does_not_escape_safe_html_twice_nor_break_its_tags():
    out = render("{{ text|marks }}", text=mark_safe("[?a<ins>b]</ins> [?c]"))
    assert out == '[?a<ins>b]</ins> <mark class="il-mark" title="uncertain reading">[?c]</mark>'


def test_marks_leaves_plain_text_alone():
    assert render("{{ text|marks }}", text="No marks & no tags") == "No marks &amp; no tags"
    assert render("{{ text|marks }}", text=None) == ""


@pytest.mark.parametrize(
    "state, css, label",
    [
        (TranslationState.DRAFT, "text-bg-secondary", "Draft"),
        (TranslationState.SUBMITTED, "text-bg-info", "Submitted"),
        (TranslationState.APPROVED, "text-bg-success", "Approved"),
        (TranslationState.CHANGES_REQUESTED, "text-bg-warning", "Changes requested"),
        (TranslationState.REJECTED, "text-bg-danger", "Rejected"),
    ],
)
def test_state_badge_has_a_colour_and_a_readable_label(state, css, label):
    assert render("{% state_badge state %}", state=str(state)) == f'<span class="badge {css}">{label}</span>'


def test_state_badge_escapes_an_unknown_state():
    out = render("{% state_badge state %}", state="<x>")
    assert "&lt;x&gt;" in out and "<x>" not in out
