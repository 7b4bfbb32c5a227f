"""The one place that answers "may this user do this in this project?".

Views, services, templates, the admin and (later) the API all ask here. A
user's roles are loaded once per request and cached on the user object, so
permission checks cost no queries after the first.

Unknown objects and objects of projects the user is not a member of are
answered the same way by views (404), so URL guessing reveals nothing
(invariant 9).
"""

from enum import StrEnum

from .exceptions import NotAllowed
from .models import Membership, Role


class Action(StrEnum):
    VIEW = "view"  # see the project's material and object histories
    TRANSCRIBE = "transcribe"  # edit segments
    TRANSLATE = "translate"  # submit and revise own candidates
    COMMENT = "comment"
    REVIEW = "review"  # approve / reject / request changes
    VERIFY_TRANSCRIPTION = "verify_transcription"
    CREATE_DOCUMENT = "create_document"
    MANAGE_DOCUMENTS = "manage_documents"  # provenance, authenticity, images
    MANAGE_MEMBERS = "manage_members"
    MANAGE_POLICY = "manage_policy"
    DOWNLOAD_ORIGINAL = "download_original"
    VIEW_AUDIT = "view_audit"
    FINAL_EDIT = "final_edit"  # pass the optional final-edit stage


_TRANSLATOR = {Action.VIEW, Action.TRANSCRIBE, Action.TRANSLATE, Action.COMMENT}
_REVIEWER = _TRANSLATOR | {Action.REVIEW, Action.VERIFY_TRANSCRIPTION}
_MANAGER = _REVIEWER | {
    Action.FINAL_EDIT,
    Action.CREATE_DOCUMENT,
    Action.MANAGE_DOCUMENTS,
    Action.MANAGE_MEMBERS,
    Action.MANAGE_POLICY,
    Action.DOWNLOAD_ORIGINAL,
    Action.VIEW_AUDIT,
}
_AUDITOR = {Action.VIEW, Action.VIEW_AUDIT}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.TRANSLATOR: frozenset(_TRANSLATOR),
    Role.REVIEWER: frozenset(_REVIEWER),
    Role.MANAGER: frozenset(_MANAGER),
    Role.AUDITOR: frozenset(_AUDITOR),
}


def is_site_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff))


def _memberships(user) -> dict[int, tuple[str, bool]]:
    if not (user and user.is_authenticated and user.is_active):
        return {}
    cached = getattr(user, "_interlinear_roles", None)
    if cached is None:
        cached = {
            project_id: (role, final)
            for project_id, role, final in Membership.objects.filter(user=user).values_list(
                "project_id", "role", "is_final_editor"
            )
        }
        user._interlinear_roles = cached
    return cached


def roles_of(user) -> dict[int, str]:
    """{project_id: role} for the user, loaded once and cached on the user object."""
    return {project_id: role for project_id, (role, _) in _memberships(user).items()}


def forget_roles(user) -> None:
    """Drop the cached roles (after a membership change)."""
    if hasattr(user, "_interlinear_roles"):
        del user._interlinear_roles


def role_in(user, project) -> str | None:
    membership = _memberships(user).get(_project_id(project))
    return membership[0] if membership else None


def is_member(user, project) -> bool:
    return is_site_admin(user) or role_in(user, project) is not None


def can(user, action: Action, project) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_site_admin(user):
        return True
    role = role_in(user, project)
    if role is None:
        return False
    if action == Action.CREATE_DOCUMENT and role in (Role.TRANSLATOR, Role.REVIEWER):
        project_obj = project if hasattr(project, "translators_may_create_documents") else None
        return bool(project_obj and project_obj.translators_may_create_documents)
    if action == Action.FINAL_EDIT and role == Role.REVIEWER:
        return _memberships(user)[_project_id(project)][1]
    return action in ROLE_ACTIONS[role]


def require(user, action: Action, project) -> None:
    """Raise NotAllowed unless the user may perform the action in the project."""
    if not can(user, action, project):
        raise NotAllowed(f"You may not {action.value.replace('_', ' ')} in this project.")


def reviewing_project_ids(user) -> tuple[list[int], list[int]]:
    """(projects where the user reviews, those where they also make final edits), from the cached roles."""
    memberships = _memberships(user)
    review = [p for p, (role, _) in memberships.items() if role in (Role.REVIEWER, Role.MANAGER)]
    final = [p for p in review if memberships[p][0] == Role.MANAGER or memberships[p][1]]
    return review, final


def visible_project_ids(user) -> set[int] | None:
    """Project ids the user may see, or None meaning all (site admins)."""
    if is_site_admin(user):
        return None
    return set(roles_of(user))


def _project_id(project) -> int:
    return project if isinstance(project, int) else project.pk
