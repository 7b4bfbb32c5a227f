"""E-mail notifications: decisions on one's work, work awaiting review, @mentions.

Plain-text e-mails, sent only after the change they report has committed:
callers register them with ``transaction.on_commit``, so a change that rolls
back mails nobody. Sending never raises into the request — the change is
already saved, so a mail server failure is logged and swallowed, one
recipient at a time.

Each notifier reads its recipients' settings in one query, whatever their
number. A user without a ``NotificationPreference`` row has the defaults
(everything on); a user without an e-mail address, or inactive, gets nothing.

Also here: ``notification_preference_set``, the one way those settings change,
and ``notifications_suppressed`` for bulk work (demo data, imports) that must
not mail anyone.
"""

import contextvars
import functools
import logging
from collections import defaultdict
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from translations.exceptions import NotAllowed
from translations.history import save_tracked
from translations.models import Membership, Role, Translation

from .models import Decision, NotificationPreference, Stage

logger = logging.getLogger(__name__)
_suppressed = contextvars.ContextVar("interlinear_notifications_suppressed", default=False)

SUBJECT_PREFIX = "[Interlinear] "
DECISION_PAST = {
    Decision.APPROVE: "Approved",
    Decision.REQUEST_CHANGES: "Changes requested",
    Decision.REJECT: "Rejected",
}
QUOTE_LIMIT = 500


# --- settings ---------------------------------------------------------------


def notification_preference_for(user) -> NotificationPreference:
    """The user's settings: their row, or an unsaved one holding the defaults."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


@transaction.atomic
def notification_preference_set(
    *, user, email_on_decision: bool, email_on_waiting_work: bool, email_on_mention: bool
) -> NotificationPreference:
    """Change one's own e-mail settings, leaving a history row naming the user.

    Saving the settings unchanged writes nothing (and so no empty history)."""
    if not (user and user.is_authenticated and user.is_active):
        raise NotAllowed("Log in to change your notification settings.")
    wanted = {
        "email_on_decision": bool(email_on_decision),
        "email_on_waiting_work": bool(email_on_waiting_work),
        "email_on_mention": bool(email_on_mention),
    }
    preference = NotificationPreference.objects.select_for_update().filter(user=user).first()
    if preference is None:
        if all(wanted.values()):
            return NotificationPreference(user=user, **wanted)  # the defaults: nothing to store
        preference = NotificationPreference(user=user, **wanted)
        try:
            with transaction.atomic():
                return save_tracked(preference, user=user, reason="Notification settings changed")
        except IntegrityError:
            # The same user saved twice at once: the other save created the row; change it.
            preference = NotificationPreference.objects.select_for_update().get(user=user)
    if all(getattr(preference, name) == value for name, value in wanted.items()):
        return preference
    for name, value in wanted.items():
        setattr(preference, name, value)
    return save_tracked(preference, user=user, reason="Notification settings changed")


def _recipients(users, setting: str) -> list:
    """The users, once each, who are active, have an address and have `setting` on (one query)."""
    users = list({user.pk: user for user in users if user.is_active and user.email}.values())
    if not users:
        return []
    stored = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])}
    return [user for user in users if getattr(stored.get(user.pk) or NotificationPreference(), setting)]


# --- sending ----------------------------------------------------------------


@contextmanager
def notifications_suppressed():
    """Send nothing for changes committed inside this block (seeding, imports).

    Wrap the whole transaction: notifiers run when it commits."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def notify_after_commit(notifier, *args) -> None:
    """Run a notifier once the surrounding transaction commits.

    Suppression is decided here, when the change is made, as well as when
    the notifier runs: a suppressed block nested inside a larger transaction
    (a test, an import inside an outer atomic block) still sends nothing."""
    if _suppressed.get():
        return
    from django.db import transaction

    transaction.on_commit(lambda: notifier(*args))


def _never_raises(notifier):
    """A notifier runs after commit: whatever goes wrong is logged, never raised."""

    @functools.wraps(notifier)
    def wrapper(*args, **kwargs):
        if _suppressed.get():
            return 0
        try:
            return notifier(*args, **kwargs)
        except Exception:
            logger.exception("Notification %s failed; the change itself was saved.", notifier.__name__)
            return 0

    return wrapper


def _one_line(text: str) -> str:
    """Header-safe: e-mail headers may not contain line breaks."""
    return " ".join(str(text).split())


def _send(user, subject: str, lines: list[str]) -> int:
    body = "\n".join(
        [
            f"Hello {_name(user)},",
            "",
            *lines,
            "",
            "--",
            f"Change which e-mails you receive: {_link(reverse('notification_preferences'))}",
        ]
    )
    try:
        return send_mail(_one_line(SUBJECT_PREFIX + subject), body, None, [user.email])
    except Exception:
        logger.exception("Could not send the e-mail %r to user %s.", _one_line(subject), user.pk)
        return 0


def _link(path: str) -> str:
    """An address for an e-mail: the site's base URL, when configured, and the path."""
    return getattr(settings, "INTERLINEAR_SITE_URL", "").rstrip("/") + path


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "someone"


def _quote(text: str) -> list[str]:
    text = text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"
    return ["    " + line for line in text.splitlines() or [""]]


def _workspace_path(segment, language: str) -> str:
    document = segment.document
    return reverse("workspace", args=[document.project.slug, document.pk, language]) + f"#ws-segment-{segment.pk}"


# --- decisions ----------------------------------------------------------------


@_never_raises
def notify_decisions(reviews) -> int:
    """Tell each translator whose work was decided: one e-mail per translator
    per call, listing every decision, so a bulk decision on 50 of someone's
    translations is one e-mail. Nobody is told of their own decision.

    Costs two queries (translations with authors and places; settings),
    three when the reviews do not carry their reviewers. Returns the number
    of e-mails sent."""
    reviews = [review for review in reviews if review is not None]
    if not reviews:
        return 0
    translations = Translation.objects.select_related("author", "segment__document__project").in_bulk(
        {review.translation_id for review in reviews}
    )
    reviewers = _reviewers_of(reviews)
    by_author: dict[int, list] = defaultdict(list)
    authors = {}
    for review in reviews:
        translation = translations.get(review.translation_id)
        if translation is None or review.reviewer_id == translation.author_id:
            continue
        authors[translation.author_id] = translation.author
        by_author[translation.author_id].append((review, translation, reviewers.get(review.reviewer_id)))
    sent = 0
    for author in _recipients(authors.values(), "email_on_decision"):
        subject, lines = _decision_message(by_author[author.pk])
        sent += _send(author, subject, lines)
    return sent


def _reviewers_of(reviews) -> dict:
    reviewer_field = reviews[0]._meta.get_field("reviewer")
    known = {r.reviewer_id: r.reviewer for r in reviews if reviewer_field.is_cached(r)}
    missing = {r.reviewer_id for r in reviews} - set(known)
    if missing:
        known.update(get_user_model().objects.in_bulk(missing))
    return known


def _decision_label(review) -> str:
    label = DECISION_PAST.get(review.decision, review.decision)
    return f"Final edit: {label.lower()}" if review.stage == Stage.FINAL else label


def _decision_message(items) -> tuple[str, list[str]]:
    items.sort(key=lambda item: (item[1].segment.document.title, item[1].segment.document_id, item[1].language,
                                 item[1].segment.position, item[0].created_at))
    comments = {review.comment for review, _, _ in items}
    deciders = {review.reviewer_id for review, _, _ in items}
    shared_comment = comments.pop() if len(comments) == 1 and len(deciders) == 1 else None
    first_review, first_translation, first_reviewer = items[0]
    segment = first_translation.segment
    project = segment.document.project
    if len(items) == 1:
        subject = (
            f"{_decision_label(first_review)}: your translation of segment {segment.position} "
            f"of “{segment.document.title}” ({project.name})"
        )
        lines = [f"{_name(first_reviewer)} decided on your translation."]
    else:
        projects = {translation.segment.document.project.name for _, translation, _ in items}
        where = projects.pop() if len(projects) == 1 else f"{len(projects)} projects"
        subject = f"{len(items)} decisions on your translations in {where}"
        who = _name(first_reviewer) if len(deciders) == 1 else f"{len(deciders)} reviewers"
        lines = [f"{who} decided on {len(items)} of your translations."]
    if shared_comment:
        lines += ["", f"Comment from {_name(first_reviewer)}:", *_quote(shared_comment)]
    current_place = None
    for review, translation, reviewer in items:
        segment = translation.segment
        document = segment.document
        place = (document.pk, translation.language)
        if place != current_place:
            current_place = place
            lines += [
                "",
                f"{document.project.name} — “{document.title}” ({translation.language.upper()})",
                f"Workspace: {_link(reverse('workspace', args=[document.project.slug, document.pk, translation.language]))}",
            ]
        lines += [
            "",
            f"  Segment {segment.position}, version {review.version}: {_decision_label(review)} by {_name(reviewer)}",
            *_quote(review.text),
        ]
        if review.comment and not shared_comment:
            lines += ["  Comment:", *_quote(review.comment)]
        lines.append(f"  {_link(_workspace_path(segment, translation.language))}")
    return subject, lines


# --- work awaiting review ---------------------------------------------------------


@_never_raises
def notify_waiting_work(translation) -> int:
    """Tell the project's reviewers and managers that a version awaits review —
    not its author nor whoever wrote this version. Returns the number of e-mails."""
    segment = translation.segment
    document = segment.document
    project = document.project
    writers = {translation.author_id, translation.edited_by_id}
    members = (
        Membership.objects.filter(project=project, role__in=[Role.REVIEWER, Role.MANAGER])
        .exclude(user__in=writers)
        .select_related("user")
    )
    recipients = _recipients([membership.user for membership in members], "email_on_waiting_work")
    if not recipients:
        return 0
    subject = (
        f"Awaiting review: segment {segment.position} of “{document.title}” "
        f"({translation.language.upper()}, version {translation.version})"
    )
    lines = [
        f"{_name(translation.edited_by)} submitted version {translation.version} of "
        f"{'their' if translation.edited_by_id == translation.author_id else _name(translation.author) + '’s'} "
        f"{translation.language.upper()} rendering of segment {segment.position} of “{document.title}” in {project.name}.",
        "",
        "Source:",
        *_quote(segment.source_text),
        "Translation:",
        *_quote(translation.text),
    ]
    if translation.note:
        lines += ["Note to reviewers:", *_quote(translation.note)]
    lines += ["", f"Review it: {_link(_workspace_path(segment, translation.language))}"]
    return sum(_send(user, subject, lines) for user in recipients)


# --- mentions ---------------------------------------------------------------------


@_never_raises
def notify_mentions(comment, users) -> int:
    """Tell the members a comment @mentions — never its author. Returns the number of e-mails."""
    recipients = _recipients([user for user in users if user.pk != comment.author_id], "email_on_mention")
    if not recipients:
        return 0
    translation = comment.translation
    segment = translation.segment if translation is not None else comment.segment
    document = segment.document
    project = document.project
    if translation is not None:
        language = translation.language
    else:
        language = project.target_languages[0] if len(project.target_languages) == 1 else None
    author = _name(comment.author)
    subject = f"{author} mentioned you on segment {segment.position} of “{document.title}”"
    links = [f"Discussion: {_link(reverse('segment_comments', args=[project.slug, segment.pk]))}"]
    if language:
        links.append(f"Workspace: {_link(_workspace_path(segment, language))}")
    else:
        links.append(f"Source history: {_link(reverse('segment_history', args=[project.slug, segment.pk]))}")
    sent = 0
    for user in recipients:
        if translation is None:
            on = f"segment {segment.position}"
        else:
            whose = "your" if translation.author_id == user.pk else f"{_name(translation.author)}’s"
            on = f"{whose} {translation.language.upper()} rendering of segment {segment.position}"
        lines = [
            f"{author} mentioned you in a comment on {on} of “{document.title}” in {project.name}:",
            "",
            *_quote(comment.body),
            "",
            *links,
        ]
        sent += _send(user, subject, lines)
    return sent
