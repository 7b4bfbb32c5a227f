"""Agreement between independent candidates: pairwise similarity and its mean."""

import pytest

from reviews.agreement import agreements_for_segments, candidate_agreement, comparable, pair_score
from tests.factories import make_document
from translations import services

pytestmark = pytest.mark.django_db


def test_word_order_case_and_punctuation_do_not_count_against_agreement():
    assert comparable("  At DAWN, we moved!  ") == "at dawn we moved"
    assert pair_score("At dawn we moved.", "we moved at dawn") == 100
    assert pair_score("Same words.", "Same words.") == 100


def test_different_readings_score_low_and_near_ones_high():
    assert pair_score("The Party's grace", "The Party's love") < 80
    assert pair_score("I betrayed the love and grace of the Party",
                      "I betrayed the love and the grace of the Party") > 90
    assert pair_score("Drones came three times", "We ate rice") < 50


def test_an_added_clause_is_a_disagreement_not_a_subset_match():
    assert pair_score("I betrayed the Party", "I betrayed the Party and fled to the enemy lines") < 70


@pytest.fixture
def readings(project, people):
    document = make_document(project, people["manager"], lines=("오늘도 적의 무인기가 세 번 날아왔다.", "혼자다."))
    first, second = document.segments.order_by("position")
    texts = {
        "translator": "Today again the enemy drones came three times.",
        "translator2": "Today again the enemy drones came three times.",
        "reviewer": "Again today, enemy drones flew over four times.",
    }
    for who, text in texts.items():
        services.translation_create(segment=first, user=people[who], language="en", text=text)
    services.translation_create(segment=second, user=people["translator"], language="en", text="Alone.")
    return first, second, texts


def test_the_mean_is_the_average_of_every_pair(readings):
    first, _, texts = readings
    agreement = candidate_agreement(first, "en")
    a, b, c = texts.values()
    expected = [pair_score(a, b), pair_score(a, c), pair_score(b, c)]
    assert [pair.score for pair in agreement.pairs] == expected
    assert expected[0] == 100 and expected[1] == expected[2] < 100
    assert agreement.mean == round(sum(expected) / 3)
    assert agreement.lowest.score == expected[1]
    assert {pair.first.author.username for pair in agreement.pairs} == {"translator", "translator2"}


def test_a_single_candidate_or_drafts_give_no_agreement(readings, people):
    _, second, _ = readings
    assert candidate_agreement(second, "en") is None
    services.translation_create(segment=second, user=people["translator2"], language="en", text="Lonely.",
                                submit=False)
    assert candidate_agreement(second, "en") is None  # a draft is not yet anyone's reading


def test_many_segments_at_once_cost_two_queries(project, people, readings, django_assert_num_queries):
    first, second, _ = readings
    document = make_document(project, people["manager"], lines=[f"줄 {n}" for n in range(20)])
    segments = list(document.segments.all())
    for segment in segments:
        services.translation_create(segment=segment, user=people["translator"], language="en", text="A line")
        services.translation_create(segment=segment, user=people["translator2"], language="en", text="One line")
    with django_assert_num_queries(2):
        found = agreements_for_segments(segments + [first, second], "en")
        assert {pair.second.author.username for pair in found[segments[0].pk].pairs} == {"translator2"}
    assert set(found) == {s.pk for s in segments} | {first.pk}
    assert agreements_for_segments([], "en") == {}
