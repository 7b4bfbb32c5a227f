"""Template helpers for showing material: diffs, uncertain readings, states.

Load with ``{% load interlinear %}``. Every helper escapes the text it is
given before adding its own markup, so user text can never become HTML.
"""

import functools
from html import escape

from django import template
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..diffs import diff_html
from ..models import TranslationState
from ..texts import UNCERTAIN_MARK

register = template.Library()

STATE_BADGE_CLASSES = {
    TranslationState.DRAFT: "text-bg-secondary",
    TranslationState.SUBMITTED: "text-bg-info",
    TranslationState.REVIEWED: "text-bg-primary",
    TranslationState.APPROVED: "text-bg-success",
    TranslationState.CHANGES_REQUESTED: "text-bg-warning",
    TranslationState.REJECTED: "text-bg-danger",
}


@register.filter
def diff_to(old, new):
    """``{{ old|diff_to:new }}``: the change from old to new with <ins>/<del>."""
    return diff_html("" if old is None else str(old), "" if new is None else str(new))


@register.filter
def marks(text):
    """Escape the text and highlight uncertain readings (``[illegible]``,
    ``[?reading]``, ``[reading|alternative]``) in ``<mark class="il-mark">``.

    The marks are found in the escaped text: escaping leaves brackets, ``?``
    and ``|`` alone and turns ``<`` into ``&lt;``, so a mark is matched just as
    in the raw text and never starts or ends inside an entity. Text that is
    already safe HTML is not escaped again; a mark that would straddle one of
    its tags is left unhighlighted rather than producing broken nesting.
    """
    if text is None:
        return ""
    escaped = str(conditional_escape(text))

    def wrap(match):
        if "<" in match.group(0):
            return match.group(0)
        return f'<mark class="il-mark" title="uncertain reading">{match.group(0)}</mark>'

    return mark_safe(UNCERTAIN_MARK.sub(wrap, escaped))  # noqa: S308 — escaped above


@register.simple_tag
def state_badge(state):
    """A Bootstrap badge with the readable label of a translation state."""
    try:
        return _STATE_BADGES[state]  # six fixed fragments; a workspace shows hundreds
    except (KeyError, TypeError):
        return format_html('<span class="badge text-bg-light">{}</span>', state)


_STATE_BADGES = {
    state.value: format_html('<span class="badge {}">{}</span>', STATE_BADGE_CLASSES.get(state, "text-bg-light"), state.label)
    for state in TranslationState
}


@register.simple_tag
def count_label(count, capped=False):
    """``{% count_label n capped %}``: the count, or "1000+" when counting stopped
    at a cap and the number is only a lower bound. Plain text, so it also fits
    inside an <option>."""
    return f"{count}+" if capped else f"{count}"


@register.filter(expects_localtime=True)
def time_tag(value, format="j M Y, H:i T"):
    """``{{ when|time_tag }}``: ``<time datetime="…">…</time>``, the machine-readable
    moment (as ``date:'c'`` writes it) and the readable one from a single conversion
    to local time: pages that list hundreds of approvals format each once."""
    if not value:
        return ""
    if _SUB_MINUTE.isdisjoint(format):
        # Moments in the same minute read the same: format each minute once (approvals come in runs).
        minute = value.replace(second=0, microsecond=0)
        readable = _readable_minute(minute, minute.tzinfo, minute.utcoffset(), format, get_language())
    else:
        readable = date_format(value, format)
    return mark_safe(f'<time datetime="{escape(value.isoformat())}">{escape(readable)}</time>')  # noqa: S308


_SUB_MINUTE = frozenset("sucrUv")  # format characters finer than a minute


@functools.lru_cache(maxsize=4096)
def _readable_minute(minute, zone, offset, format, language):
    return date_format(minute, format)


@register.filter
def person(user):
    """A user's full name, or their username when they have none."""
    if user is None:
        return "an unknown user"
    return user.get_full_name() or user.get_username()
