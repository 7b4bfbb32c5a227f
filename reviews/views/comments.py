"""The discussion of a segment: its comments and its translations' comments.

One address answers both ways: GET gives the thread (an htmx fragment, or
a page of its own without htmx), POST adds a comment and answers with the
refreshed thread. Members read (auditors included); posting needs
Action.COMMENT (403 otherwise); non-members get 404 (invariant 9). A
translation named by the form must be one of this segment's, else 404.
The thread costs the same number of queries however many comments it has.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from translations.exceptions import DomainError
from translations.forms import form_error_message
from translations.models import Translation
from translations.permissions import Action, can
from translations.views.access import project_for, segment_in

from ..forms import CommentForm
from ..models import Comment
from ..services.comments import MENTION_PATTERN, comment_create, member_for, project_members_by_username

THREAD = "reviews/comments/thread.html#thread"
PAGE = "reviews/comments/page.html"


def mentions_html(body: str, members_by_username: dict) -> str:
    """The body escaped, line breaks kept, with each @mention of a member in
    ``<span class="il-mention">``. Names that match no member stay plain text."""
    out = []
    position = 0
    for match in MENTION_PATTERN.finditer(body):
        member, named = member_for(match.group(1), members_by_username)
        if member is None:
            continue
        start, end = match.start(), match.start() + 1 + len(named)
        out.append(escape(body[position:start]))
        out.append(f'<span class="il-mention">{escape(body[start:end])}</span>')
        position = end
    out.append(escape(body[position:]))
    return mark_safe("".join(out).replace("\n", "<br>\n"))  # noqa: S308 — every piece escaped above


def _thread_context(request, project, segment, **extra) -> dict:
    comments = list(
        Comment.objects.filter(Q(segment=segment) | Q(translation__segment=segment))
        .select_related("author", "translation__author")
        .order_by("created_at", "id")
    )
    members = project_members_by_username(project)
    for comment in comments:
        comment.body_html = mentions_html(comment.body, members)
    can_comment = can(request.user, Action.COMMENT, project)
    translations = (
        list(segment.translations.select_related("author").order_by("language", "created_at", "id"))
        if can_comment
        else []
    )
    return {
        "project": project,
        "segment": segment,
        "document": segment.document,
        "comments": comments,
        "translations": translations,
        "can_comment": can_comment,
        "thread_url": reverse("segment_comments", args=[project.slug, segment.pk]),
        **extra,
    }


def _thread(request, project, segment, *, status=200, **extra):
    context = _thread_context(request, project, segment, **extra)
    if request.htmx:
        return render(request, THREAD, context, status=status)
    context |= {"crumb": f"Discussion of segment {segment.position}", "languages": project.target_languages}
    return render(request, PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
def segment_comments(request, slug, segment_id):
    if request.method == "GET":
        project = project_for(request, slug)
        return _thread(request, project, segment_in(project, segment_id))

    project = project_for(request, slug, Action.COMMENT)
    segment = segment_in(project, segment_id)
    form = CommentForm(request.POST)
    valid = form.is_valid()
    if "translation_id" in form.errors:
        raise Http404("No such translation of this segment.")
    translation_id = form.cleaned_data.get("translation_id")
    translation = None
    if translation_id:
        translation = get_object_or_404(Translation.objects.select_related("author"), pk=translation_id, segment=segment)
        translation.segment = segment
    draft = {"draft_body": request.POST.get("body", ""), "draft_translation_id": translation_id}
    if not valid:
        message = form_error_message(form, "Write a comment before posting.")
        return _thread(request, project, segment, status=400, error=message, **draft)
    try:
        comment = comment_create(
            user=request.user,
            body=form.cleaned_data["body"],
            segment=None if translation else segment,
            translation=translation,
        )
    except DomainError as error:
        return _thread(request, project, segment, status=error.status_code, error=error.message, **draft)
    unknown = comment.mentions.unknown
    if not request.htmx:
        if unknown:
            messages.warning(request, _unknown_message(unknown))
        return redirect(reverse("segment_comments", args=[project.slug, segment.pk]) + f"#comment-{comment.pk}")
    return _thread(request, project, segment, saved="Comment added.", unknown_mentions=_unknown_message(unknown))


def _unknown_message(names: list[str]) -> str:
    if not names:
        return ""
    listed = ", ".join(f"@{name}" for name in names)
    return f"No member of this project is called {listed}; nobody was notified for {'it' if len(names) == 1 else 'them'}."
