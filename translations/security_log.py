"""Security events, written to the ``interlinear.security`` logger.

Logins, failed logins (the username typed and the address, never the password),
lockouts, logouts, password changes and refused access, one line each, so an
administrator can answer "who tried what, from where" from the server's logs.
The receivers are connected when the app is ready (apps.py).

Anything a client chose (a username, a path) is logged with ``%r``, so a newline
in it cannot forge a second log line.
"""

import ipaddress
import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords

logger = logging.getLogger("interlinear.security")

_MAX_SHOWN = 150  # longest username Django accepts; anything longer is cut


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies
    the entry the outermost one appended to X-Forwarded-For. Entries further left
    are whatever the client sent and are never trusted. Also axes' address."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


def axes_username(request, credentials=None) -> str | None:
    """The username axes records, cut to the longest Django accepts.

    The login form does not refuse an overlong name before authenticate() runs,
    and axes stores the attempt in a varchar(255): PostgreSQL would refuse the
    row and the login page would answer 500 instead of "wrong password".
    """
    if credentials:
        value = credentials.get("username")
    else:
        value = getattr(request, "data", request.POST).get("username")
    return _shown(value)


def _shown(value) -> str | None:
    return None if value is None else str(value)[:_MAX_SHOWN]


def _path(request) -> str | None:
    return None if request is None else _shown(request.path)


@receiver(user_login_failed, dispatch_uid="security_log.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the username is read.
    username = credentials.get(get_user_model().USERNAME_FIELD)
    logger.warning("login failed: username=%r ip=%s path=%r", _shown(username), client_ip(request), _path(request))


@receiver(user_locked_out, dispatch_uid="security_log.locked_out")
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    logger.warning("login locked out: username=%r ip=%s path=%r", _shown(username), ip_address, _path(request))


@receiver(user_logged_in, dispatch_uid="security_log.logged_in")
def logged_in(sender, request, user, **kwargs):
    logger.info("login: user_id=%s username=%r ip=%s", user.pk, _shown(user.get_username()), client_ip(request))


@receiver(user_logged_out, dispatch_uid="security_log.logged_out")
def logged_out(sender, request, user, **kwargs):
    logger.info("logout: user_id=%s ip=%s", getattr(user, "pk", None), client_ip(request))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="security_log.password_changed")
def password_changed(sender, instance, created, **kwargs):
    # set_password() keeps the new raw password in `_password` until save() has
    # run: the one hook shared by the change page, the admin and `changepassword`.
    # A hash upgrade at login clears it first, so it is not reported as a change.
    if created or getattr(instance, "_password", None) is None:
        return
    request = getattr(HistoricalRecords.context, "request", None)
    actor = getattr(request, "user", None)
    logger.info(
        "password changed: user_id=%s username=%r by_user_id=%s ip=%s",
        instance.pk,
        _shown(instance.get_username()),
        actor.pk if actor is not None and actor.is_authenticated else None,
        client_ip(request),
    )


def access_refused(request, *, status: int, reason: str, project_slug: str | None = None) -> None:
    """A signed-in user was refused: 403 (role lacks the action) or the 404 a
    non-member gets for a project that exists (invariant 9)."""
    if project_slug is None and request.resolver_match is not None:
        project_slug = request.resolver_match.kwargs.get("slug")
    logger.warning(
        "access refused: status=%s user_id=%s path=%r project=%r reason=%r",
        status,
        getattr(request.user, "pk", None),
        _path(request),
        _shown(project_slug),
        _shown(reason),
    )


def api_token_refused(request, *, prefix: str) -> None:
    """A request presented an API token that is wrong, revoked, or whose owner is inactive."""
    logger.warning("api token refused: path=%r prefix=%r", _path(request), _shown(prefix))


def api_token_event(*, action: str, token) -> None:
    """A user made or revoked one of their API tokens."""
    logger.info(
        "api token %s: user_id=%s token_id=%s name=%r", action, token.user_id, token.pk, _shown(token.name)
    )
