"""API tokens: made and revoked by their owner only.

A token's secret exists in clear only in the return value of
``api_token_create``; the database keeps its SHA-256 digest and a short prefix
so its owner can tell tokens apart.
"""

import secrets

from django.db import transaction
from django.utils import timezone

from .. import security_log
from ..api.auth import TOKEN_PREFIX, token_digest
from ..exceptions import DomainError, NotAllowed
from ..models import ApiToken

MAX_LIVE_TOKENS = 20


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it with its secret, which is not stored."""
    name = (name or "").replace("\x00", "").strip()
    if not name:
        raise DomainError("Name the token after what will use it, e.g. “CMS import”.")
    if len(name) > 100:
        raise DomainError("A token's name has at most 100 characters.")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_LIVE_TOKENS:
        raise DomainError(f"You already have {MAX_LIVE_TOKENS} live tokens; revoke one you no longer use.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], digest=token_digest(secret)
    )
    security_log.api_token_event(action="created", token=token)
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user) -> ApiToken:
    """Owners revoke their own tokens; a revoked token stays listed, unusable."""
    if token.user_id != user.pk:
        raise NotAllowed("You may revoke only your own tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_log.api_token_event(action="revoked", token=token)
    return token
