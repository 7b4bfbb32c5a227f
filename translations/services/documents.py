from django.db import transaction

from ..exceptions import DomainError
from ..history import save_tracked
from ..models import Authenticity, Document, Project
from ..permissions import Action, require
from ..texts import normalise

PROVENANCE_FIELDS = (
    "title",
    "description",
    "obtained_from",
    "obtained_when",
    "obtained_where",
    "obtained_by",
    "reference_number",
    "authenticity",
    "sensitivity_notes",
)


def _clean(fields: dict) -> dict:
    unknown = set(fields) - set(PROVENANCE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown document fields: {', '.join(sorted(unknown))}.")
    cleaned = {name: normalise(value, field=name.replace("_", " ")).strip() for name, value in fields.items()}
    if "title" in cleaned and not cleaned["title"]:
        raise DomainError("A document needs a title.")
    if "authenticity" in cleaned and cleaned["authenticity"] not in Authenticity.values:
        raise DomainError(f"Unknown authenticity status {cleaned['authenticity']!r}.")
    return cleaned


@transaction.atomic
def document_create(*, project: Project, user, title: str, reason: str = "Document created", **fields) -> Document:
    require(user, Action.CREATE_DOCUMENT, project)
    cleaned = _clean({"title": title, **fields})
    document = Document(project=project, created_by=user, **cleaned)
    return save_tracked(document, user=user, reason=reason)


@transaction.atomic
def document_update(*, document: Document, user, reason: str = "", **fields) -> Document:
    """Edit title, description and provenance. A change of authenticity status is
    recorded in the document's history with its own reason."""
    require(user, Action.MANAGE_DOCUMENTS, document.project)
    cleaned = _clean(fields)
    document = Document.objects.select_for_update().get(pk=document.pk)
    changed = [name for name, value in cleaned.items() if getattr(document, name) != value]
    if not changed:
        return document
    for name in changed:
        setattr(document, name, cleaned[name])
    if not reason:
        reason = "Edited " + ", ".join(name.replace("_", " ") for name in changed)
    return save_tracked(document, user=user, reason=reason)
