"""Check findings, MQM annotations and back-translations over the API, with tokens only.

The same rights as the web pages (members read; dismissing needs translate or review;
annotating and asking need Action.REVIEW; non-members get 404), annotations bound to the
version they judged (409 when it moved on), the MQM score as the web computes it, and a
back-translation that never reaches what is published."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import BackTranslation, BackTranslationState, CheckFinding, ErrorAnnotation
from reviews.services import error_annotation_create, review_record
from reviews.services.quality import back_translation_complete, back_translation_decline, back_translation_request
from tests.factories import make_document, make_project
from translations import services
from translations.models import Role

from .test_translations_api import assert_error, walk_pages


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


def t_kwargs(project, translation):
    return {"slug": project.slug, "translation_id": translation.pk}


def submit(segment, user, text="The first line."):
    return services.translation_create(segment=segment, user=user, language="en", text=text)


def annotate(translation, user, **kwargs):
    translation.refresh_from_db()
    options = {"base_version": translation.version, "dimension": "accuracy", "subtype": "omission",
               "severity": "major", "start": 0, "end": 3}
    return error_annotation_create(translation=translation, user=user, **{**options, **kwargs})


def queries(client, address) -> int:
    client.get(address)  # the token's first use is recorded once; measure a steady request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
        assert response.status_code == 200, response.content[:300]
    return len(captured)


@pytest.fixture
def hangul(segment, people):
    """A rendering that keeps Hangul and adds a number: the checks find two things."""
    return submit(segment, people["translator"], "첫째 line 1.")


@pytest.fixture
def other_project(admin_user, people):
    project = make_project(admin_user, slug="elsewhere", members={people["outsider"]: Role.MANAGER,
                                                                  people["translator2"]: Role.TRANSLATOR})
    document = make_document(project, people["outsider"])
    translation = submit(document.segments.first(), people["outsider"], "첫째 elsewhere 9.")
    return project, document, translation


# --- check findings ----------------------------------------------------------------------------------


def test_findings_list_open_and_dismissed_with_who_and_why(api, project, hangul, people):
    listed = api["auditor"].get(url("finding-list", **t_kwargs(project, hangul)))
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert {row["check_id"] for row in rows} >= {"untranslated"}
    assert all(row["version"] == 1 and row["is_open"] and row["dismissed_by"] is None for row in rows)

    finding = CheckFinding.objects.get(translation=hangul, check_id="untranslated")
    done = api["reviewer"].post(url("finding-dismiss", slug=project.slug, finding_id=finding.pk), {"reason": "A name."})
    assert done.status_code == 200, done.content
    assert (done.json()["is_open"], done.json()["dismissed_reason"], done.json()["dismissed_by"]["username"]) == (
        False, "A name.", "reviewer")
    closed = api["auditor"].get(url("finding-list", **t_kwargs(project, hangul)) + "?dismissed=true").json()["results"]
    assert [row["id"] for row in closed] == [finding.pk]
    assert finding.history.first().history_user == people["reviewer"]
    assert_error(api["reviewer"].post(url("finding-dismiss", slug=project.slug, finding_id=finding.pk),
                                      {"reason": "Again."}), 400, "domain_error")


@pytest.mark.parametrize(("role", "expected"), [
    ("translator", 200), ("reviewer", 200), ("manager", 200), ("auditor", 403), ("outsider", 404),
])
def test_dismissing_a_finding_needs_the_web_views_right(api, project, hangul, role, expected):
    """As on the web (``may_dismiss``): whoever translates or reviews; auditors 403, non-members 404."""
    finding = CheckFinding.objects.filter(translation=hangul).first()
    response = api[role].post(url("finding-dismiss", slug=project.slug, finding_id=finding.pk), {"reason": "Fine."})
    assert response.status_code == expected, response.content
    finding.refresh_from_db()
    assert (finding.dismissed_at is not None) == (expected == 200)


def test_findings_of_another_project_are_404_through_ones_own_slug(api, project, other_project):
    _, _, foreign = other_project
    finding = CheckFinding.objects.filter(translation=foreign).first()
    assert_error(api["reviewer"].get(url("finding-list", **t_kwargs(project, foreign))), 404)
    assert_error(api["reviewer"].post(url("finding-dismiss", slug=project.slug, finding_id=finding.pk),
                                      {"reason": "x"}), 404)
    assert CheckFinding.objects.get(pk=finding.pk).dismissed_at is None


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 5000}, {"reason": "a\x00b"},
                                  {"reason": ["list"]}])
def test_a_bad_dismissal_reason_is_400_in_the_error_shape(api, project, hangul, body):
    finding = CheckFinding.objects.filter(translation=hangul).first()
    assert_error(api["reviewer"].post(url("finding-dismiss", slug=project.slug, finding_id=finding.pk), body,
                                      format="json"), 400)
    assert CheckFinding.objects.get(pk=finding.pk).dismissed_at is None


def test_the_findings_list_costs_the_same_for_three_or_thirty_findings(api, project, hangul, people):
    address = url("finding-list", **t_kwargs(project, hangul)) + "?page_size=200"
    small = queries(api["auditor"], address)
    for version in range(1, 17):
        services.translation_edit(translation=hangul, user=people["translator"], base_version=version,
                                  text=f"첫째 line {version + 1}.")
        hangul.refresh_from_db()
    assert CheckFinding.objects.filter(translation=hangul).count() >= 30
    assert queries(api["auditor"], address) == small
    rows, _ = walk_pages(api["auditor"], url("finding-list", **t_kwargs(project, hangul)) + "?page_size=7")
    assert len(rows) == CheckFinding.objects.filter(translation=hangul).count()
    assert rows[0]["version"] == 17


# --- MQM annotations ---------------------------------------------------------------------------------


@pytest.fixture
def ten(project, people):
    """A candidate of a ten-character Korean source (EWC 10, counted in characters)."""
    document = make_document(project, people["manager"], title="Ten", lines=("가나다라마바사아자차",))
    return submit(document.segments.first(), people["translator"], "Alpha beta gamma.")


def annotation_body(version=1, **extra):
    return {"version": version, "dimension": "style", "subtype": "awkward", "severity": "minor", "start": 0,
            "end": 5, **extra}


def test_one_minor_error_in_ten_characters_scores_90_and_fails_as_on_the_web(api, project, ten):
    """tests/reviews/test_mqm.py: 1 point in 10 characters is 90.00, under the default 95."""
    made = api["reviewer"].post(url("translation-quality", **t_kwargs(project, ten)), annotation_body(), format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["version"], made.json()["span_text"], made.json()["label"]) == (1, "Alpha", "Style / Awkward style")
    body = api["auditor"].get(url("translation-quality", **t_kwargs(project, ten))).json()
    [current] = body["versions"]
    assert current["is_current"] and [a["severity"] for a in current["annotations"]] == ["minor"]
    score = current["score"]
    assert (Decimal(score["value"]), score["passed"], score["penalty"], score["evaluated"], score["unit"]) == (
        Decimal("90.00"), False, 1, 10, "characters")
    assert body["weights"] == {"neutral": 0, "minor": 1, "major": 5, "critical": 25}
    assert Decimal(body["threshold"]) == Decimal("95")


def test_the_document_report_matches_the_webs_worked_example(api, project, people):
    document = make_document(project, people["manager"], lines=("가나다라마바사아자차", "가나다라마"))
    first, second = document.segments.order_by("position")
    a = submit(first, people["translator"], "Alpha beta gamma.")
    b = submit(second, people["translator2"], "Delta epsilon.")
    annotate(a, people["reviewer"], severity="minor", dimension="style", subtype="awkward", start=0, end=5)
    annotate(a, people["reviewer"], severity="neutral", dimension="terminology", subtype="", start=6, end=10)
    annotate(b, people["reviewer"], severity="critical", dimension="accuracy", subtype="mistranslation", start=0, end=5)
    report = api["auditor"].get(url("document-quality", slug=project.slug, document_id=document.pk, language="en"))
    assert report.status_code == 200, report.content
    body = report.json()
    assert (body["unit"], body["assessed_count"], body["candidate_count"]) == ("characters", 2, 2)
    assert (body["score"]["evaluated"], body["score"]["penalty"], Decimal(body["score"]["value"]),
            body["score"]["passed"]) == (15, 26, Decimal("-73.33"), False)
    rows = {row["slug"]: row for row in body["dimension_rows"]}
    assert rows["style"]["counts"]["minor"] == 1 and rows["accuracy"]["counts"]["critical"] == 1
    assert body["severity_totals"] == {"neutral": 1, "minor": 1, "major": 0, "critical": 1}
    by_translator = {row["author"]["username"]: row["score"] for row in body["translators"]}
    assert Decimal(by_translator["translator"]["value"]) == Decimal("90.00") and not by_translator["translator"]["passed"]
    assert by_translator["translator2"]["passed"] is False
    assert_error(api["auditor"].get(url("document-quality", slug=project.slug, document_id=document.pk,
                                        language="fr")), 404)
    assert_error(api["outsider"].get(url("document-quality", slug=project.slug, document_id=document.pk,
                                         language="en")), 404)


@pytest.mark.parametrize(("role", "expected"), [
    ("reviewer", 201), ("manager", 201), ("translator", 403), ("auditor", 403), ("outsider", 404),
])
def test_annotating_needs_review_rights(api, project, ten, role, expected):
    response = api[role].post(url("translation-quality", **t_kwargs(project, ten)), annotation_body(), format="json")
    assert response.status_code == expected, response.content
    assert ErrorAnnotation.objects.count() == (1 if expected == 201 else 0)


def test_annotating_a_stale_version_is_409_with_the_current_text(api, project, ten, people):
    services.translation_edit(translation=ten, user=people["translator"], base_version=1, text="Alpha beta.")
    stale = api["reviewer"].post(url("translation-quality", **t_kwargs(project, ten)), annotation_body(1), format="json")
    error = assert_error(stale, 409, "edit_conflict")
    assert (error["details"]["current_version"], error["details"]["current_text"]) == (2, "Alpha beta.")
    assert not ErrorAnnotation.objects.exists()


def test_an_annotation_by_its_words_and_occurrence(api, project, ten):
    body = {"version": 1, "dimension": "accuracy", "severity": "major", "quote": "a", "occurrence": 2}
    made = api["reviewer"].post(url("translation-quality", **t_kwargs(project, ten)), body, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["start"], made.json()["end"], made.json()["label"]) == (9, 10, "Accuracy")  # "Alph[a] bet[a]"


@pytest.mark.parametrize("body", [
    {},
    annotation_body(version="one"),
    annotation_body(dimension="nonsense"),
    annotation_body(subtype="grammar"),
    annotation_body(severity="fatal"),
    annotation_body(start=None),
    annotation_body(start=3, end=2),
    annotation_body(start=0, end=10**6),
    annotation_body(start=None, end=None),
    annotation_body(start=None, end=None, quote="absent"),
    annotation_body(note="\x00"),
    annotation_body(note="x" * 10_000),
    annotation_body(version=10**30),
])
def test_a_bad_annotation_is_400_in_the_error_shape(api, project, ten, body):
    assert_error(api["reviewer"].post(url("translation-quality", **t_kwargs(project, ten)), body, format="json"), 400)
    assert not ErrorAnnotation.objects.exists()


def test_ones_own_rendering_is_not_annotated(api, project, segment, people):
    own = submit(segment, people["reviewer"], "My own line.")
    assert_error(api["reviewer"].post(url("translation-quality", **t_kwargs(project, own)), annotation_body(),
                                      format="json"), 403)


def test_withdrawing_an_annotation_follows_the_service(api, project, ten, people):
    mine = annotate(ten, people["reviewer"])
    theirs = annotate(ten, people["reviewer2"])
    address = lambda a: url("annotation-detail", annotation_id=a.pk, **t_kwargs(project, ten))  # noqa: E731
    assert_error(api["translator"].delete(address(mine)), 403)
    assert_error(api["auditor"].delete(address(mine)), 403)
    assert_error(api["outsider"].delete(address(mine)), 404)
    assert_error(api["reviewer"].delete(address(theirs)), 403)  # another reviewer's: not theirs to remove
    assert_error(api["manager"].delete(address(theirs)), 400)  # a manager must say why
    assert api["manager"].delete(address(theirs), {"reason": "Duplicate."}, format="json").status_code == 204
    assert api["reviewer"].delete(address(mine)).status_code == 204
    assert not ErrorAnnotation.objects.exists()
    assert_error(api["reviewer"].delete(address(mine)), 404)


def test_another_projects_annotations_and_translations_are_404(api, project, ten, other_project, people):
    _, _, foreign = other_project
    assert_error(api["reviewer"].get(url("translation-quality", **t_kwargs(project, foreign))), 404)
    assert_error(api["reviewer"].post(url("translation-quality", **t_kwargs(project, foreign)), annotation_body(),
                                      format="json"), 404)
    mine = annotate(ten, people["reviewer"])
    # an annotation is found only under its own translation
    second = submit(ten.segment, people["translator2"], "Other words.")
    assert_error(api["reviewer"].delete(url("annotation-detail", annotation_id=mine.pk,
                                            **t_kwargs(project, second))), 404)
    assert_error(api["outsider"].delete(url("annotation-detail", annotation_id=mine.pk,
                                            **t_kwargs(project, ten))), 404)
    assert ErrorAnnotation.objects.filter(pk=mine.pk).exists()


def test_the_assessment_costs_the_same_for_one_or_thirty_annotations(api, project, ten, people):
    annotate(ten, people["reviewer"])
    address = url("translation-quality", **t_kwargs(project, ten))
    small = queries(api["auditor"], address)
    for start in range(30):
        annotate(ten, people["reviewer2"], start=start % 15, end=start % 15 + 1, severity="neutral")
    assert queries(api["auditor"], address) == small
    assert len(api["auditor"].get(address).json()["versions"][0]["annotations"]) == 31


# --- back-translations -------------------------------------------------------------------------------


def ask(api, role, project, translation, **body):
    return api[role].post(url("back-translation-list", **t_kwargs(project, translation)),
                          {"version": translation.version, "assignee": "translator2", "note": "Watch the dates.", **body},
                          format="json")


@pytest.mark.parametrize(("role", "expected"), [
    ("reviewer", 201), ("manager", 201), ("translator", 403), ("auditor", 403), ("outsider", 404),
])
def test_asking_for_a_back_translation_needs_review_rights(api, project, ten, role, expected):
    response = ask(api, role, project, ten)
    assert response.status_code == expected, response.content
    assert BackTranslation.objects.count() == (1 if expected == 201 else 0)


def test_a_back_translation_is_asked_answered_and_listed(api, project, ten, people):
    made = ask(api, "reviewer", project, ten)
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["assignee"]["username"], body["requested_by"]["username"], body["version"],
            body["rendering"], body["text"]) == ("requested", "translator2", "reviewer", 1, "Alpha beta gamma.", None)
    mine = api["translator2"].get(url("my-back-translations")).json()
    assert [row["id"] for row in mine["open"]] == [body["id"]] and mine["closed"] == []
    assert api["reviewer"].get(url("my-back-translations")).json() == {"open": [], "closed": []}

    answer = url("back-translation-answer", back_translation_id=body["id"])
    assert_error(api["reviewer"].post(answer, {"text": "Not mine."}), 404)  # only the assignee
    assert_error(api["translator2"].post(answer, {}), 400)
    assert_error(api["translator2"].post(answer, {"text": "x", "decline_reason": "y"}), 400)
    assert_error(api["translator2"].post(answer, {"text": "   "}), 400)
    done = api["translator2"].post(answer, {"text": "가나다 in English."})
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["text"], done.json()["decline_reason"]) == ("done", "가나다 in English.", None)
    assert_error(api["translator2"].post(answer, {"decline_reason": "Too late."}), 400)  # already done
    listed = api["auditor"].get(url("back-translation-list", **t_kwargs(project, ten))).json()["results"]
    assert [(row["id"], row["state"]) for row in listed] == [(body["id"], "done")]
    assert [row["id"] for row in api["translator2"].get(url("my-back-translations")).json()["closed"]] == [body["id"]]


def test_a_back_translation_may_be_declined_with_a_reason(api, project, ten):
    body = ask(api, "reviewer", project, ten).json()
    declined = api["translator2"].post(url("back-translation-answer", back_translation_id=body["id"]),
                                       {"decline_reason": "I do not read this language well."})
    assert declined.status_code == 200, declined.content
    assert (declined.json()["state"], declined.json()["text"], declined.json()["decline_reason"]) == (
        "declined", None, "I do not read this language well.")


@pytest.mark.parametrize("body", [
    {"assignee": "translator"},  # the rendering's author
    {"assignee": "reviewer"},  # the one who asks
    {"assignee": "auditor"},  # does not translate
    {"assignee": "outsider"},  # not a member
    {"assignee": "nobody-at-all"},
    {"assignee": ""},
    {"assignee": ["translator2"]},
    {"version": "x"},
    {"note": "x" * 5000},
    {"note": "\x00"},
])
def test_a_bad_back_translation_request_is_400(api, project, ten, body):
    assert_error(ask(api, "reviewer", project, ten, **body), 400)
    assert not BackTranslation.objects.exists()


def test_a_back_translation_of_a_stale_version_is_409(api, project, ten, people):
    services.translation_edit(translation=ten, user=people["translator"], base_version=1, text="Alpha beta.")
    assert_error(ask(api, "reviewer", project, ten, version=1), 409, "edit_conflict")


def test_another_projects_back_translations_are_404(api, project, ten, other_project, people):
    other, _, foreign = other_project
    back = back_translation_request(translation=foreign, user=people["outsider"], assignee=people["translator2"],
                                    base_version=1)
    assert_error(api["reviewer"].get(url("back-translation-list", **t_kwargs(project, foreign))), 404)
    assert_error(ask(api, "reviewer", project, foreign), 404)
    for role in ("reviewer", "translator", "manager"):  # none of them a member there, nor the assignee
        assert_error(api[role].post(url("back-translation-answer", back_translation_id=back.pk), {"text": "x"}), 404)
    assert BackTranslation.objects.get(pk=back.pk).state == BackTranslationState.REQUESTED


def test_back_translation_lists_cost_the_same_for_one_or_thirty(api, project, people):
    document = make_document(project, people["manager"], title="Many", lines=tuple(f"줄 {i}" for i in range(31)))
    translations = [submit(s, people["translator"], f"Line {s.position}.") for s in document.segments.all()]
    asked = lambda t: back_translation_request(  # noqa: E731
        translation=t, user=people["reviewer"], assignee=people["translator2"], base_version=1)
    asked(translations[0])
    list_address = url("back-translation-list", **t_kwargs(project, translations[0])) + "?page_size=200"
    mine_address = url("my-back-translations")
    small_list, small_mine = queries(api["auditor"], list_address), queries(api["translator2"], mine_address)
    for translation in translations[1:]:
        asked(translation)
    for _ in range(30):  # declined and asked again: thirty rows on one translation
        back_translation_decline(back_translation=BackTranslation.objects.filter(
            translation=translations[0], state=BackTranslationState.REQUESTED).get(), user=people["translator2"],
            reason="Not now.")
        asked(translations[0])
    assert queries(api["translator2"], mine_address) == small_mine
    mine = api["translator2"].get(mine_address).json()
    assert (len(mine["open"]), len(mine["closed"])) == (31, 30)
    assert queries(api["auditor"], list_address) == small_list
    assert len(api["auditor"].get(list_address).json()["results"]) == 31


def test_the_back_translation_never_reaches_the_rendering(api, project, ten, people):
    back = back_translation_request(translation=ten, user=people["reviewer"], assignee=people["translator2"],
                                    base_version=1)
    back_translation_complete(back_translation=back, user=people["translator2"], text="UNIQUE BACK TEXT")
    review_record(translation=ten, reviewer=people["reviewer"], version=1, decision="approve", comment="")
    rendering = api["auditor"].get(url("rendering", slug=project.slug, document_id=ten.segment.document_id,
                                       language="en"))
    assert rendering.status_code == 200, rendering.content[:300]
    assert "Alpha beta gamma." in rendering.content.decode()
    assert "UNIQUE BACK TEXT" not in rendering.content.decode()


@pytest.mark.parametrize("query", [
    "?cursor=not-a-cursor", "?check_id=a%00b", "?version=x", "?version=99999999999999999999", "?severity=fatal",
    "?ordering=nonsense", "?dismissed=maybe", "?page_size=-1",
])
def test_hostile_list_queries_never_give_a_500(api, project, hangul, query):
    response = api["auditor"].get(url("finding-list", **t_kwargs(project, hangul)) + query)
    assert response.status_code in (200, 400, 404), response.content[:300]
    if response.status_code != 200:
        assert_error(response, response.status_code)
    back = api["auditor"].get(url("back-translation-list", **t_kwargs(project, hangul)) + query.replace("check_id", "state"))
    assert back.status_code in (200, 400, 404), back.content[:300]


def test_unknown_ids_are_404_in_the_error_shape(api, project, hangul):
    huge = 10**17 - 1
    assert_error(api["reviewer"].post(url("finding-dismiss", slug=project.slug, finding_id=huge), {"reason": "x"}), 404)
    assert_error(api["reviewer"].get(url("translation-quality", slug=project.slug, translation_id=huge)), 404)
    assert_error(api["translator2"].post(url("back-translation-answer", back_translation_id=huge), {"text": "x"}), 404)
    assert_error(api["reviewer"].delete(url("annotation-detail", annotation_id=huge, **t_kwargs(project, hangul))), 404)
    assert_error(api["reviewer"].get("/api/v1/back-translations/abc/"), 404)
