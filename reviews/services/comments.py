"""Comments on segments and translations."""

from django.db import transaction

from translations.exceptions import DomainError, InvalidText
from translations.history import save_tracked
from translations.models import Segment, Translation
from translations.permissions import Action, require

from ..models import Comment
from .decisions import _clean_comment


@transaction.atomic
def comment_create(*, user, body: str, segment: Segment | None = None, translation: Translation | None = None) -> Comment:
    if (segment is None) == (translation is None):
        raise DomainError("A comment is on a segment or on a translation.")
    subject_segment = segment or translation.segment
    project = subject_segment.document.project
    require(user, Action.COMMENT, project)
    body = _clean_comment(body)
    if not body:
        raise InvalidText("The comment is empty.")
    comment = Comment(project=project, segment=segment, translation=translation, author=user, body=body)
    return save_tracked(comment, user=user, reason="Commented")
