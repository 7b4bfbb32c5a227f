"""Keeping an uploaded file between the preview and the confirmation.

The bytes are stored under ``MEDIA_ROOT/imports/`` (never served: media goes
through permission-checked views only) with a random token as name, and a
small JSON record of who uploaded it, for which document and language, and
the fingerprint of the plan the preview showed. A confirmation must come
from the same user for the same document with a token that exists, is well
formed and is younger than ``IMPORT_STAGING_MAX_AGE`` seconds; anything else
reads as "expired" and no path ever comes from the request except the token,
which is checked against a strict pattern first. Stale uploads are swept
whenever a new one is staged; a full disk refuses the upload (StorageFull)
and leaves nothing staged. The app servers must share MEDIA_ROOT, as
they already do for page images.
"""

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from ..storage import refuse_if_disk_full
from .errors import ImportRejected

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
DEFAULT_MAX_AGE = 24 * 3600


@dataclass
class StagedImport:
    token: str
    user_id: int
    document_id: int
    filename: str
    format: str
    split: str
    language: str
    sha256: str
    fingerprint: str
    staged_at: float


def _directory() -> Path:
    directory = Path(settings.MEDIA_ROOT) / "imports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _max_age() -> int:
    return int(getattr(settings, "IMPORT_STAGING_MAX_AGE", DEFAULT_MAX_AGE))


def _paths(token: str) -> tuple[Path, Path]:
    directory = _directory()
    return directory / f"{token}.upload", directory / f"{token}.json"


def _expired() -> ImportRejected:
    return ImportRejected("This import has expired or was already used. Upload the file again.")


def sweep() -> None:
    """Remove uploads older than the staging age (abandoned previews)."""
    cutoff = time.time() - _max_age()
    for path in _directory().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def stage(
    data: bytes, *, user, document, filename: str, format: str, split: str, language: str, fingerprint: str
) -> StagedImport:
    sweep()
    token = secrets.token_urlsafe(32)
    staged = StagedImport(
        token=token,
        user_id=user.pk,
        document_id=document.pk,
        filename=filename,
        format=format,
        split=split,
        language=language,
        sha256=hashlib.sha256(data).hexdigest(),
        fingerprint=fingerprint,
        staged_at=time.time(),
    )
    upload, record = _paths(token)
    try:
        for path, content in ((upload, data), (record, json.dumps(asdict(staged)).encode())):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
    except OSError as error:
        # Half a staged file would only be swept a day later: remove it now.
        discard(token)
        refuse_if_disk_full(error)
        raise
    return staged


def load(token: str, *, user, document) -> tuple[StagedImport, bytes]:
    """The staged import and its bytes, if `token` is one that `user` staged for `document` and still valid."""
    if not isinstance(token, str) or not TOKEN.match(token):
        raise _expired()
    upload, record = _paths(token)
    try:
        staged = StagedImport(**json.loads(record.read_bytes()))
        data = upload.read_bytes()
    except (OSError, ValueError, TypeError):
        raise _expired() from None
    if staged.user_id != user.pk or staged.document_id != document.pk:
        raise _expired()
    if time.time() - staged.staged_at > _max_age() or hashlib.sha256(data).hexdigest() != staged.sha256:
        discard(token)
        raise _expired()
    return staged, data


def refingerprint(staged: StagedImport, fingerprint: str) -> None:
    """Record the plan of a fresh preview for the same upload."""
    staged.fingerprint = fingerprint
    _paths(staged.token)[1].write_text(json.dumps(asdict(staged)))


def discard(token: str) -> None:
    if not TOKEN.match(token or ""):
        return
    for path in _paths(token):
        path.unlink(missing_ok=True)
