"""Stored findings of the automatic checks, and their dismissal.

Checks run when a version of a translation is saved and again when its
segment's source changes; what they find is stored as ``CheckFinding`` rows
of that exact version, so the queue can filter by them and a finding stays
with the version it was found in (findings of earlier versions remain as
history). A finding that no longer applies to the current version after a
source change is deleted through history; a dismissed one is left as it was
dismissed. Every write names the acting user and a reason (invariant 1).

The cost is a few queries per save whatever the project's size: the
glossary of the languages concerned, the quality policy, the length norm
(a bounded sample of published renderings) and the writes.
"""

from statistics import median

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from translations.exceptions import DomainError, InvalidText, NotAllowed
from translations.glossary import Glossary
from translations.history import bulk_create_tracked, bulk_update_tracked, delete_tracked, save_tracked
from translations.models import GlossaryTerm, Segment, Translation
from translations.permissions import Action, can
from translations.texts import normalise

from ..checks import CHECKS, DEFAULT_LENGTH_RATIO_TOLERANCE, CheckContext, run_checks
from ..models import CheckFinding, QualityPolicy

# The norm is the median ratio over at most this many published renderings; below
# NORM_MINIMUM of them the language pair's default is used instead.
NORM_SAMPLE = 1_000
NORM_MINIMUM = 20
MAX_REASON_LENGTH = 1_000


def length_norm(project_id: int, language: str) -> float | None:
    """The median target/source length ratio of the project's published renderings in a language
    (one query over a bounded sample), or None when there are too few to say."""
    lengths = (
        Translation.objects.filter(segment__document__project_id=project_id, language=language, is_published=True)
        .annotate(target_length=Length("published_text"), source_length=Length("segment__source_text"))
        .values_list("target_length", "source_length")[:NORM_SAMPLE]
    )
    ratios = [target / source for target, source in lengths if source]
    return median(ratios) if len(ratios) >= NORM_MINIMUM else None


def check_contexts(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], CheckContext]:
    """A CheckContext per (project id, language): glossary, policy and norm (2 queries + 1 per pair)."""
    if not pairs:
        return {}
    project_ids = {project_id for project_id, _ in pairs}
    terms: dict[tuple[int, str], list] = {pair: [] for pair in pairs}
    wanted = Q()
    for project_id, language in pairs:
        wanted |= Q(project_id=project_id, language=language)
    for term in GlossaryTerm.objects.filter(wanted).only(
        "id", "project_id", "language", "source_term", "approved", "forbidden", "part_of_speech", "note"
    ):
        terms[(term.project_id, term.language)].append(term)
    tolerances = dict(
        QualityPolicy.objects.filter(project_id__in=project_ids).values_list("project_id", "length_ratio_tolerance")
    )
    return {
        (project_id, language): CheckContext(
            glossary=Glossary(terms[(project_id, language)], language=language),
            length_norm=length_norm(project_id, language),
            length_tolerance=float(tolerances.get(project_id, DEFAULT_LENGTH_RATIO_TOLERANCE)),
        )
        for project_id, language in pairs
    }


def findings_of(translation: Translation, context: CheckContext) -> list:
    segment = translation.segment
    return run_checks(
        segment.source_text, translation.text, target_language=translation.language,
        source_language=segment.document.project.source_language, context=context,
    )


@transaction.atomic
def check_findings_record(*, translations: list[Translation], user, reason: str, fresh: bool = False) -> list[CheckFinding]:
    """Run the checks on each translation's current version and store what they find.

    ``fresh``: the versions were just made, so they have no findings yet (saves a
    query). Otherwise the stored findings of each current version are brought in
    line: new ones added, changed messages updated, open ones that no longer
    apply deleted (history keeps them); dismissed ones are left alone.
    Each translation needs ``segment.document.project`` loaded."""
    translations = [t for t in translations if not t.segment.is_deleted]
    if not translations:
        return []
    contexts = check_contexts({(t.segment.document.project_id, t.language) for t in translations})
    existing: dict[tuple[int, int], dict[str, CheckFinding]] = {}
    if not fresh:
        current = Q()
        for t in translations:
            current |= Q(translation_id=t.pk, version=t.version)
        for finding in CheckFinding.objects.filter(current):
            existing.setdefault((finding.translation_id, finding.version), {})[finding.check_id] = finding
    created, changed, gone = [], [], []
    for translation in translations:
        stored = existing.get((translation.pk, translation.version), {})
        results = findings_of(translation, contexts[(translation.segment.document.project_id, translation.language)])
        found_ids = set()
        for result in results:
            found_ids.add(result.id)
            finding = stored.get(result.id)
            if finding is None:
                created.append(CheckFinding(
                    translation=translation, version=translation.version, check_id=result.id,
                    severity=result.severity, message=result.message,
                ))
            elif finding.dismissed_at is None and (finding.message, finding.severity) != (result.message, result.severity):
                finding.message, finding.severity = result.message, result.severity
                changed.append(finding)
        gone += [f for check_id, f in stored.items() if check_id not in found_ids and f.dismissed_at is None]
    bulk_create_tracked(created, user=user, reason=reason)
    bulk_update_tracked(changed, ["message", "severity"], user=user, reason=reason)
    for finding in gone:
        delete_tracked(finding, user=user, reason=f"{reason}: no longer found")
    return created


def translation_checks_record(*, translation: Translation, user) -> list[CheckFinding]:
    """The hook after a new version is saved (translations.services)."""
    return check_findings_record(
        translations=[translation], user=user, reason=f"Automatic checks of version {translation.version}", fresh=True,
    )


def segment_checks_refresh(*, segment: Segment, user) -> list[CheckFinding]:
    """The hook after a segment's source changed: re-check the current version of each of its candidates."""
    translations = list(Translation.objects.filter(segment=segment))
    for translation in translations:
        translation.segment = segment
    return check_findings_record(
        translations=translations, user=user,
        reason=f"Automatic checks after the source of segment {segment.position} changed",
    )


def may_dismiss(user, project) -> bool:
    return can(user, Action.TRANSLATE, project) or can(user, Action.REVIEW, project)


@transaction.atomic
def check_finding_dismiss(*, finding: CheckFinding, user, reason: str) -> CheckFinding:
    """Dismiss a finding, naming who and why (a dismissal needs a reason; history records it).

    Members who may translate or review dismiss; a finding is dismissed once."""
    finding = (
        CheckFinding.objects.select_for_update(of=("self",))
        .select_related("translation__segment__document__project")
        .get(pk=finding.pk)
    )
    project = finding.translation.segment.document.project
    if not may_dismiss(user, project):
        raise NotAllowed("Only members who translate or review may dismiss a check's finding.")
    reason = normalise(reason or "", field="reason").strip()
    if not reason:
        raise InvalidText("Say why the finding does not apply; a dismissal needs a reason.")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidText(f"The reason is longer than {MAX_REASON_LENGTH} characters.")
    if finding.dismissed_at is not None:
        raise DomainError("This finding was already dismissed.")
    finding.dismissed_by = user
    finding.dismissed_reason = reason
    finding.dismissed_at = timezone.now()
    label = CHECKS[finding.check_id].label if finding.check_id in CHECKS else finding.check_id
    return save_tracked(finding, user=user, reason=f"Dismissed “{label}” on version {finding.version}: {reason}")
