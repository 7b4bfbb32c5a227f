"""Changes of state in the judgement: decisions on versions, bulk decisions, comments."""

from .comments import comment_create
from .decisions import review_record, reviews_record_bulk
from .quality import (
    back_translation_complete,
    back_translation_decline,
    back_translation_request,
    error_annotation_create,
    error_annotation_delete,
    quality_policy_update,
)

__all__ = [
    "back_translation_complete",
    "back_translation_decline",
    "back_translation_request",
    "comment_create",
    "error_annotation_create",
    "error_annotation_delete",
    "quality_policy_update",
    "review_record",
    "reviews_record_bulk",
]
