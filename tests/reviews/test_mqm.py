"""MQM quality assessment: the score arithmetic, annotations bound to the version
they judged, who may annotate, hostile input, the quality pages and the
project's quality policy."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reviews import mqm
from reviews.models import ErrorAnnotation, QualityPolicy
from reviews.selectors.quality import document_quality_report, quality_policy_of
from reviews.services import error_annotation_create, error_annotation_delete, quality_policy_update
from tests.factories import UserFactory, make_document, make_project
from translations import services
from translations.exceptions import DomainError, EditConflict, NotAllowed
from translations.models import Role

# --- the arithmetic, against worked examples --------------------------------------


def test_ten_minor_errors_in_a_thousand_words_score_99():
    result = mqm.score(severities=["minor"] * 10, evaluated=1000)
    assert result.penalty == 10
    assert result.value == Decimal("99.00")
    assert result.passed is True


def test_one_major_error_in_a_hundred_words_scores_95_and_passes_at_the_default_mark():
    result = mqm.score(severities=["major"], evaluated=100)
    assert result.value == Decimal("95.00")
    assert result.passed is True  # the default pass mark is 95, inclusive


def test_one_critical_error_fails_whatever_the_score():
    result = mqm.score(severities=["critical"], evaluated=1_000_000)
    assert result.value == Decimal("100.00")  # 99.9975, to two places
    assert result.passed is False
    zero_weight = mqm.score(severities=["critical"], evaluated=100, weights={**mqm.DEFAULT_WEIGHTS, "critical": 0})
    assert zero_weight.value == Decimal("100.00") and zero_weight.passed is False


def test_neutral_annotations_cost_nothing_and_the_score_is_not_floored():
    assert mqm.score(severities=["neutral"] * 5, evaluated=10).value == Decimal("100.00")
    below = mqm.score(severities=["major"] * 3, evaluated=10)  # 15 points in 10 words
    assert below.value == Decimal("-50.00") and below.passed is False


def test_nothing_evaluated_has_no_score_and_no_verdict():
    result = mqm.score(severities=[], evaluated=0)
    assert result.value is None and result.passed is None


def test_project_weights_and_threshold_change_the_verdict():
    weights = {"neutral": 0, "minor": 2, "major": 10, "critical": 100}
    assert mqm.score(severities=["major"], evaluated=100, weights=weights, threshold=95).value == Decimal("90.00")
    assert mqm.score(severities=["major"], evaluated=100, weights=weights, threshold=90).passed is True
    assert mqm.score(severities=["major"], evaluated=100, weights=weights, threshold=Decimal("90.01")).passed is False


def test_words_are_counted_for_alphabetic_sources_and_characters_for_cjk_sources():
    assert mqm.evaluation_count("The Supreme Commander's order, 2 copies.", "en") == 6
    assert mqm.evaluation_count("첫째 줄이다.", "ko") == 6  # non-space characters
    assert mqm.evaluation_count("最高 司令官", "zh-Hant") == 5
    assert mqm.evaluation_count("   ", "ja") == 0
    assert mqm.count_unit("ko") == "characters" and mqm.count_unit("en") == "words"


def test_the_typology_is_mqm_core():
    assert list(mqm.DIMENSIONS) == ["terminology", "accuracy", "linguistic", "style", "locale", "audience", "design"]
    assert {"mistranslation", "omission", "addition", "untranslated"} <= set(mqm.SUBTYPES["accuracy"])
    assert mqm.category_label("accuracy", "omission") == "Accuracy / Omission"
    assert mqm.is_valid("accuracy", "") and not mqm.is_valid("accuracy", "grammar") and not mqm.is_valid("nonsense")


def test_a_span_is_found_by_its_words_and_occurrence():
    assert mqm.span_of("the cat and the dog", "the", 2) == (12, 15)
    assert mqm.span_of("the cat", "the", 2) is None
    assert mqm.span_of("the cat", "", 1) is None


# --- annotations on versions ----------------------------------------------------------


@pytest.fixture
def candidate(segment, people):
    return services.translation_create(
        segment=segment, user=people["translator"], language="en", text="The first line is here."
    )


def annotate(translation, user, **kwargs):
    translation.refresh_from_db()
    options = {"base_version": translation.version, "dimension": "accuracy", "subtype": "omission",
               "severity": "major", "start": 4, "end": 9}
    return error_annotation_create(translation=translation, user=user, **{**options, **kwargs})


def test_an_annotation_keeps_the_version_and_text_it_judged(candidate, people):
    annotation = annotate(candidate, people["reviewer"], note="“line” drops the ordinal")
    assert (annotation.version, annotation.text, annotation.text[annotation.start:annotation.end]) == (
        1, "The first line is here.", "first"
    )
    history = annotation.history.get()
    assert history.history_user == people["reviewer"] and "Accuracy / Omission, Major on version 1" in history.history_change_reason


def test_annotations_stay_with_their_version_and_do_not_count_for_the_next(client, candidate, people, document):
    annotate(candidate, people["reviewer"])
    services.translation_edit(translation=candidate, user=people["translator"], base_version=1, text="The first line.")
    annotation = ErrorAnnotation.objects.get()
    assert annotation.version == 1 and annotation.text == "The first line is here."

    report = document_quality_report(document, "en", policy=None)
    [row] = report["candidates"]
    assert row["version"] == 1 and row["translation"].version == 2  # the latest annotated version is counted

    client.force_login(people["reviewer2"])
    page = client.get(reverse("translation_quality", args=[document.project.slug, candidate.pk])).content.decode()
    current, older = page.split("Version 1 <span", 1)
    assert "Version 2" in current and "No errors annotated on this version yet." in current
    assert "do not count for version 2" in older and "Accuracy / Omission" in older


def test_a_stale_version_is_refused_and_nothing_is_written(candidate, people):
    services.translation_edit(translation=candidate, user=people["translator"], base_version=1, text="Changed text.")
    with pytest.raises(EditConflict):
        error_annotation_create(translation=candidate, user=people["reviewer"], base_version=1, dimension="accuracy",
                                severity="minor", start=0, end=3)
    assert not ErrorAnnotation.objects.exists()


def test_the_stale_version_answer_shows_the_current_text(client, candidate, people, project):
    services.translation_edit(translation=candidate, user=people["translator"], base_version=1, text="Changed text.")
    client.force_login(people["reviewer"])
    response = client.post(
        reverse("translation_annotate", args=[project.slug, candidate.pk]),
        {"version": 1, "start": 0, "end": 3, "dimension": "accuracy", "severity": "minor"}, HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "it is now at version 2" in body and "Changed text." in body and 'name="version" value="2"' in body
    assert not ErrorAnnotation.objects.exists()


@pytest.mark.parametrize("span", [
    {"start": 5, "end": 5},  # empty
    {"start": 9, "end": 4},  # backwards
    {"start": 0, "end": 24},  # one past the end ("The first line is here." has 23)
    {"start": 10**6, "end": 10**6 + 1},
    {"quote": "absent"},
    {"quote": "e", "occurrence": 99},
])
def test_spans_outside_the_text_are_refused(candidate, people, span):
    options = {"start": None, "end": None, **span}
    with pytest.raises(DomainError):
        annotate(candidate, people["reviewer"], **options)
    assert not ErrorAnnotation.objects.exists()


@pytest.mark.parametrize("post", [
    {"start": "-1", "end": "3"},
    {"start": "1e3", "end": "3"},
    {"start": "²", "end": "3"},
    {"start": "0", "end": ""},
    {"quote": "here\x00"},
    {"start": "0", "end": "3", "quote": "not these"},
    {"start": "0", "end": "3", "dimension": "accuracy", "subtype": "grammar"},
    {"start": "0", "end": "3", "dimension": "<script>"},
    {"start": "0", "end": "3", "severity": "catastrophic"},
    {"start": "0", "end": "3", "version": "one"},
    {"start": "0", "end": "3", "note": "x" * 2001},
])
def test_hostile_annotation_posts_get_a_clear_400_and_change_nothing(client, candidate, people, project, post):
    client.force_login(people["reviewer"])
    data = {"version": "1", "dimension": "accuracy", "severity": "minor", **post}
    response = client.post(reverse("translation_annotate", args=[project.slug, candidate.pk]), data,
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 400, response.status_code
    assert 'class="alert alert-danger' in response.content.decode()
    assert not ErrorAnnotation.objects.exists()


def test_a_span_typed_with_its_occurrence_is_found(client, candidate, people, project):
    client.force_login(people["reviewer"])
    response = client.post(reverse("translation_annotate", args=[project.slug, candidate.pk]), {
        "version": "1", "quote": "e", "occurrence": "3", "dimension": "linguistic", "subtype": "spelling",
        "severity": "minor",
    })
    assert response.status_code == 302
    annotation = ErrorAnnotation.objects.get()
    assert (annotation.start, annotation.end) == (19, 20)  # "The first line is hEre.": the third "e"


def test_translators_and_auditors_cannot_annotate(client, candidate, people, project):
    with pytest.raises(NotAllowed):
        annotate(candidate, people["translator2"])
    for who in ("translator2", "auditor"):
        client.force_login(people[who])
        address = reverse("translation_annotate", args=[project.slug, candidate.pk])
        assert client.post(address, {"version": 1, "start": 0, "end": 3, "dimension": "style",
                                     "severity": "minor"}).status_code == 403
        assert client.get(reverse("translation_quality", args=[project.slug, candidate.pk])).status_code == 200
    assert not ErrorAnnotation.objects.exists()


def test_non_members_get_404_on_every_quality_address(client, candidate, people, project, document):
    client.force_login(people["outsider"])
    for name, args in [("translation_quality", [candidate.pk]), ("translation_annotate", [candidate.pk]),
                       ("translation_annotation_delete", [candidate.pk]), ("back_translation_request", [candidate.pk]),
                       ("document_quality", [document.pk, "en"])]:
        address = reverse(name, args=[project.slug, *args])
        assert (client.get(address) if name.endswith("quality") else client.post(address)).status_code == 404, name


def test_nobody_assesses_their_own_rendering_unless_the_project_allows_it(segment, people):
    mine = services.translation_create(segment=segment, user=people["reviewer"], language="en", text="My own line.")
    with pytest.raises(NotAllowed):
        annotate(mine, people["reviewer"], start=0, end=2)
    project = segment.document.project
    services.project_policy_update(project=project, user=people["manager"], required_approvals=1,
                                   allow_self_approval=True, reason="small team")
    assert annotate(mine, people["reviewer"], start=0, end=2).pk


def test_user_text_is_escaped_in_the_highlighted_rendering(client, segment, people, project):
    hostile = services.translation_create(
        segment=segment, user=people["translator"], language="en", text='<script>alert(1)</script> & "quotes"'
    )
    annotate(hostile, people["reviewer"], start=0, end=8, note="<img src=x onerror=alert(2)>")
    client.force_login(people["reviewer2"])
    body = client.get(reverse("translation_quality", args=[project.slug, hostile.pk])).content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert '<mark class="il-mqm il-mqm-major"' in body and "&lt;script&gt;" in body


def test_overlapping_spans_are_split_and_keep_the_worst_severity(candidate, people):
    from reviews.views.quality import highlighted

    first = annotate(candidate, people["reviewer"], start=0, end=9, severity="minor")
    second = annotate(candidate, people["reviewer2"], start=4, end=14, severity="critical")
    first.number, first.label = 1, "Accuracy / Omission"
    second.number, second.label = 2, "Accuracy / Omission"
    html = highlighted(candidate.text, [first, second])
    assert html.count("<mark") == 3
    assert 'class="il-mqm il-mqm-critical" data-il-notes="1 2"' in html
    assert html.replace("</mark>", "").count(">") >= 3
    import re

    assert re.sub(r"<[^>]+>", "", html) == candidate.text


def test_the_reviewer_withdraws_their_annotation_a_manager_needs_a_reason(candidate, people):
    annotation = annotate(candidate, people["reviewer"])
    with pytest.raises(NotAllowed):
        error_annotation_delete(annotation=annotation, user=people["reviewer2"], reason="disagree")
    with pytest.raises(DomainError):
        error_annotation_delete(annotation=annotation, user=people["manager"], reason="  ")
    error_annotation_delete(annotation=annotation, user=people["manager"], reason="duplicate of another")
    assert not ErrorAnnotation.objects.exists()
    deleted = ErrorAnnotation.history.filter(history_type="-").get()
    assert deleted.history_user == people["manager"] and "duplicate of another" in deleted.history_change_reason

    again = annotate(candidate, people["reviewer"])
    error_annotation_delete(annotation=again, user=people["reviewer"])
    assert not ErrorAnnotation.objects.exists()


def test_an_annotation_of_another_translation_cannot_be_removed_through_this_one(client, segment, people, project, candidate):
    other = services.translation_create(segment=segment, user=people["translator2"], language="en", text="Other.")
    annotation = annotate(other, people["reviewer"], start=0, end=5)
    client.force_login(people["reviewer"])
    address = reverse("translation_annotation_delete", args=[project.slug, candidate.pk])
    assert client.post(address, {"annotation": annotation.pk}).status_code == 404
    assert client.post(address, {"annotation": "1 OR 1=1"}, HTTP_HX_REQUEST="true").status_code == 400
    assert ErrorAnnotation.objects.filter(pk=annotation.pk).exists()


# --- the document's report ---------------------------------------------------------------


def test_the_report_counts_by_dimension_severity_and_translator(project, people):
    document = make_document(project, people["manager"], lines=("가나다라마바사아자차", "가나다라마"))  # 10 + 5 characters
    first, second = document.segments.order_by("position")
    a = services.translation_create(segment=first, user=people["translator"], language="en", text="Alpha beta gamma.")
    b = services.translation_create(segment=second, user=people["translator2"], language="en", text="Delta epsilon.")
    annotate(a, people["reviewer"], severity="minor", dimension="style", subtype="awkward", start=0, end=5)
    annotate(a, people["reviewer"], severity="neutral", dimension="terminology", subtype="", start=6, end=10)
    annotate(b, people["reviewer"], severity="critical", dimension="accuracy", subtype="mistranslation", start=0, end=5)

    report = document_quality_report(document, "en", policy=None)
    assert report["unit"] == "characters" and report["assessed_count"] == 2 and report["candidate_count"] == 2
    assert report["score"].evaluated == 15 and report["score"].penalty == 26
    assert report["score"].value == Decimal("-73.33") and report["score"].passed is False
    rows = {row["slug"]: row for row in report["dimension_rows"]}
    assert rows["style"]["counts"] == [0, 1, 0, 0] and rows["accuracy"]["counts"] == [0, 0, 0, 1]
    assert report["severity_totals"] == [1, 1, 0, 1]
    by_translator = {row["author"].username: row for row in report["translators"]}
    assert by_translator["translator"]["score"].value == Decimal("90.00")  # 1 point in 10 characters
    assert by_translator["translator"]["score"].passed is False  # under 95
    assert by_translator["translator2"]["score"].passed is False  # a critical error


def test_the_report_page_shows_the_verdict_and_is_linked_from_the_document(client, candidate, people, project, document):
    annotate(candidate, people["reviewer"], severity="minor")
    client.force_login(people["auditor"])
    detail = client.get(reverse("document_detail", args=[project.slug, document.pk])).content.decode()
    address = reverse("document_quality", args=[project.slug, document.pk, "en"])
    assert address in detail
    page = client.get(address).content.decode()
    assert "Errors by dimension and severity" in page and "83.33" in page and "fail" in page  # 1 point, 6 characters


def test_the_report_costs_the_same_queries_whatever_the_size(client, project, people, django_assert_max_num_queries):
    lines = [f"{n}번째 줄이다." for n in range(60)]
    document = make_document(project, people["manager"], lines=lines)
    translators = [UserFactory(username=f"t{n}") for n in range(4)]
    for user in translators:
        services.membership_set(project=project, user=people["manager"], member=user, role=Role.TRANSLATOR)
    for n, segment in enumerate(document.segments.order_by("position")):
        user = translators[n % 4]
        translation = services.translation_create(segment=segment, user=user, language="en", text=f"Line number {n}.")
        annotate(translation, people["reviewer"], start=0, end=4, severity=["minor", "major"][n % 2])
        if n % 3 == 0:
            annotate(translation, people["reviewer2"], start=5, end=11, dimension="style", subtype="")
    client.force_login(people["reviewer"])
    address = reverse("document_quality", args=[project.slug, document.pk, "en"])
    with django_assert_max_num_queries(8):
        response = client.get(address)
    assert response.status_code == 200 and response.content.decode().count("Assessment<span") == 60


def test_the_translation_page_costs_the_same_queries_whatever_the_annotations(
    client, candidate, people, project, django_assert_max_num_queries
):
    for n in range(30):
        annotate(candidate, [people["reviewer"], people["reviewer2"]][n % 2], start=n % 20, end=n % 20 + 3)
    client.force_login(people["manager"])
    with django_assert_max_num_queries(9):
        response = client.get(reverse("translation_quality", args=[project.slug, candidate.pk]))
    assert response.status_code == 200 and response.content.decode().count('id="annotation-') == 30


# --- the quality policy -----------------------------------------------------------------


def policy_post(**overrides):
    return {"form": "quality", "weight_neutral": "0", "weight_minor": "2", "weight_major": "10",
            "weight_critical": "50", "pass_threshold": "90", "length_ratio_tolerance": "3", "shares_memory": "on",
            "reason": "Stricter for leaflets", **overrides}


def test_a_manager_sets_weights_threshold_and_memory_sharing_with_history(client, project, people, candidate, document):
    assert quality_policy_of(project) is None  # defaults
    client.force_login(people["manager"])
    response = client.post(reverse("project_policy", args=[project.slug]), policy_post())
    assert response.status_code == 302
    policy = QualityPolicy.objects.get(project=project)
    assert (policy.weight_minor, policy.weight_major, policy.weight_critical) == (2, 10, 50)
    assert policy.pass_threshold == Decimal("90.00") and policy.length_ratio_tolerance == Decimal("3.00")
    project.refresh_from_db()
    assert project.shares_memory is True
    assert "Stricter for leaflets" in policy.history.get().history_change_reason
    assert project.history.latest().history_user == people["manager"]

    annotate(candidate, people["reviewer"], severity="minor")
    report = document_quality_report(document, "en", policy=quality_policy_of(project))
    assert report["score"].penalty == 2 and report["threshold"] == Decimal("90.00")


@pytest.mark.parametrize("bad", [
    {"weight_minor": "-1"}, {"weight_major": "0"},  # decreasing
    {"pass_threshold": "101"}, {"pass_threshold": "NaN"}, {"length_ratio_tolerance": "1"}, {"reason": ""},
])
def test_bad_quality_policies_are_refused(client, project, people, bad):
    client.force_login(people["manager"])
    response = client.post(reverse("project_policy", args=[project.slug]), policy_post(**bad))
    assert response.status_code == 200  # the form again, with its errors
    assert not QualityPolicy.objects.exists()


def test_only_managers_change_the_quality_policy(project, people):
    with pytest.raises(NotAllowed):
        quality_policy_update(project=project, user=people["reviewer"], weight_neutral=0, weight_minor=1, weight_major=5,
                              weight_critical=25, pass_threshold=95, length_ratio_tolerance=2, shares_memory=False,
                              reason="mine")


def test_an_unchanged_default_policy_writes_nothing(project, people):
    quality_policy_update(project=project, user=people["manager"], weight_neutral=0, weight_minor=1, weight_major=5,
                          weight_critical=25, pass_threshold=95, length_ratio_tolerance=2, shares_memory=False,
                          reason="looked")
    assert not QualityPolicy.objects.exists()


def test_another_projects_annotations_never_reach_this_report(admin_user, people, project, document, candidate):
    other = make_project(admin_user, slug="elsewhere", members={people["reviewer"]: Role.REVIEWER,
                                                                 people["translator"]: Role.TRANSLATOR})
    their_document = make_document(other, admin_user)
    theirs = services.translation_create(segment=their_document.segments.first(), user=people["translator"],
                                         language="en", text="Their line.")
    annotate(theirs, people["reviewer"], start=0, end=5)
    assert document_quality_report(document, "en", policy=None)["annotation_count"] == 0
