"""Media storage that never leaves half a file behind.

Django's FileSystemStorage writes straight into the final name, so a disk
that fills up mid-write leaves a truncated page image there. Here the bytes
go to a temporary file in the same directory first and are renamed into
place only once complete (a rename needs no space); whatever goes wrong,
the temporary file is removed.
"""

import errno
import os
import tempfile

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

from .exceptions import StorageFull

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS


def refuse_if_disk_full(error: BaseException) -> None:
    """Raise StorageFull in place of an OSError that means the disk is full."""
    if is_disk_full(error):
        raise StorageFull() from error


class _WrittenFile(File):
    def temporary_file_path(self):
        return self.name


class WholeFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        if hasattr(content, "temporary_file_path"):
            return super()._save(name, content)  # already whole on disk: moved into place
        directory = os.path.dirname(self.path(name))
        os.makedirs(directory, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            with open(partial, "rb") as whole:
                return super()._save(name, _WrittenFile(whole, name=partial))
        finally:
            try:
                os.unlink(partial)
            except FileNotFoundError:
                pass  # moved into place
