"""Every change of state of the material. See STYLE.md: keyword-only functions
named noun_verb, atomic, naming the acting user and a reason in history."""

from .documents import document_create, document_update
from .glossary import glossary_import, glossary_term_create, glossary_term_delete, glossary_term_update
from .images import document_image_add
from .projects import membership_remove, membership_set, project_create, project_policy_update
from .restore import segment_version_restore, translation_version_restore
from .segments import (
    segment_create,
    segment_delete,
    segment_edit,
    segment_merge,
    segment_move,
    segment_restore,
    segment_split,
    segments_append_from_text,
)
from .translations import translation_create, translation_edit, translation_submit

__all__ = [
    "document_create",
    "document_image_add",
    "document_update",
    "glossary_import",
    "glossary_term_create",
    "glossary_term_delete",
    "glossary_term_update",
    "membership_remove",
    "membership_set",
    "project_create",
    "project_policy_update",
    "segment_create",
    "segment_delete",
    "segment_edit",
    "segment_merge",
    "segment_move",
    "segment_restore",
    "segment_split",
    "segment_version_restore",
    "segments_append_from_text",
    "translation_create",
    "translation_edit",
    "translation_submit",
    "translation_version_restore",
]
