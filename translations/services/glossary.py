"""The project glossary: terms added, edited, deleted and imported by managers.

Every change writes history naming the manager and a reason (invariant 1);
an import lands whole or not at all (invariant 8). A term is unique per
project, target language and source term.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..exceptions import DomainError, InvalidText
from ..glossary_files import MAX_NOTE_LENGTH, MAX_RENDERINGS, MAX_TERM_LENGTH, GlossaryRow
from ..history import bulk_create_tracked, bulk_update_tracked, delete_tracked, save_tracked
from ..interchange.errors import ImportRejected
from ..models import GlossaryTerm, PartOfSpeech, Project
from ..permissions import Action, require
from ..texts import normalise

EDITABLE_FIELDS = ("approved", "forbidden", "part_of_speech", "note")


def _renderings(values, field_name: str) -> list[str]:
    cleaned = []
    for value in values or []:
        text = normalise(value, field=f"{field_name} rendering").strip()
        if len(text) > MAX_TERM_LENGTH:
            raise InvalidText(f"An {field_name} rendering is longer than {MAX_TERM_LENGTH} characters.")
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_RENDERINGS:
        raise InvalidText(f"At most {MAX_RENDERINGS} {field_name} renderings per term.")
    return cleaned


def _cleaned(project: Project, *, language, source_term, approved, forbidden, part_of_speech, note) -> dict:
    if language not in project.target_languages:
        raise DomainError(f"{language!r} is not a target language of this project.")
    source_term = normalise(source_term or "", field="source term").strip()
    if not source_term:
        raise InvalidText("The source term is empty.")
    if len(source_term) > MAX_TERM_LENGTH:
        raise InvalidText(f"The source term is longer than {MAX_TERM_LENGTH} characters.")
    approved, forbidden = _renderings(approved, "approved"), _renderings(forbidden, "forbidden")
    both = set(approved) & set(forbidden)
    if both:
        raise InvalidText(f"“{sorted(both)[0]}” cannot be both approved and forbidden.")
    if part_of_speech and part_of_speech not in PartOfSpeech.values:
        raise InvalidText(f"Unknown part of speech {part_of_speech!r}.")
    note = normalise(note or "", field="note").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidText(f"The note is longer than {MAX_NOTE_LENGTH} characters.")
    return {"language": language, "source_term": source_term, "approved": approved, "forbidden": forbidden,
            "part_of_speech": part_of_speech or "", "note": note}


def _refuse_duplicate(project, language, source_term, *, exclude=None):
    existing = GlossaryTerm.objects.filter(project=project, language=language, source_term=source_term)
    if exclude is not None:
        existing = existing.exclude(pk=exclude.pk)
    if existing.exists():
        raise DomainError(f"The glossary already has “{source_term}” for {language}; edit that term instead.")


@transaction.atomic
def glossary_term_create(
    *, project: Project, user, language: str, source_term: str, approved=(), forbidden=(), part_of_speech: str = "",
    note: str = "", reason: str = "",
) -> GlossaryTerm:
    """Add a term. One term per project, language and source term."""
    require(user, Action.MANAGE_POLICY, project)
    values = _cleaned(project, language=language, source_term=source_term, approved=approved, forbidden=forbidden,
                      part_of_speech=part_of_speech, note=note)
    _refuse_duplicate(project, values["language"], values["source_term"])
    term = GlossaryTerm(project=project, **values)
    try:
        with transaction.atomic():
            return save_tracked(term, user=user, reason=reason or f"Added glossary term “{values['source_term']}”")
    except IntegrityError:  # the same term added at the same moment by someone else
        raise DomainError(f"The glossary already has “{values['source_term']}” for {values['language']}.") from None


@transaction.atomic
def glossary_term_update(
    *, term: GlossaryTerm, user, source_term: str, approved=(), forbidden=(), part_of_speech: str = "",
    note: str = "", reason: str = "",
) -> GlossaryTerm:
    """Change a term's source, renderings, part of speech or note (its language stays)."""
    term = GlossaryTerm.objects.select_for_update().select_related("project").get(pk=term.pk)
    require(user, Action.MANAGE_POLICY, term.project)
    values = _cleaned(term.project, language=term.language, source_term=source_term, approved=approved,
                      forbidden=forbidden, part_of_speech=part_of_speech, note=note)
    if all(getattr(term, name) == value for name, value in values.items()):
        return term
    _refuse_duplicate(term.project, term.language, values["source_term"], exclude=term)
    for name, value in values.items():
        setattr(term, name, value)
    return save_tracked(term, user=user, reason=reason or f"Edited glossary term “{term.source_term}”")


@transaction.atomic
def glossary_term_delete(*, term: GlossaryTerm, user, reason: str = "") -> None:
    """Remove a term; its history stays."""
    term = GlossaryTerm.objects.select_for_update().select_related("project").get(pk=term.pk)
    require(user, Action.MANAGE_POLICY, term.project)
    delete_tracked(term, user=user, reason=reason or f"Deleted glossary term “{term.source_term}”")


def glossary_import_plan(*, project: Project, rows: list[GlossaryRow]) -> dict:
    """What importing the rows would do: terms to create, to update (with the old values) and unchanged (1 query)."""
    existing = {
        (term.language, term.source_term): term
        for term in GlossaryTerm.objects.filter(project=project, source_term__in={row.source_term for row in rows})
    }
    create, update, unchanged = [], [], []
    for row in rows:
        values = {"approved": row.approved, "forbidden": row.forbidden, "part_of_speech": row.part_of_speech,
                  "note": row.note}
        term = existing.get((row.language, row.source_term))
        if term is None:
            create.append(row)
        elif all(getattr(term, name) == value for name, value in values.items()):
            unchanged.append(row)
        else:
            update.append((row, term))
    return {"create": create, "update": update, "unchanged": unchanged}


@transaction.atomic
def glossary_import(*, project: Project, user, rows: list[GlossaryRow], filename: str, reason: str = "") -> dict:
    """Add the file's new terms and update those it names again, all or nothing.

    Terms the file does not name are left alone. Each row is validated as a
    single edit would be; one bad row refuses the whole file."""
    require(user, Action.MANAGE_POLICY, project)
    if not rows:
        raise ImportRejected("The file has no terms to import.")
    problems = []
    for row in rows:
        try:
            values = _cleaned(project, language=row.language, source_term=row.source_term, approved=row.approved,
                              forbidden=row.forbidden, part_of_speech=row.part_of_speech, note=row.note)
        except DomainError as error:
            problems.append(f"{row.where}: {error.message}")
            continue
        row.source_term, row.approved, row.forbidden = values["source_term"], values["approved"], values["forbidden"]
        row.note = values["note"]
    if problems:
        raise ImportRejected("Nothing was imported. " + " ".join(problems[:20]))
    # Locks the project's glossary against a concurrent import of the same terms.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    plan = glossary_import_plan(project=project, rows=rows)
    reason = reason or f"Imported glossary from {filename}"
    now = timezone.now()
    created = bulk_create_tracked(
        [GlossaryTerm(project=project, language=row.language, source_term=row.source_term, approved=row.approved,
                      forbidden=row.forbidden, part_of_speech=row.part_of_speech, note=row.note,
                      created_at=now, updated_at=now)
         for row in plan["create"]],
        user=user, reason=reason,
    )
    changed = []
    for row, term in plan["update"]:
        term.approved, term.forbidden, term.part_of_speech, term.note = (
            row.approved, row.forbidden, row.part_of_speech, row.note
        )
        term.updated_at = now
        changed.append(term)
    bulk_update_tracked(changed, [*EDITABLE_FIELDS, "updated_at"], user=user, reason=reason)
    return {"created": len(created), "updated": len(changed), "unchanged": len(plan["unchanged"])}
