"""Automatic quality checks: each fires on a crafted case and stays quiet on a clean one; findings are
stored per version on save and on source change, dismissed with a recorded reason, and filter the queue."""

import pytest
from django.urls import reverse

from reviews.checks import CHECKS, CheckContext, run_checks
from reviews.models import CheckFinding, QualityPolicy
from reviews.services.checks import check_finding_dismiss, length_norm
from tests.factories import make_document
from translations import services
from translations.exceptions import DomainError, InvalidText, NotAllowed
from translations.glossary import Glossary, Term
from translations.history import save_tracked

HTMX = {"HTTP_HX_REQUEST": "true"}
GLOSSARY = Glossary(
    [Term(1, "최고사령관", "en", ("Supreme Commander",), ("Great Leader",)), Term(2, "당", "en", ("the Party",))],
    language="en",
)

# check id: (source, a rendering that trips the check, a clean rendering)
CASES = {
    "empty": ("적군이 왔다.", "   ", "The enemy came."),
    "unchanged": ("적군이 왔다.", "적군이 왔다.", "The enemy came."),
    "numbers": ("3월 15일에 200명이 왔다.", "On March 5, 200 came.", "On March 15, 200 people came."),
    "uncertain_marks": ("어머니께 [illegible] 전해 [?주시오].", "Tell mother.", "Tell mother [illegible], [?please]."),
    "brackets": ("「조국」을 위하여.", "For “the homeland.", "For “the homeland”."),
    "whitespace": ("조국을 위하여.", "For  the homeland.", "For the homeland."),
    "untranslated": ("조국을 위하여 싸운다.", "We fight for 조국.", "We fight for the homeland."),
    "length_ratio": ("오늘도 우리는 조국을 위하여 끝까지 싸운다.", "We fight.", "Today too we fight to the end for our homeland."),
    "glossary": ("최고사령관의 명령이다.", "It is the Great Leader's order.", "It is the Supreme Commander's order."),
}


def test_every_check_has_a_crafted_case():
    assert set(CASES) == set(CHECKS)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_each_check_fires_on_its_crafted_case_and_stays_quiet_on_a_clean_one(check_id):
    source, bad, clean = CASES[check_id]
    context = CheckContext(glossary=GLOSSARY)
    fired = {r.id: r for r in run_checks(source, bad, context=context)}
    assert check_id in fired, fired
    assert fired[check_id].severity in ("error", "warning", "info") and fired[check_id].message
    assert run_checks(source, clean, context=context) == []


def test_numbers_reports_missing_and_extra_and_ignores_separators_and_full_width_digits():
    [result] = run_checks("병사 1,000명과 ３대의 전차.", "1000 soldiers and 3 tanks and 7 guns.")
    assert "not in the source: 7" in result.message
    [result] = run_checks("병사 1,000명과 3대의 전차.", "1000 soldiers and tanks.")
    assert "missing from the rendering: 3" in result.message


def test_brackets_know_cjk_brackets_curly_quotes_and_apostrophes():
    assert run_checks("『수기』 (1950)", "“Notes” (1950)") == []
    assert run_checks("병사들의 수기.", "The soldiers’ notes, don’t lose them.") == []
    assert [r.id for r in run_checks("「수기」", "‘Notes")] == ["brackets"]
    assert [r.id for r in run_checks("수기.", 'He said "go.')] == ["brackets"]
    # A source that is itself a fragment of a quotation may leave its rendering open.
    assert run_checks("「수기는 계속된다", "“The notes go on") == []


def test_untranslated_hangul_is_allowed_into_a_cjk_language():
    assert run_checks("조국을 위하여.", "祖國을 위하여.", target_language="ja") == []


def test_glossary_violations_compare_without_case_and_forbidden_renderings_as_whole_words():
    glossary = Glossary([Term(1, "영도자", "en", ("leader",), ("Leader",)), Term(2, "당", "en", ("the Party",))])
    context = CheckContext(glossary=glossary)
    assert run_checks("당의 은혜.", "THE PARTY's grace.", context=context) == []
    [finding] = run_checks("당의 은혜.", "The grace of the state.", context=context)
    assert finding.id == "glossary" and finding.severity == "warning" and "the Party" in finding.message
    glossary = Glossary([Term(1, "영도자", "en", ("guide",), ("Leader",))])
    context = CheckContext(glossary=glossary)
    assert run_checks("영도자", "Leadership guide", context=context) == []
    [finding] = run_checks("영도자", "The leader, our guide", context=context)
    assert finding.severity == "error" and "must not be rendered “Leader”" in finding.message


def test_length_ratio_uses_the_norm_and_tolerance_given():
    source = "오늘도 우리는 조국을 위하여 싸운다."
    rendering = "Today too we fight for the homeland."  # about 1.9 times the source
    assert run_checks(source, rendering) == []
    [finding] = run_checks(source, rendering, context=CheckContext(length_norm=5.0, length_tolerance=2.0))
    assert finding.id == "length_ratio" and "shorter" in finding.message
    assert run_checks(source, rendering, context=CheckContext(length_norm=5.0, length_tolerance=3.0)) == []


# --- Stored findings -------------------------------------------------------------------------------


def findings(translation, **filters):
    return {f.check_id: f for f in CheckFinding.objects.filter(translation=translation, **filters)}


@pytest.fixture
def numbered(project, people):
    document = make_document(project, people["manager"], lines=("3월 15일에 200명이 왔다.",))
    return document.segments.get()


def test_findings_are_stored_for_the_version_saved_and_old_versions_keep_theirs(numbered, people):
    translation = services.translation_create(segment=numbered, user=people["translator"], language="en",
                                              text="On March 5, 200 came.")
    assert set(findings(translation, version=1)) == {"numbers"}
    services.translation_edit(translation=translation, user=people["translator"], base_version=1,
                              text="On March 15, 200 people came.")
    assert findings(translation, version=2) == {}
    assert set(findings(translation, version=1)) == {"numbers"}  # history of version 1 stays
    finding = findings(translation, version=1)["numbers"]
    assert finding.history.get().history_user == people["translator"]


def test_a_source_change_rechecks_the_current_versions(numbered, people):
    translation = services.translation_create(segment=numbered, user=people["translator"], language="en",
                                              text="On March 15, 200 people came.")
    assert findings(translation) == {}
    services.segment_edit(segment=numbered, user=people["manager"], base_version=numbered.version,
                          source_text="3월 16일에 200명이 왔다.")
    [finding] = findings(translation, version=1).values()
    assert finding.check_id == "numbers" and "16" in finding.message
    numbered.refresh_from_db()
    services.segment_edit(segment=numbered, user=people["manager"], base_version=numbered.version,
                          source_text="3월 15일에 200명이 왔다.")
    assert findings(translation) == {}  # no longer applies: deleted, through history
    assert finding.history.filter(history_type="-").exists()


def test_saving_a_version_checks_it_in_a_few_queries(numbered, people, django_assert_max_num_queries):
    translation = services.translation_create(segment=numbered, user=people["translator"], language="en",
                                              text="On March 15, 200 people came.")
    with django_assert_max_num_queries(24):
        services.translation_edit(translation=translation, user=people["translator"], base_version=1,
                                  text="On March 5, 200 came.")


def test_the_glossary_and_the_projects_tolerance_feed_the_stored_checks(project, people):
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="최고사령관",
                                  approved=["Supreme Commander"], forbidden=["Great Leader"])
    save_tracked(QualityPolicy(project=project, length_ratio_tolerance=10), user=people["manager"], reason="Test")
    segment = make_document(project, people["manager"], lines=("최고사령관 동지의 명령을 끝까지 지키자.",)).segments.get()
    translation = services.translation_create(segment=segment, user=people["translator"], language="en",
                                              text="Let us keep the order of Comrade Great Leader.")
    assert set(findings(translation)) == {"glossary"}
    assert findings(translation)["glossary"].severity == "error"


def test_the_length_norm_is_the_median_of_published_renderings_once_there_are_enough(project, people):
    assert length_norm(project.pk, "en") is None


# --- Dismissal ------------------------------------------------------------------------------------


@pytest.fixture
def finding(numbered, people):
    translation = services.translation_create(segment=numbered, user=people["translator"], language="en",
                                              text="On March 5, 200 came.")
    return findings(translation)["numbers"]


def test_dismissal_needs_a_reason_and_is_recorded(finding, people):
    with pytest.raises(InvalidText):
        check_finding_dismiss(finding=finding, user=people["reviewer"], reason="  ")
    check_finding_dismiss(finding=finding, user=people["reviewer"], reason="The source says 5; transcription error.")
    finding.refresh_from_db()
    assert finding.dismissed_by == people["reviewer"] and finding.dismissed_at is not None
    row = finding.history.order_by("-history_id").first()
    assert row.history_user == people["reviewer"]
    assert "transcription error" in row.history_change_reason
    with pytest.raises(DomainError):
        check_finding_dismiss(finding=finding, user=people["reviewer"], reason="Again.")


def test_auditors_may_not_dismiss(finding, people):
    with pytest.raises(NotAllowed):
        check_finding_dismiss(finding=finding, user=people["auditor"], reason="No.")


def test_dismissing_through_htmx_answers_the_findings_block_without_it(client, finding, people, project):
    client.force_login(people["translator"])
    url = reverse("check_finding_dismiss", args=[project.slug, finding.pk])
    response = client.post(url, {"reason": ""}, **HTMX)
    assert response.status_code == 400
    response = client.post(url, {"reason": "Known <b>issue</b>"}, **HTMX)
    assert response.status_code == 200
    assert f'id="findings-{finding.translation_id}"' in response.content.decode()
    assert "Numbers differ" not in response.content.decode()
    assert CheckFinding.objects.get(pk=finding.pk).dismissed_reason == "Known <b>issue</b>"


def test_the_workspace_shows_open_findings_with_a_dismiss_form(client, finding, people, project, numbered):
    client.force_login(people["reviewer"])
    page = client.get(reverse("workspace", args=[project.slug, numbered.document_id, "en"])).content.decode()
    assert "Numbers differ" in page and reverse("check_finding_dismiss", args=[project.slug, finding.pk]) in page
    check_finding_dismiss(finding=finding, user=people["reviewer"], reason="Fine.")
    page = client.get(reverse("workspace", args=[project.slug, numbered.document_id, "en"])).content.decode()
    assert "Numbers differ" not in page


# --- The queue -----------------------------------------------------------------------------------


def test_the_queue_shows_stored_findings_and_filters_by_check(client, project, people):
    document = make_document(project, people["manager"], lines=("3월 15일.", "당의 은혜.", "조국."))
    first, second, third = document.segments.order_by("position")
    services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="당",
                                  approved=["the Party"])
    services.translation_create(segment=first, user=people["translator"], language="en", text="March 5.")
    services.translation_create(segment=second, user=people["translator"], language="en", text="The state's grace.")
    services.translation_create(segment=third, user=people["translator"], language="en", text="The homeland.")
    client.force_login(people["reviewer"])
    response = client.get(reverse("review_queue"))
    page = response.content.decode()
    assert "Numbers differ" in page and "Glossary term not followed" in page
    assert 'class="il-term' in page  # 당 highlighted in the source
    counts = {row["id"]: row["n"] for row in response.context["facets"]["checks"]}
    assert counts["numbers"] == 1 and counts["glossary"] == 1 and counts["empty"] == 0
    rows = client.get(reverse("review_queue"), {"check": "numbers"}).context["rows"]
    assert [t.segment_id for t in rows] == [first.pk]
    rows = client.get(reverse("review_queue"), {"check": "glossary"}).context["rows"]
    assert [t.segment_id for t in rows] == [second.pk]
    assert len(client.get(reverse("review_queue"), {"check": "nonsense\x00"}).context["rows"]) == 3
    finding = CheckFinding.objects.get(check_id="numbers")
    check_finding_dismiss(finding=finding, user=people["reviewer"], reason="Checked against the photo.")
    assert client.get(reverse("review_queue"), {"check": "numbers"}).context["rows"] == []


def _queue_material(project, people, count, *, terms):
    document = make_document(project, people["manager"], title=f"Doc {count}",
                             lines=[f"{n}월 당의 최고사령관 동지 {n}." for n in range(count)])
    for n in range(terms):
        services.glossary_term_create(project=project, user=people["manager"], language="en",
                                      source_term=f"용어{count}-{n}", approved=[f"term {n}"])
    if terms:
        services.glossary_term_create(project=project, user=people["manager"], language="en", source_term="당",
                                      approved=["the Party"], forbidden=["the state"])
    for segment in document.segments.all():
        services.translation_create(segment=segment, user=people["translator"], language="en",
                                    text="The state  and the Great Leader [x.")
    return document


def _count_queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queue_and_workspace_queries_do_not_grow_with_terms_and_findings(client, project, people,
                                                                         django_assert_max_num_queries):
    small = _queue_material(project, people, 2, terms=0)
    client.force_login(people["reviewer"])
    queue_small = _count_queries(client, reverse("review_queue"), django_assert_max_num_queries)
    workspace_small = _count_queries(client, reverse("workspace", args=[project.slug, small.pk, "en"]),
                                     django_assert_max_num_queries)
    large = _queue_material(project, people, 12, terms=30)
    assert CheckFinding.objects.count() > 24
    queue_large = _count_queries(client, reverse("review_queue"), django_assert_max_num_queries)
    workspace_large = _count_queries(client, reverse("workspace", args=[project.slug, large.pk, "en"]),
                                     django_assert_max_num_queries)
    assert queue_large == queue_small
    assert workspace_large == workspace_small


def test_an_import_stores_the_checks_of_the_versions_it_makes(project, people):
    """Imported candidates get their findings in bulk, as a save would give them."""
    from translations.interchange import document_import, read_upload

    document = services.document_create(project=project, user=people["manager"], title="Imported")
    content = "3월 5일에 떠났다.,He left on March 6.\n둘째 줄이다.,The second line.\n".encode()
    parsed = read_upload(content, filename="two.csv", language="en")
    document_import(document=document, user=people["translator"], language="en", parsed=parsed, filename="two.csv")
    findings = CheckFinding.objects.filter(translation__segment__document=document)
    assert [(f.translation.text, f.check_id) for f in findings if f.check_id == "numbers"] == [
        ("He left on March 6.", "numbers")
    ]
    assert not findings.filter(translation__text="The second line.").exists()
