from django.db import transaction

from ..exceptions import DomainError, NotAllowed
from ..history import delete_tracked, save_tracked
from ..models import Membership, Project, Role, language_code_validator
from ..permissions import Action, forget_roles, is_site_admin, require


def _clean_languages(source_language: str, target_languages: list[str]) -> list[str]:
    from django.core.exceptions import ValidationError

    codes = [source_language, *target_languages]
    for code in codes:
        try:
            language_code_validator(code)
        except ValidationError:
            raise DomainError(f"{code!r} is not a language code (use e.g. ko, en, pt-BR).") from None
    targets = list(dict.fromkeys(target_languages))
    if not targets:
        raise DomainError("A project needs at least one target language.")
    if source_language in targets:
        raise DomainError("The source language cannot also be a target language.")
    return targets


@transaction.atomic
def project_create(
    *,
    user,
    name: str,
    slug: str,
    source_language: str,
    target_languages: list[str],
    description: str = "",
    required_approvals: int = 1,
    allow_self_approval: bool = False,
    reason: str = "Project created",
) -> Project:
    """Site admins create projects; the creator becomes none of its roles automatically."""
    if not is_site_admin(user):
        raise NotAllowed("Only site administrators create projects.")
    if Project.objects.filter(slug=slug).exists():
        raise DomainError(f"A project with the address {slug!r} already exists.")
    if not 1 <= required_approvals <= 10:
        raise DomainError("Required approvals must be between 1 and 10.")
    project = Project(
        name=name.strip(),
        slug=slug,
        description=description,
        source_language=source_language,
        target_languages=_clean_languages(source_language, target_languages),
        required_approvals=required_approvals,
        allow_self_approval=allow_self_approval,
    )
    return save_tracked(project, user=user, reason=reason)


@transaction.atomic
def project_policy_update(
    *,
    project: Project,
    user,
    required_approvals: int,
    allow_self_approval: bool,
    final_stage_required: bool | None = None,
    translators_may_create_documents: bool | None = None,
    reason: str = "",
) -> Project:
    """Change the review policy. States are not recomputed: a policy change never
    silently approves anything; it applies to decisions from now on."""
    require(user, Action.MANAGE_POLICY, project)
    if not 1 <= required_approvals <= 10:
        raise DomainError("Required approvals must be between 1 and 10.")
    project = Project.objects.select_for_update().get(pk=project.pk)
    wanted = {
        "required_approvals": required_approvals,
        "allow_self_approval": allow_self_approval,
        "final_stage_required": project.final_stage_required if final_stage_required is None else final_stage_required,
        "translators_may_create_documents": project.translators_may_create_documents
        if translators_may_create_documents is None
        else translators_may_create_documents,
    }
    changed = [name for name, value in wanted.items() if getattr(project, name) != value]
    if not changed:
        return project
    for name in changed:
        setattr(project, name, wanted[name])
    summary = ", ".join(f"{name.replace('_', ' ')} → {wanted[name]}" for name in changed)
    return save_tracked(project, user=user, reason=f"{reason} ({summary})" if reason else f"Policy changed: {summary}")


@transaction.atomic
def membership_set(
    *, project: Project, user, member, role: str, is_final_editor: bool | None = None, reason: str = ""
) -> Membership:
    """Give `member` a role in the project (adding them if needed), and say
    whether they are a designated final editor."""
    require(user, Action.MANAGE_MEMBERS, project)
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.")
    membership = Membership.objects.select_for_update().filter(project=project, user=member).first()
    final = bool(is_final_editor) if is_final_editor is not None else (membership.is_final_editor if membership else False)
    if membership is None:
        membership = Membership(project=project, user=member, role=role, is_final_editor=final)
        reason = reason or f"Added {member.username} as {role}"
    elif (membership.role, membership.is_final_editor) == (role, final):
        return membership
    else:
        parts = []
        if membership.role != role:
            parts.append(f"from {membership.role} to {role}")
        if membership.is_final_editor != final:
            parts.append("made a final editor" if final else "no longer a final editor")
        reason = reason or f"Changed {member.username}: " + ", ".join(parts)
        membership.role = role
        membership.is_final_editor = final
    save_tracked(membership, user=user, reason=reason)
    forget_roles(member)
    return membership


@transaction.atomic
def membership_remove(*, project: Project, user, member, reason: str = "") -> None:
    require(user, Action.MANAGE_MEMBERS, project)
    membership = Membership.objects.select_for_update().filter(project=project, user=member).first()
    if membership is None:
        raise DomainError(f"{member.username} is not a member of {project.name}.")
    delete_tracked(membership, user=user, reason=reason or f"Removed {member.username}")
    forget_roles(member)
