"""Domain errors. Each carries the message a user needs to see.

Views and commands map them to messages and status codes; none should ever
surface as a 500.
"""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """Base class: a refused change. Nothing was written."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidText(DomainError):
    pass


class NotAllowed(PermissionDenied):
    """The user's role in the project does not permit this action."""

    def __init__(self, message: str = "You do not have permission to do that."):
        super().__init__(message)
        self.message = message


class EditConflict(DomainError):
    """The row moved on since the user started editing (invariant 6)."""

    status_code = 409

    def __init__(self, *, current_version: int, current_text: str, attempted_text: str, base_version: int):
        super().__init__(
            f"This changed since you opened it: you started from version {base_version}, "
            f"it is now at version {current_version}. Nothing was saved."
        )
        self.current_version = current_version
        self.current_text = current_text
        self.attempted_text = attempted_text
        self.base_version = base_version


class SelfReviewForbidden(DomainError):
    status_code = 403


class StaleVersion(DomainError):
    """A decision was posted for a version that is no longer current."""

    status_code = 409

    def __init__(self, *, decided_version: int, current_version: int, current_text: str):
        super().__init__(
            f"This translation changed since you opened it (you reviewed version {decided_version}, "
            f"it is now version {current_version}). Your decision was not recorded."
        )
        self.decided_version = decided_version
        self.current_version = current_version
        self.current_text = current_text


class ImageRejected(DomainError):
    pass


class StorageFull(DomainError):
    """The disk (or quota) that holds uploaded files is full. Whatever was
    written of the refused change has been removed; nothing was stored."""

    status_code = 507  # Insufficient Storage

    def __init__(self, message: str = (
        "The server's disk is full, so nothing was stored. Please tell your administrator, "
        "and try again once space has been freed."
    )):
        super().__init__(message)


class DuplicateImage(ImageRejected):
    pass


class HistoryIncomplete(RuntimeError):
    """A tracked row was about to change without naming the acting user and a reason.

    This is a programming error, not a user error: it aborts the transaction so
    that no change without history can be stored (invariant 1).
    """
