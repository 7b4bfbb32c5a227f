"""Comments on segments and translations, with @mentions of project members.

A mention is ``@username`` at the start of the text or after whitespace. Only
active members of the comment's project can be mentioned: any other name (an
unknown user, someone outside the project) is left in the text as typed and
reported back, so the page can say that nobody was told, without revealing
whether such a user exists elsewhere.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from translations.exceptions import DomainError, InvalidText
from translations.history import save_tracked
from translations.models import Segment, Translation
from translations.permissions import Action, require

from ..models import Comment
from ..notifications import notify_after_commit, notify_mentions
from .decisions import _clean_comment

# Word characters, dots and hyphens, after the start of the text or whitespace
# (so an e-mail address such as ana@example.org is not a mention).
MENTION_PATTERN = re.compile(r"(?<!\S)@([\w.\-]+)")
# "Thanks @ana." mentions ana: a name is also tried without trailing dots and hyphens.
_TRAILING_PUNCTUATION = ".-"


@dataclass
class Mentions:
    """The members a text mentions, and the names it uses that match no member."""

    members: list = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def mentioned_names(body: str) -> list[str]:
    """The ``@names`` in a text, in order of first appearance, without the ``@``."""
    return list(dict.fromkeys(match.group(1) for match in MENTION_PATTERN.finditer(body or "")))


def project_members_by_username(project) -> dict[str, object]:
    """{username: user} for the active members of a project (one query)."""
    User = get_user_model()
    members = User.objects.filter(memberships__project=project, is_active=True).only(
        "pk", User.USERNAME_FIELD, "email", "first_name", "last_name", "is_active"
    )
    return {user.get_username(): user for user in members}


def member_for(name: str, members_by_username: dict[str, object]) -> tuple[object | None, str]:
    """The member a mention names and the part of the name that named them:
    the exact username first, then without trailing punctuation, then either
    case-insensitively when that is unambiguous. (None, "") when nobody."""
    candidates = [name]
    stripped = name.rstrip(_TRAILING_PUNCTUATION)
    if stripped and stripped != name:
        candidates.append(stripped)
    for candidate in candidates:
        if candidate in members_by_username:
            return members_by_username[candidate], candidate
    for candidate in candidates:
        folded = [user for username, user in members_by_username.items() if username.casefold() == candidate.casefold()]
        if len(folded) == 1:
            return folded[0], candidate
    return None, ""


def mentions_resolve(body: str, project, *, members_by_username: dict | None = None) -> Mentions:
    """Resolve the ``@names`` of a text to members of the project (at most one query)."""
    names = mentioned_names(body)
    mentions = Mentions()
    if not names:
        return mentions
    if members_by_username is None:
        members_by_username = project_members_by_username(project)
    seen = set()
    for name in names:
        member, _ = member_for(name, members_by_username)
        if member is None:
            mentions.unknown.append(name)
        elif member.pk not in seen:
            seen.add(member.pk)
            mentions.members.append(member)
    return mentions


@transaction.atomic
def comment_create(*, user, body: str, segment: Segment | None = None, translation: Translation | None = None) -> Comment:
    """Add a comment by a member allowed to comment, stored exactly as typed
    (after the usual text normalisation).

    The members it @mentions are e-mailed once the comment is committed —
    never its author, and never when the transaction rolls back. The returned
    comment carries ``mentions`` (a ``Mentions``): who will be told, and
    which names matched no member of the project."""
    if (segment is None) == (translation is None):
        raise DomainError("A comment is on a segment or on a translation.")
    subject_segment = segment or translation.segment
    project = subject_segment.document.project
    require(user, Action.COMMENT, project)
    body = _clean_comment(body)
    if not body:
        raise InvalidText("The comment is empty.")
    comment = Comment(project=project, segment=segment, translation=translation, author=user, body=body)
    save_tracked(comment, user=user, reason="Commented")
    comment.mentions = mentions_resolve(body, project)
    recipients = [member for member in comment.mentions.members if member.pk != user.pk]
    if recipients:
        notify_after_commit(notify_mentions, comment, recipients)
    return comment
