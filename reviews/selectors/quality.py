"""Reads for MQM assessment and back-translation, each a fixed number of queries.

Which version a report scores: for each candidate, its latest version that
has annotations ("the latest annotated version"). A version nobody annotated
is not counted as evaluated, because "no errors found" and "not looked at"
look the same in the data; later unannotated versions of a candidate do not
hide the assessment of an earlier one. The evaluation count (EWC) uses the
segment's current source text.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Subquery

from translations.models import Role, Translation
from translations.permissions import visible_project_ids

from .. import mqm
from ..models import BackTranslation, BackTranslationState, ErrorAnnotation, QualityPolicy


def quality_policy_of(project) -> QualityPolicy | None:
    """The project's policy row, or None for the defaults (one query)."""
    return QualityPolicy.objects.filter(project=project).first()


@dataclass
class VersionAssessment:
    """The annotations of one version of a translation and their score."""

    version: int
    text: str
    annotations: list
    score: mqm.Score
    is_current: bool


def translation_assessment(translation: Translation, *, policy) -> dict:
    """Annotations of every version (current first), back-translations, and scores.
    Three queries, whatever the numbers of annotations and back-translations."""
    project = translation.segment.document.project
    weights, threshold = mqm.weights_of(policy), mqm.threshold_of(policy)
    unit = mqm.count_unit(project.source_language)
    evaluated = mqm.evaluation_count(translation.segment.source_text, project.source_language)
    by_version: dict[int, list] = {}
    for annotation in ErrorAnnotation.objects.filter(translation=translation).select_related("reviewer").order_by(
        "-version", "start", "id"
    ):
        by_version.setdefault(annotation.version, []).append(annotation)
    versions = []
    for version in sorted(set(by_version) | {translation.version}, reverse=True):
        annotations = by_version.get(version, [])
        for number, annotation in enumerate(annotations, start=1):
            annotation.number = number
            annotation.label = mqm.category_label(annotation.dimension, annotation.subtype)
            annotation.span_text = annotation.text[annotation.start:annotation.end]
        text = translation.text if version == translation.version else annotations[0].text
        versions.append(VersionAssessment(
            version=version, text=text, annotations=annotations, is_current=version == translation.version,
            score=mqm.score(severities=[a.severity for a in annotations], evaluated=evaluated, unit=unit,
                            weights=weights, threshold=threshold),
        ))
    back_translations = list(
        BackTranslation.objects.filter(translation=translation).select_related("assignee", "requested_by").order_by(
            "-version", "-requested_at", "-id"
        )
    )
    return {"versions": versions, "back_translations": back_translations, "weights": weights, "threshold": threshold}


def members_for_back_translation(translation: Translation) -> list:
    """Active members who translate in the project and wrote neither the rendering
    nor its current version (one query)."""
    User = get_user_model()
    return list(
        User.objects.filter(
            is_active=True,
            memberships__project_id=translation.segment.document.project_id,
            memberships__role__in=[Role.TRANSLATOR, Role.REVIEWER, Role.MANAGER],
        )
        .exclude(pk__in={translation.author_id, translation.edited_by_id})
        .order_by("first_name", "last_name", "username")
    )


@dataclass
class Tally:
    """Errors and evaluated words of one group (the document, a translator)."""

    evaluated: int = 0
    severities: list = field(default_factory=list)
    candidates: int = 0

    def score(self, *, unit, weights, threshold) -> mqm.Score:
        return mqm.score(severities=self.severities, evaluated=self.evaluated, unit=unit, weights=weights,
                         threshold=threshold)


def document_quality_report(document, language: str, *, policy) -> dict:
    """Counts by dimension × severity, the document's score and verdict, and a
    row per translator and per assessed candidate. Two queries whatever the
    size: the annotations of each candidate's latest annotated version (with
    their translation, segment and author), and the number of candidates."""
    project = document.project
    weights, threshold = mqm.weights_of(policy), mqm.threshold_of(policy)
    unit = mqm.count_unit(project.source_language)
    latest_annotated = (
        ErrorAnnotation.objects.filter(translation=OuterRef("translation")).order_by("-version").values("version")[:1]
    )
    annotations = list(
        ErrorAnnotation.objects.filter(
            translation__segment__document=document,
            translation__segment__is_deleted=False,
            translation__language=language,
            version=Subquery(latest_annotated),
        )
        .select_related("translation__segment", "translation__author")
        .order_by("translation__segment__position", "translation__segment_id", "translation_id", "start", "id")
    )
    candidate_count = (
        Translation.objects.filter(segment__document=document, segment__is_deleted=False, language=language)
        .aggregate(n=Count("id"))["n"]
    )
    dimensions = {slug: dict.fromkeys(mqm.SEVERITIES, 0) for slug in mqm.DIMENSIONS}
    document_tally = Tally()
    translators: dict[int, tuple[object, Tally]] = {}
    candidates: dict[int, dict] = {}
    for annotation in annotations:
        translation = annotation.translation
        row = dimensions.setdefault(annotation.dimension, dict.fromkeys(mqm.SEVERITIES, 0))
        row[annotation.severity] = row.get(annotation.severity, 0) + 1
        _, translator_tally = translators.setdefault(translation.author_id, (translation.author, Tally()))
        if translation.pk not in candidates:
            words = mqm.evaluation_count(translation.segment.source_text, project.source_language)
            candidates[translation.pk] = {
                "translation": translation, "version": annotation.version, "evaluated": words, "severities": [],
            }
            for tally in (document_tally, translator_tally):
                tally.evaluated += words
                tally.candidates += 1
        candidates[translation.pk]["severities"].append(annotation.severity)
        document_tally.severities.append(annotation.severity)
        translator_tally.severities.append(annotation.severity)
    score_args = {"unit": unit, "weights": weights, "threshold": threshold}
    dimension_rows = [
        {"slug": slug, "label": mqm.DIMENSIONS.get(slug, slug), "counts": [counts[s] for s in mqm.SEVERITIES],
         "total": sum(counts.values())}
        for slug, counts in dimensions.items()
    ]
    return {
        "annotation_count": len(annotations),
        "candidate_count": candidate_count,
        "assessed_count": len(candidates),
        "score": document_tally.score(**score_args),
        "dimension_rows": dimension_rows,
        "severity_totals": [sum(row["counts"][i] for row in dimension_rows) for i in range(len(mqm.SEVERITIES))],
        "translators": sorted(
            (
                {"author": author, "candidates": tally.candidates, "score": tally.score(**score_args)}
                for author, tally in translators.values()
            ),
            key=lambda row: (row["author"].get_full_name() or row["author"].get_username()).casefold(),
        ),
        "candidates": [
            {**row, "score": mqm.score(severities=row["severities"], evaluated=row["evaluated"], **score_args)}
            for row in candidates.values()
        ],
        "weights": weights,
        "threshold": threshold,
        "unit": unit,
    }


def back_translations_for(user) -> dict:
    """The user's own back-translation requests, open first, in the projects
    they still belong to (two queries; a site admin sees their own everywhere)."""
    queryset = BackTranslation.objects.filter(assignee=user).select_related(
        "translation__segment__document__project", "translation__author", "requested_by"
    )
    visible = visible_project_ids(user)
    if visible is not None:
        queryset = queryset.filter(translation__segment__document__project_id__in=visible)
    return {
        "open": list(queryset.filter(state=BackTranslationState.REQUESTED).order_by("requested_at", "id")[:200]),
        "closed": list(queryset.exclude(state=BackTranslationState.REQUESTED).order_by("-completed_at", "-id")[:50]),
    }
