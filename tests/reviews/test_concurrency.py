"""Invariant 6 (no lost update) and "one published rendering" under real
concurrency: threads with their own PostgreSQL connections, released together."""

import threading

import pytest
from django.db import connection, connections

from reviews.services import review_record
from translations import services
from translations.exceptions import DomainError, EditConflict
from translations.models import Translation

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except (EditConflict, DomainError) as error:
            outcomes[index] = ("refused", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.parametrize("round_", range(5))
def test_two_saves_from_the_same_version_never_both_land(segment, people, round_):
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="Base.")
    outcomes = run_together(
        lambda: services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Tab A."),
        lambda: services.translation_edit(translation=t, user=people["translator"], base_version=1, text="Tab B."),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["ok", "refused"]
    t.refresh_from_db()
    assert t.version == 2
    winner = next(value for kind, value in outcomes if kind == "ok")
    loser = next(value for kind, value in outcomes if kind == "refused")
    assert t.text == winner.text and loser.current_text == t.text
    assert t.history.count() == 2


def test_concurrent_approvals_of_rival_candidates_publish_exactly_one(segment, people):
    a = services.translation_create(segment=segment, user=people["translator"], language="en", text="Rendering A.")
    b = services.translation_create(segment=segment, user=people["translator2"], language="en", text="Rendering B.")
    outcomes = run_together(
        lambda: review_record(translation=a, reviewer=people["reviewer"], version=1, decision="approve"),
        lambda: review_record(translation=b, reviewer=people["reviewer2"], version=1, decision="approve"),
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    assert Translation.objects.filter(segment=segment, language="en", is_published=True).count() == 1


def test_a_save_and_a_decision_on_the_same_translation_never_deadlock(segment, people):
    """Both take the segment's lock before the translation's: a decision that took the
    translation first deadlocked against a save holding the segment (a 503 for one of them)."""
    t = services.translation_create(segment=segment, user=people["translator"], language="en", text="Base.")
    for round_ in range(12):
        t.refresh_from_db()
        version = t.version
        outcomes = run_together(
            lambda: services.translation_edit(
                translation=t, user=people["translator"], base_version=version, text=f"Round {round_}."
            ),
            lambda: review_record(translation=t, reviewer=people["reviewer"], version=version, decision="approve"),
        )
        assert all(outcome is not None for outcome in outcomes), f"round {round_}: a call failed outside the domain"
        t.refresh_from_db()
        assert t.version == version + 1
