from .permissions import is_site_admin, roles_of


def navigation(request):
    """What the navigation bar offers: the audit trail only to those who may read it."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"can_audit": is_site_admin(user) or any(role in ("auditor", "manager") for role in roles_of(user).values())}
