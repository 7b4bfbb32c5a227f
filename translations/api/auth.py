"""API tokens as credentials, and per-token rate limits.

A request carries ``Authorization: Token <secret>``; we look the token up by
the SHA-256 of the secret (the only form stored) and act as its owner, with
exactly the owner's roles. A revoked token, or one whose owner is inactive,
is refused like a wrong one: the answer says the token is not valid, not why.
"""

import hashlib
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, throttling

from .. import security_log
from ..models import ApiToken

TOKEN_PREFIX = "il_"
# Writing last_used_at on every call would make every read a write; this often is enough to tell live tokens.
LAST_USED_PRECISION = timedelta(minutes=5)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Token <secret>.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This API token is not valid.") from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(secret), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            security_log.api_token_refused(request._request, prefix=secret[: len(TOKEN_PREFIX) + 6])
            raise exceptions.AuthenticationFailed("This API token is not valid (wrong, revoked, or its owner is inactive).")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            token.last_used_at = now
            token.save(update_fields=["last_used_at"])
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (per user for browser sessions), over ``API_RATE_LIMIT``.

    Anonymous requests are refused before they could be counted (every endpoint
    needs a login), so only identified callers are limited."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
