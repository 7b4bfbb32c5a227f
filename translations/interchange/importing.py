"""Importing a file into a document: a plan that writes nothing, then the plan carried out whole.

``import_plan`` decides, unit by unit, what an import would do, reading the
document but writing nothing — it is the preview. ``document_import``
makes the same plan again under row locks and carries it out in one
transaction, in bulk, each row with its history row (invariant 1); any
failure rolls everything back (invariant 8).

What a unit does:

* its id ``s<pk>`` names a live segment of *this* document → the target, if
  any, becomes the importing user's candidate for that segment: a new
  version of their candidate when they have one (approvals stay with the
  text they approved, as with ``translation_edit``), or a new candidate.
  A target that is already the segment's published text or any of its
  candidates' current text is *unchanged*: nothing is written, no history.
  The segment's source is never changed by an import; a file whose source
  differs is warned about.
* otherwise → a new segment at the end (in file order), with a candidate
  from the target if there is one.

Nothing is ever approved by an import: a unit the file marks approved gets
the note "Marked approved in FILE" on its candidate. Every row written names
"Imported from FILE" as its history reason. Imported candidates are
submitted for review. No notification mail is sent for them.
"""

import hashlib
import os
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ..history import bulk_create_tracked, bulk_update_tracked
from ..models import Document, Segment, Translation, TranslationState
from ..permissions import Action, require
from ..services.translations import state_for
from ..texts import source_fingerprint, text_fingerprint
from .errors import ImportRejected, PreviewOutdated
from .units import FileUnit, ParsedFile

UNIT_ID = re.compile(r"^s([1-9][0-9]{0,18})$")
_UNSAFE_NAME = re.compile(r"[^\w .,()+-]")
SAMPLE_SIZE = 20
MAX_LISTED_WARNINGS = 10
BATCH_SIZE = 5000  # the database backend lowers it to what one statement may carry


class UnitAction:
    NEW_SEGMENT = "new segment"
    NEW_SEGMENT_WITH_CANDIDATE = "new segment and candidate"
    NEW_CANDIDATE = "new candidate"
    NEW_VERSION = "new version of your candidate"
    UNCHANGED = "unchanged"
    NO_TARGET = "no target"


@dataclass
class PlannedUnit:
    unit: FileUnit
    action: str
    segment: Segment | None = None
    translation: Translation | None = None
    position: int | None = None


@dataclass
class ImportPlan:
    document: Document
    language: str
    filename: str
    format: str
    units: list[PlannedUnit]
    warnings: list[str] = field(default_factory=list)

    def _count(self, *actions) -> int:
        return sum(1 for planned in self.units if planned.action in actions)

    @property
    def segments_to_create(self) -> int:
        return self._count(UnitAction.NEW_SEGMENT, UnitAction.NEW_SEGMENT_WITH_CANDIDATE)

    @property
    def candidates_to_create(self) -> int:
        return self._count(UnitAction.NEW_SEGMENT_WITH_CANDIDATE, UnitAction.NEW_CANDIDATE)

    @property
    def candidates_to_update(self) -> int:
        return self._count(UnitAction.NEW_VERSION)

    @property
    def unchanged(self) -> int:
        return self._count(UnitAction.UNCHANGED)

    @property
    def without_target(self) -> int:
        return self._count(UnitAction.NO_TARGET)

    @property
    def writes_anything(self) -> bool:
        return bool(self.segments_to_create or self.candidates_to_create or self.candidates_to_update)

    @property
    def sample(self) -> list[PlannedUnit]:
        return self.units[:SAMPLE_SIZE]

    @property
    def fingerprint(self) -> str:
        """What the plan would do, in one string: a confirmation must find the same plan."""
        digest = hashlib.sha256()
        for planned in self.units:
            translation = planned.translation
            digest.update(
                f"{planned.action}|{planned.segment.pk if planned.segment else ''}|{planned.position or ''}|"
                f"{translation.pk if translation else ''}|{translation.version if translation else ''}\n".encode()
            )
        return digest.hexdigest()


def display_filename(name: str) -> str:
    """A file's own name, without any path, safe to show and to record in history reasons."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "upload"
    return name[-120:]


def marked_approved_note(filename: str) -> str:
    return f"Marked approved in {filename}"


def import_reason(filename: str) -> str:
    return f"Imported from {filename}"


def _primary(language: str) -> str:
    """The primary language subtag: ``ko`` for ``ko-KR`` or ``ko_KR``."""
    return language.replace("_", "-").split("-")[0].lower()


def _listed(warnings: list[str], header: str, items: list[str]) -> None:
    if not items:
        return
    shown = "; ".join(items[:MAX_LISTED_WARNINGS])
    more = f"; and {len(items) - MAX_LISTED_WARNINGS} more" if len(items) > MAX_LISTED_WARNINGS else ""
    warnings.append(f"{header}: {shown}{more}.")


def import_plan(
    *, document: Document, user, language: str, parsed: ParsedFile, filename: str, lock: bool = False
) -> ImportPlan:
    """What importing `parsed` into `document` as `user` would do. Reads only (three queries)."""
    project = document.project
    require(user, Action.TRANSCRIBE, project)
    if language not in project.target_languages:
        raise ImportRejected(f"{language!r} is not a target language of this project.")
    segments = Segment.objects.filter(document=document).only("id", "position", "source_hash", "is_deleted")
    translations = Translation.objects.filter(segment__document=document, segment__is_deleted=False, language=language)
    if lock:
        segments, translations = segments.select_for_update(), translations.select_for_update()
    all_segments = {segment.pk: segment for segment in segments}
    live = {pk: segment for pk, segment in all_segments.items() if not segment.is_deleted}
    by_segment: dict[int, list[Translation]] = {}
    for translation in translations:
        by_segment.setdefault(translation.segment_id, []).append(translation)

    plan = ImportPlan(document=document, language=language, filename=filename, format=parsed.format, units=[])
    plan.warnings.extend(parsed.warnings)
    if parsed.target_language and _primary(parsed.target_language) != _primary(language):
        plan.warnings.append(
            f"The file says its target language is {parsed.target_language!r}; you are importing into {language!r}."
        )
    if parsed.source_language and _primary(parsed.source_language) != _primary(project.source_language):
        plan.warnings.append(
            f"The file says its source language is {parsed.source_language!r}; this project's is "
            f"{project.source_language!r}."
        )
    next_position = max((segment.position for segment in live.values()), default=0) + 1
    claimed: dict[int, FileUnit] = {}
    foreign, deleted, differing = [], [], []
    for unit in parsed.units:
        match = UNIT_ID.match(unit.unit_id or "")
        segment = live.get(int(match.group(1))) if match else None
        if match and segment is None:
            (deleted if int(match.group(1)) in all_segments else foreign).append(unit.unit_id)
        if segment is None:
            plan.units.append(
                PlannedUnit(
                    unit,
                    UnitAction.NEW_SEGMENT_WITH_CANDIDATE if unit.target else UnitAction.NEW_SEGMENT,
                    position=next_position,
                )
            )
            next_position += 1
            continue
        if segment.pk in claimed:
            raise ImportRejected(
                f"{unit.where[:1].upper()}{unit.where[1:]} and {claimed[segment.pk].where} both name segment "
                f"{unit.unit_id}; each segment can be imported once."
            )
        claimed[segment.pk] = unit
        if source_fingerprint(unit.source) != segment.source_hash:
            differing.append(unit.unit_id)
        if unit.target is None:
            plan.units.append(PlannedUnit(unit, UnitAction.NO_TARGET, segment=segment))
            continue
        candidates = by_segment.get(segment.pk, [])
        own = next((t for t in candidates if t.author_id == user.pk), None)
        target_hash = text_fingerprint(unit.target)
        known = {t.text_hash for t in candidates} | {t.published_text_hash for t in candidates if t.is_published}
        if target_hash in known:
            plan.units.append(PlannedUnit(unit, UnitAction.UNCHANGED, segment=segment, translation=own))
        elif own is not None:
            plan.units.append(PlannedUnit(unit, UnitAction.NEW_VERSION, segment=segment, translation=own))
        else:
            plan.units.append(PlannedUnit(unit, UnitAction.NEW_CANDIDATE, segment=segment))
    _listed(plan.warnings, "These units name no segment of this document and will be added as new segments", foreign)
    _listed(plan.warnings, "These units name deleted segments and will be added as new segments", deleted)
    _listed(
        plan.warnings,
        "The source in the file differs from the transcription for these units (the transcription is kept; "
        "check that the translation still fits)",
        differing,
    )
    if plan.candidates_to_create or plan.candidates_to_update:
        require(user, Action.TRANSLATE, project)
    return plan


def _candidate_note(unit: FileUnit, filename: str) -> str:
    parts = [unit.note] if unit.note else []
    if unit.approved:
        parts.append(marked_approved_note(filename))
    return "\n".join(parts)


@transaction.atomic
def document_import(
    *, document: Document, user, language: str, parsed: ParsedFile, filename: str, expected: str | None = None
) -> ImportPlan:
    """Carry out the import of `parsed`, all of it or nothing.

    When `expected` (the fingerprint of the plan a preview showed) is given
    and the plan made now differs — someone edited the document meanwhile —
    PreviewOutdated is raised and nothing is written. A bounded number of
    queries whatever the file's size: three or four reads (the document,
    its segments, their candidates, and the reviews of candidates getting a
    new version), then a few bulk statements per thousand rows."""
    document = Document.objects.select_for_update(of=("self",)).select_related("project").get(pk=document.pk)
    plan = import_plan(document=document, user=user, language=language, parsed=parsed, filename=filename, lock=True)
    if expected is not None and plan.fingerprint != expected:
        raise PreviewOutdated(
            "The document changed since the preview was made, so the import would now do something else. "
            "Nothing was imported; check the new preview and confirm again."
        )
    if not plan.writes_anything:
        return plan
    reason = import_reason(filename)
    now = timezone.now()

    new_segments = [
        Segment(
            document=document,
            position=planned.position,
            source_text=planned.unit.source,
            source_hash=source_fingerprint(planned.unit.source),
        )
        for planned in plan.units
        if planned.action in (UnitAction.NEW_SEGMENT, UnitAction.NEW_SEGMENT_WITH_CANDIDATE)
    ]
    created_segments = iter(bulk_create_tracked(new_segments, user=user, reason=reason, batch_size=BATCH_SIZE))

    reviews = _reviews_of([p.translation for p in plan.units if p.action == UnitAction.NEW_VERSION])
    new_translations, changed_translations = [], []
    for planned in plan.units:
        unit = planned.unit
        if planned.action in (UnitAction.NEW_SEGMENT, UnitAction.NEW_SEGMENT_WITH_CANDIDATE):
            planned.segment = next(created_segments)
        if planned.action in (UnitAction.NEW_SEGMENT_WITH_CANDIDATE, UnitAction.NEW_CANDIDATE):
            planned.translation = Translation(
                segment=planned.segment,
                language=language,
                author=user,
                edited_by=user,
                text=unit.target,
                text_hash=text_fingerprint(unit.target),
                note=_candidate_note(unit, filename),
                version=1,
                state=TranslationState.SUBMITTED,
                submitted_at=now,
            )
            new_translations.append(planned.translation)
        elif planned.action == UnitAction.NEW_VERSION:
            translation = planned.translation
            translation.text = unit.target
            translation.text_hash = text_fingerprint(unit.target)
            translation.version += 1
            translation.edited_by = user
            note = _candidate_note(unit, filename)
            if note:
                translation.note = note
            translation.submitted_at = translation.submitted_at or now
            translation.updated_at = now
            translation.state = state_for(
                translation, segment=planned.segment, project=document.project,
                reviews=reviews.get(translation.pk, []),
            )
            changed_translations.append(translation)
    bulk_create_tracked(new_translations, user=user, reason=reason, batch_size=BATCH_SIZE)
    if changed_translations:
        fields = ["text", "text_hash", "version", "edited_by", "note", "submitted_at", "state", "updated_at"]
        bulk_update_tracked(
            changed_translations, fields, user=user, reason=f"{reason} (new version)", batch_size=BATCH_SIZE
        )
    # The automatic checks of every version the import made, in bulk, as a save would run them.
    from reviews.services.checks import check_findings_record

    check_findings_record(translations=new_translations, user=user, reason=f"{reason}: automatic checks", fresh=True)
    check_findings_record(translations=changed_translations, user=user, reason=f"{reason}: automatic checks")
    return plan


def _reviews_of(translations: list[Translation]) -> dict[int, list]:
    """The reviews of the translations about to get a new version (one query, none when there are none):
    a new version is approved only by reviews of exactly its text, as with translation_edit."""
    from reviews.models import Review

    reviews: dict[int, list] = {}
    if translations:
        for review in Review.objects.filter(translation__in=[t.pk for t in translations]).order_by("created_at", "id"):
            reviews.setdefault(review.translation_id, []).append(review)
    return reviews
