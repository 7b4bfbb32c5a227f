"""Changes of state in the judgement: decisions on versions, bulk decisions, comments."""

from .comments import comment_create
from .decisions import review_record, reviews_record_bulk

__all__ = ["comment_create", "review_record", "reviews_record_bulk"]
